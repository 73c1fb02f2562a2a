"""The renderer: the shared article partial (well-formed XHTML, ids, structure, escaping)
and the print page's character grid.  No WeasyPrint here: these tests are fast."""

from __future__ import annotations

import re
from dataclasses import replace
import xml.etree.ElementTree as ET

import jinja2
import pytest

from pipeline import model, render, typography
from pipeline.model import (Article, Byline, Credit, Edition, Field, Fields, Heading,
                            Headline, Image, LineBreak, Link, Meta, NameList, Paragraph,
                            PhotoGap, SignOff, Span, Table, Text)
from pipeline.settings import Layout

from .conftest import ROOT

XHTML = "http://www.w3.org/1999/xhtml"
S = Span(1, 1)


def parse(markup: str) -> ET.Element:
    """The partial as XML (fails on anything not well-formed), in the XHTML namespace."""
    return ET.fromstring(f'<root xmlns="{XHTML}">{markup}</root>')


def tag(element: ET.Element) -> str:
    return element.tag.removeprefix(f"{{{XHTML}}}")


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


def han(value: str) -> str:
    return "".join(char for char in value if typography.is_han(char))


def find(root: ET.Element, name: str) -> list[ET.Element]:
    return root.findall(f".//{{{XHTML}}}{name}")


URL = "http://example.org/?a=1&b=2"
SAMPLE = Article(
    headline=Headline(titles=("第一行标题", "第二行标题"), kicker="引题文字——",
                      subtitle="副题文字"),
    label=("栏目甲", "栏目乙"),
    byline=Byline("本报讯", (Credit("记者", ("张三",)), Credit("通讯员", ("李四", "王五")))),
    body=(
        PhotoGap(3, S),
        Paragraph((Text("导语正文，含A&B<c>与2022年。"),), S),
        Heading("小标题", S),
        Paragraph((Text("正文。"),), S, head="一、分节标题。"),
        Table(("姓名", "职务"),
              (("张三", "很长很长很长很长很长很长的职务名称"), ("李四", "职务")), S),
        NameList(("张三", "李四", "欧阳五"), S),
        Fields((Field("电话", (Text("12345"), LineBreak(), Text("（短信）")), S),
                Field("网址", (Link(URL, URL),), S)), S),
        SignOff(("某某单位", "某某委员会"), "2022年3月31日", S),
        PhotoGap(2, S, Image("images/p.jpg", "图片说明")),
    ),
    span=S,
)


@pytest.fixture(scope="module")
def sample() -> ET.Element:
    return parse(render.render_article(SAMPLE, 3))


def test_environment_contract():
    env = render.environment()
    assert env.autoescape("article.html.j2") and env.autoescape("x.xhtml")
    assert env.undefined is jinja2.StrictUndefined
    # typeset is typography.typeset, told by the template whether it is the e-book's
    template = env.from_string("{{ t | typeset(paragraph_end=false) }}")
    assert template.render(t="2020年") == str(typography.typeset("2020年", paragraph_end=False))
    assert template.render(t="2020年", whole_runs=True) == str(
        typography.typeset("2020年", paragraph_end=False, whole_runs=True))
    assert env.trim_blocks and env.lstrip_blocks
    assert env.loader.searchpath == [str(render.LAYOUTS)]


def test_ids_are_stable():
    assert render.article_id(3) == "a3"
    assert render.block_id(3, 5) == "a3-b5"


