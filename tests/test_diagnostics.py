"""One golden test per diagnostic code: the smallest text that makes the normalizer say it."""

from __future__ import annotations

import pytest

from pipeline.decode import Source, decode
from pipeline.diagnostics import CODES, Diagnostic, explain
from pipeline.normalize import normalize
from pipeline.settings import Correction, Sidecar

BODY = "这是一段完整的正文内容，用来说明会议的主要精神和工作部署，内容相当充实。"

CASES = {
    "P001": ("标题\n\n" + BODY + "\x1b[1m\x07\n", None,
             "line 3: P001 repair: removed 2 control character(s): U+0007 U+001B, "
             "and the rest of 1 escape sequence(s): [1m"),
    "P002": ("标题\n\n正文\u200b内容，完整。\n", None,
             "line 3: P002 repair: removed 1 zero-width character(s): U+200B"),
    "P003": ("标题\n\n" + BODY + "\n", "gb18030", "line 1: P003 info: decoded as gb18030"),
    "P101": ("标题\n\n会议要求各单位认真落实主体责任，切实做好各项工作，确保项目进\n\n行顺利，取得实效。\n", None,
             "line 5: P101 repair: joined line 3 …，确保项目进 + 行顺利，取得… from line 5 "
             "(follows directly; word 进行 spans the break)"),
    "P102": ("林区安全须知\n\n防火栏目\n应急科普\n\n准吸烟；不准烧荒；不准野炊。\n\n"
             "森林安全要做到十不准\n\n规定是指严禁林区野外用火；不准烧香；不准放鞭炮；不\n\n"
             "当发生火灾时，应当选择空旷地方避险，保持冷静。\n", None,
             "line 6: P102 repair: moved lines 6-6 (准吸烟；不准…) to follow line 10 …准放鞭炮；不 "
             "(word 不准 spans the break; continues the clause pattern 不准…)"),
    "P103": ("标题\n\n会议要求各单位认真落实主体责任，切实做好各项工作，确保项目\n\n第二个标题\n\n"
             + BODY + "\n", None,
             "line 3: P103 doubt: paragraph ends mid-sentence (…项工作，确保项目) "
             "and nothing continues it"),
    "P104": ("标题\n\n，这段文字以逗号开头，显然是从别处断开的一段话。\n", None,
             "line 3: P104 doubt: paragraph starts mid-sentence (，这段文字以…) and nothing "
             "before it ends open"),
    "P110": ("标题\n\n网址：<https://example.cn/a>\n", None,
             "line 3: P110 repair: removed the angle brackets around https://example.cn/a"),
    "P120": ("森林防火知识\n\n" + BODY + "\n\n森林火灾的预防\n\n" + BODY + "\n", None,
             "line 5: P120 info: read 森林火灾的预防 as a subhead "
             "(shares a word with the headline (-2))"),
    "P123": ("防汛工作部署\n\n" + BODY + "\n\n防汛安全提示（社会观察）\n\n" + BODY + "\n", None,
             "line 5: P123 doubt: read 防汛安全提示（社会观察） as a new article's headline on little "
             "evidence (a column tag closes the line (+3); shares a word with the headline (-1)); "
             "if it is a subhead, add to the sidecar's corrections: - subhead: "
             "\"防汛安全提示（社会观察）\""),
    "P124": ("标题一\n\n" + BODY * 2 + "\n\n------\n\n标题二\n\n" + BODY + "\n\n------\n\n"
             "标题一\n\n" + BODY * 2 + "\n", None,
             "line 13: P124 doubt: lines 13-15 repeat the article at lines 1-3 word for word; "
             "delete one copy from the text if the paper did not print it twice"),
    "P144": ("通知\n\n" + BODY + "\n\n某某局\n2022年3月28日\n", None,
             "line 1: P144 doubt: the edition date 2022-03-28 was taken from a sign-off, which "
             "may be a notice's own date: set edition.date in the sidecar if the paper's is "
             "another"),
    "P121": (BODY + "\n\n标题\n\n" + BODY + "\n", None,
             "line 1: P121 doubt: text before the first headline kept as an untitled article"),
    "P130": ("名单\n\n姓名\t性别\t民族\n张三\t男\n", None,
             "line 4: P130 repair: table row has 2 cells, header 3; padded"),
    "P131": ("名单\n\n姓名\t性别\n张三\t男\t汉族\t备注\n", None,
             "line 4: P131 doubt: table row has 4 cells, header 2; last 3 joined"),
    "P140": ("标题\n\n本报讯（记者 张三）" + BODY + "\n\n某某日报\n2022年3月31日\n", None,
             "line 1: P140 info: inferred paper 某某日报 and date 2022-03-31"),
    "P141": ("标题\n\n" + BODY + "\n", None,
             "line 1: P141 doubt: no sign-off date found; the edition is undated"),
    "P004": ("标题\n\n" + BODY + "\n\n＊　＊　＊\n\n另一标题\n\n" + BODY + "\n", None,
             "line 5: P004 repair: removed a line that only separates articles: ＊　＊　＊"),
    "P132": ("标题\n\n" + BODY + "\n\n排名  球队  积分\n1  山东  60\n2  上海  54\n", None,
             "line 5: P132 info: read 3 lines of space-aligned columns as a table of 3 columns"),
    "P122": ("以实干担当推动发展\n任仲平\n\n" + BODY + "\n", None,
             "line 1: P122 info: read 任仲平 under the headline as its author's name (the "
             "byline), not a subtitle"),
    "P143": ("2022年3月31日 星期四\n\n标题\n\n" + BODY + "\n", None,
             "line 1: P143 info: took the edition date 2022-03-31 from the top line (the "
             "masthead shows it)"),
    "P142": ("标题\n\n" + BODY + "\n", None,
             "line 1: P142 doubt: no paper name found (no '…日报讯' byline or sign-off); the "
             "front page has no masthead: set edition.paper in the sidecar"),
}


