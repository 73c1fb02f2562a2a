"""One test per normalizer rule, on small texts shaped like other papers' days."""

from __future__ import annotations

import pytest

from pipeline.decode import Source
from pipeline.model import (
    Headline, Heading, LineBreak, Link, Paragraph, PhotoGap, SignOff, Text,
    byline_text, edition_text, inline_text,
)
from pipeline.normalize import normalize
from pipeline.normalize.structure import inlines, parse_byline, parse_byline_line, run_in_head
from pipeline.normalize.text import is_heading_like, parse_date, spanning_word

BODY = "这是一段完整的正文内容，用来说明会议的主要精神和工作部署，内容相当充实。"


def edition(text: str):
    return normalize(Source(text, "utf-8")).edition


def test_byline_agency_and_roles():
    byline, rest = parse_byline("新华社北京3月31日电（记者 王五 实习生 赵六 钱七）正文开始。")
    assert byline.agency == "新华社北京3月31日电"
    assert [(c.role, c.names) for c in byline.credits] == [("记者", ("王五",)), ("实习生", ("赵六", "钱七"))]
    assert rest == "正文开始。"
    assert parse_byline("本报讯(记者 张三)正文。")[0].brackets == "()"


@pytest.mark.parametrize("text, agency, credits, brackets, rest", [
    # Xinhua's form: role and names run together, names parted by 、
    ("新华社北京3月30日电（记者张三、李四）国务院总理主持召开会议。", "新华社北京3月30日电",
     [("记者", ("张三", "李四"), False, "、")], "（）", "国务院总理主持召开会议。"),
    # no brackets: the credits after a space, the text after another
    ("本报讯 记者王五 通讯员赵六 近日，记者在田间看到春耕。", "本报讯",
     [("记者", ("王五",), False, " "), ("通讯员", ("赵六",), False, " ")], "",
     "近日，记者在田间看到春耕。"),
    ("本報訊（記者 王大明 通訊員 陳小華）臺中市交通局今天宣布。", "本報訊",
     [("記者", ("王大明",), True, " "), ("通訊員", ("陳小華",), True, " ")], "（）",
     "臺中市交通局今天宣布。"),
])
def test_byline_forms(text, agency, credits, brackets, rest):
    byline, after = parse_byline(text)
    assert (byline.agency, byline.brackets, after) == (agency, brackets, rest)
    assert [(c.role, c.names, c.spaced, c.separator) for c in byline.credits] == credits
    # As printed, the byline is the source's characters (spaces aside).
    assert byline_text(byline).replace(" ", "") + after.replace(" ", "") == text.replace(" ", "")


def test_byline_line_forms():
    assert parse_byline_line("□本报记者 孙七").agency == "□"
    assert parse_byline_line("记者张三、李四").credits[0].names == ("张三", "李四")
    assert parse_byline_line("本报记者 张三、李四 王五") is None  # separators mixed
    assert parse_byline_line("□不是署名的一行") is None


def test_not_a_byline():
    assert parse_byline("据了解（以下简称“督察组”）进驻。") is None
    assert parse_byline("本报讯（张三 李四）正文。") is None  # names without a role


def test_run_in_heads():
    assert run_in_head("一、强化责任担当。一是提高站位。") == "一、强化责任担当。"
    assert run_in_head("（二）加强领导。正文。") == "（二）加强领导。"
    assert run_in_head("3. 做好保障！正文") == "3. 做好保障！"
    assert run_in_head("2021年，经济增长。") == ""
    assert run_in_head("一、只有标题。") == ""  # nothing runs in after it


def test_heading_shapes():
    assert is_heading_like("遭遇森林火灾，要正确判断风向")
    assert is_heading_like("森林火灾要做到“十不准”“五不烧”")
    assert not is_heading_like("市人大常委会副主任参加。")
    assert not is_heading_like("会议要求各单位认真落实，切实做好各项工作，确保项目")
    assert is_heading_like("某某市对外公开省生态环境保护督察及砂石行业生态环境保护专项督察整改情况")


def test_dates():
    assert parse_date("2022年3月31日") == "2022-03-31"
    assert parse_date("二〇二二年三月三十一日") == "2022-03-31"
    assert parse_date("2022年13月1日") is None
    assert parse_date("2022年3月31日上午") is None


def test_spanning_word():
    assert spanning_word("项目进", "行专项") == "进行"
    assert spanning_word("杀了夏明", "翰，") == ""


def test_links_only_for_web_and_mail():
    runs, diagnostics = inlines("见<https://a.cn/x>与<javascript:alert(1)>及mailto:a@b.cn。", 1)
    assert runs == (Text("见"), Link("https://a.cn/x", "https://a.cn/x"),
                    Text("与<javascript:alert(1)>及"), Link("mailto:a@b.cn", "mailto:a@b.cn"),
                    Text("。"))
    assert [d.removed for d in diagnostics] == ["<>"]