def test_article_structure(sample: ET.Element):
    article = find(sample, "article")[0]
    assert article.get("id") == "a3"
    header = find(article, "header")[0]
    assert [p.get("class") for p in find(header, "p")] == ["column-label", "kicker", "subtitle"]
    tags = [text(t) for t in header.iter(f"{{{XHTML}}}span") if t.get("class") == "tag"]
    assert tags == ["栏目甲", "栏目乙"]
    title = find(header, "h2")[0]
    assert len(find(title, "br")) == 1 and han(text(title)) == "第一行标题第二行标题"
    # The byline opens the lead paragraph (the empty photo gap before it shows nothing).
    lead = article.find(".//*[@id='a3-b1']")
    assert lead.get("class") == "lead"
    assert lead[0].get("class") == "byline"
    assert text(lead[0]) == "本报讯（记者 张三 通讯员 李四 王五）"
    assert text(lead).endswith("导语正文，含A&B<c>与2022年。")
    assert article.find(".//*[@id='a3-b0']") is None  # photo gap without a picture
    assert tag(article.find(".//*[@id='a3-b2']")) == "h3"
    runin = article.find(".//*[@id='a3-b3']")[0]
    assert (tag(runin), runin.get("class"), text(runin)) == ("strong", "runin", "一、分节标题。")
    # A run-in head is a heading to assistive technology, one level under the section heads.
    assert (runin.get("role"), runin.get("aria-level")) == ("heading", "3")
    # Kicker, title and subtitle make one heading unit; the column label stays outside.
    (group,) = find(header, "hgroup")
    assert [(tag(e), e.get("class").split()[0]) for e in group] == [
        ("p", "kicker"), ("h2", "title"), ("p", "subtitle")]


def test_headline_alone_is_not_grouped():
    article = replace(SAMPLE, headline=Headline(titles=("只有主题",)), label=())
    root = parse(render.render_article(article, 3))
    assert not find(root, "hgroup") and [text(h) for h in find(root, "h2")] == ["只有主题"]


def test_every_visible_block_carries_its_id(sample: ET.Element):
    ids = {element.get("id") for element in sample.iter() if element.get("id")}
    expected = {render.block_id(3, n) for n in range(len(SAMPLE.body))} - {"a3-b0"}
    assert expected | {"a3"} == ids


def test_table(sample: ET.Element):
    table = sample.find(".//*[@id='a3-b4']")
    assert tag(table) == "table"
    heads = find(table, "th")
    # the column heads, then the row names (a name column: render.row_header)
    assert [th.get("scope") for th in heads] == ["col", "col", "row", "row"]
    assert [th.get("role") for th in heads] == ["columnheader"] * 2 + ["rowheader"] * 2
    assert find(table, "thead") and len(find(table, "tr")) == 3
    names = [th for th in heads if th.get("scope") == "row"]
    assert [text(th) for th in names] == ["张三", "李四"]
    assert all(th.get("class") == "nowrap" and th.get("data-label") == "姓名" for th in names)
    cells = find(table, "td")
    assert cells[0].get("class") is None  # the long column may wrap
    assert [td.get("data-label") for td in cells] == ["职务", "职务"]
    assert table.get("role") == "table" and table.get("class").startswith("data fit-")


def test_row_names_are_short_unique_words_without_digits():
    def first(*cells):
        return render.row_header(Table(("名称", "值"), tuple((c, "1") for c in cells), S))

    assert first("张三", "李四")
    assert not first("张三", "张三")  # not unique: rows of one person
    assert not first("1", "2") and not first("2021年", "2022年")  # ranks, dates: data
    assert not first("张三", "")  # an empty cell names nothing
    assert not first("很长很长很长很长很长的名称", "李四")
    assert not render.row_header(Table(("名称",), (("张三",),), S))  # one column


def test_a_subhead_right_before_a_table_is_its_caption():
    table = Table(("指标", "数值"), (("生产总值", "4000亿元"),), S)
    article = Article(Headline(("经济",)), (
        Paragraph((Text("正文。"),), S), Heading("表1 2021年主要经济指标", S), table,
        Heading("二、下一步工作", S), table), S)
    root = parse(render.render_article(article, 0))
    first, second = find(root, "table")
    caption = first.find(f"{{{XHTML}}}caption")
    assert text(caption) == "表1 2021年主要经济指标" and caption.get("id") is None
    # the heading's id is the box's, before the table: its contents entry and page
    # marks land there
    box = root.find(".//*[@id='a0-b1']")
    assert (tag(box), box.get("class"), box[0]) == ("div", "table-box", first)
    # a numbered section head heads more than the table: a subhead, no caption
    assert second.find(f"{{{XHTML}}}caption") is None
    assert text(root.find(".//*[@id='a0-b3']")) == "二、下一步工作"
    # every character once
    assert len([h for h in find(root, "h3")]) == 1
    assert text(root).count("主要经济指标") == 1


