"""The download site and the OPDS catalog (``pipeline.site``), read back with lxml.

Three editions go on the site: the seed, built as ``make all`` builds it; an
edition written here by hand whose metadata and headlines look like markup,
built with the same emitters; and an undated hand-made edition whose files are
small stand-ins (its EPUB has no cover image, so the site draws one).  The site
is built once per session; the tests parse its pages and feed, follow every
link to a file, and compare checksums, sizes and media types with the files.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree, html
from PIL import Image as Picture

from pipeline import site, stages
from pipeline.cover import render_cover
from pipeline.emit import build, epub, pdf
from pipeline.errors import EXIT_BAD_INPUT, BuildError, InputError
from pipeline.fonts import load_manifest
from pipeline.model import (Article, Edition, Heading, Headline, Meta, Paragraph, Span,
                            Text)
from pipeline.settings import Layout

from .conftest import ROOT, SEED

ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM, "dc": "http://purl.org/dc/terms/"}
ACQUISITION = "http://opds-spec.org/acquisition"
IMAGE = "http://opds-spec.org/image"
THUMBNAIL = "http://opds-spec.org/image/thumbnail"
MEDIA_TYPES = {"pdf": "application/pdf", "epub": "application/epub+zip"}
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
# Text that a careless writer would turn into markup, an entity or a CDATA end.
TRICKY = "<script>alert(1)</script> &amp; ]]> \"q\" 'a' &#x41;"


# --- the editions ----------------------------------------------------------------------


def tricky_edition() -> Edition:
    """A dated edition whose paper, publisher, headlines and heads look like markup."""
    span = Span(1, 1)
    return Edition(
        Meta(paper=f"测试报{TRICKY}", date="2024-02-29", language="zh-CN",
             identifier="urn:uuid:3c9d1e2a-7b4f-4a61-9d0e-5f2b8c7a6e13", slug="tricky",
             publisher=f"测试出版社{TRICKY}"),
        (
            Article(Headline((f"标题{TRICKY}",), kicker=f"引题{TRICKY}", subtitle=f"副题{TRICKY}"),
                    (Paragraph((Text("正文。"),), span),
                     Heading(f"小标题{TRICKY}", span),
                     Paragraph((Text("第二段。"),), span, head=f"一、段首{TRICKY}。")),
                    span, label=(f"栏目{TRICKY}",)),
            *(Article(Headline((f"第{n}篇",)), (Paragraph((Text("正文。"),), span),), span)
              for n in range(2, 6)),
        ))


def undated_edition() -> Edition:
    """An edition without a date, identifier or publisher."""
    span = Span(1, 1)
    return Edition(Meta(paper="无日期报", date="", slug="undated"),
                   (Article(Headline(("唯一的一篇",)), (Paragraph((Text("正文。"),), span),), span),))


def stand_in_epub(cover: bytes | None = None) -> bytes:
    """A container with a package document and no cover image, or ``cover`` as it."""
    item = ('<item id="c" href="images/the%20cover.png" media-type="image/png" '
            'properties="cover-image"/>' if cover is not None else "")
    files = {
        "mimetype": "application/epub+zip",
        "META-INF/container.xml": (
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>"),
        "OEBPS/content.opf": (
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            f'<manifest><item id="t" href="t.xhtml" media-type="application/xhtml+xml"/>{item}'
            "</manifest></package>"),
    }
    if cover is not None:
        files["OEBPS/images/the cover.png"] = cover
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for name, text in files.items():
            book.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


def seed_edition() -> Edition:
    return stages.model(stages.locate(SEED, ROOT))[0].edition


_SHARED: dict[str, object] = {}


def built(factory: pytest.TempPathFactory) -> tuple[Path, list[Edition]]:
    """A dist folder holding the three editions' files, made once per session
    (the browser tests use it too)."""
    if "dist" not in _SHARED:
        dist = factory.mktemp("dist")
        stages.build(stages.locate(SEED, ROOT), ["pdf", "epub"], dist)
        tricky = tricky_edition()
        faces = build.edition_fonts(tricky, ROOT, cache=factory.mktemp("fonts"))
        result = pdf.write_pdf(tricky, Layout(), faces, dist / "tricky.pdf", root=ROOT)
        epub.write_epub(tricky, Layout(), faces, dist / "tricky.epub", result.page_of, root=ROOT)
        (dist / "undated.pdf").write_bytes(b"%PDF-1.4\n% a stand-in\n")
        (dist / "undated.epub").write_bytes(stand_in_epub())
        _SHARED["dist"] = dist, [seed_edition(), tricky, undated_edition()]
    return _SHARED["dist"]


def built_site(factory: pytest.TempPathFactory) -> tuple[Path, list[Edition]]:
    """The site of the three editions, built once per session."""
    if "site" not in _SHARED:
        dist, editions = built(factory)
        _SHARED["site"] = site.write_site(editions, dist, root=ROOT), editions
    return _SHARED["site"]


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)[0]


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Edition]:
    return {edition.meta.slug: edition for edition in built_site(tmp_path_factory)[1]}


def page(path: Path) -> html.HtmlElement:
    return html.fromstring(path.read_bytes())


@pytest.fixture(scope="module")
def index(site_dir) -> html.HtmlElement:
    return page(site_dir / "index.html")


@pytest.fixture(scope="module")
def feed(site_dir) -> etree._Element:
    return etree.fromstring((site_dir / "opds.xml").read_bytes())


def resolve(base: Path, href: str, site_dir: Path) -> Path:
    """The file a relative link in ``base`` (a file of the site) names."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc and not href.startswith("/"), (
        f"{base.name}: {href} is not a relative link")
    target = (base.parent / unquote(parts.path)).resolve()
    assert target.is_relative_to(site_dir.resolve()), f"{href} leaves the site"
    assert target.is_file(), f"{base.relative_to(site_dir)}: {href} names no file"
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


