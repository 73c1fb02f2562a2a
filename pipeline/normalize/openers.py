"""Does a heading run open a new article, or is it a subhead of the article being read?

In: the heading run (raw blocks: heading-shaped lines, stacked line groups, photo
gaps), what is known of the current article (``Context``), the block after the run.
Out: a ``Verdict`` — open or not, the score, and the named evidence for it.

One heading line between paragraphs is the hard case: a one-line headline and a
feature's subhead look alike.  Each piece of evidence below is worth points; the
run opens an article at ``THRESHOLD`` points or more, and a score within
``MARGIN`` below it, or just at it, is a doubt the normalizer reports (P123) with the sidecar line
that settles it.  Without evidence a lone heading line is a subhead: a missed
headline leaves a visible subhead a desk can promote with one sidecar line, a
false one splits an article in two.

For a new article:
  * no article yet, or the current one closed by a sign-off (decisive);
  * stacked headline lines (kicker, title, subtitle set without blank lines);
    in a text that stacks its headlines, blank-separated heading lines are only
    weak evidence (features set their subheads that way);
  * a byline or dateline right after the run;
  * a column tag closing the line (…（经济观察）);
  * a column tag standing alone (【聚焦】) or a page marker;
  * the article before ends with a closing credit (（本报记者…）, …摄, 版式设计：…);
  * in an indented layout, a line set flush left (headlines are flush, body indented);
  * a photo gap in the run, or a separator line (＊＊＊, ------) before it;
  * the text after it opens like a news lead, with a date or 近日/日前.
  * the line is a notice's title (公示, 关于…的通知, …启事) or a genre's (图片报道, 简讯).
For a subhead:
  * it shares a word (two ideographs) with the current headline;
  * it is a numbered section head (一, 二、, （三）, ①);
  * in an indented layout, it is indented like the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .blocks import DATE_NOTE, Raw
from .structure import is_byline, is_credit_line, is_label, parse_byline_line
from .text import han_count

# Points at which a run opens an article, and the margin within which that is a doubt.
THRESHOLD = 2
MARGIN = 1
DECISIVE = 9

# A column tag closing a headline line: …（经济观察）, …(记者手记).
# A column tag closing a title line: …（最美村镇）, numbered in brackets of its own:
# …（身边的变化（3））.
TITLE_TAG = re.compile(r"[（(](?:[^（()）]|[（(][^（()）]{1,6}[）)]){2,24}[）)]$")
# A numbered section head: 一, 二、…, （三）…, ①…, 1. …
_NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}(?:$|、|\s)|[（(][一二三四五六七八九十\d]{1,3}[）)]|[①-⑳]|\d{1,2}[.．、])")
# A news lead's opening: a date or a time word, then a comma (1月3日，… 近日，… 日前，…).
_LEAD = re.compile(
    r"^(?:\d{1,4}年)?(?:\d{1,2}月)?\d{1,2}日[上下中晚早凌午夜间]*[，,]|^(?:近日|日前|昨天|昨日|今天|今日|近期|目前|此前)[，,]")
# The title of a notice, by its genre word: 公示, 关于…的通知, 招聘启事, 声明 ….
_NOTICE = re.compile(r"(?:公示|公告|通告|通知|启事|啟事|声明|聲明|讣告|訃告|告示|倡议书|倡議書|决定|決定|公报|公報|名单|名單)$")
# A title that names the genre of a short item: 图片报道, 简讯 ….
_GENRE_TITLE = re.compile(r"^(?:图片报道|圖片報道|图片新闻|圖片新聞|新闻图片|新聞圖片|简讯|簡訊|快讯|快訊|短讯|短訊)$")
# A paragraph closing an article with its credit: （本报记者…）, （新华社电）, （作者为…）, （张 三）.
_CLOSING = re.compile(r"[（(](?P<inside>[^（()）]{2,80})[）)]\s*$")
_CREDIT_WORDS = re.compile(r"电|记者|作者|整理|采写|报道|撰稿|供稿|编译|综合|来源|执笔")


@dataclass(frozen=True)
class Context:
    """What the segmenter knows of the article being read when a heading run comes."""

    headline: str = ""            # the current headline's text ("" when none yet)
    open: bool = False            # an article is being read
    signed: bool = False          # it was closed by a sign-off
    last: Raw | None = None       # its last body block
    stacked_layout: bool = False  # the text stacks its headline lines


@dataclass(frozen=True)
class Verdict:
    """Whether a heading run opens an article, its score and the evidence named."""

    opens: bool
    score: int
    reasons: tuple[str, ...]

    @property
    def doubtful(self) -> bool:
        """Close to the threshold: reported as a doubt with the sidecar line to settle it."""
        return THRESHOLD - MARGIN <= self.score <= THRESHOLD


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if han_count(text[i:i + 2]) == 2}


def closes_article(block: Raw | None) -> bool:
    """A block an article ends with: a credit line (…摄, 版式设计：…) or a paragraph
    closing with a bracketed credit (（本报记者 张三）, （新华社电）, （李 四）)."""
    if block is None or block.kind != "para":
        return block is not None and block.kind == "signoff"
    text = block.text.strip()
    if is_credit_line(text):
        return True
    match = _CLOSING.search(text)
    if not match:
        return False
    inside = match["inside"].strip()
    name = re.sub(r"[\s\u3000]", "", inside)
    return bool(_CREDIT_WORDS.search(inside)) or (
        2 <= len(name) <= 4 and han_count(name) == len(name) and match.start() > 0)


def stacked_layout(blocks: list[Raw]) -> bool:
    """Whether the text stacks its headlines (kicker, title, subtitle without blank
    lines between): at least two stacked groups of up to three heading lines
    (none ending with a comma, as verse and salutations do) stand before a paragraph."""
    stacked = 0
    for block, after in zip(blocks, blocks[1:]):
        if block.kind == "lines" and len(block.lines) <= 3 and after.kind == "para" \
                and not any(line.endswith(("，", "、")) for line in block.lines):
            stacked += 1
    return stacked >= 2


def judge(run: list[Raw], following: Raw | None, context: Context) -> Verdict:
    """The verdict on one heading run (see the module docstring)."""
    if not context.open:
        return Verdict(True, DECISIVE, ("the first headline",))
    if context.signed:
        return Verdict(True, DECISIVE, ("the article before is signed off",))
    score = 0
    reasons: list[str] = []

    def add(points: int, why: str) -> None:
        nonlocal score
        score += points
        reasons.append(f"{why} ({points:+d})")

    elements = [b for b in run if b.kind != "gap"]
    texts = [line for b in elements for line in (b.lines if b.kind == "lines" else [b.text])]
    # Lines that end with a comma are a salutation or a verse, not a headline.
    shaped = not any(text.rstrip().endswith(("，", "、", ",")) for text in texts)
    if any(b.kind == "lines" for b in elements) and shaped and not all(
            b.margin == "indented" for b in elements):
        add(5, "stacked headline lines")
    elif len(elements) >= 2:
        add(1 if context.stacked_layout else 5, "heading lines in a row")
    if len(run) > len(elements):
        add(2, "a photo gap")
    if run[0].parted:
        add(5, "after a line that parts articles")
    if any(b.kind == "para" and is_label(b.text) for b in elements):
        add(3, "a column tag")
    if following is not None and following.kind == "para" and (
            is_byline(following.text) or parse_byline_line(following.text)):
        add(5, "a byline follows")
    if texts and not _NUMBERED.match(texts[0]) and any(
            TITLE_TAG.search(text) and "、" not in text and not DATE_NOTE.match(text)
            for text in texts):
        add(3, "a column tag closes the line")
    if closes_article(context.last):
        add(2, "the article before ends with its credit")
    margins = {b.margin for b in elements}
    if margins == {"flush"} and shaped:
        add(5, "set flush left")
    elif margins == {"indented"}:
        add(-3, "indented like the body")
    if following is not None and following.kind == "para" and _LEAD.match(following.text):
        add(1, "a news lead follows")
    if len(elements) == 1 and texts:
        line = texts[0]
        if _NUMBERED.match(line):
            add(-3, "a numbered section")
        if _bigrams(line) & _bigrams(context.headline):
            add(-2 if score < 3 else -1, "shares a word with the headline")
        if _NOTICE.search(line) or _GENRE_TITLE.match(line):
            add(4, "a notice's or a genre's title")
    return Verdict(score >= THRESHOLD, score, tuple(reasons) or ("no evidence of a new article",))