def test_a_paragraph_introducing_a_table_describes_it_and_stays_a_paragraph():
    table = Table(("姓名", "职务"), (("张三", "主任"),), S)
    article = Article(Headline(("公示",)), (
        Paragraph((Text("现将拟任人选公示如下："),), S), table), S)
    root = parse(render.render_article(article, 0))
    assert find(root, "table")[0].get("aria-describedby") == "a0-b0"
    assert find(root, "table")[0].find(f"{{{XHTML}}}caption") is None
    assert tag(root.find(".//*[@id='a0-b0']")) == "p"


@pytest.mark.parametrize("cell, mode, pieces", [
    ("张三", "nowrap", [("张三", "word")]),
    ("在职研究生 管理学博士", "words", [("在职研究生", "word"), (" ", ""), ("管理学博士", "word")]),
    ("衡山工业集中区（衡山科学城）党委书记", "",
     [("衡山工业集中区", "phrase"), ("（衡山科学城）", "phrase"), ("党委书记", "phrase")]),
    ("市工业和信息化局党组副书记、副局长", "",
     [("市工业和信息化局党组副书记、", ""), ("副局长", "phrase")]),
    ("", "", []),
])
def test_cell_pieces(cell, mode, pieces):
    assert list(render.cell_pieces(cell, mode)) == pieces
    assert "".join(text for text, _ in render.cell_pieces(cell, mode)) == cell


def test_a_wider_table_stacks_below_a_wider_screen():
    narrow = Table(("名次", "球队"), (("1", "山东"),), S)
    wide = Table(tuple(f"第{i}项指标" for i in range(8)), (tuple("一二三四五六七八"),), S)
    assert render.stack_step(narrow) < render.stack_step(wide)
    assert render.stack_step(narrow) in render.STACK_STEPS_EM


def test_names_fields_signoff_photo(sample: ET.Element):
    names = sample.find(".//*[@id='a3-b5']")
    assert (tag(names), names.get("class")) == ("ul", "names names-3")
    assert [text(li) for li in names] == ["张三", "李四", "欧阳五"]
    fields = sample.find(".//*[@id='a3-b6']")
    assert tag(fields) == "dl"
    assert [text(dt) for dt in find(fields, "dt")] == ["电话：", "网址："]
    assert len(find(fields, "br")) == 1
    link = find(fields, "a")[0]
    assert link.get("href") == URL
    signoff = sample.find(".//*[@id='a3-b7']")
    assert [p.get("class") for p in signoff] == ["organisation", "organisation", "date"]
    figure = sample.find(".//*[@id='a3-b8']")
    img, caption = figure
    assert (tag(img), img.get("src"), img.get("alt")) == ("img", "images/p.jpg", "图片说明")
    assert text(caption) == "图片说明"


def test_partial_is_xhtml_and_escaped():
    markup = render.render_article(SAMPLE, 0)
    assert "<br/>" in markup and "<br>" not in markup
    assert "&amp;B&lt;c&gt;" in markup
    assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#\d+;)", markup)  # XML entities only
    assert "\n<span" not in markup and "\n</p>" not in markup  # no stray spaces in text


def test_partial_text_is_the_model_text_in_order(seed_model):
    """Every Han character of each article, once and in order (the label, a tag above
    the headline, reads first)."""
    edition = seed_model[0].edition
    for index, article in enumerate(edition.articles):
        root = parse(render.render_article(article, index))
        label = "".join(article.label)
        expected = label + "".join(model.article_text(article)).replace(label, "", 1) if label \
            else "".join(model.article_text(article))
        assert han(text(root)) == han(expected), index


