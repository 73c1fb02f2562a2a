"""The e-book edition: EPUBCheck, then the parsed package and XHTML.

The seed's EPUB is built twice (with a print page map and without); a small
edition written here by hand carries text that looks like markup.  EPUBCheck
(the jar bundled with the ``epubcheck`` package) runs once per book, all books
at once.  Nothing here compares raw bytes with a golden file: the package is
read back with the zip module and lxml, and byte identity is checked only
between two builds of the same edition.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import io
import posixpath
import re
import zipfile
from pathlib import Path

import pytest
from markupsafe import Markup
from lxml import etree

from pipeline import fonts, render
from pipeline.emit import build, epub
from pipeline.errors import BuildError
from pipeline.model import (Article, Byline, Credit, Edition, Field, Fields, Heading,
                            Headline, Image, Link, Meta, NameList, Paragraph, PhotoGap,
                            SignOff, Span, Table, Text, article_text, edition_text)
from pipeline.typography import is_han

from .conftest import ROOT, require_tool

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_SIZE = 1_500_000

# Text that a careless writer would turn into markup, an entity or a CDATA end.
TRICKY = "<script>alert(1)</script> &amp; ]]> \"q\" 'a' &#x41;"


# --- fixtures ------------------------------------------------------------------------


def synthetic_pages(edition: Edition) -> dict[str, int]:
    """A print page map: five ids a page, and the last article a page further on,
    so that one page has nothing starting on it (a paragraph runs over it)."""
    ids = render.model_ids(edition)
    pages = {ident: 1 + number // 5 for number, ident in enumerate(ids)}
    last = render.article_id(len(edition.articles) - 1)
    for ident in ids:
        if ident == last or ident.startswith(last + "-"):
            pages[ident] += 1
    return pages


PHOTO = "photos/photo.png"  # relative to the project root the tricky book is built in


def tricky_edition() -> Edition:
    """An edition written by hand: markup-like text in every kind of block, and a photo."""
    span = Span(1, 1)
    return Edition(
        Meta(paper=f"测试报{TRICKY}", date="2024-02-29", language="zh-CN",
             identifier="urn:uuid:6f1c0c5e-3d0b-4c8e-9a51-2d4f1e0b7a10", slug="tricky",
             publisher="测试出版社&]]>"),
        (
            Article(
                Headline((f"标题{TRICKY}", "第二行"), kicker=f"引题{TRICKY}",
                         subtitle=f"副题{TRICKY}"),
                (
                    Paragraph((Text(f"正文{TRICKY}"), Link(f"链接{TRICKY}",
                               "https://example.org/?a=1&b=2")), span),
                    Heading(f"小标题{TRICKY}", span),
                    Paragraph((Text("第二段。"),), span, head=f"一、段首{TRICKY}。"),
                    Table((f"列{TRICKY}", "列二"), ((f"格{TRICKY}", "格二"),), span),
                    NameList(("张三", f"李{TRICKY}"), span),
                    Fields((Field(f"电话{TRICKY}", (Text(f"号码{TRICKY}"),), span),), span),
                    PhotoGap(3, span, Image(PHOTO, caption=f"图片说明{TRICKY}")),
                    SignOff((f"单位{TRICKY}",), "2024年2月29日", span),
                ),
                span, label=(f"栏目{TRICKY}",),
                byline=Byline("某报讯", (Credit("记者", (f"王{TRICKY}",)),))),
            Article(Headline(()),
                    (Paragraph((Text("没有标题的一篇文章，从这里开始读下去。"),), span),), span),
        ))


@pytest.fixture(scope="module")
def seed_edition(seed_model) -> Edition:
    return seed_model[0].edition


@pytest.fixture(scope="module")
def layout(seed_model):
    return seed_model[1].layout


@pytest.fixture(scope="module")
def faces(seed_edition, tmp_path_factory) -> tuple[fonts.SubsetFace, ...]:
    """The seed's font subsets, made as the build makes them for both editions."""
    return build.edition_fonts(seed_edition, ROOT, cache=tmp_path_factory.mktemp("fonts"))


