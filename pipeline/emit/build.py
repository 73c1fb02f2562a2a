"""emit.build: what the editions share on their way out — fonts and the page map.

In: an ``Edition`` and the project root (``edition_fonts``); a content key
(``stamp.edition_key``) and a page map (``cached_page_map``/``store_page_map``).
Out: the font subsets both editions embed (``SubsetFace``, after the coverage
check); the print page map kept in ``build/cache/pages/<key>.json``, so that an
e-book built after the print edition of the same inputs does not lay the pages
out again; ``preload``, which imports WeasyPrint (``weasyprint_ext.loader``).

The order the stages run in is ``stages.build``'s.
"""

from __future__ import annotations

import json
import logging
import string
from contextlib import suppress
from pathlib import Path

from .. import output, render, stamp
from ..errors import BuildError
from ..fonts import SubsetFace, coverage_gaps, extra_face, load_manifest, subset_face
from ..model import Edition, edition_text

log = logging.getLogger("paiban")

# Characters the layouts may set besides the edition's text: ASCII (URLs, page
# numbers) and every character written in the templates themselves.
_ALWAYS = string.printable.strip() + "\u3000"


def layout_chars(root: Path) -> str:
    """Every non-ASCII character written in the layouts' templates (目录, 星期…)."""
    found = set()
    site = root / "layouts" / "site"
    for path in sorted((root / "layouts").rglob("*")):
        # Package metadata (the OPF's accessibility summary, the NCX) is never set in
        # type, nor is the download site (layouts/site/: the reader's own fonts).
        if path.is_file() and path.suffix in (".j2", ".css") and not path.name.endswith(
                (".opf.j2", ".ncx.j2", ".xml.j2")) and not path.is_relative_to(site):
            found.update(ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 0x7F)
    # and their traditional forms, which editions in traditional characters show
    found.update(render.ui_text("".join(found), "zh-Hant"))
    return "".join(sorted(found))


def _where(char: str, source_text: str) -> str:
    lines = [n for n, line in enumerate(source_text.split("\n"), start=1) if char in line]
    shown = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
    return f"{char} (U+{ord(char):04X}) line {shown}" if lines else f"{char} (U+{ord(char):04X})"


def edition_fonts(edition: Edition, root: Path, source_text: str = "",
                  cache: Path | None = None,
                  fallback: Path | None = None) -> tuple[SubsetFace, ...]:
    """One subset of each bundled face for both editions; stop on a coverage gap.

    Each face gets the characters the layouts set in it (``render.face_text``);
    Song Regular also gets everything else an edition can show (the whole text,
    the templates' own words, ASCII), so the e-book's navigation and a reading
    system's fallback find their glyphs.  A character that Hei or Kai lacks is
    drawn by the next face of its stack, Song of the same weight, so it joins that
    subset (never a system font).  A character no bundled face draws stops the
    build with one line naming it and its source lines, rather than a blank box —
    unless the sidecar names a ``fallback`` font that draws it: then a subset of
    that font to those characters is the family every stack ends in after Song
    (``render.FALLBACK``).  An edition in traditional characters gets its stops
    centred in the bundled faces' subsets (``render.centred_stops``).
    """
    cache = cache or root / "build" / "fonts"
    faces = load_manifest(root / "fonts", cache)
    meta = edition.meta  # the colophon and the cover show these as well
    everything = (edition_text(edition) + meta.paper + meta.publisher + meta.rights
                  + meta.identifier + layout_chars(root) + _ALWAYS)
    song = [f for f in faces if f.family == render.SONG and f.weight == 400]
    gaps = coverage_gaps(everything, song, cache)
    extra: tuple[SubsetFace, ...] = ()
    if gaps and fallback is not None:
        face = extra_face(fallback, render.FALLBACK, 400)
        drawn = "".join(sorted(set(gaps) - set(coverage_gaps("".join(gaps), [face], cache))))
        if drawn:
            extra = (SubsetFace(face, subset_face(face, drawn, cache)),)
            gaps = {char: where for char, where in gaps.items() if char not in drawn}
    if gaps:
        shown = "; ".join(_where(ch, source_text) for ch in sorted(gaps)[:8])
        by = "the bundled fonts nor the fallback font draw" if fallback else (
            "no bundled font draws (a sidecar's fallback_font can name a font that does)")
        raise BuildError(f"{len(gaps)} character(s) {by}: {shown}")
    wanted = dict(render.face_text(edition))
    wanted[(render.SONG, 400)] = wanted.get((render.SONG, 400), "") + everything
    for face in faces:
        key = (face.family, face.weight)
        if face.family != render.SONG and key in wanted:
            missing = "".join(coverage_gaps(wanted[key], [face], cache))
            song_of_weight = (render.SONG, face.weight)  # the next face of its stack
            wanted[song_of_weight] = wanted.get(song_of_weight, "") + missing
    centred = render.centred_stops(meta.language)  # Taiwan / Hong Kong punctuation
    return tuple(
        SubsetFace(face, subset_face(face, wanted[(face.family, face.weight)], cache, centred))
        for face in faces if (face.family, face.weight) in wanted) + extra


def preload(root: Path) -> None:
    """Import WeasyPrint the fast way (``weasyprint_ext.loader``), its look-ups memoized under ``root``."""
    from ..weasyprint_ext.loader import import_weasyprint

    import_weasyprint(stamp.cache_dir(root) / "libraries.json")


PageStarts = dict[int, tuple[str, int]]


def cached_page_map(root: Path, key: str | None,
                     edition: Edition) -> tuple[dict[str, int], PageStarts] | None:
    """The page map (and page starts) stored by a print build of the same inputs, if
    any — and only if it gives a page (a positive number) to every article and block
    of ``edition`` and each page start names one of its blocks: a damaged map is
    laid out again, not trusted."""
    if key is None:
        return None
    with suppress(OSError, ValueError, TypeError, AttributeError, LookupError):
        data = json.loads(stamp.page_map_path(root, key).read_text(encoding="utf-8"))
        pages, starts = data["pages"], data["starts"]
        ids = render.model_ids(edition)
        if all(type(pages.get(ident)) is int and pages[ident] >= 1 for ident in ids):
            known = set(ids)
            read = {int(page): (ident, offset) for page, (ident, offset) in starts.items()}
            if all(ident in known and type(offset) is int and offset > 0
                   for ident, offset in read.values()):
                return pages, read
    return None


def store_page_map(root: Path, key: str | None, page_of: dict[str, int],
                    starts: PageStarts) -> None:
    """Keep the page map for a later e-book-only build (a failure only costs a layout)."""
    if key is not None:
        data = {"pages": page_of, "starts": {str(page): list(start)
                                             for page, start in starts.items()}}
        with suppress(OSError, BuildError):
            output.write_atomic(stamp.page_map_path(root, key),
                                json.dumps(data, sort_keys=True).encode("utf-8"))