def test_kicker_title_subtitle():
    art = edition("春耕备耕正当时——\n\n田间地头农事忙\n\n——各地抓好春季农业生产\n\n" + BODY + "\n").articles[0]
    assert (art.headline.kicker, art.headline.titles, art.headline.subtitle) == (
        "春耕备耕正当时——", ("田间地头农事忙",), "——各地抓好春季农业生产")


def test_couplet_is_two_title_lines():
    art = edition("缅怀英雄先烈\n\n传承红色基因\n\n" + BODY + "\n").articles[0]
    assert art.headline.titles == ("缅怀英雄先烈", "传承红色基因") and not art.headline.subtitle


def test_new_article_after_sign_off_and_subhead_within():
    text = ("防汛工作部署\n\n" + BODY + "\n\n防汛物资准备\n\n" + BODY + "\n\n某某局\n2022年6月1日\n\n"
            "公告\n\n" + BODY + "\n")
    arts = edition(text).articles
    assert [a.headline.titles for a in arts] == [("防汛工作部署",), ("公告",)]
    assert [b.text for b in arts[0].body if isinstance(b, Heading)] == ["防汛物资准备"]
    assert [b for b in arts[0].body if isinstance(b, SignOff)][0].organisations == ("某某局",)


def test_unrelated_heading_starts_an_article():
    arts = edition("防汛工作部署\n\n" + BODY + "\n\n春季招聘启事\n\n" + BODY + "\n").articles
    assert [a.headline.titles for a in arts] == [("防汛工作部署",), ("春季招聘启事",)]


def test_byline_after_heading_starts_an_article():
    text = "防汛工作部署\n\n" + BODY + "\n\n防汛会议召开\n\n本报讯（记者 张三）" + BODY + "\n"
    arts = edition(text).articles
    assert len(arts) == 2 and arts[1].byline.credits[0].names == ("张三",)


def test_photo_gap_and_label():
    art = edition("标题文字\n\n\n\n栏目名称\n专栏副名\n\n" + BODY + "\n").articles[0]
    assert art.label == ("栏目名称", "专栏副名")
    assert isinstance(art.body[0], PhotoGap) and art.body[0].blank_lines == 3


def test_table_names_fields_signoff():
    text = ("名单公告\n\n" + BODY + "\n\n姓名\t单位\t职务\n张三\t某 局\t科长\n\n"
            "张三 李四 王五 赵六\n钱七 孙八\n\n联系电话：12345\n（工作日）\n\n地址：某路1号\n\n"
            "某某委员会\n2022年3月31日\n")
    body = edition(text).articles[0].body
    kinds = [type(b).__name__ for b in body]
    assert kinds == ["Paragraph", "Table", "NameList", "Fields", "SignOff"]
    table, names, fields = body[1], body[2], body[3]
    assert table.header == ("姓名", "单位", "职务") and table.rows == (("张三", "某 局", "科长"),)
    assert names.names == ("张三", "李四", "王五", "赵六", "钱七", "孙八")
    assert [f.label for f in fields.items] == ["联系电话", "地址"]
    assert fields.items[0].value == (Text("12345"), LineBreak(), Text("（工作日）"))


def test_hard_wrapped_paragraph_is_rejoined():
    text = ("标题\n\n这是一段被导出工具按固定宽度折行的正文，每一行都没有\n结束的标点符号，所以应当接回同一段落之中"
            "，直到句号为止。\n\n" + BODY + "\n")
    body = edition(text).articles[0].body
    assert len(body) == 2
    assert inline_text(body[0].inlines).startswith("这是一段") and body[0].span.last == 4


def test_verse_lines_in_body_keep_their_breaks():
    text = "诗歌一首\n\n" + BODY + "\n\n春眠不觉晓\n处处闻啼鸟\n\n" + BODY + "\n"
    body = edition(text).articles[0].body
    assert any(isinstance(b, Paragraph) and LineBreak() in b.inlines for b in body) or \
        len(edition(text).articles) == 2


def test_bracketed_tag_and_byline_line_and_jump_line():
    text = ("【聚焦两会】\n代表委员热议高质量发展\n　　本报记者 张三 李四\n　　" + BODY + "\n\n"
            "（上接第一版）\n　　" + BODY + "\n")
    (art,) = edition(text).articles
    assert art.label == ("【聚焦两会】",) and art.headline.titles == ("代表委员热议高质量发展",)
    assert [(c.role, c.names) for c in art.byline.credits] == [("本报记者", ("张三", "李四"))]
    assert inline_text(art.body[1].inlines) == "（上接第一版）"


@pytest.mark.parametrize("line, expected", [
    ("第01版：要闻", True), ("A2版：要闻", True), ("第二版 评论", True), ("03版", True),
    ("【聚焦两会】", True), ("版面编辑：赵六", False), ("第一季度增长百分之六。", False),
])
def test_page_markers_are_read_like_column_tags(line, expected):
    from pipeline.normalize.structure import is_label

    assert is_label(line) is expected