@pytest.fixture(scope="module")
def books(seed_edition, layout, faces, tmp_path_factory) -> dict[str, Path]:
    """The EPUBs under test, by name."""
    folder = tmp_path_factory.mktemp("epub")
    pages = synthetic_pages(seed_edition)
    (folder / PHOTO).parent.mkdir()
    from PIL import Image as Picture

    Picture.new("RGB", (64, 48), (90, 120, 150)).save(folder / PHOTO)
    return {
        "seed": epub.write_epub(seed_edition, layout, faces, folder / "seed.epub", pages),
        "seed-no-pages": epub.write_epub(seed_edition, layout, faces, folder / "plain.epub"),
        "tricky": epub.write_epub(tricky_edition(), layout, faces, folder / "tricky.epub",
                                  synthetic_pages(tricky_edition()), root=folder),
        "vertical": epub.write_epub(seed_edition, dataclasses.replace(
            layout, writing_mode="vertical"), faces, folder / "vertical.epub", pages),
    }


@pytest.fixture(scope="module")
def checked(books) -> dict[str, epub.EpubcheckResult]:
    """EPUBCheck's report on every book, run side by side (a run takes ~3 s)."""
    require_tool("java")
    with concurrent.futures.ThreadPoolExecutor(len(books)) as pool:
        futures = {name: pool.submit(epub.epubcheck, path) for name, path in books.items()}
        return {name: future.result() for name, future in futures.items()}


class Book:
    """An EPUB read back: its zip entries and parsed XML."""

    def __init__(self, path: Path) -> None:
        self.data = path.read_bytes()
        self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        container = self.xml("META-INF/container.xml")
        self.opf_path = container.find(".//c:rootfile", NS).get("full-path")
        self.base = posixpath.dirname(self.opf_path)
        self.opf = self.xml(self.opf_path)
        self.items = {item.get("id"): item for item in self.opf.iterfind(".//opf:item", NS)}

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.read(name))

    def path(self, href: str, start: str | None = None) -> str:
        """A package-relative href (or one relative to ``start``) as a zip name."""
        folder = posixpath.dirname(start) if start else self.base
        return posixpath.normpath(posixpath.join(folder, href.split("#")[0]))

    def spine(self) -> list[str]:
        """The zip names of the spine's documents, in reading order."""
        return [self.path(self.items[ref.get("idref")].get("href"))
                for ref in self.opf.iterfind(".//opf:itemref", NS)]

    def articles(self) -> list[str]:
        """The article documents: the spine after the cover and contents pages."""
        return [name for name in self.spine() if "/text/" in name]

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.iterfind(f".//opf:meta[@property='{prop}']", NS)]

    def nav(self) -> etree._Element:
        nav = next(item for item in self.items.values()
                   if "nav" in (item.get("properties") or "").split())
        return self.xml(self.path(nav.get("href")))

    def target(self, href: str, start: str) -> etree._Element | None:
        """The element an href (relative to document ``start``) points at."""
        name = self.path(href, start)
        document = self.xml(name)
        if "#" not in href:
            return document
        found = document.xpath("//*[@id=$id]", id=href.split("#", 1)[1])
        return found[0] if found else None


@pytest.fixture(scope="module")
def seed_book(books) -> Book:
    return Book(books["seed"])


@pytest.fixture(scope="module")
def plain_book(books) -> Book:
    return Book(books["seed-no-pages"])


def body_text(document: etree._Element) -> str:
    return "".join(document.find("x:body", NS).itertext())


# --- EPUBCheck -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["seed", "seed-no-pages", "tricky", "vertical"])
def test_epubcheck_is_clean(checked, name, record_property):
    result = checked[name]
    record_property("epubcheck_usage", result.usage)
    print(f"{name}: EPUBCheck 5.3.0 fatal {result.fatal}, error {result.error}, "
          f"warning {result.warning}, usage {result.usage}")
    assert result.clean, "\n".join(result.messages)


