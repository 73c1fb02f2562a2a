"""weasyprint_ext.patches: the changes paiban makes inside WeasyPrint 70 and pydyf,
one function each, installed once per process by ``weasyprint_ext.install``.

In:  nothing (each function patches the imported modules in place, once: they are
     ``functools.cache``d); each checks the internal it replaces and raises
     ``RuntimeError`` naming it when the pinned version's hook is gone.
Out: WeasyPrint laying out and writing as the docstrings say.  The inventory, with
     what WeasyPrint does, what paiban needs and the upstream change that would make
     each unnecessary, is ``weasyprint_ext``'s docstring.
"""

from __future__ import annotations

import functools
import logging

from . import cjk_justify
from .cjk_justify import PINNED_WEASYPRINT

log = logging.getLogger("paiban")


@functools.cache
def embed_subsets_as_is() -> None:
    """Make WeasyPrint embed paiban's font files without subsetting them again.

    The faces handed to WeasyPrint are already HarfBuzz subsets of the edition's
    characters (``emit.build.edition_fonts``); WeasyPrint 70 would subset them a
    second time with fontTools (about 0.3 s a face without the system's
    libharfbuzz-subset).  Its text map and widths still come from the glyphs it
    drew, so extraction stays exact.  Guarded like ``cjk_justify``: the pinned
    version's hook must exist.
    """
    from weasyprint.pdf import fonts as weasy_fonts

    if not callable(getattr(getattr(weasy_fonts, "Font", None), "subset", None)):
        raise RuntimeError("weasyprint.pdf.fonts.Font.subset is gone: "
                           f"paiban needs weasyprint=={PINNED_WEASYPRINT}")

    def subset(self, to_unicode, hinting) -> None:  # the file is a subset already
        return None

    weasy_fonts.Font.subset = subset


@functools.cache
def fewer_repaginations() -> None:
    """Lay a page out again only when the page numbers it shows changed.

    The contents (``target-counter(attr(href url), page)``) share the front page
    with the first article.  WeasyPrint 70 made that page three times: once
    without the numbers, once with them, and once more because the page total
    (known after the first pass) changed — a counter the contents never show.
    Measured: 0.09 s of a 0.6 s layout, for nothing.  It got the second pass only
    by accident of two slips in its bookkeeping (below); with them mended, a
    target's page is what tells the contents to be made again, and only a change
    in a counter they show does (WeasyPrint's own code: "TODO: Is the item at all
    interested in the new page_counter_values?").  Guarded like
    ``embed_subsets_as_is``; ``tests/test_pdf.py`` checks every number in the
    contents against the page its article starts on, and the pass count.
    """
    import copy

    from weasyprint.css import targets

    collector = getattr(targets, "TargetCollector", None)
    if not callable(getattr(collector, "cache_target_page_counters", None)):
        raise RuntimeError("weasyprint.css.targets.TargetCollector.cache_target_page_counters "
                           f"is gone: paiban needs weasyprint=={PINNED_WEASYPRINT}")

    def cache_target_page_counters(self, anchor_name, page_counter_values,
                                   page_maker_index, page_maker) -> None:
        if self.collecting:  # only while paginating
            return
        item = self.target_lookup_items.get(anchor_name)
        if not item or item.state != "up-to-date":
            return
        item.page_maker_index = page_maker_index
        previous = item.cached_page_counter_values
        if previous == page_counter_values:
            return
        item.cached_page_counter_values = copy.deepcopy(page_counter_values)
        for lookup in _lookups_of(self).get(anchor_name, ()):
            missing = lookup.missing_target_counters[anchor_name]
            if lookup.page_maker_index is None or lookup.page_maker_index >= len(page_maker):
                lookup.pending = True  # laid out later: it reads the new values then
                continue
            for name in missing:
                value = page_counter_values.get(name)
                if value is not None and value != previous.get(name):  # the change here
                    page_maker[lookup.page_maker_index][-1]["content_changed"] = True
                    lookup.parse_again(item.cached_page_counter_values)
                    break

    def _lookups_of(self) -> dict[str, list]:
        # WeasyPrint scans every lookup item for every anchor whose page it learns:
        # quadratic in the articles (3.4 s of a 2,000-article build).  The items
        # are all collected before pagination starts; they are indexed by the
        # anchors they wait for, in their own order, and indexed again if more come.
        items = self.counter_lookup_items
        known = getattr(self, "paiban_lookups", None)
        if known is None or known[0] != len(items):
            index: dict[str, list] = {}
            for (_, css_token), lookup in items.items():
                if css_token == "content":
                    for anchor in lookup.missing_target_counters:
                        index.setdefault(anchor, []).append(lookup)
            known = self.paiban_lookups = (len(items), index)
        return known[1]

    collect = collector.collect_missing_counters

    def collect_missing_counters(self, parent_box, css_token, parse_again_function,
                                 missing_counters, missing_target_counters) -> None:
        # WeasyPrint 70's ``compute_content_list`` reuses its name ``missing_counters``
        # for a target's list (``missing_counters = missing_target_counters.setdefault(…)``),
        # so "page" of ``target-counter(…, page)`` arrives here as a counter of the box's
        # own page too, and every change of that page's counters (the page total, after
        # the first pass) lays the contents out again.  The list is recognised by identity.
        if any(missing_counters is wanted for wanted in missing_target_counters.values()):
            missing_counters = []
        # And it files a target named by ``attr()`` under the anchor None (it names the
        # token before resolving it), so a change of the target's page never reaches
        # the box.  ``target-counter(attr(href url), page)`` names the link's target.
        if None in missing_target_counters:
            href = getattr(parent_box, "element", None)
            href = href.get("href", "") if href is not None else ""
            wanted = missing_target_counters.pop(None)
            if href.startswith("#"):
                missing_target_counters = {**missing_target_counters, href[1:]: wanted}
        collect(self, parent_box, css_token, parse_again_function, missing_counters,
                missing_target_counters)

    collector.cache_target_page_counters = cache_target_page_counters
    collector.collect_missing_counters = collect_missing_counters


