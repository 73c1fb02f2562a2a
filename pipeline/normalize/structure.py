"""Reading the parts inside a paragraph: bylines, run-in heads, links.

In: a paragraph's text.  Out: model pieces (``Byline``, a run-in head string,
``Inline`` runs) and the diagnostics for anything removed.
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic
from ..model import Byline, Credit, Inline, Link, Text
from .text import HAN_CLASS, is_author_name, is_genre

# 电头: an agency ending in 讯 or 电 ("本报讯", "新华社北京3月31日电"; traditional
# 訊/電), then bracketed credits.
_AGENCY_TEXT = r"[^\s（()，。“”：:]{2,24}?(?:讯|电|訊|電)"
_BYLINE = re.compile(
    rf"^(?P<agency>{_AGENCY_TEXT})\s{{0,3}}"
    r"(?P<open>[（(])(?P<credits>[^（()）]{2,80})(?P<close>[）)])"
)
# The same agency with its credits after a space, no brackets: 本报讯 记者王五 通讯员赵六 …
_AGENCY = re.compile(rf"^{_AGENCY_TEXT}$")
# An agency that is one alone, crediting nobody (本报讯 3月30日，…): a paper's or a news
# service's, not any word ending in 电 (供电 …).
_NEWS_AGENCY = re.compile(r"本报|本報|报|報|社|网|網|台")
# Roles that credit people in a byline (全媒体记者, 通讯员, 实习生 …; and in
# traditional characters: 記者, 通訊員 …).
_ROLES = (r"(?:记者|記者|通讯员|通訊員|实习生|實習生|编辑|編輯|摄影|攝影|摄|攝|作者|评论员|評論員"
          r"|撰稿|供稿|报道员|報導員|報道員|特约|特約)")
_ROLE = re.compile(rf"^[{HAN_CLASS}]*{_ROLES}$")
# A role with its names run on, no space: 记者张三, 记者张三、李四 (Xinhua's form).
_ROLE_NAMES = re.compile(rf"^(?P<role>[{HAN_CLASS}]{{0,6}}?{_ROLES})(?P<names>[{HAN_CLASS}·、]{{2,}})$")
# A personal name in a byline: two to five ideographs, rare ones too (𠮷), or with ·.
_PERSON = re.compile(rf"^[{HAN_CLASS}·]{{2,5}}$")
# An ornament some papers set before a byline line (□本报记者 张三) or a tag (■相关新闻).
_ORNAMENT = "□■◆◇●○▲△★☆◎"
_ORNAMENT_TAG = re.compile(rf"^[{_ORNAMENT}]\s?[^\s。，；！？]{{2,10}}$")
# What a byline may end with, crediting no one by name: 文/图 (words and pictures), 摄.
_CREDIT_TAILS = {"文/图", "文／图", "图/文", "图／文", "文/圖", "文／圖", "圖/文", "圖／文",
                 "摄", "攝", "报道", "報導", "报导"}
# A bracketed column tag.
_LABEL = re.compile(r"^[【〖［\[][^【】〖〗［］\[\]]{1,20}[】〗］\]]$")
# A page marker of a day's dump: 第01版：要闻, A2版 要闻, 第二版 — read like a column tag.
_PAGE_MARKER = re.compile(
    r"^(?:第\s*)?[A-Z]?[0-9０-９一二三四五六七八九十]{1,3}\s*版(?:\s*[：:]\s*|\s+)?[^\s。，]{0,12}$")
# Run-in section heads: 一、…。  （一）…。  1. …。 — a short first sentence.
_RUN_IN = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|（[一二三四五六七八九十]{1,3}）|\d{1,2}[.．、](?!\d))"
    r"[^。！？]{1,48}[。！？]"
)
# A note's run-in label, set bold like a section head: 编者按：…
_NOTE_HEAD = re.compile(
    r"^(?:编者按|編者按|编者的话|編者的話|记者手记|記者手記|相关链接|相關連結|延伸阅读|延伸閱讀)[：:]")
# Links: only http, https and mailto are ever made clickable.
_BRACKETED_URL = re.compile(r"<((?:https?://|mailto:)[^<>\s]+)>")
_BARE_URL = re.compile(r"(?:https?://|mailto:)[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")


def _names(text: str) -> tuple[tuple[str, ...], str] | None:
    """Names run together with 、 (张三、李四) or one name: (names, separator)."""
    names = tuple(text.split("、"))
    if all(_PERSON.match(name) and not is_genre(name) for name in names):
        return names, "、" if len(names) > 1 else " "
    return None


def _joined_names(tokens: list[str]) -> list[str]:
    """Tokens with a two-character name set with a space in its middle (周 明, so that
    it lines up with three-character names) made one token again (周明)."""
    out: list[str] = []
    k = 0
    while k < len(tokens):
        token = tokens[k]
        if (len(token) == 1 and k + 1 < len(tokens) and len(tokens[k + 1]) == 1
                and _PERSON.match(token + tokens[k + 1])):
            out.append(token + tokens[k + 1])
            k += 2
            continue
        out.append(token)
        k += 1
    return out


def _credits(tokens: list[str], *, bare_names: bool = False) -> tuple[Credit, ...] | None:
    """The credits of whitespace-separated byline tokens — roles followed by names
    (全媒体记者 张三 李四), or roles with their names run on (记者张三、李四) — or None
    if a token is neither or a role credits nobody.  With ``bare_names`` (inside a
    dateline's brackets) names alone are credits too: （王小明、李大华）."""
    credits: list[Credit] = []
    tokens = _joined_names(tokens)
    if len(tokens) > 1 and tokens[-1] in _CREDIT_TAILS:  # …李四 文/图
        tail, tokens = Credit(tokens[-1], ()), tokens[:-1]
    else:
        tail = None
    for token in tokens:
        fused = _ROLE_NAMES.match(token)
        if _ROLE.match(token):
            credits.append(Credit(token, ()))
        elif fused and (names := _names(fused["names"])):
            credits.append(Credit(fused["role"], names[0], spaced=False, separator=names[1]))
        elif credits and credits[-1].spaced and (found := _names(token)):
            last, (names, separator) = credits[-1], found
            if last.names and (last.separator != " " or separator != " "):
                return None  # 张三、李四 王五: separators mixed, not a form we know
            credits[-1] = Credit(last.role, (*last.names, *names), separator=separator)
        elif bare_names and not credits and (found := _names(token)):
            credits.append(Credit("", found[0], spaced=False, separator=found[1]))
        else:
            return None
    if not credits or any(not credit.names for credit in credits):
        return None
    return (*credits, tail) if tail else tuple(credits)


# Whitespace between a byline's parts: spaces, U+3000, no-break spaces.
_GAP = re.compile(r"[\s\u3000\u00a0]+")


def parse_byline(text: str) -> tuple[Byline, str] | None:
    """The byline at the start of a lead paragraph and the text after it, or None:
    本报讯（记者 张三）…, 新华社北京3月31日电（记者张三、李四）…, the wire's dateline
    alone before the text (新华社北京5月8日电␣␣正文…, 本报电 …), or without brackets
    本报讯 记者王五 通讯员赵六 近日……"""
    match = _BYLINE.match(text)
    if match:
        credits = _credits(match["credits"].split(), bare_names=True)
        if credits is None:
            return None
        brackets = match["open"] + match["close"]
        return Byline(match["agency"], credits, brackets), text[match.end():]
    # Tokens with where each starts; the text after the byline keeps its own spacing.
    spans = [(m.start(), m.group()) for m in re.finditer(r"[^\s\u3000\u00a0]+", text)]
    if len(spans) < 2 or spans[0][0] != 0 or not _AGENCY.match(spans[0][1]):
        return None
    tokens = [token for _, token in spans]
    # The credits are the tokens after the agency up to the first that is not one.
    for end in range(len(tokens) - 1, 1, -1):
        credits = _credits(tokens[1:end])
        if credits is not None:
            return Byline(tokens[0], credits, ""), text[spans[end][0]:]
    if _NEWS_AGENCY.search(tokens[0]):
        return Byline(tokens[0], (), ""), text[spans[1][0]:]  # 新华社北京5月8日电  …
    return None


def parse_byline_line(text: str) -> Byline | None:
    """A byline standing on its own line: 本报记者 张三 李四 (roles and names only;
    an ornament before it, □本报记者 张三, is kept as its agency; after an ornament a
    name alone is the author, □ 王小明)."""
    ornament = text[0] if text and text[0] in _ORNAMENT else ""
    tokens = text[len(ornament):].split()
    if ornament and len(tokens) == 1 and is_author_name(tokens[0]):
        return Byline(ornament, (Credit("", (tokens[0],), spaced=False),), "")  # □ 王小明
    if not tokens or not (_ROLE.match(tokens[0]) or _ROLE_NAMES.match(tokens[0])):
        return None
    credits = _credits(tokens)
    if credits is None:
        return None
    return Byline(ornament, credits, "")


# A credit line under a picture or at an article's foot: who took the photo (张三摄,
# 新华社记者 李四摄, 王五摄（本报图库）, 赵六摄影报道), who made the page (版式设计：…, 制图：…), where
# data came from (数据来源：…), a picture from an agency (新华社发), the editor's
# sign (——编 者), who drew and who wrote a picture story (张三图 李四文).  Headline-shaped, but never a headline.
_PHOTO_CREDIT = re.compile(
    rf"^(?:[^\s，。：:]{{0,12}}(?:记者|記者|社|报|報|网|網)\s*)?[{HAN_CLASS}·\s]{{1,10}}"
    r"(?<!拍)(?:摄|攝|摄影|攝影|供图|供圖|制图|製圖)(?:报道|報道)?(?:[（(][^（()）]{1,12}[）)])?$")
_PAGE_CREDIT = re.compile(
    r"^(?:版式设计|版式設計|制图|製圖|本版制图|本版製圖|数据来源|數據來源|图片来源|圖片來源"
    r"|资料来源|資料來源|责任编辑|責任編輯|美术编辑|美術編輯|设计|設計)\s*[：:]")
_AGENCY_PHOTO = re.compile(r"^[^\s，。]{1,10}(?:社|报|報)(?:发|發|供图|供圖)$")
_EDITOR_SIGN = re.compile(r"^——\s*(?:编\s*者|編\s*者|编\s*辑|編\s*輯)$")
# Who drew and who wrote a picture story: 张三图 李四文, 张 三／图  李四／文, 文/李四 图/张三.
_NAME_RUN = rf"[{HAN_CLASS}·][{HAN_CLASS}·\s]{{0,8}}"
_PICTURE_WORDS = re.compile(
    rf"^{_NAME_RUN}\s*[/／]?\s*(?:图|圖|画|畫|摄|攝)\s+{_NAME_RUN}\s*[/／]?\s*文$"
    rf"|^{_NAME_RUN}\s*[/／]?\s*文\s+{_NAME_RUN}\s*[/／]?\s*(?:图|圖|画|畫|摄|攝)$"
    rf"|^(?:文|图|圖)\s*[/／：:]\s*{_NAME_RUN}\s+(?:图|圖|文)\s*[/／：:]\s*{_NAME_RUN}$")


def is_credit_line(text: str) -> bool:
    """A photo, page or editor's credit standing as a line of its own (see above)."""
    text = text.strip()
    return len(text) <= 40 and bool(
        _PHOTO_CREDIT.match(text) or _PAGE_CREDIT.match(text) or _AGENCY_PHOTO.match(text)
        or _EDITOR_SIGN.match(text) or (len(text) <= 24 and _PICTURE_WORDS.match(text)))


def is_label(text: str) -> bool:
    """A column tag in brackets standing alone (【聚焦两会】), one after an ornament
    (■相关新闻), or a page marker of the dump (第01版：要闻): the next article carries
    it as its tag."""
    text = text.strip()
    return bool(_LABEL.match(text) or _PAGE_MARKER.match(text)
                or (_ORNAMENT_TAG.match(text) and parse_byline_line(text) is None))


_LEADING_LABEL = re.compile(r"^(?P<label>[【〖][^【】〖〗]{1,20}[】〗])\s*(?P<rest>\S.*)$")


def split_label(text: str) -> tuple[str, str] | None:
    """A headline line that opens with its column tag: (【两会聚焦】, 代表委员热议…)."""
    match = _LEADING_LABEL.match(text.strip())
    return (match["label"], match["rest"]) if match else None


def is_byline(text: str) -> bool:
    """Whether a paragraph opens with a readable byline."""
    return parse_byline(text) is not None


def run_in_head(text: str) -> str:
    """The run-in section head (一、…。) or note label (编者按：) opening a paragraph,
    or ""."""
    match = _RUN_IN.match(text) or _NOTE_HEAD.match(text)
    if not match or len(match.group()) >= len(text):
        return ""
    return match.group()


def inlines(text: str, line: int) -> tuple[tuple[Inline, ...], list[Diagnostic]]:
    """Text runs with http(s)/mailto links; angle brackets around a URL are removed (P110)."""
    diagnostics: list[Diagnostic] = []
    runs: list[Inline] = []
    pos = 0
    pattern = re.compile(f"{_BRACKETED_URL.pattern}|{_BARE_URL.pattern}")
    for match in pattern.finditer(text):
        bare = match.group().rstrip(".,;:!?'")
        if not match.group(1) and bare.endswith(("//", ":")):
            continue  # a scheme with nothing after it is text
        if match.start() > pos:
            runs.append(Text(text[pos:match.start()]))
        if match.group(1):
            url = match.group(1)
            diagnostics.append(Diagnostic(
                "P110", line, f"removed the angle brackets around {url}", removed="<>"))
            end = match.end()
        else:
            # Sentence punctuation after a bare URL is not part of it.
            url = bare
            end = match.start() + len(url)
        runs.append(Link(url, url))
        pos = end
    if pos < len(text):
        runs.append(Text(text[pos:]))
    return tuple(runs), diagnostics