def test_seed_articles_are_well_formed(seed_model):
    edition = seed_model[0].edition
    for index, article in enumerate(edition.articles):
        root = parse(render.render_article(article, index))
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert ids[0] == f"a{index}" and len(ids) == len(set(ids))


def test_table_columns_wrap_by_content():
    table = Table(("姓名", "学历", "职务"),
                  (("张三", "在职研究生 管理学博士", "很长很长很长很长很长很长的职务名称"),), S)
    assert render.cell_modes(table) == ("nowrap", "words", "")
    root = parse(render.render_article(Article(Headline(("表",)), (table,), S), 0))
    words = [text(span) for span in root.iter(f"{{{XHTML}}}span") if span.get("class") == "word"]
    assert words == ["姓名", "学历", "张三", "在职研究生", "管理学博士"]


def test_tables_are_wide_runs_between_text_runs():
    runs = render.body_runs(SAMPLE)
    assert [(wide, [n for n, _ in blocks]) for wide, blocks in runs] == [
        (False, [0, 1, 2, 3]), (True, [4]), (False, [5, 6, 7, 8])]


def test_byline_without_a_lead_paragraph_stands_alone():
    article = Article(Headline(("题",)), (Heading("小标题", S), Paragraph((Text("文。"),), S)), S,
                      byline=SAMPLE.byline)
    root = parse(render.render_article(article, 0))
    first = find(root, "p")[0]
    assert first.get("class") == "lead byline-only" and text(first).startswith("本报讯")


def test_a4_geometry_is_a_whole_number_of_characters():
    g = render.page_geometry(Layout())
    assert (g.chars, g.columns, g.measure) == (46, 1, 46)
    text_width = g.width - g.margin_inside - g.margin_outside
    assert text_width == pytest.approx(46 * 10.5)
    assert g.margin_inside - g.margin_outside == pytest.approx(render.length_pt("2mm"))
    text_height = g.height - g.margin_top - g.margin_bottom
    assert text_height == pytest.approx(g.lines * 10.5 * 1.75)


@pytest.mark.parametrize("layout", [
    Layout(columns=2), Layout(page_size="A5", body_size="9pt"),
    Layout(page_size="B5 landscape", columns=2, column_gap_chars=3),
    Layout(page_size="170mm 240mm", margin_inside="1.5cm", body_size="12pt"),
])
def test_other_geometries(layout: Layout):
    g = render.page_geometry(layout)
    body = render.length_pt(layout.body_size)
    text_width = g.width - g.margin_inside - g.margin_outside
    assert text_width == pytest.approx(g.measure * body)
    assert g.measure == layout.columns * g.chars + (layout.columns - 1) * layout.column_gap_chars
    # Rounded down: one more character would not fit in the margins asked for.
    asked = render.page_size_pt(layout.page_size)[0] - render.length_pt(layout.margin_inside) \
        - render.length_pt(layout.margin_outside)
    assert g.measure * body <= asked < (g.measure + layout.columns) * body
    if "landscape" in layout.page_size:
        assert g.width > g.height


def test_name_grid_is_flush():
    g = render.page_geometry(Layout())
    per_row, gap = g.name_grid(3)
    assert per_row * 3 + (per_row - 1) * gap == pytest.approx(g.chars)
    assert gap >= 1


def test_date_line_has_the_weekday():
    assert render.date_line(Meta("报", "2022-03-31")) == "2022年3月31日 星期四"
    assert render.date_line(Meta("报", "2024-01-07")) == "2024年1月7日 星期日"
    assert render.date_line(Meta("报", "")) == ""


def test_document_dates_never_use_the_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1648684800")
    assert render.document_dates(Meta("报", "2022-03-31")) == (
        "2022-03-31", "2022-03-31T00:00:00Z")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert render.document_dates(Meta("报", "2022-03-31")) == (
        "2022-03-31", "2022-03-31T00:00:00Z")
    assert render.document_dates(Meta("报", "")) == ("", "")
    # a revision moves the moment within the day, never before it
    assert render.document_dates(Meta("报", "2022-03-31"), "00000708") == (
        "2022-03-31", "2022-03-31T01:00:00Z")