def test_a_note_in_brackets_and_a_date_line_are_no_headlines():
    from pipeline.normalize.text import dateline

    assert not is_heading_like("（作者为本报评论员）")
    assert not is_heading_like("2022年3月31日 星期四")
    assert dateline("2022年3月31日 星期四") == "2022-03-31"
    assert dateline("二〇二二年三月三十一日 农历二月廿九 星期四") == "2022-03-31"
    assert dateline("2022年3月31日上午召开会议") is None


def test_script_language_needs_traditional_evidence():
    from pipeline.normalize import script_language

    def language(text):
        return script_language(list(normalize(Source(text, "utf-8")).edition.articles))

    assert language("标题\n\n" + BODY + "\n") == "zh-CN"
    # Rare characters in neither set (a name's 𠮷, 㐀) say nothing about the script.
    assert language("𠮷字测试\n\n本报讯（记者 𠮷㐀）" + BODY + "罕用字𠮷、㐀、䶵、龘。\n") == "zh-CN"
    assert language("臺灣新聞\n\n行政院今天召開院會，討論國家發展計畫與經濟政策。\n") == "zh-Hant"


@pytest.mark.parametrize("line, author", [
    ("任仲平", True), ("欧阳修", True), ("陳小華", True), ("王小明", True),
    ("时评", False), ("综述", False), ("高歌猛进", False), ("——各地扎实推进", False),
    ("本报评论员", False), ("", False),
])
def test_an_author_name_under_a_headline(line, author):
    from pipeline.normalize.text import is_author_name

    assert is_author_name(line) is author


def test_a_byline_may_end_with_a_credit_for_words_and_pictures():
    byline = parse_byline_line("本报记者 张三 实习生 李四 文/图")
    assert [(c.role, c.names) for c in byline.credits] == [
        ("本报记者", ("张三",)), ("实习生", ("李四",)), ("文/图", ())]
    assert byline_text(byline) == "本报记者 张三 实习生 李四 文/图"
    assert parse_byline_line("文/图") is None  # a credit with nobody named is no byline


def test_an_ornament_tag_is_read_like_a_column_tag():
    from pipeline.normalize.structure import is_label

    assert is_label("■相关新闻") and is_label("◆链接")
    assert not is_label("▲市民在公园赏花。")  # a caption: a sentence
    assert not is_label("□本报记者 孙七")  # a byline line


def test_a_note_label_is_a_run_in_head():
    assert run_in_head("编者按：春回大地，万物复苏。") == "编者按："
    assert run_in_head("編者按:春回大地。") == "編者按:"
    assert run_in_head("编者按：") == ""  # nothing after it: no run-in
    assert run_in_head("编者说明了情况。") == ""


def test_a_separator_line_parts_articles_and_is_no_photo_gap():
    text = "春耕生产有序推进\n\n" + BODY + "\n\n------\n\n市场供应平稳\n\n" + BODY + "\n"
    normalized = normalize(Source(text, "utf-8"))
    assert [a.headline.titles for a in normalized.edition.articles] == [
        ("春耕生产有序推进",), ("市场供应平稳",)]
    assert not any(isinstance(b, PhotoGap) for a in normalized.edition.articles for b in a.body)
    assert [d.code for d in normalized.diagnostics if d.code == "P004"] == ["P004"]
    # A rule of em dashes is text (a dash can stand alone), never removed.
    kept = normalize(Source("标题\n\n" + BODY + "\n\n" + "—" * 12 + "\n", "utf-8"))
    assert "—" * 12 in edition_text(kept.edition)
    assert not any(d.code == "P004" for d in kept.diagnostics)


def test_a_column_tag_on_the_headline_line_is_split_off():
    from pipeline.normalize.structure import split_label

    assert split_label("【两会聚焦】代表委员热议高质量发展") == ("【两会聚焦】", "代表委员热议高质量发展")
    assert split_label("代表委员热议【高质量】发展") is None


def test_an_agency_alone_opens_the_lead():
    byline, rest = parse_byline("本报讯 3月30日，记者从市发改委获悉。")
    assert (byline.agency, byline.credits, rest) == ("本报讯", (), "3月30日，记者从市发改委获悉。")
    assert byline_text(byline) == "本报讯"
    assert parse_byline("供电 公司今天恢复了供电。") is None  # a word ending in 电 is no agency


def test_verse_under_a_headline_is_body_not_tags_and_an_ornament_name_is_the_author():
    text = "春天的诗\n\n□ 王小明\n\n春风吹过田野\n桃花开满山坡\n燕子飞回屋檐\n孩子们笑着奔跑\n\n（作者单位：市第一中学）\n"
    article = normalize(Source(text, "utf-8")).edition.articles[0]
    assert article.label == () and byline_text(article.byline) == "□ 王小明"
    verse, note = article.body
    assert sum(isinstance(run, LineBreak) for run in verse.inlines) == 3
    assert inline_text(note.inlines) == "（作者单位：市第一中学）"  # a note, not a field line


