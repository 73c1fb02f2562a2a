"""The seed day, read by the normalizer: the nine articles the issue names, and its repairs."""

from __future__ import annotations

import pytest

from pipeline.model import (
    Fields, Heading, Link, NameList, Paragraph, PhotoGap, SignOff, Table, byline_text,
    inline_text,
)
from pipeline.model_yaml import dump
from pipeline.diagnostics import explain

from .conftest import ROOT


@pytest.fixture(scope="module")
def edition(seed_model):
    return seed_model[0].edition


def blocks(article, kind):
    return [b for b in article.body if isinstance(b, kind)]


def paragraphs_text(article):
    return [b.head + inline_text(b.inlines) for b in blocks(article, Paragraph)]


def test_golden_model(seed_model, golden):
    normalized, _ = seed_model
    golden(ROOT / "tests/golden/000_3b959c98e2937adc.yaml", dump(normalized.edition))
    golden(ROOT / "tests/golden/000_3b959c98e2937adc.diagnostics",
           explain(normalized.diagnostics) + "\n")


def test_nine_articles_with_their_headlines(edition):
    heads = [(a.headline.kicker, a.headline.titles, a.headline.subtitle) for a in edition.articles]
    assert heads == [
        ("", ("衡阳市对外公开省生态环境保护督察“回头看”及砂石行业生态环境保护专项督察整改情况",), ""),
        ("", ("干部任前公示公告",), ""),
        ("", ("发挥药店“哨点”监测作用",), "我市对零售药店开展疫情防控专项督查"),
        ("注意，清明假期乘坐高铁——", ("请旅客提前了解防疫要求",), ""),
        ("", ("缅怀革命先烈", "赓续精神血脉"), ""),
        ("耒阳市第十八届人民代表大会第二次会议开幕——", ("抓好七个方面工作 谱写耒阳新篇章",), ""),
        ("", ("我市将评选表彰 43个模范职工之家",), ""),
        ("", ("遇森林火灾如何脱险自救",), ""),
        ("", ("公示",), ""),
    ]


def test_article_1_run_in_heads_and_sign_off(edition):
    art = edition.articles[0]
    assert [p.head[:2] for p in blocks(art, Paragraph) if p.head] == ["一、", "二、", "三、"]
    assert blocks(art, SignOff) == [SignOff(("中共衡阳市委", "衡阳市人民政府"), "2022年3月31日",
                                            blocks(art, SignOff)[0].span)]


def test_article_2_table_fields_link_sign_off(edition):
    art = edition.articles[1]
    (table,) = blocks(art, Table)
    assert len(table.header) == 8 and len(table.rows) == 9
    assert table.header[0] == "姓名" and table.header[-1] == "拟任职务(职级)"
    assert all(len(row) == 8 for row in table.rows)
    assert "大学本科 工学学士" in [cell for row in table.rows for cell in row]  # inner space kept
    (fields,) = blocks(art, Fields)
    assert [f.label for f in fields.items] == [
        "受理举报时间", "受理举报单位", "受理地点", "专用举报电话", "举报网址", "邮政编码"]
    place = inline_text(fields.items[2].value)
    assert place.endswith("市委大院二办公楼")
    links = [run for f in fields.items for run in f.value if isinstance(run, Link)]
    assert links == [Link("http://www.hyzhdj.gov.cn", "http://www.hyzhdj.gov.cn")]
    (sign,) = blocks(art, SignOff)
    assert (sign.organisations, sign.date) == (("中共衡阳市委组织部",), "2022年3月31日")


@pytest.mark.parametrize("index, agency, credits", [
    (2, "衡阳日报讯", [("全媒体记者", ("胡建军",))]),
    (4, "衡阳日报讯", [("全媒体记者", ("谢小青",))]),
    (5, "衡阳日报讯", [("全媒体记者", ("周琪",)), ("通讯员", ("袁成龙", "卢健"))]),
    (6, "衡阳日报讯", [("全媒体记者", ("胡建军",)), ("通讯员", ("盛君丽",))]),
])
def test_bylines(edition, index, agency, credits):
    byline = edition.articles[index].byline
    assert byline.agency == agency
    assert [(c.role, c.names) for c in byline.credits] == credits


def test_no_byline_where_none(edition):
    assert [i for i, a in enumerate(edition.articles) if a.byline] == [2, 4, 5, 6]
    assert byline_text(edition.articles[5].byline) == "衡阳日报讯（全媒体记者 周琪 通讯员 袁成龙 卢健）"


def test_photo_gaps(edition):
    gaps = {i: blocks(a, PhotoGap) for i, a in enumerate(edition.articles) if blocks(a, PhotoGap)}
    assert sorted(gaps) == [3, 7]
    assert all(g.image is None and g.blank_lines == 3 for gs in gaps.values() for g in gs)


def test_article_8_label_subheads_and_moved_fragment(edition):
    art = edition.articles[7]
    assert art.label == ("安全生产三年行动", "应急科普")
    assert [h.text for h in blocks(art, Heading)] == [
        "遭遇森林火灾，要正确判断风向", "森林火灾要做到“十不准”“五不烧”"]
    texts = paragraphs_text(art)
    ten = next(i for i, t in enumerate(texts) if t.startswith("“十不准”"))
    assert "不准炼山造林或烧木炭；不准痴、呆、精神病患者、小孩进入林区；" in texts[ten]
    assert texts[ten].endswith("了望台（哨）。")
    assert texts[ten + 1].startswith("“五不烧”是指")
    assert texts[ten + 2].startswith("当被大火围困时")
    # Nothing of the fragment is left where it was displaced to.
    assert not any(t.startswith("准痴") for t in texts)


def test_article_9_name_list_and_sign_off(edition):
    art = edition.articles[8]
    (names,) = blocks(art, NameList)
    assert len(names.names) == 37 and names.names[0] == "刘虹梅" and names.names[-1] == "谢丹"
    (sign,) = blocks(art, SignOff)
    assert (sign.organisations, sign.date) == (("衡阳日报",), "2022年3月31日")


@pytest.mark.parametrize("joined", [
    "主体责任单位、责任人", "项目进行专项奖补", "必须真实、准确", "市委大院二办公楼",
    "杀了夏明翰，还有后来人", "地方税收首破",
])
def test_column_break_joins(edition, joined):
    from pipeline.model import edition_text

    text = edition_text(edition).replace("\n", "")
    assert text.count(joined) == 1


def test_metadata(edition):
    meta = edition.meta
    assert (meta.paper, meta.date, meta.language, meta.slug) == (
        "衡阳日报", "2022-03-31", "zh-CN", "hengyang-ribao-2022-03-31")
    assert meta.identifier.startswith("urn:uuid:")


def test_every_block_keeps_its_source_span(edition):
    for art in edition.articles:
        assert art.span.first <= art.span.last
        for block in art.body:
            assert 1 <= block.span.first <= block.span.last <= 154


def test_conservation_on_the_seed(seed_model):
    from pipeline import stages
    from pipeline.normalize import unaccounted

    from .conftest import SEED

    source = stages.read(stages.locate(SEED, ROOT))
    assert unaccounted(source, seed_model[0]) == {}
