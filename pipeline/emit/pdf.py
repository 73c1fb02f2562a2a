"""emit.pdf: the edition -> the print PDF, through WeasyPrint.

In:  ``model.Edition``, ``settings.Layout`` and the subset fonts
     (``pipeline.fonts.SubsetFace``; ``emit.build.edition_fonts`` makes them).
Out: ``render_document`` -> the laid-out ``weasyprint.Document`` (inspect pages,
     anchors, bookmarks and text boxes in tests); ``write_pdf`` -> the PDF file,
     written atomically, and ``PrintResult.page_of``: the printed page of every
     article and block id (the EPUB's page-list).

The PDF is tagged (PDF/UA-1: structure tree, /Lang, document title shown), embeds
the subset fonts as they are (``weasyprint_ext``: WeasyPrint does not subset them
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

from .. import weasyprint_ext
from ..errors import BuildError
from ..output import write_atomic

if TYPE_CHECKING:  # WeasyPrint is slow to import: only when a PDF is made
    from weasyprint import Document

    from .. import fonts, model
    from ..settings import Layout

log = logging.getLogger("paiban")

#: WeasyPrint's ``write_pdf`` options.  ``pdf/ua-1`` implies tags and PDF 1.7.
#: ``full_fonts`` stays off: in that mode WeasyPrint writes the text map from the
#: font's cmap alone, and glyphs made by layout features (Noto's composed "——")
#: lose their text.  Re-subsetting is skipped instead (``weasyprint_ext.patches``).
PDF_OPTIONS = {
    "pdf_variant": "pdf/ua-1",
    "pdf_identifier": True,    # /ID from a hash of the content: reproducible
}


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

    weasyprint_ext.install()
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


__all__ = ["PDF_OPTIONS", "PrintResult", "anchor_pages", "guarded_fetcher", "lost_text",
           "pdf_bytes", "photo_url", "lay_out", "page_map", "page_starts", "print_html",
           "render_document", "write_pdf"]