# --- the download page -------------------------------------------------------------------


def test_every_edition_listed_newest_first(index, editions):
    listed = [item.get("id") for item in index.xpath("//li[@class='edition']")]
    assert listed == ["tricky", "hengyang-ribao-2022-03-31", "undated"]
    assert set(listed) == set(editions)


def test_index_shows_date_count_and_first_headlines(index, editions):
    for slug, edition in editions.items():
        item = index.xpath(f"//li[@id='{slug}']")[0]
        assert item.xpath("string(.//h2)").strip() == edition.meta.paper
        date = item.xpath("string(.//p[@class='date'])")
        if edition.meta.date:
            day = datetime.date.fromisoformat(edition.meta.date)
            assert f"{day.year}年{day.month}月{day.day}日 星期" in date
            assert item.xpath("string(.//time/@datetime)") == edition.meta.date
        assert f"共 {len(edition.articles)} 篇" in date
        titles = [epub.article_title(article, n) for n, article in enumerate(edition.articles)]
        assert item.xpath(".//ul[@class='headlines']/li/text()") == titles[:site.FIRST_HEADLINES]
    assert "星期四" in index.xpath("string(//li[@id='hengyang-ribao-2022-03-31']//time)")


def test_every_link_resolves_to_a_file_of_the_site(site_dir):
    pages = sorted(site_dir.rglob("*.html"))
    assert len(pages) == 4  # the index and one page per edition
    for path in pages:
        document = page(path)
        links = document.xpath("//@href | //@src")
        assert links, path
        for href in links:
            resolve(path, href, site_dir)


def test_downloads_match_the_built_files(site_dir, tmp_path_factory):
    dist, editions = built(tmp_path_factory)
    for path in [site_dir / "index.html", *sorted(site_dir.glob("*/index.html"))]:
        offered = page(path).xpath("//li[@class='download']")
        assert len(offered) == 2 * (len(editions) if path.parent == site_dir else 1)
        for item in offered:
            link = item.xpath(".//a[@download]")[0]
            target = resolve(path, link.get("href"), site_dir)
            fmt = item.get("data-format")
            assert link.get("type") == MEDIA_TYPES[fmt] and target.suffix == f".{fmt}"
            data = target.read_bytes()
            assert data == (dist / target.name).read_bytes()
            assert item.xpath("string(.//code[@class='sha256'])") == hashlib.sha256(data).hexdigest()
            assert int(item.xpath("string(.//data/@value)")) == len(data)