def test_render_print_has_front_page_and_every_article(seed_model):
    normalized, sidecar = seed_model
    edition = normalized.edition
    html = render.render_print(edition, sidecar.layout, "/* fonts */")
    assert '<html lang="zh-CN">' in html and "/* fonts */" in html
    assert '<h1 class="paper">' in html and "星期四" in html
    for index, _ in enumerate(edition.articles):
        assert f'href="#a{index}"' in html and f'<article id="a{index}"' in html
    assert f"<title>{edition.meta.paper} 2022年3月31日 星期四</title>" in html


def test_edition_title_falls_back_when_the_text_names_no_paper_or_date():
    from pipeline.model import Article, Headline, Meta, Span

    art = Article(Headline(("春耕备耕",)), (), Span(1, 1))
    assert render.edition_title(Edition(Meta("某报", "2022-03-31"), (art,))) == "某报 2022年3月31日 星期四"
    assert render.edition_title(Edition(Meta("", ""), (art,))) == "春耕备耕"
    assert render.edition_title(Edition(Meta("", "", slug="x"), ())) == "x"


# --- table settings (print: measured widths, fixed layout, smaller type if dense) ------

PAD_EM = (2 * render.TABLE_PAD_PT + render.TABLE_RULE_PT) / render.TABLE_PT


def one_em_each(text: str, header: bool) -> float:
    return float(len(text))


def widths(table, width_pt=46 * 10.5):
    return render.table_setting(table, width_pt, one_em_each).widths


def test_column_widths_a_short_column_keeps_one_line_the_long_one_wraps():
    table = model.Table(("姓名", "简历"), (("王小明", "长" * 90), ("李四", "短")),
                        model.Span(1, 3))
    width_pt = 46 * 10.5
    shares = widths(table, width_pt)
    assert sum(shares) == pytest.approx(100)
    room = width_pt / render.TABLE_PT
    # 王小明 on one line (a nowrap column: its least width is its widest cell); the
    # column that cannot fit anyway takes all the rest.
    assert shares[0] / 100 * room == pytest.approx(3 + PAD_EM)


def test_column_widths_when_everything_fits_share_the_spare_room_by_width():
    table = model.Table(("甲", "乙乙"), (("一二三", "一二三四五六"),), model.Span(1, 2))
    shares = widths(table)
    assert shares[1] / shares[0] == pytest.approx((6 + PAD_EM) / (3 + PAD_EM))


def test_column_widths_words_columns_break_only_between_words():
    table = model.Table(("学历", "职务"), (("在职研究生 管理学博士", "书" * 80),),
                        model.Span(1, 2))
    shares = widths(table)
    room = 46 * 10.5 / render.TABLE_PT
    assert render.cell_modes(table)[0] == "words"
    # At least its longest word; less than its whole line (it wraps, between words).
    assert 5 + PAD_EM <= shares[0] / 100 * room < 11 + PAD_EM


def test_a_dense_table_is_set_smaller_and_then_wraps_its_short_columns():
    """Eight columns of 6-character cells do not fit 46 characters at 9pt: the type goes
    down (never below 小六 6.5pt); fourteen such columns do not fit even then, and their
    cells may wrap rather than run into each other."""
    def table(columns):
        return model.Table(tuple(f"第{i}项指标" for i in range(columns)),
                           (tuple("12.5万元" for _ in range(columns)),),
                           model.Span(1, 2))

    assert render.table_setting(table(4), 46 * 10.5, one_em_each).style == ""
    dense = render.table_setting(table(8), 46 * 10.5, one_em_each)
    assert render.TABLE_MIN_PT <= dense.size_pt < render.TABLE_PT
    assert dense.style == f"font-size: {dense.size_pt:g}pt" and "nowrap" in dense.modes
    # The least widths fit at that size: 8 * (6 em + padding) within the measure.
    assert 8 * (6 * dense.size_pt + 2 * render.TABLE_PAD_PT + render.TABLE_RULE_PT) <= 46 * 10.5
    denser = render.table_setting(table(14), 46 * 10.5, one_em_each)
    assert denser.size_pt == render.TABLE_MIN_PT and "nowrap" not in denser.modes


