"""emit.pdf: the edition -> the print PDF, through WeasyPrint.

In:  ``model.Edition``, ``settings.Layout`` and the subset fonts
     (``pipeline.fonts.SubsetFace``; ``emit.build.edition_fonts`` makes them).
Out: ``render_document`` -> the laid-out ``weasyprint.Document`` (inspect pages,
     anchors, bookmarks and text boxes in tests); ``write_pdf`` -> the PDF file,
     written atomically, and ``PrintResult.page_of``: the printed page of every
     article and block id (the EPUB's page-list).

The PDF is tagged (PDF/UA-1: structure tree, /Lang, document title shown), embeds
the subset fonts as they are (``embed_subsets_as_is``: WeasyPrint does not subset them
again), and is byte-for-byte reproducible: no clock, no random ids (the dates
come from the edition and ``SOURCE_DATE_EPOCH``, see ``render.document_dates``;
the file identifier is a hash of the content).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError
from ..output import write_atomic
from . import cjk_justify

if TYPE_CHECKING:  # WeasyPrint is slow to import: only when a PDF is made
    from weasyprint import Document

    from .. import fonts, model
    from ..settings import Layout

log = logging.getLogger("paiban")

#: WeasyPrint's ``write_pdf`` options.  ``pdf/ua-1`` implies tags and PDF 1.7.
#: ``full_fonts`` stays off: in that mode WeasyPrint writes the text map from the
#: font's cmap alone, and glyphs made by layout features (Noto's composed "——")
#: lose their text.  Re-subsetting is skipped instead (``embed_subsets_as_is``).
PDF_OPTIONS = {
    "pdf_variant": "pdf/ua-1",
    "pdf_identifier": True,    # /ID from a hash of the content: reproducible
}


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
                           f"paiban needs weasyprint=={cjk_justify.PINNED_WEASYPRINT}")

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
                           f"is gone: paiban needs weasyprint=={cjk_justify.PINNED_WEASYPRINT}")

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
                           f"paiban needs weasyprint=={cjk_justify.PINNED_WEASYPRINT}")
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
                           f"paiban needs weasyprint=={cjk_justify.PINNED_WEASYPRINT}")

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
                           "pydyf that weasyprint==" + cjk_justify.PINNED_WEASYPRINT + " pins")
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
                           "that weasyprint==" + cjk_justify.PINNED_WEASYPRINT + " pins")

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


@dataclass(frozen=True)
class PrintResult:
    """A written print edition: its path, and the page of every article and block id."""

    path: Path
    page_of: dict[str, int]


def print_html(edition: model.Edition, layout: Layout,
               faces: Iterable[fonts.SubsetFace],
               photos: Mapping[str, bytes] | None = None, root: Path | None = None) -> str:
    """The print document's HTML, its ``@font-face`` rules naming ``faces``' files and
    its photos embedded as ``data:`` URLs of their checked bytes (``photos``: path
    -> bytes, ``settings.Photo.data``; a path not there, as in a model read from
    YAML, is read once under ``root`` and checked like a sidecar's photo)."""
    from .. import fonts, render

    faces = tuple(faces)
    image_src = functools.partial(photo_url, photos=photos or {},
                                  root=root or Path(__file__).resolve().parents[2])
    body = next(f for f in faces if f.face.family == render.SONG and f.face.weight == 400)
    head = next((f for f in faces if f.face.family == render.SANS and f.face.weight == 700),
                body)

    def measure(text: str, header: bool) -> float:
        return fonts.advance_em((head if header else body).path, text)

    log.info("Step 3 - Rendering the print HTML")
    return render.render_print(edition, layout, fonts.font_face_css(faces, Path.as_uri),
                               measure, image_src)


def photo_url(path: str, *, photos: Mapping[str, bytes], root: Path) -> str:
    """A ``data:`` URL of the photo at ``path`` (relative to ``root``): its checked
    bytes from ``photos``, else read once and checked (``BuildError`` if it fails)."""
    import base64

    from ..errors import InputError
    from ..settings import PHOTO_TYPES, photo_problem, read_photo, safe_path

    data = photos.get(path)
    if data is None:
        try:
            file = safe_path(path, root, root, "photo", path)
            data = read_photo(file)
            problem = photo_problem(file, data)
        except (OSError, InputError) as error:
            problem = str(getattr(error, "strerror", None) or error)
        if problem:
            raise BuildError(f"photo {path}: {problem}")
    kind = PHOTO_TYPES.get(Path(path).suffix.lower())
    if kind is None:
        raise BuildError(f"photo {path}: not named as an image")
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


# What the print HTML may load: its fonts (``@font-face`` URLs in its <style>) and its
# photos (<img src="data:…">), both written by paiban, never by the text.
_FONT_URL = re.compile(r'url\("(file:[^"]+)"\)')
_IMAGE_URL = re.compile(r'<img [^>]*src="(data:[^"]+)"')
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
# Inline raster images (an SVG photo may hold them): data only, they load nothing.
_RASTER_URL = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp)[;,]", re.IGNORECASE)
_FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")