def test_space_aligned_columns_are_a_table_but_a_names_grid_stays_one():
    from pipeline.model import NameList, Table

    text = "积分榜\n\n" + BODY + "\n\n排名  球队    胜  积分\n1     山东    20  60\n2     上海    18  54\n"
    body = normalize(Source(text, "utf-8")).edition.articles[0].body
    table = next(b for b in body if isinstance(b, Table))
    assert table.header == ("排名", "球队", "胜", "积分") and table.rows[1] == ("2", "上海", "18", "54")
    grid = "名单\n\n" + BODY + "\n\n刘虹梅  王文焱  邓江虹\n李柏芳  黄魁斌  唐海强\n"
    body = normalize(Source(grid, "utf-8")).edition.articles[0].body
    assert any(isinstance(b, NameList) for b in body) and not any(isinstance(b, Table) for b in body)
    # One line with wide gaps is no table; nor are sentences.
    one = "标题\n\n本报北京3月30日电  （记者 张三）  今天开会。\n"
    assert not any(isinstance(b, Table) for b in normalize(Source(one, "utf-8")).edition.articles[0].body)


# --- reading real papers (issue 11): each failure form, in texts written here ---

def test_a_line_without_a_final_stop_is_no_reason_to_join():
    # A summary line (提要) over the lead ends without a stop; nothing says it is cut.
    text = ("春运首日客流平稳\n\n铁路部门加开临客列车，多地车站增设服务点，方便旅客出行\n\n"
            "春运首日，全国铁路发送旅客数量平稳增长，各地车站秩序良好。\n")
    normalized = normalize(Source(text, "utf-8"))
    assert not any(d.code in ("P101", "P102") for d in normalized.diagnostics)
    assert "铁路部门加开临客列车，多地车站增设服务点，方便旅客出行" in [
        b.text if isinstance(b, Heading) else inline_text(b.inlines)
        for a in normalized.edition.articles for b in a.body]


def test_numbered_items_and_dashes_do_not_start_mid_sentence():
    from pipeline.normalize.text import continues_list, starts_mid_sentence

    for opening in ("一、免去某某的职务。", "——加强监管，落实责任。", "……他说。", "看、听、议三步走。"):
        assert not starts_mid_sentence(opening)
    assert starts_mid_sentence("翰，还有后来的故事。")
    assert continues_list("落实整改时限、主体责任", "单位、责任人、监管单位。")
    assert not continues_list("我们的朋友遍天下", "新的一年开始了。")


def test_a_fragment_never_moves_across_a_byline():
    text = ("会议部署全年工作\n\n会议强调，要坚持稳中求进，推动高质量发展，做好各项\n\n"
            "人事任免\n\n新华社北京1月3日电  国家主席任免驻外大使。\n\n"
            "、工作落到实处；不断改进作风。\n")
    normalized = normalize(Source(text, "utf-8"))
    assert not any(d.code == "P102" for d in normalized.diagnostics)


@pytest.mark.parametrize("text, agency, rest", [
    ("新华社北京5月8日电  国务院日前印发通知。", "新华社北京5月8日电", "国务院日前印发通知。"),
    ("新华社北京5月8日电\u3000\u30005月8日，会议召开。", "新华社北京5月8日电", "5月8日，会议召开。"),
    ("本报电 文化和旅游年活动启动。", "本报电", "文化和旅游年活动启动。"),
])
def test_a_wire_dateline_without_brackets_is_a_byline(text, agency, rest):
    byline, after = parse_byline(text)
    assert byline.agency == agency and not byline.credits and after == rest


def test_names_in_a_datelines_brackets_and_spaced_names():
    byline, rest = parse_byline("本报北京1月21日电  （王小明、李大华）远洋船队返航。")
    assert byline.credits[0].names == ("王小明", "李大华") and rest == "远洋船队返航。"
    line = parse_byline_line("本报记者 周 明 赵晓明")
    assert line.credits[0].names == ("周明", "赵晓明")
    assert parse_byline_line("本报评论员 李 斌").credits[0].role == "本报评论员"
    assert parse_byline_line("记者手记") is None  # a genre, not the reporter 手记


def test_credit_lines_are_never_headlines():
    from pipeline.normalize.structure import is_credit_line

    for line in ("张小明摄（本报图库）", "新华社记者  李大华摄", "版式设计：王五", "制图：赵六",
                 "新华社发", "——编 者", "数据来源：国家统计局", "王  东  李小北摄影报道",
                 "张 华图  李 明文", "赵小东图 钱  红文", "文/李四 图/张三", "王五文  赵六摄"):
        assert is_credit_line(line), line
    for line in ("春运首日客流平稳", "巧手拍摄家乡美", "电子信箱：abc@example.cn", "看图说话",
                 "一张图 读懂新规"):
        assert not is_credit_line(line), line
    text = ("古城新貌\n\n" + BODY + "\n\n张小明摄（本报图库）\n\n" + BODY + "\n")
    articles = edition(text).articles
    assert len(articles) == 1 and articles[0].headline.titles == ("古城新貌",)