@functools.cache
def one_box_per_leader() -> None:
    """Make a dot leader one text box, not one box per dot.

    The contents' lines end in ``leader(dotted)`` (``print.css``).  WeasyPrint 70
    (``layout.leader.handle_leader``) fills the gap with a copy of the leader's
    text box for every dot, each laid out, given a background and drawn as its own
    text object: about a hundred boxes a line.  With 2,000 articles that was
    217,000 boxes, and drawing them alone took a quarter of the build.  Here the
    same dots — the same count, from the same right edge, at the same pitch — are
    one box holding the leader text repeated, laid out by Pango once.  The PDF
    draws the same glyphs at the same places (the pitch is the text's advance, so
    the repeated text puts each dot where its copy stood), as one string.  Guarded
    like ``embed_subsets_as_is``; ``tests/test_pdf.py`` checks the contents'
    numbers and leaders.
    """
    from weasyprint.layout import inline, leader

    if not callable(getattr(inline, "handle_leader", None)) or \
            not callable(getattr(leader, "leader_index", None)):
        raise RuntimeError("weasyprint.layout.inline.handle_leader is gone: "
                           f"paiban needs weasyprint=={PINNED_WEASYPRINT}")
    handle = inline.handle_leader

    def handle_leader(context, line, containing_block) -> None:
        index, leader_box = leader.leader_index(line)
        if index is None or not leader_box.children or line.style["direction"] != "ltr":
            handle(context, line, containing_block)
            return
        text_box, = leader_box.children
        handle(context, line, containing_block)  # places the copies (cheap: no layout)
        copies = leader_box.children
        if len(copies) < 2:
            return
        left = min(copies, key=lambda box: box.position_x)
        dots, _, _ = inline.split_text_box(
            context, text_box.copy_with_text(text_box.text * len(copies)), None, 0)
        if dots is None:
            return
        dots.position_x, dots.position_y = left.position_x, left.position_y
        leader_box.children = (dots,)

    handle_leader.__wrapped__ = handle  # type: ignore[attr-defined]
    inline.handle_leader = handle_leader


#: ``bounded_line_breaking``: the text handed to Pango for one line is at most this
#: many times WeasyPrint's own draft (``split_first_line``'s "magic ratio": about two
#: lines of Latin, four of Han), and never less than ``_LINE_TEXT_MIN`` characters.
_LINE_TEXT_DRAFTS = 16
_LINE_TEXT_MIN = 4096


@functools.cache
def bounded_line_breaking() -> None:
    """Make each line of a long text cost the line's length, not the paragraph's.

    WeasyPrint 70 breaks a text box into lines one at a time, handing Pango the
    whole rest of the box for each (``layout.inline.split_text_box`` ->
    ``text.line_break.split_first_line``).  It tries a short draft first (a couple
    of lines' worth), but falls back to the whole rest when the draft holds no
    break opportunity after its first line — a run of Latin letters, digits or a
    URL, which ``overflow-wrap: break-word`` then breaks anywhere.  Each line then
    costs the length of the rest: measured, an unbroken 100,000-character run took
    110-160 s and 200,000 characters 500 s.  Here a long text is given to
    ``split_first_line`` cut to a prefix many lines long; Pango breaks lines
    greedily, so the first line of the prefix is the first line of the whole text
    as long as it ends well before the cut.  When it does not (the prefix is one
    line, or the break is in its second half) the whole text is used, as before.
    Normal text breaks within WeasyPrint's own draft, which the prefix contains:
    the same lines, the same PDF bytes.  Guarded like ``embed_subsets_as_is``;
    ``tests/test_hostile.py`` checks that every letter of a long run is laid out.
    """
    from math import inf

    from weasyprint.layout import inline

    split = getattr(inline, "split_first_line", None)
    if not callable(split) or not callable(getattr(inline, "split_text_box", None)):
        raise RuntimeError("weasyprint.layout.inline.split_first_line is gone: "
                           f"paiban needs weasyprint=={PINNED_WEASYPRINT}")

    def split_first_line(text, style, context, max_width, justification_spacing,
                         is_line_start=True, minimum=False):
        size = style["font_size"]
        if (max_width is not None and max_width != inf and size and len(text) > _LINE_TEXT_MIN
                and style["white_space"] in ("normal", "pre-wrap", "pre-line")):
            chars = max(_LINE_TEXT_MIN, int(max_width / size * 4) * _LINE_TEXT_DRAFTS)
            if len(text) > 2 * chars:
                found = split(text[:chars], style, context, max_width, justification_spacing,
                              is_line_start, minimum)
                # resume_index counts UTF-8 bytes: at most half the prefix's characters
                # is at most half the prefix, whatever the script.
                if found[2] is not None and found[2] <= chars // 2:
                    return found
        return split(text, style, context, max_width, justification_spacing,
                     is_line_start, minimum)

    split_first_line.__wrapped__ = split  # type: ignore[attr-defined]
    inline.split_first_line = split_first_line