def guarded_fetcher(html: str) -> object:
    """WeasyPrint's only way to load a resource while laying ``html`` out.

    It serves the font files the document's own ``<style>`` names, the photos it
    embeds (exactly those ``data:`` URLs) and inline raster images; anything else
    — another file, ``http(s):``, a nested SVG document, a link a photo points
    at — stops the layout (``weasyprint.urls.FatalURLFetchingError``, which
    ``lay_out`` turns into one line).  Nothing leaves the machine, no file outside
    the edition's own is read.
    """
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    styles = "".join(_STYLE.findall(html))
    fonts = {Path(unquote(urlsplit(url).path)).resolve()
             for url in _FONT_URL.findall(styles)}
    fonts = {path for path in fonts if path.suffix.lower() in _FONT_SUFFIXES}
    images = set(_IMAGE_URL.findall(html))

    class Guarded(URLFetcher):
        refused: list[str] = []  # noqa: RUF012 - one fetcher per document

        def fetch(self, url: str, headers: object = None) -> object:
            allowed = url in images or bool(_RASTER_URL.match(url))
            if url.startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                allowed = path in fonts
                url = path.as_uri()  # the resolved file: a link is not followed later
            if not allowed:
                shown = url if len(url) <= 60 else url[:57] + "…"
                self.refused.append(shown)
                raise FatalURLFetchingError(
                    f"the print layout asked for {shown}, which is not one of the "
                    "edition's fonts or checked photos (a photo may not load other "
                    "files or URLs)")
            return super().fetch(url, headers)

    fetcher = Guarded(allowed_protocols=("file", "data"), allow_redirects=False,
                      fail_on_errors=True)
    fetcher.refused = _QUIET.refused = []
    if _QUIET not in logging.getLogger("weasyprint").filters:
        logging.getLogger("weasyprint").addFilter(_QUIET)
    return fetcher


class _QuietAfterRefusal(logging.Filter):
    """Drops WeasyPrint's own log lines about an image it could not load once the
    guarded fetcher refused one: the build then fails with paiban's one line."""

    refused: list[str] = []  # noqa: RUF012 - the current layout's fetcher's list

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.refused and str(record.msg).startswith(
            ("Failed to render SVG image", "Failed to load image")))


_QUIET = _QuietAfterRefusal()


def _refusal(refused: list[str]) -> BuildError:
    """The one line for a resource the guarded fetcher refused (``refused``: what it
    refused, in order; empty when WeasyPrint stopped on a fetch that never reached
    the fetcher's list)."""
    asked = refused[0] if refused else "a resource"
    return BuildError(f"the print layout asked for {asked}, which is not one of the "
                      "edition's fonts or checked photos (a photo may not load other files "
                      "or URLs)")