def test_print_tables_get_measured_widths_and_the_ebook_does_not():
    table = model.Table(("姓名", "职务"), (("王小明", "市委常委"),), model.Span(2, 3))
    article = Article(Headline(("标题",)), (table,), model.Span(1, 3))
    edition = Edition(model.Meta("某报", "2022-03-31"), (article,))
    html = render.render_print(edition, Layout(), "", one_em_each)
    assert 'class="data sized"' in html and html.count("<col style=") == 2
    assert "<colgroup>" not in render.render_article(article, 0)


# --- the layouts' own words in traditional characters -------------------------------


def test_every_simplified_word_of_the_layouts_has_its_traditional_form():
    """A character of the templates' words that Big5 lacks is a simplified form: the
    traditional map (``render.ui_text``) must turn it into one Big5 has."""
    text = ""
    for path in sorted(render.LAYOUTS.rglob("*.j2")):
        if "site" not in path.parts and "review" not in path.parts:  # desk pages, not editions
            text += re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    han = {ch for ch in text if "\u4e00" <= ch <= "\u9fff"}
    converted = render.ui_text("".join(sorted(han)), "zh-Hant")
    assert converted.encode("big5")  # raises on a simplified-only character left
    assert render.ui_text("目录", "zh-TW") == "目錄" and render.ui_text("目录", "zh-CN") == "目录"


def test_a_traditional_edition_shows_traditional_words():
    article = Article(Headline(("臺中新聞",)), (Paragraph((Text("內容。"),), model.Span(2, 2)),),
                      model.Span(1, 2))
    edition = Edition(model.Meta("某某日報", "2022-03-31", language="zh-Hant"), (article,))
    html = render.render_print(edition, Layout(), "")
    assert "目錄" in html and "目录" not in html
    assert render.face_text(edition)[(render.SANS, 700)].count("錄") >= 1


def test_punctuation_pairs_across_inline_boxes_are_compressed():
    # clreq: ）“ takes 1.5em wherever the marks stand — across the byline's end, a
    # run-in head's end and a link's edges.
    article = Article(
        Headline(("标题",)),
        (Paragraph((Text("“药店今天开门。”"),), S),
         Paragraph((Text("见（"), Link("《通知》", URL), Text("）。")), S, head="一、说明："),
         Paragraph((Text("“引语。”"),), S, head="（二）")),
        S, byline=Byline("本报讯", (Credit("记者", ("张三",)),)))
    markup = str(render.render_article(article, 0))
    assert '（记者 张三<span class="pc">）</span></span>“药店' in markup
    # （《 halves the inner opening mark, 》） the outer closing one, ）。 the bracket.
    assert f'见（<a href="{URL}"><span class="pc">《</span>通知<span class="pc">》</span></a>' \
        '<span class="pc">）</span>。' in markup.replace("&amp;", "&")
    assert '（二<span class="pc">）</span></strong>“引语' in markup
    root = parse(markup)
    assert han(text(root)) == han("标题本报讯（记者张三）“药店今天开门。”一、说明：见（《通知》）。（二）“引语。”")