def test_checksum_list_covers_every_file(site_dir):
    lines = (site_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((site_dir / name).read_bytes()).hexdigest() == digest


def test_edition_page_lists_the_contents(site_dir, editions):
    for slug, edition in editions.items():
        document = page(site_dir / slug / "index.html")
        entries = document.xpath("//nav[@class='contents']/ol/li")
        assert len(entries) == len(edition.articles)
        for number, (entry, article) in enumerate(zip(entries, edition.articles)):
            assert entry.xpath("string(span[@class='title'])") == epub.article_title(article, number)
            heads = [block.text for block in article.body if isinstance(block, Heading)]
            runs = [block.head.strip().rstrip("。：:") for block in article.body
                    if isinstance(block, Paragraph) and block.head]
            listed = entry.xpath("ol[@class='heads']/li/text()")
            assert set(heads) | set(runs) == set(listed)
    seed = page(site_dir / "hengyang-ribao-2022-03-31" / "index.html")
    assert seed.xpath("//ol[@class='heads']/li"), "the seed's subheads are listed"


def test_pages_need_no_script_and_fit_a_phone(site_dir):
    for path in site_dir.rglob("*.html"):
        document = page(path)
        assert not document.xpath("//script | //@*[starts-with(name(), 'on')]"), path
        assert document.xpath("//meta[@name='viewport']/@content") == [
            "width=device-width, initial-scale=1"]
        assert document.get("lang") == "zh-CN"
        assert document.xpath("//link[@rel='alternate']/@type") == [site.CATALOG_TYPE]


# --- markup-looking text ------------------------------------------------------------------


def test_markup_in_the_model_stays_text(site_dir, index, feed):
    assert index.xpath("string(//li[@id='tricky']//h2)") == f"测试报{TRICKY}"
    assert index.xpath("//li[@id='tricky']//ul[@class='headlines']/li[1]/text()") == [
        f"标题{TRICKY}"]
    alt = index.xpath("//li[@id='tricky']//img/@alt")[0]
    assert alt.startswith(f"测试报{TRICKY} ")
    tricky = page(site_dir / "tricky" / "index.html")
    assert tricky.xpath("string(//span[@class='kicker'])") == f"引题{TRICKY}"
    assert tricky.xpath("string(//span[@class='label'])") == f"栏目{TRICKY}"
    assert tricky.xpath("string(//p[@class='publisher'])") == f"测试出版社{TRICKY}"
    assert tricky.xpath("//ol[@class='heads']/li/text()") == [f"小标题{TRICKY}", f"一、段首{TRICKY}"]
    for path in site_dir.rglob("*.html"):
        assert b"<script>" not in path.read_bytes()
    entry = feed.xpath("a:entry[a:id='urn:uuid:3c9d1e2a-7b4f-4a61-9d0e-5f2b8c7a6e13']", namespaces=NS)[0]
    assert entry.findtext(f"{{{ATOM}}}title") == f"测试报{TRICKY} 2024年2月29日 星期四"
    assert f"标题{TRICKY}" in entry.findtext(f"{{{ATOM}}}summary")
    assert entry.xpath("string(a:author/a:name)", namespaces=NS) == f"测试出版社{TRICKY}"
    assert b"<script>" not in (site_dir / "opds.xml").read_bytes()


# --- the OPDS catalog -----------------------------------------------------------------------


def test_feed_is_atom(feed):
    assert feed.tag == f"{{{ATOM}}}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"a:{name}", NS)) == 1 and feed.findtext(f"a:{name}", None, NS)
    assert RFC3339.fullmatch(feed.findtext("a:updated", None, NS))
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", feed.findtext("a:id", None, NS))
    feed_authors = feed.findall("a:author/a:name", NS)
    entries = feed.findall("a:entry", NS)
    assert len(entries) == 3
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"a:{name}", NS)) == 1 and entry.findtext(f"a:{name}", None, NS)
        assert RFC3339.fullmatch(entry.findtext("a:updated", None, NS))
        published = entry.findtext("a:published", None, NS)
        assert published is None or RFC3339.fullmatch(published)
        assert feed_authors or entry.findall("a:author/a:name", NS)  # RFC 4287 §4.1.1
        assert entry.findtext("a:summary", None, NS)
        assert entry.find("a:summary", NS).get("type") == "text"
        for link in entry.findall("a:link", NS):
            assert link.get("href") and link.get("rel") and link.get("type")
    updated = [entry.findtext("a:updated", None, NS) for entry in entries]
    assert feed.findtext("a:updated", None, NS) == max(updated)
    ids = [entry.findtext("a:id", None, NS) for entry in entries]
    assert len(set(ids)) == len(ids)