def pdf_bytes(document: Document) -> bytes:
    """The PDF of a document ``lay_out`` made; ``BuildError`` when drawing it asked for
    a resource the guarded fetcher refused (WeasyPrint draws an SVG's images while it
    writes, and reports their failures only in its log)."""
    data = document.write_pdf(**PDF_OPTIONS)
    refused = getattr(document, "paiban_refused", [])
    if refused:
        raise _refusal(refused)
    return data


def lost_text(document: Document, expected: str) -> str:
    """The characters of ``expected`` (the model's text) that the laid-out pages do not
    hold, in the order of ``expected`` ("" when none is lost).  Whitespace is not
    compared; the pages may hold more (running heads, the contents)."""
    from collections import Counter

    from weasyprint.formatting_structure.boxes import TextBox

    laid = Counter()
    stack = [page._page_box for page in document.pages]
    while stack:
        box = stack.pop()
        if isinstance(box, TextBox):
            laid.update(box.text)
        else:
            stack.extend(getattr(box, "children", ()))
    missing = Counter(ch for ch in expected if not ch.isspace()) - laid
    if not missing:
        return ""
    lost = []
    for ch in expected:
        if missing[ch] > 0:
            lost.append(ch)
            missing[ch] -= 1
    return "".join(lost)


def lay_out(html: str, root: Path | None = None, expected: str | None = None) -> Document:
    """Lay the print HTML out: a ``weasyprint.Document`` of its pages.

    ``root`` is the folder photos' paths are relative to (the project root).  With
    ``expected`` (the model's text, ``model.edition_text``), a character of it that
    no page holds stops the build (``BuildError`` naming the first ones): no text is
    lost silently.  This half needs WeasyPrint and none of the pipeline's model or
    templates: the print process (``emit.print_process``) runs it on HTML made by
    the main process.
    """
    from weasyprint.text.fonts import FontConfiguration

    cjk_justification()
    embed_subsets_as_is()
    fewer_repaginations()
    bounded_line_breaking()
    one_box_per_leader()
    serialize_once()
    page_references_once()
    from weasyprint.urls import FatalURLFetchingError

    base = (root or Path(__file__).resolve().parents[2]).resolve()
    log.info("Step 4 - Laying out pages (WeasyPrint)")
    source = _html(html, base.as_uri() + "/")
    try:
        document = source.render(font_config=FontConfiguration())
    except FatalURLFetchingError:
        raise _refusal(source.url_fetcher.refused) from None
    if source.url_fetcher.refused:  # refused where WeasyPrint only logs the failure
        raise _refusal(source.url_fetcher.refused)
    document.paiban_refused = source.url_fetcher.refused  # drawing may ask for more
    if expected is not None:
        lost = lost_text(document, expected)
        if lost:
            shown = lost[:20] + ("…" if len(lost) > 20 else "")
            raise BuildError(f"the print layout lost {len(lost):,} character(s) of the text, "
                             f"first: {shown!r}")
    return document


def _html(html: str, base_url: str) -> object:
    """A ``weasyprint.HTML`` of ``html``, parsed by expat when it is well-formed XML.

    The print templates write XHTML-compatible markup, which the standard library's
    expat parses in under a millisecond; WeasyPrint's pure-Python HTML5 parser
    (tinyhtml5) takes 25-35 ms for the seed.  Both give the same tree (no implied
    elements are missing: tbody is written out) and the same PDF bytes, as
    ``tests/test_pdf.py`` checks.  Markup expat refuses (a character XML 1.0 does
    not allow) goes through the HTML5 parser as before.
    """
    import xml.etree.ElementTree as ElementTree

    import cssselect2
    from weasyprint import HTML

    fetcher = guarded_fetcher(html)
    try:
        tree = ElementTree.fromstring(html)
    except ElementTree.ParseError:
        return HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    if tree.tag != "html":  # a namespace or another root: not what WeasyPrint expects
        return HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    document = HTML.__new__(HTML)  # what HTML.__init__ sets, from the expat tree
    document.base_url = base_url
    document.url_fetcher = fetcher
    document.media_type = "print"
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(
        tree, content_language=None)
    document.etree_element = document.wrapper_element.etree_element
    return document