def test_a_salutation_is_flush_left_and_an_authors_name_stands_on_its_own_line():
    notice = Article(Headline(("关于做好春节期间工作的通知",)), (
        Paragraph((Text("各县市区委组织部，市直有关单位："),), S),
        Paragraph((Text("现将有关事项通知如下："),), S),
        Paragraph((Text("一、加强值班。"),), S)), S)
    root = parse(render.render_article(notice, 0))
    classes = [p.get("class") for p in find(root, "p")]
    assert classes == ["lead salutation", None, None]
    # a sentence that introduces a list, a statement, a dated lead: indented as body
    for first in ("现将有关事项通知如下：", "习近平指出：", "3月31日，记者获悉：", "同志们，大家好。"):
        article = replace(notice, body=(Paragraph((Text(first),), S),))
        assert "salutation" not in str(render.render_article(article, 0)), first
    # a byline opening the lead: the lead is news, not a letter
    article = replace(notice, byline=Byline("本报讯", (Credit("记者", ("张三",)),)))
    assert "salutation" not in str(render.render_article(article, 0))
    # An author's name alone (P122) stands under the headline, not in the lead.
    essay = Article(Headline(("把握发展主动",)), (Paragraph((Text("正文第一段。"),), S),), S,
                    byline=Byline("", (Credit("", ("任仲平",), spaced=False),), ""))
    root = parse(render.render_article(essay, 0))
    author, lead = find(root, "p")
    assert author.get("class") == "lead byline-only author" and text(author) == "任仲平"
    assert lead.get("class") is None and text(lead) == "正文第一段。"
    css = (ROOT / "layouts" / "typography.css").read_text(encoding="utf-8")
    assert re.search(r"p\.salutation\s*\{\s*text-indent:\s*0", css)
    assert re.search(r"p\.byline-only\.author\s*\{[^}]*text-align:\s*center", css)


def test_both_editions_mark_whole_western_runs():
    article = Article(Headline(("2022年标题",)), (
        Paragraph((Text("增长3.5%的App"), Link("COVID-19", URL), Text("检测")), S),), S)
    ebook = str(render.render_article(article, 0, whole_runs=True))
    assert '<span class="lt ga">2022</span>年' in ebook
    assert '增长<span class="lt gb ga">3.5%</span>的<span class="lt gb">App</span>' in ebook
    assert '<span class="lt ga">COVID-19</span></a>检测' in ebook and 'class="hl"' not in ebook
    # The print page too (its masthead, contents and articles): the PDF draws the
    # margin as character spacing (weasyprint_ext.cjk_justify).
    edition = Edition(Meta("某报2号", "2022-03-31"), (article,))
    printed = str(render.render_print(edition, Layout(), ""))
    assert '<span class="lt ga">2022</span>年' in printed and 'class="hl"' not in printed
    assert '某报<span class="lt gb">2</span>号' in printed or '某报<span class="lt gb ga">2</span>号' in printed


def test_a_table_too_wide_for_the_page_is_set_in_bands_of_columns():
    """60 columns of 6-character cells cannot fit 46 characters even at 6.5pt wrapping
    anywhere (they overprinted as one black block): bands that each fit, the header
    over every band, the first column (it names the rows) at the start of each."""
    columns = 60
    table = model.Table(("项目", *(f"第{i}项指标" for i in range(1, columns))),
                        (("甲", *("12.5万元" for _ in range(1, columns))),
                         ("乙", *("3.7万元" for _ in range(1, columns)))), model.Span(1, 3))
    width_pt = 46 * 10.5
    assert not render.table_setting(table, width_pt, one_em_each).fits
    parts = render.table_parts(table, width_pt, one_em_each)
    assert len(parts) > 1 and all(setting.fits for _, setting in parts)
    assert all(part.header[0] == "项目" and [row[0] for row in part.rows] == ["甲", "乙"]
               for part, _ in parts)
    assert [head for part, _ in parts for head in part.header[1:]] == list(table.header[1:])
    # Each band after the first says it continues the table, in the edition's script.
    article = Article(Headline(("宽表",)), (table,), S)
    for centred, label in ((False, "续表"), (True, "續表")):
        html = str(render.render_article(article, 0, tables={0: parts}, centred=centred))
        assert html.count(f'<caption class="continued-label">{label}</caption>') == len(parts) - 1
    narrow = model.Table(("姓名", "职务"), (("王小明", "市委常委"),), model.Span(1, 2))
    assert render.table_parts(narrow, width_pt, one_em_each) == (
        (narrow, render.table_setting(narrow, width_pt, one_em_each)),)