def _run(text: str, encoding: str | None, sidecar: Sidecar | None = None):
    source = decode(text.encode(encoding)) if encoding else Source(text, "utf-8")
    return normalize(source, sidecar).diagnostics


@pytest.mark.parametrize("code", sorted(CASES))
def test_code(code):
    text, encoding, expected = CASES[code]
    lines = [d.format() for d in _run(text, encoding) if d.code == code]
    assert lines == [expected]


def test_p150_sidecar_corrections():
    text = "标题\n\n第一段文字没有说完，因为版面的原因被截断在这里，后面的内容在下\n\n另一段完全独立的文字，与前文无关。\n\n一栏的开头。\n"
    join = Correction("在下", "一栏的开头")
    diagnostics = _run(text, None, Sidecar(corrections=(join,)))
    assert [d.format() for d in diagnostics if d.code == "P150"] == [
        "line 7: P150 repair: joined 一栏的开头… (line 7) to …在下"]
    apart = Correction("在下")
    diagnostics = _run(text, None, Sidecar(corrections=(apart,)))
    assert [d.code for d in diagnostics if d.code in ("P150", "P101")] == ["P150"]


def test_p150_sidecar_settles_where_articles_start():
    text = "防汛工作部署\n\n" + BODY + "\n\n春季植树活动\n\n" + BODY + "\n\n植树注意事项\n\n" + BODY + "\n"
    plain = normalize(Source(text, "utf-8")).edition.articles
    assert len(plain) == 1  # two lone heading lines, no evidence: subheads
    sidecar = Sidecar(corrections=(Correction("春季植树", structure="article"),))
    normalized = normalize(Source(text, "utf-8"), sidecar)
    assert [a.headline.titles for a in normalized.edition.articles] == [
        ("防汛工作部署",), ("春季植树活动",)]
    assert [d.format() for d in normalized.diagnostics if d.code == "P150"] == [
        "line 5: P150 repair: the sidecar says 春季植树 starts an article"]
    # and the other way round: a heading read as a headline is made a subhead
    text = "防汛工作部署\n\n" + BODY + "\n\n防汛会议召开\n\n本报讯（记者 张三）" + BODY + "\n"
    assert len(normalize(Source(text, "utf-8")).edition.articles) == 2
    sidecar = Sidecar(corrections=(Correction("防汛会议召开", structure="subhead"),))
    assert len(normalize(Source(text, "utf-8"), sidecar).edition.articles) == 1


def test_every_code_is_tested():
    assert set(CODES) == set(CASES) | {"P150"}


def test_unknown_code_is_refused():
    with pytest.raises(ValueError):
        Diagnostic("X999", 1, "no such code")


def test_explain_summarises():
    text = explain((Diagnostic("P101", 3, "a"), Diagnostic("P120", 1, "b")), "s.txt")
    assert text.splitlines() == [
        "s.txt:1: P120 info: b", "s.txt:3: P101 repair: a", "1 info, 1 repair"]