def render_document(edition: model.Edition, layout: Layout,
                    faces: Iterable[fonts.SubsetFace], *, root: Path | None = None) -> Document:
    """Lay the edition out: ``lay_out(print_html(…))``."""
    from ..model import edition_text

    return lay_out(print_html(edition, layout, faces, root=root), root, edition_text(edition))


def anchor_pages(document: Document) -> dict[str, int]:
    """The 1-based page each anchor (element id) of ``document`` starts on."""
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            found.setdefault(anchor, number)
    return found


# The id of a body block (render.block_id): the element whose text offsets a page start.
_BLOCK_ID = re.compile(r"a\d+-b\d+")


def page_starts(document: Document) -> dict[int, tuple[str, int]]:
    """Where each printed page that begins inside a block begins: page (1-based) ->
    (the block's id, how many of its non-space characters stand on earlier pages).

    The first text of a page is read from its line boxes in order; text a style
    generates (list markers, ``::before``) and a table's head repeated on the next
    page are no part of the block's text and are not counted, so the offset points
    into the same characters the e-book's block holds (``epub``'s inline page marks).
    A page whose first text starts its block is not listed: its mark stands before
    the block, from the anchors (``anchor_pages``)."""
    from weasyprint.formatting_structure import boxes

    consumed: dict[str, int] = {}
    starts: dict[int, tuple[str, int]] = {}

    def walk(box: object, block: str | None, page: int, state: dict) -> None:
        element = getattr(box, "element", None)
        tag = getattr(box, "element_tag", "") or ""
        if "::" in tag:
            return  # generated content
        ident = element.get("id") if element is not None else None
        if ident and _BLOCK_ID.fullmatch(ident) and "::" not in tag:
            block = ident
        if tag == "thead" and block is not None and consumed.get(block, 0):
            return  # a table's head, repeated at the top of the next page
        if isinstance(box, boxes.TextBox):
            if block is None:
                return
            count = sum(not char.isspace() for char in box.text)
            if not count:
                return
            if not state["seen"]:
                state["seen"] = True
                if consumed.get(block, 0):
                    starts[page] = (block, consumed[block])
            consumed[block] = consumed.get(block, 0) + count
            return
        for child in getattr(box, "children", ()):
            walk(child, block, page, state)

    for number, page in enumerate(document.pages, start=1):
        walk(page._page_box, None, number, {"seen": False})
    return starts


def page_map(document: Document | dict[str, int], edition: model.Edition) -> dict[str, int]:
    """1-based page of every article and block id of ``edition`` in ``document``
    (or in its ``anchor_pages``).

    A block that prints nothing (a photo gap without a photo) has no anchor: it
    gets the page of what follows it (its article's page at the end).
    """
    from .. import render

    found = document if isinstance(document, dict) else anchor_pages(document)
    page_of: dict[str, int] = {}
    for index, article in enumerate(edition.articles):
        ident = render.article_id(index)
        page_of[ident] = found[ident]
        following = None
        for number in reversed(range(len(article.body))):
            block = render.block_id(index, number)
            following = found.get(block, following)
            page_of[block] = following if following is not None else page_of[ident]
    return {ident: page_of[ident] for ident in render.model_ids(edition)}


def write_pdf(edition: model.Edition, layout: Layout, faces: Iterable[fonts.SubsetFace],
              out: Path, *, root: Path | None = None) -> PrintResult:
    """Render and write the print PDF to ``out`` (atomically)."""
    document = render_document(edition, layout, faces, root=root)
    log.info("Step 5 - Writing %s", out)
    write_atomic(out, pdf_bytes(document))
    return PrintResult(path=out, page_of=page_map(document, edition))


__all__ = ["PDF_OPTIONS", "PrintResult", "anchor_pages", "guarded_fetcher", "lost_text", "pdf_bytes", "photo_url", "cjk_justification", "fewer_repaginations",
           "bounded_line_breaking", "one_box_per_leader", "page_references_once",
           "lay_out", "serialize_once",
           "page_map", "print_html", "render_document", "write_pdf"]