def test_feed_is_an_opds_acquisition_catalog(feed, site_dir, editions):
    self_link = feed.xpath("a:link[@rel='self']", namespaces=NS)[0]
    assert self_link.get("type") == site.CATALOG_TYPE
    assert resolve(site_dir / "opds.xml", self_link.get("href"), site_dir) == site_dir / "opds.xml"
    assert feed.xpath("a:link[@rel='start']/@type", namespaces=NS) == [site.CATALOG_TYPE]
    for entry in feed.findall("a:entry", NS):
        links = entry.findall("a:link", NS)
        acquisitions = [link for link in links if link.get("rel") == ACQUISITION]
        assert sorted(link.get("type") for link in acquisitions) == sorted(MEDIA_TYPES.values())
        for link in acquisitions:
            target = resolve(site_dir / "opds.xml", link.get("href"), site_dir)
            assert link.get("type") == MEDIA_TYPES[target.suffix[1:]]
            assert int(link.get("length")) == target.stat().st_size
        for rel in (IMAGE, THUMBNAIL):
            (image,) = [link for link in links if link.get("rel") == rel]
            target = resolve(site_dir / "opds.xml", image.get("href"), site_dir)
            with Picture.open(target) as opened:
                assert Picture.MIME[opened.format] == image.get("type")
        (alternate,) = [link for link in links if link.get("rel") == "alternate"]
        assert alternate.get("type") == "text/html"
        resolve(site_dir / "opds.xml", alternate.get("href"), site_dir)
    seed = editions["hengyang-ribao-2022-03-31"].meta
    entry = feed.xpath(f"a:entry[a:id='{seed.identifier}']", namespaces=NS)[0]
    assert entry.xpath("string(dc:issued)", namespaces=NS) == seed.date
    assert entry.xpath("string(dc:language)", namespaces=NS) == seed.language


def test_feed_ids_are_stable(feed, editions, tmp_path_factory):
    ids = [entry.findtext("a:id", None, NS) for entry in feed.findall("a:entry", NS)]
    assert ids[:2] == [editions["tricky"].meta.identifier,
                       editions["hengyang-ribao-2022-03-31"].meta.identifier]
    assert ids[2] == site.entry_id(editions["undated"].meta) and ids[2].startswith("urn:uuid:")
    # The feed's id names the papers, not the editions: a new edition keeps it.
    dist, all_editions = built(tmp_path_factory)
    alone = tmp_path_factory.mktemp("alone")
    for name in ("tricky.pdf", "tricky.epub"):
        shutil.copy(dist / name, alone / name)
    first = etree.parse(str(site.write_site(all_editions[1:2], alone, root=ROOT) / "opds.xml"))
    tricky_id = first.findtext("a:id", None, NS)
    (alone / "tricky2.pdf").write_bytes(b"%PDF-1.4\n")
    (alone / "tricky2.epub").write_bytes(stand_in_epub())
    later = Edition(Meta(paper=f"测试报{TRICKY}", date="2024-03-01", slug="tricky2",
                         identifier="urn:uuid:00000000-0000-4000-8000-000000000002"),
                    all_editions[1].articles)
    second = etree.parse(str(site.write_site([all_editions[1], later], alone, root=ROOT) / "opds.xml"))
    assert second.findtext("a:id", None, NS) == tricky_id