def test_a_lone_heading_line_is_a_subhead_unless_evidence_says_headline():
    # Features carry subheads; without evidence a heading line is one.
    text = ("山村的新年\n\n" + BODY + "\n\n修路\n\n" + BODY + "\n\n种茶\n\n" + BODY + "\n")
    articles = edition(text).articles
    assert len(articles) == 1
    assert [b.text for b in articles[0].body if isinstance(b, Heading)] == ["修路", "种茶"]
    # a column tag closing the line, a credit closing the article before, a notice's title
    for opener, before in (("节日消费升温（经济观察）", BODY),
                           ("城市夜景", BODY[:-1] + "（本报记者 王五）"),
                           ("关于春节放假安排的通知", BODY),
                           ("图片报道", BODY)):
        text = "山村的新年\n\n" + BODY + "\n\n" + before + "\n\n" + opener + "\n\n" + BODY + "\n"
        assert len(edition(text).articles) == 2, opener
    # numbered sections are subheads even with evidence around them
    text = "山村的新年\n\n" + BODY + "\n\n二\n\n" + BODY + "\n"
    assert len(edition(text).articles) == 1


def test_a_heading_that_would_be_its_articles_only_subhead_opens_an_article():
    # Features have two or more subheads; one alone is a one-line headline (an essay,
    # a photo story) whose article has no byline.  A doubt, with the sidecar line.
    text = ("山村的新年\n\n" + BODY + "\n\n" + BODY + "\n\n冬日里的小院\n\n" + BODY + "\n")
    normalized = normalize(Source(text, "utf-8"))
    assert [a.headline.titles for a in normalized.edition.articles] == [
        ("山村的新年",), ("冬日里的小院",)]
    doubt = [d for d in normalized.diagnostics if d.code == "P123"]
    assert doubt and '- subhead: "冬日里的小院"' in doubt[0].message
    # two lone headings are a feature's subheads; so is one with evidence against it
    text = ("山村的新年\n\n" + BODY + "\n\n修路\n\n" + BODY + "\n\n种茶\n\n" + BODY + "\n")
    assert len(edition(text).articles) == 1
    for against in ("新年的山村变了样", "二"):  # shares a word; a numbered section
        text = "山村的新年\n\n" + BODY + "\n\n" + against + "\n\n" + BODY + "\n"
        assert len(edition(text).articles) == 1, against
    # a heading with nothing before it in the article, or nothing after, stays a subhead
    text = "山村的新年\n\n" + BODY + "\n\n冬日里的小院\n"
    assert len(edition(text).articles) == 1
    # and the sidecar settles it
    from pipeline.settings import Correction, Sidecar
    sidecar = Sidecar(corrections=(Correction(end="冬日里的小院", structure="subhead"),))
    text = ("山村的新年\n\n" + BODY + "\n\n" + BODY + "\n\n冬日里的小院\n\n" + BODY + "\n")
    assert len(normalize(Source(text, "utf-8"), sidecar).edition.articles) == 1


def test_a_column_tag_on_any_line_of_a_heading_run_is_evidence():
    # In a text that stacks its headlines, two blank-separated heading lines are weak
    # evidence; 标题（专栏名） followed by a box label in the same run still opens.
    stacked = ("乡村振兴进行时\n山村的新年\n\n" + BODY + "\n\n修路\n\n" + BODY + "\n\n种茶\n\n"
               + BODY + "\n\n")
    end = "\n\n" + BODY + "\n\n城市更新进行时\n街巷换新颜\n\n" + BODY + "\n"
    assert len(edition(stacked + "灯火照亮回家路（百姓故事）\n\n内容提要" + end).articles) == 3
    assert len(edition(stacked + "灯火照亮回家路\n\n内容提要" + end).articles) == 2
    # a date note in brackets is no column tag
    assert len(edition(stacked + "（2021年3月5日）\n\n内容提要" + end).articles) == 2


def test_two_stacked_headline_lines_are_kicker_and_title_unless_the_second_is_a_subtitle():
    from pipeline.normalize.articles import _split_headline

    assert _split_headline(["江南古镇", "小桥流水 人家渐多（最美村镇）"]) == Headline(
        titles=("小桥流水 人家渐多（最美村镇）",), kicker="江南古镇")
    assert _split_headline(["全省文化工作会议召开", "王五出席并讲话"]).subtitle == "王五出席并讲话"
    assert _split_headline(["在座谈会上的讲话", "（2022年1月8日）"]).subtitle == "（2022年1月8日）"
    assert _split_headline(["王五：", "守护一方平安"]) == Headline(
        titles=("守护一方平安",), kicker="王五：")
    assert _split_headline(["把论文写在大地上", "——记农业专家王五"]).subtitle == "——记农业专家王五"
    # parts a dump set apart with blank lines are listed title first
    assert _split_headline(["发挥社区服务作用", "我市开展便民服务专项行动"], stacked=False) == Headline(
        titles=("发挥社区服务作用",), subtitle="我市开展便民服务专项行动")