def test_epubcheck_report_was_read(checked):
    # Not vacuous: the report's messages were read, down to the usage notes
    # (CSS-028: the stylesheet declares @font-face).
    assert any(" CSS-028 " in line for line in checked["seed"].messages)


# --- the container -------------------------------------------------------------------


def test_container_is_reproducible(seed_edition, layout, faces, books, tmp_path):
    again = epub.write_epub(seed_edition, layout, faces, tmp_path / "again.epub",
                            synthetic_pages(seed_edition))
    assert again.read_bytes() == books["seed"].read_bytes()


def test_zip_layout_and_times(seed_book, monkeypatch):
    infos = seed_book.zip.infolist()
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == zipfile.ZIP_STORED and not infos[0].extra
    assert seed_book.data[30:38] == b"mimetype"
    assert seed_book.read("mimetype") == b"application/epub+zip"
    names = [info.filename for info in infos[1:]]
    assert names == sorted(names)
    # one moment for every entry and dcterms:modified: the edition's day (the Makefile's
    # SOURCE_DATE_EPOCH is its midnight) at a time taken from the edition's revision
    modified = seed_book.meta("dcterms:modified")
    assert len(modified) == 1 and modified[0].startswith("2022-03-31T")
    stamp = datetime.datetime.fromisoformat(modified[0])
    assert {info.date_time for info in infos} == {stamp.timetuple()[:6]}