def test_feed_times_come_from_the_editions(monkeypatch):
    meta = Meta(paper="报", date="2024-02-29")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert site.feed_times(meta) == ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1709251200")  # 2024-03-01T00:00:00Z
    assert site.feed_times(meta) == ("2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1648684800")  # before the edition's date
    assert site.feed_times(meta) == ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z")
    assert site.feed_times(Meta(paper="报", date="")) == ("", "2022-03-31T00:00:00Z")


# --- covers -------------------------------------------------------------------------------


def test_cover_is_the_ebooks_and_the_thumbnail_is_small(site_dir, tmp_path_factory):
    dist, _ = built(tmp_path_factory)
    with zipfile.ZipFile(dist / "hengyang-ribao-2022-03-31.epub") as book:
        cover = book.read(f"{epub.PACKAGE_DIR}/{epub.COVER_IMAGE}")
    folder = site_dir / "hengyang-ribao-2022-03-31"
    assert (folder / "cover.png").read_bytes() == cover
    with Picture.open(folder / "thumbnail.png") as small, Picture.open(io.BytesIO(cover)) as big:
        assert small.format == "PNG"
        assert small.width <= site.THUMBNAIL_BOX[0] and small.height <= site.THUMBNAIL_BOX[1]
        assert abs(small.width / small.height - big.width / big.height) < 0.01
    item = page(site_dir / "index.html").xpath("//li[@id='hengyang-ribao-2022-03-31']//img")[0]
    assert (int(item.get("width")), int(item.get("height"))) == small.size


def test_a_book_without_a_cover_gets_a_drawn_one(site_dir):
    drawn = render_cover(undated_edition().meta, load_manifest(ROOT / "fonts"))
    assert (site_dir / "undated" / "cover.png").read_bytes() == drawn


def test_the_cover_href_is_a_url():
    image = io.BytesIO()
    Picture.new("RGB", (16, 24), (200, 10, 10)).save(image, "PNG")
    assert site.epub_cover(stand_in_epub(image.getvalue())) == (image.getvalue(), "image/png")


def test_an_unreadable_epub_is_a_build_error(tmp_path):
    with pytest.raises(BuildError, match="not a readable EPUB"):
        site.epub_cover(b"PK not a zip")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "bad.epub").write_bytes(stand_in_epub(b"not a picture"))
    edition = Edition(Meta(paper="报", date="2024-01-01", slug="bad", identifier="urn:x:bad"), ())
    with pytest.raises(BuildError) as caught:
        site.write_site([edition], tmp_path, root=ROOT)
    assert caught.value.line().startswith(f"{tmp_path / 'bad.epub'}: the cover image cannot be read")


# --- building ----------------------------------------------------------------------------


def test_rebuild_is_byte_identical(site_dir, tmp_path_factory):
    dist, editions = built(tmp_path_factory)
    before = snapshot(site_dir)
    site.write_site(editions, dist, root=ROOT)
    assert snapshot(site_dir) == before
    assert not list(site_dir.rglob("*.part"))


def test_build_site_reads_the_seeds_models(tmp_path_factory):
    dist, _ = built(tmp_path_factory)
    own = tmp_path_factory.mktemp("own")
    for suffix in ("pdf", "epub"):
        shutil.copy(dist / f"hengyang-ribao-2022-03-31.{suffix}", own)
    # Leftovers of an edition no longer listed go; files the site did not write stay.
    (own / "site" / "gone").mkdir(parents=True)
    (own / "site" / "gone" / "gone.pdf").write_bytes(b"old")
    (own / "site" / "gone" / "index.html").write_bytes(b"old")
    (own / "site" / "notes.txt").write_text("kept")
    folder = site.build_site([stages.locate(SEED, ROOT)], own)
    assert folder == own / "site"
    assert page(folder / "index.html").xpath("//li[@class='edition']/@id") == [
        "hengyang-ribao-2022-03-31"]
    assert not (folder / "gone").exists() and (folder / "notes.txt").is_file()