def test_a_stacked_headline_keeps_a_deck_and_a_box_label_in_the_body():
    text = ("江南古镇\n小桥流水 人家渐多（最美村镇）\n\n内容提要\n\n" + BODY + "\n\n"
            "城市夜景\n灯光璀璨 游人如织\n\n" + BODY + "\n")
    articles = edition(text).articles
    assert [a.headline.titles for a in articles] == [
        ("小桥流水 人家渐多（最美村镇）",), ("灯光璀璨 游人如织",)]
    assert isinstance(articles[0].body[0], Heading) and articles[0].body[0].text == "内容提要"


def test_an_indented_layout_reads_flush_lines_as_headlines():
    indent = "\u3000\u3000"
    text = ("\n城市夜景\n灯光璀璨 游人如织\n"
            + indent + "新华社北京1月3日电  夜幕降临，城市的灯光次第亮起。\n"
            + indent + "夜游路线\n"
            + indent + BODY + "\n"
            + indent + BODY + "\n"
            + "\n山村的新年\n\n"
            + indent + BODY + "\n"
            + indent + "尊敬的各位来宾，\n"
            + indent + BODY + "\n")
    articles = edition(text).articles
    assert [a.headline.titles for a in articles] == [("灯光璀璨 游人如织",), ("山村的新年",)]
    assert articles[0].byline.agency == "新华社北京1月3日电"
    assert [b.text for b in articles[0].body if isinstance(b, Heading)] == ["夜游路线"]
    # one paragraph a line: no two lines joined
    assert sum(isinstance(b, Paragraph) for b in articles[1].body) == 3


def test_an_indented_layout_keeps_salutations_and_teasers_in_the_body():
    indent = "\u3000\u3000"
    # a speech: title and date note stacked flush, then salutation lines set flush
    text = ("\n城市夜景\n\n" + (indent + BODY + "\n") * 4
            + "\n在新春团拜会上的讲话\n（2021年2月5日，北京）\n尊敬的各位来宾，\n朋友们，同志们：\n"
            + indent + BODY + "\n" + indent + BODY + "\n")
    articles = edition(text).articles
    assert [a.headline.titles for a in articles] == [("城市夜景",), ("在新春团拜会上的讲话",)]
    assert articles[1].headline.subtitle == "（2021年2月5日，北京）"
    paragraphs = [b for b in articles[1].body if isinstance(b, Paragraph)]
    assert [p.inlines[0].text for p in paragraphs[:2]] == ["尊敬的各位来宾，", "朋友们，同志们："]
    assert not any(isinstance(i, LineBreak) for p in paragraphs for i in p.inlines)
    # an indented teaser line after the credits stays in the article, not the next headline
    text = ("\n城市夜景\n\n" + (indent + BODY + "\n") * 3 + indent + "版式设计：王五\n"
            + indent + "精彩继续\n\n山村的新年\n\n" + indent + BODY + "\n")
    articles = edition(text).articles
    assert [(a.headline.kicker, a.headline.titles) for a in articles] == [
        ("", ("城市夜景",)), ("", ("山村的新年",))]


def test_a_deck_over_a_tagged_title_and_a_quote_before_a_stacked_headline():
    # a long deck (引题) stacked over a title with its column tag: a headline, not a paragraph
    deck = "截至去年年底，全县累计建成高标准农田十二万亩，带动两千户增收"
    text = ("城市夜景\n灯光璀璨\n\n" + BODY + "\n\n" + deck + "\n良田连片 好粮满仓（乡村观察）\n\n"
            + BODY + "\n\n山村的新年\n老街换新颜\n\n" + BODY + "\n")
    articles = edition(text).articles
    assert len(articles) == 3
    assert articles[1].headline.kicker == deck
    assert articles[1].headline.titles == ("良田连片 好粮满仓（乡村观察）",)
    # a quoted sentence closing an article before a stacked headline stays its last paragraph
    text = ("城市夜景\n灯光璀璨\n\n" + BODY + "\n\n“明年我们还要再来！”\n\n山村的新年\n老街换新颜\n\n"
            + BODY + "\n")
    articles = edition(text).articles
    assert articles[1].headline.titles == ("山村的新年", "老街换新颜")
    assert articles[0].body[-1].inlines[0].text == "“明年我们还要再来！”"