def test_time_comes_from_the_edition_and_its_revision(monkeypatch):
    """dcterms:modified never precedes the edition's date, is the same for the same
    inputs, and changes when the text (or what the sidecar says) changes."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    edition = tricky_edition()
    meta = edition.meta
    assert epub.build_time(meta) == datetime.datetime(2024, 2, 29, tzinfo=datetime.timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14: before the edition
    assert epub.build_time(meta).isoformat() == "2024-02-29T00:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")  # 2025-06-15: after it
    assert epub.build_time(meta).isoformat() == "2025-06-15T15:06:40+00:00"  # (no revision)
    revision = render.revision(edition)
    assert revision == render.revision(tricky_edition())
    first = epub.build_time(meta, revision)
    assert first.date() == datetime.date(2025, 6, 15) and first == epub.build_time(meta, revision)
    changed = dataclasses.replace(edition, articles=edition.articles[:-1])
    assert epub.build_time(meta, render.revision(changed)) != first


def test_package_metadata_a_library_catalogues(seed_book):
    """dc:creator and dc:publisher, dc:description from the edition, the paper as a
    series with the date as its position, no dc:rights unless the sidecar gives it;
    a colophon page at the end."""
    opf = etree.fromstring(seed_book.read("EPUB/package.opf"))
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert opf.findtext(f".//{dc}creator") == "衡阳日报"
    assert opf.findtext(f".//{dc}publisher") == "衡阳日报社"
    assert opf.find(f".//{dc}rights") is None
    assert opf.findtext(f".//{dc}description").startswith("衡阳日报 2022年3月31日 星期四，共9篇。")
    assert seed_book.meta("belongs-to-collection") == ["衡阳日报"]
    assert seed_book.meta("group-position") == ["20220331"]
    spine = [ref.get("idref") for ref in opf.iter("{http://www.idpf.org/2007/opf}itemref")]
    assert spine[-1] == "imprint"
    imprint = seed_book.read("EPUB/imprint.xhtml").decode("utf-8")
    for words in ("衡阳日报社", "urn:uuid:", "OFL-1.1", "Noto Serif CJK SC", "LXGW WenKai"):
        assert words in imprint


def test_every_document_is_well_formed(seed_book):
    for name in seed_book.zip.namelist():
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            etree.fromstring(seed_book.read(name))  # raises on malformed XML


def test_size(books):
    assert books["seed"].stat().st_size < MAX_SIZE


def test_ebooklib_reads_it_back(books):
    from ebooklib import ITEM_DOCUMENT, epub as ebooklib_epub

    book = ebooklib_epub.read_epub(str(books["seed"]), {"ignore_ncx": False})
    documents = [item for item in book.get_items() if item.get_type() == ITEM_DOCUMENT]
    assert len(book.spine) == len(Book(books["seed"]).spine())
    assert len(documents) >= len(book.spine) - 1


# --- content documents ----------------------------------------------------------------


def test_one_document_per_article_with_lang_and_title(seed_book, seed_edition):
    names = seed_book.articles()
    assert len(names) == len(seed_edition.articles)
    for index, (name, article) in enumerate(zip(names, seed_edition.articles)):
        document = seed_book.xml(name)
        assert document.get("lang") == document.get(XML_LANG) == "zh-CN"
        title = document.findtext("x:head/x:title", namespaces=NS)
        assert title == render.title_text(article.headline)
        assert ".xhtml" not in title
        body = document.find("x:body", NS)
        assert body.get(EPUB_TYPE) == "bodymatter"
        assert body.find("x:article", NS).get("id") == render.article_id(index)
        links = [link.get("href") for link in document.iterfind("x:head/x:link", NS)]
        assert [seed_book.path(href, name) for href in links] == [
            "EPUB/css/fonts.css", "EPUB/css/typography.css", "EPUB/css/ebook.css",
            "EPUB/css/tables.css"]


def test_every_document_has_lang_and_a_title(seed_book):
    for name in seed_book.spine():
        document = seed_book.xml(name)
        assert document.get("lang") == document.get(XML_LANG) == "zh-CN"
        assert document.findtext("x:head/x:title", namespaces=NS).strip()


def test_text_fidelity(seed_book, seed_edition):
    """Every Han character of the model, in order, once across the article documents."""
    shown = "".join(body_text(seed_book.xml(name)) for name in seed_book.articles())
    expected = [ch for article in seed_edition.articles
                for ch in "\n".join(article_text(article)) if is_han(ch)]
    assert [ch for ch in shown if is_han(ch)] == expected
    assert sorted(expected) == sorted(ch for ch in edition_text(seed_edition) if is_han(ch))


def test_semantics_of_the_partial_survive(seed_book):
    tables = [t for name in seed_book.articles() for t in seed_book.xml(name).iter(
        "{http://www.w3.org/1999/xhtml}table")]
    assert tables and all(th.get("scope") == "col" for t in tables
                          for th in t.iterfind(".//x:thead//x:th", NS))


def test_markup_like_text_stays_text(books):
    book = Book(books["tricky"])
    edition = tricky_edition()
    first, second = book.articles()
    document = book.xml(first)
    assert document.findtext("x:head/x:title", namespaces=NS) == f"标题{TRICKY} 第二行"
    text = body_text(document)
    assert text.count(TRICKY) == 16  # every text field of the first article above
    assert document.find(".//x:script", NS) is None
    assert [ch for ch in text if is_han(ch)] == [
        ch for ch in "\n".join(article_text(edition.articles[0])) if is_han(ch)]
    assert book.opf.findtext(".//dc:title", namespaces=NS).startswith(f"测试报{TRICKY} ")
    assert book.opf.findtext(".//dc:publisher", namespaces=NS) == "测试出版社&]]>"
    link = document.find(".//x:a", NS)
    assert link.get("href") == "https://example.org/?a=1&b=2"
    cover = book.xml(book.path("cover.xhtml")).find(".//x:img", NS)
    assert cover.get("alt").startswith(f"测试报{TRICKY} 2024年2月29日 星期四")
    # The photo is in the package, and the book says it has visual content.
    image = document.find(".//x:figure/x:img", NS)
    assert image.get("alt") == f"图片说明{TRICKY}"
    photo = book.path(image.get("src"), first)
    assert book.read(photo).startswith(b"\x89PNG")
    assert any(book.path(item.get("href")) == photo and item.get("media-type") == "image/png"
               for item in book.items.values())
    assert book.meta("schema:accessModeSufficient") == ["textual,visual"]
    # The untitled article is named by the start of its text, not by a file name.
    untitled = book.xml(second).findtext("x:head/x:title", namespaces=NS)
    assert untitled == "没有标题的一篇文章，从这里开始读…"


def test_an_edition_without_articles_is_refused(layout, faces, tmp_path):
    with pytest.raises(BuildError, match="no articles"):
        epub.write_epub(Edition(tricky_edition().meta, ()), layout, faces, tmp_path / "x.epub")
    assert not list(tmp_path.iterdir())


def test_untitled_article_titles():
    span = Span(1, 1)
    assert epub.article_title(Article(Headline((), subtitle="副题"), (), span), 0) == "副题"
    labelled = Article(Headline(()), (), span, label=("栏目", "二"))
    assert epub.article_title(labelled, 0) == "栏目 二"
    assert epub.article_title(Article(Headline(()), (), span), 4) == "第5篇"


# --- navigation -----------------------------------------------------------------------


def test_nav_lists_every_article_and_its_subheads(seed_book, seed_edition):
    nav = seed_book.nav()
    assert nav.findtext("x:head/x:title", namespaces=NS) == "目录"
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    assert toc.get("role") == "doc-toc"
    assert toc.findtext("x:h1", namespaces=NS) == "目录"
    entries = toc.findall("x:ol/x:li", NS)
    assert len(entries) == len(seed_edition.articles)
    nav_name = seed_book.path("nav.xhtml")
    for index, (entry, article) in enumerate(zip(entries, seed_edition.articles)):
        link = entry.find("x:a", NS)
        assert link.text == render.title_text(article.headline)
        assert seed_book.path(link.get("href")) == seed_book.articles()[index]
        heads = [block for block in article.body
                 if isinstance(block, Heading) or (isinstance(block, Paragraph) and block.head)]
        children = entry.findall("x:ol/x:li/x:a", NS)
        assert len(children) == len(heads)
        for child in children:
            target = seed_book.target(child.get("href"), nav_name)
            assert target is not None and target.tag.endswith(("h3", "p"))
            assert child.text in "".join(target.itertext())
    assert sum(isinstance(b, Heading) for a in seed_edition.articles for b in a.body) == len(
        toc.findall(".//x:ol/x:li/x:ol/x:li/x:a[@href]", NS)) - sum(
        1 for a in seed_edition.articles for b in a.body
        if isinstance(b, Paragraph) and b.head)


def test_landmarks(seed_book):
    nav = seed_book.nav()
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    found = {a.get(EPUB_TYPE): (a.get("href"), a.text) for a in landmarks.iterfind(".//x:a", NS)}
    assert {kind: label for kind, (_, label) in found.items()} == {
        "cover": "封面", "toc": "目录", "bodymatter": "正文"}
    nav_name = seed_book.path("nav.xhtml")
    assert seed_book.target(found["toc"][0], nav_name).get(EPUB_TYPE) == "toc"
    assert seed_book.path(found["bodymatter"][0]) == seed_book.articles()[0]
    cover = seed_book.target(found["cover"][0], nav_name)
    assert cover.find(".//x:img", NS).get("role") == "doc-cover"


def test_ncx_for_older_readers(seed_book, seed_edition):
    ncx_item = seed_book.items[seed_book.opf.find(".//opf:spine", NS).get("toc")]
    ncx = seed_book.xml(seed_book.path(ncx_item.get("href")))
    uid = ncx.find(".//ncx:meta[@name='dtb:uid']", NS).get("content")
    assert uid == seed_edition.meta.identifier
    points = ncx.findall("ncx:navMap/ncx:navPoint", NS)
    assert [p.findtext("ncx:navLabel/ncx:text", namespaces=NS) for p in points] == [
        render.title_text(a.headline) for a in seed_edition.articles]
    orders = [int(p.get("playOrder")) for p in ncx.iter("{%s}navPoint" % NS["ncx"],
                                                        "{%s}pageTarget" % NS["ncx"])]
    assert len(set(orders)) == len(orders)
    targets = ncx.findall("ncx:pageList/ncx:pageTarget", NS)
    assert [t.get("value") for t in targets] == [
        a.text for a in seed_book.nav().iterfind(".//x:nav[@epub:type='page-list']//x:a", NS)]


# --- metadata ------------------------------------------------------------------------------


def test_metadata(seed_book, seed_edition):
    meta = seed_edition.meta
    opf = seed_book.opf
    unique = opf.get("unique-identifier")
    assert opf.find(f".//dc:identifier[@id='{unique}']", NS).text == meta.identifier
    assert opf.findtext(".//dc:title", namespaces=NS) == f"{meta.paper} {render.date_line(meta)}"
    assert opf.findtext(".//dc:language", namespaces=NS) == "zh-CN"
    assert opf.findtext(".//dc:date", namespaces=NS) == meta.date
    assert opf.findtext(".//dc:publisher", namespaces=NS) == meta.publisher
    assert set(seed_book.meta("schema:accessMode")) == {"textual", "visual"}
    assert "textual" in seed_book.meta("schema:accessModeSufficient")
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "printPageNumbers",
            "pageBreakMarkers", "displayTransformability"} <= set(
        seed_book.meta("schema:accessibilityFeature"))
    assert seed_book.meta("schema:accessibilityHazard") == ["none"]
    summary = seed_book.meta("schema:accessibilitySummary")
    assert len(summary) == 1 and sum(map(is_han, summary[0])) > 20
    # No conformance claim (see pipeline/emit/epub.py): so no certifier either.
    assert not seed_book.meta("dcterms:conformsTo") and not seed_book.meta("a11y:certifiedBy")
    assert seed_book.meta("pageBreakSource") and meta.slug in seed_book.meta("pageBreakSource")[0]


def test_cover_image(seed_book):
    covers = [i for i in seed_book.items.values() if i.get("properties") == "cover-image"]
    assert len(covers) == 1 and covers[0].get("media-type") == "image/png"
    png = seed_book.read(seed_book.path(covers[0].get("href")))
    assert png.startswith(b"\x89PNG") and len(png) < 100_000
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1600, 2560)


def test_stable_identifier_across_builds(seed_book, plain_book):
    assert (seed_book.opf.findtext(".//dc:identifier", namespaces=NS)
            == plain_book.opf.findtext(".//dc:identifier", namespaces=NS))


# --- fonts -------------------------------------------------------------------------------


def test_fonts_embedded_and_referenced(seed_book, seed_edition, faces):
    fonts_in = {i.get("href"): i.get("media-type") for i in seed_book.items.values()
                if i.get("href").startswith("fonts/")}
    used = epub.book_faces(seed_edition, faces)
    # Bold Song sets only the print masthead: the seed's bold Hei lacks nothing, so
    # the e-book does without it.
    assert len(used) == len(faces) - 1
    assert not any(s.face.family == render.SONG and s.face.weight == 700 for s in used)
    assert sorted(fonts_in.values()) == sorted(s.media_type for s in used)
    assert set(fonts_in.values()) <= {"font/otf", "font/ttf"}
    css_name = seed_book.path("css/fonts.css")
    css = seed_book.read(css_name).decode()
    urls = re.findall(r'url\("([^"]+)"\)', css)
    assert sorted(seed_book.path(url, css_name) for url in urls) == sorted(
        seed_book.path(href) for href in fonts_in)
    for subset in used:
        assert seed_book.read(seed_book.path(f"fonts/{subset.file_name}")) == (
            subset.path.read_bytes())
    declared = set(re.findall(r'font-family: "([^"]+)"', css))
    families = set(re.findall(r'"(Paiban [A-Za-z]+)"', seed_book.read("EPUB/css/ebook.css").decode()))
    # "Paiban Fallback" ends every stack; it is declared only when a sidecar names a
    # fallback font (tests/test_fallback_font.py).
    assert families - {render.FALLBACK} <= declared and render.FALLBACK in families


def test_ebook_css_is_for_reading_systems():
    css = (ROOT / "layouts" / "ebook.css").read_text(encoding="utf-8")
    assert "@page" not in css and "position: fixed" not in css
    assert re.search(r"text-align:\s*justify", css) and re.search(r"line-break:\s*strict", css)
    assert re.search(r"text-indent:\s*2em", css)
    # No absolute widths or type sizes: the reader's settings rule.
    assert not re.search(r"(?<![\w-])(width|font-size):\s*[\d.]+(px|pt|mm|cm|in)\b", css)


# --- print page numbers --------------------------------------------------------------------


def test_page_list_points_at_page_breaks(seed_book, seed_edition):
    pages = synthetic_pages(seed_edition)
    nav = seed_book.nav()
    page_list = nav.find(".//x:nav[@epub:type='page-list']", NS)
    assert page_list.get("role") == "doc-pagelist"
    links = page_list.findall(".//x:a", NS)
    assert [int(a.text) for a in links] == list(range(1, max(pages.values()) + 1))
    nav_name = seed_book.path("nav.xhtml")
    for link in links:
        marker = seed_book.target(link.get("href"), nav_name)
        assert marker is not None
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == link.text and marker.get("id") == f"page-{link.text}"
        assert not "".join(marker.itertext())
        following = marker.getnext()
        while following.get(EPUB_TYPE) == "pagebreak":
            following = following.getnext()
        page = int(link.text)
        starts = [i for i, p in pages.items() if p == page]
        if starts:  # the first block that starts on the page follows its marker
            assert following.get("id") == starts[0]
    features = seed_book.meta("schema:accessibilityFeature")
    assert "printPageNumbers" in features


def test_without_page_map_there_is_no_page_list(plain_book):
    nav = plain_book.nav()
    assert nav.find(".//x:nav[@epub:type='page-list']", NS) is None
    for name in plain_book.articles():
        assert plain_book.xml(name).find(".//*[@epub:type='pagebreak']", NS) is None
    assert not plain_book.meta("pageBreakSource")
    assert "printPageNumbers" not in plain_book.meta("schema:accessibilityFeature")


def test_page_marks_rules():
    ids = ["a0", "a0-b0", "a0-b1", "a1", "a1-b0", "a1-b1"]
    # Page 3 has no block start: a0-b1 runs over it, so it is marked there.
    pages = {"a0": 1, "a0-b0": 1, "a0-b1": 2, "a1": 4, "a1-b0": 4, "a1-b1": 5}
    assert epub.page_marks(ids, pages) == {"a0": [1], "a0-b1": [2, 3], "a1": [4], "a1-b1": [5]}
    # Ids the map lacks are skipped; a page going backwards is not marked again,
    # but its block still counts as the one running on.
    assert epub.page_marks(ids, {"a0-b0": 2, "a1": 1, "a1-b1": 4}) == {
        "a0-b0": [2], "a1": [3], "a1-b1": [4]}
    assert epub.page_marks(ids, {}) == {}


def test_bold_song_is_embedded_only_when_a_page_uses_it(seed_book, seed_edition, faces):
    """The print masthead's bold Song is not in the e-book (its cover is a picture)
    unless bold Hei lacks a character the e-book sets in it."""
    hrefs = [name for name in seed_book.zip.namelist() if name.startswith("EPUB/fonts/")]
    assert not any("Serif" in name and "Bold" in name for name in hrefs), hrefs
    kept = epub.book_faces(seed_edition, faces)
    assert all(not (f.face.family == render.SONG and f.face.weight == 700) for f in kept)
    hei = next(f for f in faces if f.face.family == render.SANS and f.face.weight == 700)
    bare = [f if f is not hei else dataclasses.replace(f, path=next(
        g for g in faces if g.face.family == "Paiban Kai").path) for f in faces]
    # a bold Hei that lacks the headline's characters: its stack's bold Song is needed
    assert any(f.face.family == render.SONG and f.face.weight == 700
               for f in epub.book_faces(seed_edition, bare))


def test_a_page_marker_inside_a_block_counts_its_text_as_print_does():
    mark = Markup('<span id="m"></span>')
    markup = Markup('<div><p id="a0-b1">甲 乙<span class="pc">（</span>A&amp;B'
                    '<span aria-hidden="true">标签</span>丙</p><p id="a0-b2">丁</p></div>')
    # offsets count non-space characters; an entity is one; aria-hidden text is not counted
    cases = {0: '<p id="a0-b1"><span id="m"></span>甲', 2: '<span class="pc"><span id="m"></span>（',
             4: '<span id="m"></span>&amp;B', 6: '</span><span id="m"></span>丙',
             9: '丙<span id="m"></span></p>'}
    for offset, expected in cases.items():
        out = str(epub._insert_inside(markup, "a0-b1", [(offset, mark)]))
        assert expected in out, (offset, out)
        assert out.replace(str(mark), "") == str(markup)
    assert epub._insert_inside(markup, "a9", [(1, mark)]) == markup  # no such id


def test_no_word_or_number_is_parted_by_markup(seed_book):
    """#12: the Han/Western gap marks whole Western runs, so a reading system's
    accessibility tree reads 2020 and App whole: no two text nodes of a block meet
    between two Western characters (or inside a number: 3.5, 1,000)."""
    from pipeline.typography import is_western

    inside = set(".,:/-'+")
    blocks = {f"{{{NS['x']}}}{tag}" for tag in ("p", "h1", "h2", "h3", "li", "td", "th", "dt", "dd")}
    junctions = 0
    for name in seed_book.articles():
        for block in seed_book.xml(name).iter(*blocks):
            pieces = [piece for piece in block.itertext() if piece]
            for left, right in zip(pieces, pieces[1:]):
                junctions += 1
                a, b = left[-1], right[0]
                assert not ((is_western(a) or a in inside) and is_western(b)
                            or is_western(a) and b in inside), (name, left, right)
    assert junctions > 100  # the spans are there (gaps, compressed pairs), only not in words
    text = "".join(seed_book.read(name).decode() for name in seed_book.articles())
    assert 'class="lt' in text and 'class="hl"' not in text


def test_a_vertical_book(books, seed_book):
    """layout.writing_mode: vertical — columns top to bottom, pages turned to the right,
    short numbers upright; the horizontal book has none of it."""
    vertical = Book(books["vertical"])
    spine = vertical.opf.find(".//opf:spine", NS)
    assert spine.get("page-progression-direction") == "rtl"
    assert seed_book.opf.find(".//opf:spine", NS).get("page-progression-direction") is None
    css = vertical.read(vertical.path("css/ebook.css")).decode()
    assert re.search(r"html\s*\{[^}]*writing-mode:\s*vertical-rl", css)
    assert re.search(r"\.tcy\s*\{[^}]*text-combine-upright:\s*all", css)
    assert "vertical-rl" not in seed_book.read(seed_book.path("css/ebook.css")).decode()
    text = "".join(vertical.read(name).decode() for name in vertical.articles())
    # 3月31日: the one- and two-digit numbers upright, a year on its side
    assert re.search(r'<span class="lt[^"]* tcy">31</span>', text)
    assert not re.search(r'<span class="lt[^"]* tcy">2022</span>', text)
    assert "tcy" not in "".join(seed_book.read(name).decode() for name in seed_book.articles())
    # the same text as the horizontal book, only the marks differ
    for name, other in zip(vertical.articles(), seed_book.articles()):
        assert body_text(vertical.xml(name)) == body_text(seed_book.xml(other))
