"""The download site in a real browser: headless Chromium driven by Playwright.

The site of ``test_site`` (three editions, one with markup-looking text) is
served by Python's own static server on 127.0.0.1 and opened from disk.  Page
scripts are switched off: the site must work without JavaScript.  The tests
follow links and downloads as a reader would, check that nothing fails to
load, that the markup-looking text shows as text, and that nothing is wider
than a phone.  Screenshots (phone 390 px, desktop 1280 px) are taken every
run; ``PAIBAN_SCREENSHOTS=<folder>`` keeps them there to look at.

Needs Debian's ``chromium`` and the ``playwright`` package (its bundled
browsers are not used: never ``playwright install``).  Without them the
tests skip, or fail when ``PAIBAN_REQUIRE_TOOLS=1`` (CI).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_site import TRICKY, built, built_site

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SEED_SLUG = "hengyang-ribao-2022-03-31"
# The masthead red of site.css, as getComputedStyle reports it.
RED = "rgb(166, 20, 28)"


def _missing(message: str) -> None:
    if os.environ.get("PAIBAN_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail in CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        _missing("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright; no 'playwright install')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)[0]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # no access log in test output
        pass


@pytest.fixture(scope="module")
def server(site_dir) -> Iterator[str]:
    """The site's URL on a free port of 127.0.0.1, served from a thread."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(_QuietHandler, directory=str(site_dir)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    kept = os.environ.get("PAIBAN_SCREENSHOTS")
    folder = Path(kept) if kept else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A page with everything that went wrong on it recorded."""

    def __init__(self, browser, viewport: dict, **options: object) -> None:
        self.context = browser.new_context(viewport=viewport, java_script_enabled=False,
                                           accept_downloads=True, **options)
        self.page = self.context.new_page()
        self.width = viewport["width"]
        self.problems: list[str] = []
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed {r.url}"))
        self.page.on("response", lambda r: r.status >= 400 and not r.url.endswith(
            "/favicon.ico") and self.problems.append(f"{r.status} {r.url}"))
        # Browsers ask the server's root for /favicon.ico on their own: the site, which
        # may be served from any folder, has none, and that 404 is not the site's.
        self.page.on("console", lambda m: m.type == "error" and not m.location.get(
            "url", "").endswith("/favicon.ico") and self.problems.append(m.text))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog {d.message}"),
                                          d.dismiss()))

    def open(self, url: str):
        response = self.page.goto(url, wait_until="load")
        assert response is None or response.ok, url
        return self.page

    def overflow(self) -> int:
        """How many CSS pixels the page is wider than the screen (0: none).

        Against the screen's width, not ``innerWidth``: a mobile browser widens its
        viewport to fit content that overflows, which would hide the overflow."""
        return self.page.evaluate("document.scrollingElement.scrollWidth") - self.width

    def broken_images(self) -> list[str]:
        return self.page.evaluate(
            "[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.src)")


@pytest.fixture
def phone(browser) -> Iterator[Watched]:
    watched = Watched(browser, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield watched
    watched.context.close()
    assert not watched.problems


@pytest.fixture
def desktop(browser) -> Iterator[Watched]:
    watched = Watched(browser, DESKTOP)
    yield watched
    watched.context.close()
    assert not watched.problems


def test_index_on_a_phone(phone, server, shots):
    page = phone.open(server + "index.html")
    assert page.locator("li.edition").count() == 3
    assert page.locator("li.edition h2").first.inner_text() == f"测试报{TRICKY}"
    assert page.locator("script").count() == 0
    assert phone.overflow() == 0
    assert phone.broken_images() == []
    assert page.locator("h1").evaluate("h => getComputedStyle(h).color") == RED
    # The download buttons are big enough to hit with a thumb.
    for box in (b.bounding_box() for b in page.locator("a.button").all()):
        assert box["height"] >= 44
    page.screenshot(path=str(shots / "index-phone.png"), full_page=True)


def test_index_on_a_desktop(desktop, server, shots):
    page = desktop.open(server + "index.html")
    item = page.locator(f"li#{SEED_SLUG}")
    cover = item.locator("img").bounding_box()
    title = item.locator("h2").bounding_box()
    assert cover["x"] + cover["width"] <= title["x"], "the cover stands beside the text"
    pdf, ebook = (item.locator(f"li[data-format={f}]").bounding_box() for f in ("pdf", "epub"))
    assert abs(pdf["y"] - ebook["y"]) < 1, "the two files side by side"
    assert desktop.overflow() == 0 and desktop.broken_images() == []
    page.screenshot(path=str(shots / "index-desktop.png"), full_page=True)


@pytest.mark.parametrize("format", ["pdf", "epub"])
def test_download_link_gives_the_built_file(desktop, server, tmp_path_factory, format):
    dist, _ = built(tmp_path_factory)
    page = desktop.open(server + "index.html")
    link = page.locator(f"li#{SEED_SLUG} li[data-format={format}] a[download]")
    with page.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.failure() is None
    assert download.suggested_filename == f"{SEED_SLUG}.{format}"
    assert Path(download.path()).read_bytes() == (dist / f"{SEED_SLUG}.{format}").read_bytes()


def test_edition_page_from_the_index(phone, server, shots, site_dir):
    page = phone.open(server + "index.html")
    page.locator(f"li#{SEED_SLUG} p.more a").click()
    page.wait_for_load_state()
    assert page.url == f"{server}{SEED_SLUG}/index.html"
    assert page.locator("nav.contents > ol > li").count() == 9
    assert page.locator("nav.contents ol.heads li").count() >= 1
    assert phone.overflow() == 0 and phone.broken_images() == []
    page.screenshot(path=str(shots / "edition-phone.png"), full_page=True)
    page.locator("nav.crumbs a").click()
    page.wait_for_load_state()
    assert page.url == server + "index.html"


def test_tricky_edition_page(phone, desktop, server, shots):
    for watched, name in ((phone, "tricky-phone.png"), (desktop, "tricky-desktop.png")):
        page = watched.open(server + "tricky/index.html")
        assert page.locator("h1").inner_text() == f"测试报{TRICKY}"
        assert page.locator("nav.contents .kicker").inner_text() == f"引题{TRICKY}"
        assert watched.overflow() == 0
        page.screenshot(path=str(shots / name), full_page=True)


def test_opened_from_disk(desktop, site_dir):
    page = desktop.open((site_dir / "index.html").as_uri())
    assert desktop.broken_images() == []
    assert page.locator("h1").evaluate("h => getComputedStyle(h).color") == RED
    page.locator(f"li#{SEED_SLUG} h2 a").click()
    page.wait_for_load_state()
    assert page.url == (site_dir / SEED_SLUG / "index.html").as_uri()
    assert page.locator("nav.contents > ol > li").count() == 9
    assert desktop.broken_images() == []


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 1366}, PHONE],
                         ids=["tablet", "phone"])
def test_the_e_books_cover_and_colophon_fit_the_screen(browser, tmp_path_factory, viewport):
    """The e-book's own pages in Chromium: the cover on one screen (it ran 5 px over a
    1024x1366 one while the image sat on a text line), the colophon no wider than a
    phone (a long URN wraps)."""
    import zipfile

    dist, _ = built(tmp_path_factory)
    book = tmp_path_factory.mktemp("book")
    with zipfile.ZipFile(dist / f"{SEED_SLUG}.epub") as epub:
        epub.extractall(book)
    watched = Watched(browser, viewport)
    try:
        page = watched.open((book / "EPUB" / "cover.xhtml").as_uri())
        assert not watched.broken_images()
        height = page.evaluate("document.scrollingElement.scrollHeight")
        assert height <= viewport["height"], height
        assert watched.overflow() <= 0
        watched.open((book / "EPUB" / "imprint.xhtml").as_uri())
        assert watched.overflow() <= 0
    finally:
        watched.context.close()
    assert not watched.problems


# The cell text's words as the source gives them: its text between spaces and
# punctuation (a Chinese cell has no other word marks).  A word of at most 8
# characters (render._SHORT_CELL: 性别, 在职研究生, 衡阳市委常委) must sit on one
# line; a longer run (市工业和信息化局党组副书记) may break between characters, as
# clreq allows.  Characters in aria-hidden elements are not the cell's.
_BROKEN_WORDS = """table => {
  const pause = /[\\s、，。；：（）()《》“”]/;
  const broken = [];
  for (const cell of table.querySelectorAll("th, td")) {
    const texts = [];
    const walk = node => { for (const kid of node.childNodes) {
      if (kid.nodeType === 3) texts.push(kid);
      else if (kid.nodeType === 1 && kid.getAttribute("aria-hidden") !== "true") walk(kid); } };
    walk(cell);
    const range = document.createRange();
    const words = [[]];
    for (const node of texts) {
      for (let i = 0; i < node.data.length; i++) {
        if (pause.test(node.data[i])) { words.push([]); continue; }
        range.setStart(node, i); range.setEnd(node, i + 1);
        const box = range.getClientRects()[0];
        words[words.length - 1].push([node.data[i], box ? Math.round(box.top / 4) : null]);
      }
    }
    for (const word of words) {
      if (word.length > 8) continue;
      if (new Set(word.map(c => c[1]).filter(t => t !== null)).size > 1)
        broken.push(word.map(c => c[0]).join(""));
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width", [PHONE["width"], 768])
@pytest.mark.parametrize("text_size", [100, 150, 200])
def test_the_e_books_table_fits_and_keeps_its_words(browser, tmp_path_factory, shots,
                                                     width, text_size):
    """The seed's appointments table in the e-book at a reader's text size (the root
    font size scaled, as reading systems do): nothing wider than the screen, and no
    word broken inside (it ran 189 px over a 390 px screen at 200 %, and broke
    在职研/究生 and 性/别 at 100 %).  Too wide for the screen, its rows are stacked,
    each cell after its column's name; wide enough, it stays a table."""
    import zipfile

    dist, _ = built(tmp_path_factory)
    book = tmp_path_factory.mktemp("table-book")
    with zipfile.ZipFile(dist / f"{SEED_SLUG}.epub") as epub:
        epub.extractall(book)
    chapter = next(path for path in sorted((book / "EPUB" / "text").glob("*.xhtml"))
                   if "<table" in path.read_text(encoding="utf-8"))
    watched = Watched(browser, {"width": width, "height": PHONE["height"]})
    try:
        page = watched.open(chapter.as_uri())
        page.evaluate(f"document.documentElement.style.fontSize = '{text_size}%'")
        table = page.locator("table.data").first
        box = page.locator("div.table-box").first
        table.scroll_into_view_if_needed()
        table.screenshot(path=str(shots / f"ebook-table-{width}-{text_size}.png"))
        assert table.evaluate("t => t.getBoundingClientRect().right") <= width
        assert box.evaluate("b => b.scrollWidth - b.clientWidth") <= 0
        assert table.evaluate(_BROKEN_WORDS) == []
        display = table.evaluate("t => getComputedStyle(t).display")
        stacked = display == "block"
        # a phone stacks it at every size; a tablet at 100 % has the room for a table
        assert stacked == (width == PHONE["width"] or text_size > 100), display
        if stacked:
            label = page.locator("table.data tbody td").first.evaluate(
                "td => getComputedStyle(td, '::before').content")
            assert label == '"性别："', label
            assert page.locator("table.data thead").evaluate(
                "h => h.getBoundingClientRect().height") <= 1  # out of sight, not gone
    finally:
        watched.context.close()
    assert not watched.problems


def test_a_vertical_e_book_in_chromium(browser, seed_model, tmp_path_factory, shots):
    """layout.writing_mode: vertical, at phone size: the text runs in vertical-rl
    columns, a two-digit number stands upright in one em, the appointments table is a
    horizontal island that fits the screen (stacked), and no page runs past the
    screen's height (a paginated reader turns pages sideways)."""
    import dataclasses
    import zipfile

    from pipeline.emit import build, epub

    normalized, sidecar = seed_model
    edition = normalized.edition
    faces = build.edition_fonts(edition, ROOT, cache=tmp_path_factory.mktemp("vfonts"))
    folder = tmp_path_factory.mktemp("vertical")
    path = epub.write_epub(edition, dataclasses.replace(sidecar.layout, writing_mode="vertical"),
                           faces, folder / "v.epub")
    with zipfile.ZipFile(path) as book:
        book.extractall(folder)
    watched = Watched(browser, PHONE)
    try:
        for chapter in sorted((folder / "EPUB" / "text").glob("*.xhtml")):
            page = watched.open(chapter.as_uri())
            assert page.evaluate("getComputedStyle(document.documentElement).writingMode") == (
                "vertical-rl")
            height = page.evaluate("document.scrollingElement.scrollHeight")
            assert height <= PHONE["height"], (chapter.name, height)
            page.screenshot(path=str(shots / f"vertical-{chapter.stem}.png"))
            upright = page.query_selector(".tcy")
            if upright is not None:
                box = upright.bounding_box()
                size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.tcy'))"
                                     ".fontSize)")
                assert box["height"] <= 1.2 * size  # one em down the column
            table = page.query_selector("table.data")
            if table is not None:
                box = page.query_selector("div.table-box").bounding_box()
                assert 0 < box["width"] <= PHONE["width"]
                assert page.evaluate("getComputedStyle(document.querySelector('table.data'))"
                                     ".writingMode") == "horizontal-tb"
    finally:
        watched.context.close()
    assert not watched.problems
