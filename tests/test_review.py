"""paiban review: every source line with the role and article it was given, doubts
highlighted with the sidecar line that settles them, as a self-contained page."""

from __future__ import annotations

import lxml.html
import pytest

from pipeline.decode import Source
from pipeline.normalize import normalize
from pipeline.review import render, review

from .conftest import ROOT
from .test_cli import paiban, project  # noqa: F401  (the scratch-project fixture)

BODY = "这是一段完整的正文内容，用来说明会议的主要精神和工作部署，内容相当充实。"
TEXT = ("防汛工作部署\n\n本报讯（记者 张三）" + BODY + "\n\n汛前准备\n\n" + BODY + "\n\n"
        "汛中值守\n\n" + BODY + "\n\n------\n\n防汛安全提示（社会观察）\n\n" + BODY + "\n")


def _review(text: str = TEXT):
    source = Source(text, "utf-8")
    return review(source, normalize(source), "day.txt")


def test_every_line_has_its_role_and_article():
    rows = {row.number: row for row in _review().rows}
    assert (rows[1].role, rows[1].article) == ("title", 1)
    assert (rows[3].role, rows[3].article) == ("byline + paragraph", 1)
    assert (rows[5].role, rows[5].article) == ("subhead", 1)
    assert rows[7].role == "paragraph"
    assert (rows[9].role, rows[9].article) == ("subhead", 1)
    assert rows[13].role == "removed"  # the separator line (P004)
    assert (rows[15].role, rows[15].article) == ("title", 2)
    assert all(row.role for row in rows.values() if row.text.strip())
    assert not any(row.role == "not read" for row in rows.values())


def test_a_doubt_names_the_sidecar_line_that_settles_it():
    text = "防汛工作部署\n\n" + BODY + "\n\n防汛安全提示（社会观察）\n\n" + BODY + "\n"
    page = _review(text)
    doubtful = [row for row in page.rows if row.doubtful]
    assert [row.number for row in doubtful] == [5]
    (diagnostic, settle), = [n for n in doubtful[0].notes if n[0].code == "P123"]
    assert settle == '- subhead: "防汛安全提示（社会观察）"'
    html = lxml.html.fromstring(render(page))
    row = html.get_element_by_id("l5")
    assert "doubt" in row.get("class")
    assert row.xpath(".//code")[0].text_content() == settle


def test_the_page_is_self_contained_and_holds_every_line():
    page = _review()
    html_text = render(page, ROOT)
    html = lxml.html.fromstring(html_text)
    assert not html.xpath("//script") and not html.xpath("//link")
    assert not html.xpath("//@src")
    assert all(href.startswith("#") for href in html.xpath("//a/@href"))
    assert "data:font/otf;base64," in html_text  # its own font, for its characters
    shown = [td.text_content().strip() for td in html.xpath("//td[@class='t']")]
    for line in TEXT.split("\n"):
        if line.strip():
            assert any(cell.startswith(line) for cell in shown), line


def test_cli_writes_the_review_page(project):  # noqa: F811
    result = paiban(project, "review", "seeds/000_3b959c98e2937adc.txt")
    assert result.returncode == 0, result.stderr
    out = project / "build" / "hengyang-ribao-2022-03-31.review.html"
    assert out.is_file() and "9 articles" in result.stdout
    html = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    assert len(html.xpath("//ol[@class='articles']/li")) == 9


def test_the_page_on_a_phone(tmp_path):
    from .test_site_browser import CHROMIUM_ARGS, PHONE, Watched, chromium_path

    path = chromium_path()
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    out = tmp_path / "review.html"
    out.write_text(render(_review(), ROOT), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            phone = Watched(browser, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
            page = phone.open(out.as_uri())
            assert phone.overflow() == 0 and not phone.problems
            # the bundled face draws the text: no fallback box
            assert page.evaluate("document.fonts.check('15px \"Paiban Serif\"', '防汛')")
            assert page.locator("tr.doubt").count() == 0  # TEXT has no close call
        finally:
            browser.close()
