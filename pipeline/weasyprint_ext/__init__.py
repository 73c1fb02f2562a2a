"""weasyprint_ext: what paiban changes inside WeasyPrint (and pydyf), in one place.

In:  the imported ``weasyprint`` (``loader.import_weasyprint`` imports it once, without
     its library hunt) and ``pydyf``.
Out: ``install()`` — checks the version and every internal each change touches, then
     applies them all, once per process; ``PATCHES`` names them.  With
     ``PAIBAN_WEASYPRINT_PATCHES=none`` (or a comma-separated list of the names to
     keep) the others are left out: ``tests/test_weasyprint_ext.py`` builds the
     seed with every change off and reports what each costs, so the price of an
     upgrade is known before it is paid.

Everything here is pinned to ``weasyprint==70.0`` (``PINNED_WEASYPRINT``) and the
pydyf it requires.  Each change is written so that it could be proposed upstream
as it stands; the inventory:

``cjk_justify`` (``cjk_justify.py``) — inter-character justification.
    WeasyPrint justifies a line by widening its spaces only (``justify_line``); a
    Chinese line has none, so ``text-align: justify`` leaves it ragged.  paiban
    needs clreq's inter-character justification: the slack spread between Han
    characters and at Han/Western boundaries, never inside "App" or "——".  Not a
    bug, a missing feature: CSS Text 3 ``text-justify: inter-character``
    implemented in ``layout.inline.justify_line``.  It also sets clreq's Han/Western
    gap, which paiban marks as the margin of a whole Western run (so no word is parted
    by markup): ``text_align`` is wrapped to take that margin off at a line's edges
    and to draw it inside a line as character spacing — upstream: CSS Text 4
    ``text-autospace``.  Two WeasyPrint bugs are mended
    with it: ``draw/text.py`` writes each glyph's TJ adjustment as ``int(kerning)``,
    truncating up to 1/1000 em a glyph (0.3-0.5pt a justified line) — upstream: write
    the float; and gaps drawn as displacement read as word spaces to extractors —
    upstream: ActualText spans for spaced runs.

``embed_subsets_as_is`` (``patches.py``) — no second subsetting.
    WeasyPrint subsets every embedded font again with fontTools (about 0.3 s a
    face).  paiban hands it HarfBuzz subsets of the edition's characters already.
    Not a bug: upstream, an option to embed fonts as given while still writing the
    text map from the drawn glyphs (``full_fonts`` writes it from the cmap alone and
    loses the text of glyphs made by layout features, Noto's composed "——").

``fewer_repaginations`` (``patches.py``) — lay the contents out again only when a
    number it shows changed.  A WeasyPrint bug, twice: ``compute_content_list``
    reuses the name ``missing_counters`` for a target's list, so ``page`` of
    ``target-counter(…, page)`` is also filed as the box's own page counter (every
    change of the page total lays the contents out again); and a target named by
    ``attr()`` is filed under the anchor ``None``, so a change of its page never
    reaches the box.  Its lookups were also scanned once per anchor (quadratic in
    the articles: 3.4 s of a 2,000-article build).  Upstream: keep the two lists
    apart, resolve ``attr()`` before filing, index lookups by anchor.

``one_box_per_leader`` (``patches.py``) — a dot leader is one text box.
    WeasyPrint (``layout.leader.handle_leader``) makes one laid-out, drawn box per
    dot: 217,000 boxes and a quarter of the build for 2,000 contents lines.  Not a
    bug, a cost: upstream, repeat the leader text in one box at the same pitch.

``bounded_line_breaking`` (``patches.py``) — a line of a long unbroken run costs the
    line.  WeasyPrint hands Pango the whole rest of a text box for every line when
    its draft holds no break (a long Latin run, a URL): 100,000 letters took 110-160
    s.  A performance bug: upstream, widen the draft geometrically instead of falling
    back to the whole rest.

``serialize_once`` (``patches.py``) — pydyf serializes (and deflates) each object
    once per write.  With a content-hash identifier pydyf 0.13 serializes every
    object twice (once to write, once to hash).  A pydyf inefficiency: upstream,
    hash the bytes as they are written.

``page_references_once`` (``patches.py``) — pydyf's ``page_references`` tuple is
    built once per page count.  It is rebuilt on every read, and WeasyPrint reads it
    for every tagged element and link: pages x elements.  Upstream: cache it.

``loader.py`` (not a patch: how WeasyPrint is imported) memoizes its library
look-ups on disk and defers two fontTools imports paiban never uses.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from . import patches
from .cjk_justify import PINNED_WEASYPRINT

log = logging.getLogger("paiban")

#: The changes ``install`` applies, in order, by name.
PATCHES: dict[str, Callable[[], object]] = {
    "cjk_justify": patches.cjk_justification,
    "embed_subsets_as_is": patches.embed_subsets_as_is,
    "fewer_repaginations": patches.fewer_repaginations,
    "bounded_line_breaking": patches.bounded_line_breaking,
    "one_box_per_leader": patches.one_box_per_leader,
    "serialize_once": patches.serialize_once,
    "page_references_once": patches.page_references_once,
}

#: The environment variable that leaves changes out (a test's and an upgrader's tool).
SWITCH = "PAIBAN_WEASYPRINT_PATCHES"


def wanted() -> tuple[str, ...]:
    """The names of the changes to apply: all, unless ``PAIBAN_WEASYPRINT_PATCHES``
    says ``none`` or lists the ones to keep."""
    value = os.environ.get(SWITCH, "").strip()
    if not value or value == "all":
        return tuple(PATCHES)
    if value == "none":
        return ()
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in PATCHES]
    if unknown:
        raise RuntimeError(f"{SWITCH}: unknown change(s) {', '.join(unknown)} "
                           f"(known: {', '.join(PATCHES)})")
    return names


def install() -> tuple[str, ...]:
    """Check WeasyPrint's version and apply the wanted changes (each once per process;
    each checks the internals it touches and raises ``RuntimeError`` naming a missing
    one, except inter-character justification, which warns and leaves lines flush at
    spaces only).  Returns the names applied."""
    import weasyprint

    if weasyprint.__version__ != PINNED_WEASYPRINT:
        raise RuntimeError(f"paiban changes WeasyPrint {PINNED_WEASYPRINT}'s internals; "
                           f"this is {weasyprint.__version__} (pip install -e .)")
    names = wanted()
    for name in names:
        PATCHES[name]()
    return names


__all__ = ["PATCHES", "PINNED_WEASYPRINT", "SWITCH", "install", "wanted"]
