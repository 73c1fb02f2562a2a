"""Reading the parts inside a paragraph: bylines, run-in heads, links.

In: a paragraph's text.  Out: model pieces (``Byline``, a run-in head string,
``Inline`` runs) and the diagnostics for anything removed.
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic
from ..model import Byline, Credit, Inline, Link, Text

# 电头: an agency ending in 讯 or 电 ("本报讯", "新华社北京3月31日电"; traditional
# 訊/電), then bracketed credits.
_BYLINE = re.compile(
    r"^(?P<agency>[^\s（()，。“”：:]{2,24}?(?:讯|电|訊|電))"
    r"(?P<open>[（(])(?P<credits>[^（()）]{2,80})(?P<close>[）)])"
)
# Roles that credit people in a byline (全媒体记者, 通讯员, 实习生 …; and in
# traditional characters: 記者, 通訊員 …).
_ROLE = re.compile(
    r"^[\u4e00-\u9fff]*(?:记者|記者|通讯员|通訊員|实习生|實習生|编辑|編輯|摄影|攝影|摄|攝|作者"
    r"|撰稿|供稿|报道员|報導員|報道員|特约|特約)$")
# A personal name in a byline line: two to four ideographs (with ·).
_PERSON = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")
# A bracketed column tag.
_LABEL = re.compile(r"^[【〖［\[][^【】〖〗［］\[\]]{1,20}[】〗］\]]$")
# Run-in section heads: 一、…。  （一）…。  1. …。 — a short first sentence.
_RUN_IN = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|（[一二三四五六七八九十]{1,3}）|\d{1,2}[.．、](?!\d))"
    r"[^。！？]{1,48}[。！？]"
)
# Links: only http, https and mailto are ever made clickable.
_BRACKETED_URL = re.compile(r"<((?:https?://|mailto:)[^<>\s]+)>")
_BARE_URL = re.compile(r"(?:https?://|mailto:)[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")


def parse_byline(text: str) -> tuple[Byline, str] | None:
    """The byline at the start of a lead paragraph and the text after it, or None."""
    match = _BYLINE.match(text)
    if not match:
        return None
    credits: list[Credit] = []
    for token in match["credits"].split():
        if _ROLE.match(token):
            credits.append(Credit(token, ()))
        elif credits:
            last = credits[-1]
            credits[-1] = Credit(last.role, (*last.names, token))
        else:
            return None  # names with no role: not a byline we can read
    if not credits:
        return None
    brackets = match["open"] + match["close"]
    return Byline(match["agency"], tuple(credits), brackets), text[match.end():]


def parse_byline_line(text: str) -> Byline | None:
    """A byline standing on its own line: 本报记者 张三 李四 (roles and names only)."""
    tokens = text.split()
    if len(tokens) < 2 or not _ROLE.match(tokens[0]):
        return None
    credits: list[Credit] = []
    for token in tokens:
        if _ROLE.match(token):
            credits.append(Credit(token, ()))
        elif _PERSON.match(token):
            last = credits[-1]
            credits[-1] = Credit(last.role, (*last.names, token))
        else:
            return None
    if any(not credit.names for credit in credits):
        return None
    return Byline("", tuple(credits), "")


def is_label(text: str) -> bool:
    """A column tag in brackets standing alone: 【聚焦两会】."""
    return bool(_LABEL.match(text.strip()))


def is_byline(text: str) -> bool:
    """Whether a paragraph opens with a readable byline."""
    return parse_byline(text) is not None


def run_in_head(text: str) -> str:
    """The run-in section head (一、…。) opening a paragraph, or ""."""
    match = _RUN_IN.match(text)
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