@functools.cache
def serialize_once() -> None:
    """Make pydyf serialize (and compress) each PDF object once per write, not twice.

    With a content-hash file identifier (``pdf_identifier``, for reproducible
    bytes) pydyf 0.13's ``PDF.write`` turns every object into bytes once to
    write it and once more to hash them all — every stream deflated twice at
    level 9: 0.05 s of a 0.3 s write.  Here, during a write, the objects the
    document holds remember their bytes (keyed by identity: they stay alive in
    the document's list; objects made on the fly, such as a stream's
    dictionary, are not remembered).  The bytes are the same.
    """
    import threading

    import pydyf

    kinds = (pydyf.Dictionary, pydyf.Stream, pydyf.String, pydyf.Array)
    if not all(isinstance(kind.__dict__.get("data"), property) for kind in kinds) or \
            not callable(getattr(pydyf.PDF, "write", None)):
        raise RuntimeError("pydyf's Object.data properties are gone: paiban needs the "
                           "pydyf that weasyprint==" + PINNED_WEASYPRINT + " pins")
    local = threading.local()

    def remembered(computed: property) -> property:
        def data(self):
            memo = getattr(local, "memo", None)
            if memo is None:
                return computed.fget(self)
            if id(self) not in memo:
                # The object stream pydyf makes during the write is hashed too: objects
                # added to the document since the write began are remembered as well.
                if not any(added is self for added in local.objects[local.known:]):
                    return computed.fget(self)
                memo[id(self)] = None
            found = memo[id(self)]
            if found is None:
                found = memo[id(self)] = computed.fget(self)
            return found
        return property(data, doc=computed.__doc__)

    for kind in kinds:
        kind.data = remembered(kind.__dict__["data"])
    write = pydyf.PDF.write

    def write_once(self, *args, **kwargs):
        local.memo = dict.fromkeys(map(id, self.objects))
        local.objects, local.known = self.objects, len(self.objects)
        try:
            return write(self, *args, **kwargs)
        finally:
            local.memo = local.objects = None

    write_once.__wrapped__ = write  # type: ignore[attr-defined]
    pydyf.PDF.write = write_once


@functools.cache
def page_references_once() -> None:
    """Make pydyf list the pages' references once per page count, not once per use.

    ``pydyf.PDF.page_references`` builds a tuple of every page's reference each
    time it is read, and WeasyPrint 70 reads it for every tagged element and every
    link (``pdf/tags.py``, ``pdf/anchors.py``) to take one item: pages x elements.
    With 2,000 articles on 300 pages that was 90,000 tuples of 300.  Here the tuple
    is kept until a page is added.  The same references, the same bytes.  Guarded
    like ``serialize_once``.
    """
    import pydyf

    listed = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(listed, property):
        raise RuntimeError("pydyf.PDF.page_references is gone: paiban needs the pydyf "
                           "that weasyprint==" + PINNED_WEASYPRINT + " pins")

    def page_references(self) -> tuple[bytes, ...]:
        kids = self.pages["Kids"]
        known = self.__dict__.get("paiban_page_references")
        if known is None or known[0] is not kids or known[1] != len(kids):
            known = (kids, len(kids), listed.fget(self))
            self.__dict__["paiban_page_references"] = known
        return known[2]

    pydyf.PDF.page_references = property(page_references, doc=listed.__doc__)


@functools.cache
def cjk_justification() -> bool:
    """Patch WeasyPrint for inter-character justification (clreq §3.8), once per process.

    False, with a warning, when the patch cannot be installed (WeasyPrint's internals
    changed): the edition is still made, its CJK lines justified at spaces only.
    """
    try:
        cjk_justify.install()
    except RuntimeError as error:
        log.warning("%s Lines will not be flush.", error)
        return False
    return True