def test_the_file_name_gives_the_date_when_the_text_does_not():
    from pipeline.normalize import date_in_name

    assert date_in_name("rmrb-2020-01-09") == "2020-01-09"
    assert date_in_name("20220331_evening") == "2022-03-31"
    assert date_in_name("x-2022-02-30") == "" and date_in_name("page-12345678") == ""
    normalized = normalize(Source("标题\n\n" + BODY + "\n", "utf-8"), name="wb-2021-05-04")
    assert normalized.edition.meta.date == "2021-05-04"
    assert not any(d.code in ("P141", "P144") for d in normalized.diagnostics)


def test_names_one_a_line_are_a_name_list_not_a_headline():
    from pipeline.model import NameList

    text = "光荣榜\n\n" + "\n".join(["张三", "李四", "王小明", "赵大华", "欧阳明月", "钱七"]) + "\n"
    article = edition(text).articles[0]
    assert article.headline.titles == ("光荣榜",)
    assert isinstance(article.body[0], NameList) and len(article.body[0].names) == 6


def test_name_grid_cells_are_three_characters_and_long_names_keep_their_width():
    from pipeline.render import long_name, name_cell

    names = ("张三", "王小明", "欧阳明月")
    assert name_cell(names) == 3
    assert [long_name(n, 3) for n in names] == [False, False, True]
    assert name_cell(("欧阳明月", "司马小文")) == 4  # a grid of long names only


STACKED_DAY = ("交通建设惠民生\n乡村公路通到家门口\n\n" + BODY + "\n\n")
STACKED_END = "\n\n暖冬行动\n爱心包裹送到老人手中\n\n" + BODY + "\n"


def test_a_lone_stack_of_heading_lines_after_the_text_is_a_headline_over_a_subhead():
    # Two heading lines, blank-separated, after an article's text and before any of its
    # subheads: the next article's headline and its first subhead (a doubt, settled by
    # the sidecar).
    text = STACKED_DAY + "雪后初晴的山村\n\n山路\n\n" + BODY + "\n\n茶园\n\n" + BODY + STACKED_END
    normalized = normalize(Source(text, "utf-8"))
    articles = normalized.edition.articles
    assert [a.headline.titles for a in articles] == [
        ("乡村公路通到家门口",), ("雪后初晴的山村",), ("爱心包裹送到老人手中",)]
    assert [b.text for b in articles[1].body if isinstance(b, Heading)] == ["山路", "茶园"]
    doubt = [d for d in normalized.diagnostics if d.code == "P123"]
    assert len(doubt) == 1 and '- subhead: "雪后初晴的山村"' in doubt[0].message
    from pipeline.settings import Correction, Sidecar
    sidecar = Sidecar(corrections=(Correction(end="雪后初晴的山村", structure="subhead"),))
    assert len(normalize(Source(text, "utf-8"), sidecar).edition.articles) == 2
    # Paired subheads that come twice are the article's own; so is a pair after its
    # first subhead, a pair over a quoted outcry, and a box label's pair (编后).
    for middle in ("高扬旗帜\n\n夯实根基\n\n" + BODY + "\n\n激荡情怀\n\n凝聚力量\n\n",
                   "修路\n\n" + BODY + "\n\n雪后初晴的山村\n\n山路\n\n",
                   "救助为先\n\n“快，送医院！”\n\n",
                   "编后\n\n向难题要答案\n\n"):
        text = STACKED_DAY + middle + BODY + STACKED_END
        assert len(edition(text).articles) == 2, middle


def test_a_column_tag_closes_the_title_line_and_the_line_above_is_the_kicker():
    from pipeline.normalize.openers import TITLE_TAG

    assert TITLE_TAG.search("好日子（身边的变化（3））") and TITLE_TAG.search("好日子（记者手记）")
    assert not TITLE_TAG.search("好日子（上）（下）（中）（续）（完）（一）（二）（三）（四）（五）（六）")
    text = STACKED_DAY + "城乡联动 服务到家\n\n“日子越过越有奔头”（身边的变化（3））\n\n" + BODY + STACKED_END
    headline = edition(text).articles[1].headline
    assert (headline.kicker, headline.titles, headline.subtitle) == (
        "城乡联动 服务到家", ("“日子越过越有奔头”（身边的变化（3））",), "")