def test_missing_files_say_run_make_all(tmp_path):
    with pytest.raises(InputError) as caught:
        site.build_site([stages.locate(SEED, ROOT)], tmp_path)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "run make all first" in caught.value.line()
    assert "hengyang-ribao-2022-03-31.pdf" in caught.value.line()
    assert not (tmp_path / "site" / "index.html").exists()


def test_nothing_is_written_while_an_edition_is_missing(tmp_path, tmp_path_factory):
    dist, editions = built(tmp_path_factory)
    for name in ("tricky.pdf", "tricky.epub", "undated.pdf"):
        shutil.copy(dist / name, tmp_path / name)
    with pytest.raises(InputError) as caught:
        site.write_site(editions[1:], tmp_path, root=ROOT)
    assert caught.value.line() == (f"{tmp_path / 'undated.epub'}: the EPUB edition is not "
                                   "built; run make all first")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("slugs, problem", [
    (["", "ok"], "cannot name a folder"),
    (["../up", "ok"], "cannot name a folder"),
    (["opds.xml", "ok"], "cannot name a folder"),
    (["same", "same"], "two editions have the slug"),
])
def test_bad_slugs_are_input_errors(tmp_path, slugs, problem):
    editions = [Edition(Meta(paper="报", date="2024-01-01", slug=slug, identifier=f"urn:x:{n}"),
                        ()) for n, slug in enumerate(slugs)]
    with pytest.raises(InputError, match=problem):
        site.write_site(editions, tmp_path, root=ROOT)


def test_cli_dist(tmp_path, tmp_path_factory):
    """``paiban dist``: one line and exit 2 before ``make all``; the site after it."""
    dist, _ = built(tmp_path_factory)
    (tmp_path / "seeds").mkdir()
    for source in (SEED, SEED.with_suffix(".yaml")):
        shutil.copy(source, tmp_path / "seeds" / source.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def paiban() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline", "dist", f"seeds/{SEED.name}"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    missing = paiban()
    assert missing.returncode == EXIT_BAD_INPUT
    assert missing.stderr.splitlines() == [
        "paiban: dist/hengyang-ribao-2022-03-31.pdf: the PDF edition is not built; "
        "run make all first"]
    (tmp_path / "dist").mkdir()
    for suffix in ("pdf", "epub"):
        shutil.copy(dist / f"hengyang-ribao-2022-03-31.{suffix}", tmp_path / "dist")
    made = paiban()
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == str(tmp_path / "dist" / "site" / "index.html")
    assert (tmp_path / "dist" / "site" / "opds.xml").is_file()


def test_cli_dist_refuses_editions_older_than_their_seed(tmp_path):
    """A seed changed after its build: ``paiban dist`` would publish the new headlines
    beside the old files, so it refuses with one line until the editions are rebuilt."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "fonts").symlink_to(ROOT / "fonts", target_is_directory=True)
    (tmp_path / "layouts").symlink_to(ROOT / "layouts", target_is_directory=True)
    seed = tmp_path / "seeds" / "day.txt"
    seed.write_text("旧标题\n\n正文内容。\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def paiban(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline", *args, "seeds/day.txt"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert paiban("build").returncode == 0
    assert paiban("dist").returncode == 0
    seed.write_text("新标题\n\n正文内容。\n", encoding="utf-8")
    stale = paiban("dist")
    assert stale.returncode == EXIT_BAD_INPUT
    assert stale.stderr.splitlines() == [
        "paiban: seeds/day.txt: changed since its editions were built; run paiban build "
        "(make all) first"]
    assert paiban("build").returncode == 0
    assert paiban("dist").returncode == 0
    assert "新标题" in (tmp_path / "dist" / "site" / "index.html").read_text(encoding="utf-8")