def test_a_title_over_a_photo_gap_alone_is_an_article_of_its_own():
    # A title, the blank lines of its picture, then the next article's title and
    # dateline: the first is an article with no text but the picture.
    text = (STACKED_DAY + "冬日里的读书声\n\n\n\n城南社区书屋开放\n\n本报讯  （记者 吴 静）"
            + BODY + STACKED_END)
    normalized = normalize(Source(text, "utf-8"))
    articles = normalized.edition.articles
    assert [a.headline.titles for a in articles] == [
        ("乡村公路通到家门口",), ("冬日里的读书声",), ("城南社区书屋开放",), ("爱心包裹送到老人手中",)]
    assert [type(b).__name__ for b in articles[1].body] == ["PhotoGap"]
    assert articles[2].byline is not None and articles[1].byline is None
    # So is one before a title that carries a column tag, whatever follows that title.
    text = (STACKED_DAY + "冬日里的读书声\n\n\n\n书屋里的新年（文化脉动）\n\n内容提要\n\n"
            + BODY + STACKED_END)
    assert [a.headline.titles for a in edition(text).articles][1:3] == [
        ("冬日里的读书声",), ("书屋里的新年（文化脉动）",)]
    # A subtitle after the gap, a kicker before it: one headline over its picture.
    for first, second in (("冬日里的读书声", "——记城南社区书屋"), ("书香满城——", "城南社区书屋开放")):
        text = (STACKED_DAY + first + "\n\n\n\n" + second + "\n\n本报讯  （记者 吴 静）"
                + BODY + STACKED_END)
        assert len(edition(text).articles) == 3, first
    # A subhead with text under it stays one, photo or not.
    text = STACKED_DAY + "修路\n\n\n\n" + BODY + "\n\n种茶\n\n\n\n" + BODY + STACKED_END
    assert len(edition(text).articles) == 2


def test_the_sidecar_names_kicker_subtitle_and_credit_lines():
    from pipeline.settings import Correction, Sidecar

    def read(text, *corrections):
        normalized = normalize(Source(text, "utf-8"), Sidecar(corrections=corrections))
        return normalized.edition.articles, [
            d.message for d in normalized.diagnostics if d.code == "P150"]

    # A kicker opens an article; the lines under it are the title.
    text = STACKED_DAY + "城乡联动 服务到家\n\n日子越过越有奔头\n\n" + BODY + STACKED_END
    articles, said = read(text, Correction("城乡联动", structure="kicker"))
    assert (articles[1].headline.kicker, articles[1].headline.titles) == (
        "城乡联动 服务到家", ("日子越过越有奔头",))
    assert said == ["the sidecar says 城乡联动 is a kicker (引题) opening an article"]
    # Kicker and subtitle inside one stacked group, and the remaining line is the title.
    text = "城乡联动 服务到家\n日子越过越有奔头\n山村的新年\n\n" + BODY + STACKED_END
    articles, said = read(text, Correction("山村", structure="subtitle"),
                          Correction("城乡", structure="kicker"))
    assert articles[0].headline == Headline(
        titles=("日子越过越有奔头",), kicker="城乡联动 服务到家", subtitle="山村的新年")
    assert len(said) == 2
    # In a text that stacks its headlines, a line apart under the title is the body's
    # first subhead unless the sidecar calls it the subtitle.
    text = STACKED_DAY + "日子越过越有奔头\n\n一位村支书的新年\n\n" + BODY + STACKED_END
    articles, _ = read(text)
    assert articles[1].headline.subtitle == "" and isinstance(articles[1].body[0], Heading)
    articles, _ = read(text, Correction("一位村支书", structure="subtitle"))
    assert articles[1].headline == Headline(titles=("日子越过越有奔头",), subtitle="一位村支书的新年")
    assert not any(isinstance(b, Heading) for b in articles[1].body)
    # A credit stays in the article before as its text, and closes it.
    text = (STACKED_DAY + "画说新风\n\n" + BODY + "\n\n配图 张华\n\n冰雪运动热起来\n\n" + BODY
            + STACKED_END)
    articles, _ = read(text)
    assert any(isinstance(b, Heading) and b.text == "配图 张华" for a in articles for b in a.body)
    articles, said = read(text, Correction("配图", structure="credit"))
    assert not any(isinstance(b, Heading) and b.text == "配图 张华"
                   for a in articles for b in a.body)
    assert said == ["the sidecar says 配图 is a credit or caption of the article before"]


def test_a_field_takes_a_few_short_notes_and_no_body_text():
    # A field line takes the short plain lines under it as notes (its hours, its
    # floor), at most three; a long line after it is the body's, as in a crawl that
    # sets one paragraph a line with no blank lines between.
    text = ("办事指南\n\n" + BODY + "\n\n受理地点：某路1号\n二楼窗口\n工作日\n上午九点起\n下午五点止\n\n"
            + BODY + "\n")
    body = edition(text).articles[0].body
    fields = next(b for b in body if type(b).__name__ == "Fields")
    assert [run.text for run in fields.items[0].value if isinstance(run, Text)] == [
        "某路1号", "二楼窗口", "工作日", "上午九点起"]
    text = "办事指南\n\n" + BODY + "\n\n受理地点：某路1号\n" + BODY + "\n" + BODY + "\n"
    body = edition(text).articles[0].body
    fields = next(b for b in body if type(b).__name__ == "Fields")
    assert [run.text for run in fields.items[0].value if isinstance(run, Text)] == ["某路1号"]
    assert sum(type(b).__name__ == "Paragraph" for b in body) >= 2
