"""Chinese typography (W3C clreq) applied to plain text before rendering.

In:  a ``str`` of running text: one paragraph, or one inline run of it.
Out: ``markupsafe.Markup``: the same text, HTML-escaped, with ``<span>``
     marks whose rules are in ``layouts/typography.css`` (shared by the PDF
     and the EPUB):

     ``<span class="pc">``  adjacent punctuation compression (clreq §3.1.6):
                            the mark whose blank half faces its neighbour is
                            set half-width with the OpenType ``halt``
                            feature, so the pair takes 1.5em instead of 2em;
     ``<span class="lt">``  the Han/Western gap (clreq §3.2.2) as both editions
                            set it (``whole_runs``): a whole Western run next
                            to Han, with ``gb``/``ga`` for a gap before/after
                            it, its margin, so that no word or number is parted
                            by markup (a screen reader reads 2020, not 202 and
                            0); the e-book's reading system may draw the gap
                            itself (``text-autospace``), the PDF draws the
                            margin as character spacing
                            (``weasyprint_ext.cjk_justify``);
     ``<span class="hl">``  the same gap without ``whole_runs``: trailing
                            letter-spacing on the character before a
                            Han/Latin or Han/digit boundary (the editions
                            used it before; kept for other callers);
     ``<span class="nb">``  no line break inside (``white-space: nowrap``):
                            "——" and "……" (clreq §3.1.7, never split), and
                            the last two Han characters of a paragraph with
                            their closing punctuation, so that the last line
                            is never a single character (clreq 7.1.2,
                            widows and orphans).

The text content of the result (tags stripped, entities unescaped) is the
input, exactly: nothing is inserted, removed or normalised here.  The
Han/Western gap is made with letter-spacing rather than a space character (it
would be in the text) or a margin (a jump between boxes, which text extractors
read as a space from about 0.1em).  In the PDF, ``pipeline.weasyprint_ext.cjk_justify``
draws a box's trailing letter-spacing as character spacing inside an
ActualText span, which neither pdftotext nor pypdf reads as a space.

clreq section numbers here are those the project cites (§3.1.6 adjacent
punctuation, §3.1.7 line-start/line-end prohibitions, §3.2.2 Han/Western
spacing); the current W3C Note numbers these 6.3.2, 6.1.1-6.1.2 and 6.3.3, and
has widows and orphans in 7.1.2.

Why the mark goes on the character *before* a boundary: CSS letter-spacing
(and WeasyPrint) put the spacing after the character, so the gap falls on
the boundary.  ``pipeline.weasyprint_ext.cjk_justify`` removes it when that character
ends a line (clreq §3.2.2: no gap at line edges).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from markupsafe import Markup, escape

#: The stylesheet holding the rules for the classes emitted here.
TYPOGRAPHY_CSS_PATH = Path(__file__).resolve().parent.parent / "layouts" / "typography.css"
#: The Han/Western gap that ``layouts/typography.css`` sets for ``.hl``.
DEFAULT_HAN_LATIN_SPACE = "0.125em"
#: The custom property through which ``.hl`` reads its letter-spacing.
HAN_LATIN_SPACE_PROPERTY = "--paiban-han-latin-space"

# clreq §3.1.6 and §3.1.7: full-width punctuation by the side of its blank
# half (in traditional editions the stops are centred: ``_compressed``).  Opening brackets and quotes have the blank half on their left;
# closing ones and the pause/stop marks (as set in Simplified Chinese, where
# they sit in the lower left of the em square) on their right.  Only marks
# whose ``halt`` form in Noto CJK SC is 0.5em wide are listed.
OPENING = frozenset("“‘（《〈「『【〔〖［｛")
CLOSING = frozenset("”’）》〉」』】〕〗］｝")
STOPS = frozenset("、，。．：；！？")

# clreq §3.1.7 (6.1.2 in the current Note, unbreakable marks): the dash and
# the ellipsis are two em wide and never split.
_KEEP_TOGETHER = re.compile("\u2014{2,}|\u2026{2,}|\u2015{2,}|\u22ef{2,}")
# A longer run (a rule drawn with dashes) is not kept together, so that it wraps
# instead of running off the page; the widow guard likewise takes at most this
# many marks along.
_KEEP_MAX = 4

_CSS_LENGTH = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:em|rem|ex|ch|pt|px|mm|cm|in|pc)")
_ZERO_LENGTH = re.compile(r"(?:0+(?:\.0*)?|\.0+)(?:em|rem|ex|ch|pt|px|mm|cm|in|pc)?")

_OPEN_NB = Markup('<span class="nb">')
_OPEN_PC = Markup('<span class="pc">')
_OPEN_HL = Markup('<span class="hl">')
_CLOSE = Markup("</span>")


def is_han(char: str) -> bool:
    """Whether ``char`` is a Han ideograph (or kana), the "Han" of clreq §3.2.2."""
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF
            or 0x20000 <= code <= 0x3FFFF or 0xF900 <= code <= 0xFAFF
            or 0x3040 <= code <= 0x30FF or code in (0x3005, 0x3007))


def is_western(char: str) -> bool:
    """Whether ``char`` is a Western letter or digit (clreq §3.2.2).

    Latin, Greek and Cyrillic letters and digits, and the percent and per
    mille signs that belong to a number ("3.5%的").
    """
    if char in "%\u2030":
        return True
    code = ord(char)
    if code >= 0x0530 or not char.isalnum():
        return False
    return unicodedata.category(char)[0] in "LN"


def _compressed(text: str, centred_stops: bool = False) -> set[int]:
    """Indexes of the marks to set half-width (clreq §3.1.6).

    For a pair of adjacent full-width marks the blank halves that face each
    other are those of a closing/stop mark on the left or of an opening mark
    on the right; halving the left one when it is closing or a stop, else the
    right one when it is opening, makes every such pair 1.5em.

    With ``centred_stops`` (Taiwan / Hong Kong forms: the stops' blank is split
    on both sides, and clreq 6.3.2 notes that much of Taiwan's print adjusts no
    stop) only brackets and quotes are halved: a closing one before any mark, an
    opening one after a stop or another opening one — clreq's basic compression
    of brackets next to other marks, "whatever the style", with each bracket
    kept against the text it encloses.  A stop is never halved; 。」 and ，。
    stay 2em.
    """
    marks: set[int] = set()
    for i in range(len(text) - 1):
        left, right = text[i], text[i + 1]
        if centred_stops:
            if left in CLOSING and (right in OPENING or right in CLOSING or right in STOPS):
                marks.add(i)
            elif right in OPENING and (left in OPENING or left in STOPS):
                marks.add(i + 1)
        elif left in CLOSING or left in STOPS:
            if right in OPENING or right in CLOSING or right in STOPS:
                marks.add(i)
        elif left in OPENING and right in OPENING:
            marks.add(i + 1)
    return marks


def _han_latin_gaps(text: str) -> set[int]:
    """Indexes of the characters followed by a Han/Western boundary."""
    return {
        i for i in range(len(text) - 1)
        if (is_han(text[i]) and is_western(text[i + 1]))
        or (is_western(text[i]) and is_han(text[i + 1]))
    }


def _widow_range(text: str) -> tuple[int, int] | None:
    """The end of a paragraph to keep on one line (clreq 7.1.2, widows).

    The last two Han characters with everything after them, provided that
    is only closing marks, stops, dashes or ellipses; ``None`` otherwise.
    """
    end = len(text)
    i = end
    while i > 0 and (text[i - 1] in CLOSING or text[i - 1] in STOPS
                     or text[i - 1] in "\u2014\u2026"):
        i -= 1
    if end - i > _KEEP_MAX:
        return None
    if i >= 2 and is_han(text[i - 1]) and is_han(text[i - 2]):
        start = i - 2
        # An opening mark may not end a line (clreq §3.1.7): take it along.
        while start > 0 and text[start - 1] in OPENING:
            start -= 1
        return (start, end) if start > 0 else None
    return None


def _keep_together(text: str, paragraph_end: bool) -> list[tuple[int, int]]:
    """Disjoint, sorted [start, end) ranges to wrap in ``<span class="nb">``.

    A run longer than ``_KEEP_MAX`` (a rule drawn with dashes) is left to the line
    breaker, which may then break it rather than let it run off the page.
    """
    ranges = [match.span() for match in _KEEP_TOGETHER.finditer(text)
              if match.end() - match.start() <= _KEEP_MAX]
    if paragraph_end and (widow := _widow_range(text)):
        ranges.append(widow)
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark_count(text: str) -> int:
    """How many spans ``typeset`` makes in ``text`` (compressed punctuation,
    Han/Western gaps, no-break runs): what a layout engine's time grows with, at
    about one per 35 characters of news text."""
    return len(_compressed(text) | _han_latin_gaps(text)) + len(_keep_together(text, False))


def _hl_open_tag(han_latin_space: str) -> Markup | None:
    """The opening tag of a Han/Western gap, or None for no gap."""
    if _ZERO_LENGTH.fullmatch(han_latin_space):
        return None
    if not _CSS_LENGTH.fullmatch(han_latin_space):
        raise ValueError(f"han_latin_space must be a CSS length, got {han_latin_space!r}")
    if han_latin_space == DEFAULT_HAN_LATIN_SPACE:
        return _OPEN_HL
    # A one-off value: set the custom property that .hl reads.  A stylesheet
    # change of --paiban-han-latin-space is preferred (it needs no inline
    # style), this is for exceptions.  The value is validated above.
    return Markup('<span class="hl" style="{}: {}">').format(
        HAN_LATIN_SPACE_PROPERTY, han_latin_space)


# Marks inside a Western word or number (3.5, 1,000, 10:30, COVID-19, don't).
_INSIDE_WESTERN = frozenset(".,:/-'+_&")


# In vertical text a number of at most this many digits stands upright in one em
# (clreq §3.3, 縱中橫 / tate-chu-yoko); a longer one is turned on its side.
UPRIGHT_MAX = 2


def _western_runs(text: str, gaps: set[int], upright: bool = False) -> dict[int, tuple[int, str]]:
    """The Western runs that meet Han at a gap, by start: (end, classes) — ``gb`` when
    Han stands before the run, ``ga`` when Han follows it; with ``upright`` (vertical
    text), every run of at most ``UPRIGHT_MAX`` ASCII digits too, with ``tcy``."""
    runs: dict[int, tuple[int, str]] = {}
    i = 0
    while i < len(text):
        if not is_western(text[i]):
            i += 1
            continue
        start = i
        while i < len(text) and (is_western(text[i]) or (
                text[i] in _INSIDE_WESTERN and i + 1 < len(text) and is_western(text[i + 1]))):
            i += 1
        sides = ["gb"] if start - 1 in gaps else []
        if i - 1 in gaps:
            sides.append("ga")
        if upright and i - start <= UPRIGHT_MAX and text[start:i].isascii() \
                and text[start:i].isdigit():
            sides.append("tcy")
        if sides:
            runs[start] = (i, " ".join(sides))
    return runs


def typeset(text: str, *, han_latin_space: str = DEFAULT_HAN_LATIN_SPACE,
            paragraph_end: bool = True, before: str = "", after: str = "",
            whole_runs: bool = False, upright: bool = False,
            centred_stops: bool = False) -> Markup:
    """Return ``text`` as escaped HTML with the clreq marks described above.

    ``han_latin_space`` is the Han/Western gap; "0" emits no gap marks.
    ``paragraph_end`` says that ``text`` ends its paragraph, which enables the
    widow-character guard; pass False for an inline run followed by more
    text of the same paragraph.  ``before`` and ``after`` are the text on either
    side in the same line of text (the byline before the lead, a bold or linked
    run): a punctuation pair or a Han/Western boundary across the edge is marked
    on this side as it would be inside one run (clreq wants 1.5em for ）“ whether or
    not a span parts the marks); only their nearest characters are read.
    ``whole_runs`` marks each Han/Western gap on the whole Western run (``lt``)
    instead of on the character before the boundary (``hl``): both editions' way;
    ``upright`` (vertical text, with ``whole_runs``) also marks short numbers
    ``tcy``, to stand upright.  ``centred_stops``: the edition's stops are centred
    (traditional characters), so only brackets and quotes are compressed
    (``_compressed``).  Never
    raises for any ``text``; raises ValueError if ``han_latin_space`` is not a
    CSS length.
    """
    hl_tag = _hl_open_tag(han_latin_space)
    context = before[-1:] + text + after[:1]
    shift = len(before[-1:])

    def inside(found: set[int]) -> set[int]:
        return {i - shift for i in found if 0 <= i - shift < len(text)}

    compressed = inside(_compressed(context, centred_stops))
    gaps = inside(_han_latin_gaps(context)) if hl_tag is not None else set()
    runs: dict[int, tuple[int, str]] = {}
    if whole_runs and (hl_tag is not None or upright):
        # The gaps with the neighbours' (index -1: Han just before the text).
        found = {i - shift for i in _han_latin_gaps(context)} if hl_tag is not None else set()
        runs = _western_runs(text, found, upright)
        gaps = set()
    keep = _keep_together(text, paragraph_end)
    if runs:  # a run inside a no-break range (none is known) keeps the range, no gap
        runs = {start: (end, sides) for start, (end, sides) in runs.items()
                if not any(a < end and start < b for a, b in keep)}
    starts = {start for start, _ in keep}
    ends = {end for _, end in keep}
    run_ends = {end for end, _ in runs.values()}
    lt_style = "" if han_latin_space == DEFAULT_HAN_LATIN_SPACE else han_latin_space

    parts: list[Markup] = []
    plain_start = 0  # start of the pending run of unmarked characters

    def flush(until: int) -> None:
        if until > plain_start:
            parts.append(escape(text[plain_start:until]))

    for i, char in enumerate(text):
        opens = i in starts
        tag = _OPEN_PC if i in compressed else hl_tag if i in gaps else None
        if opens or tag is not None or i in ends or i in runs or i in run_ends:
            flush(i)
            plain_start = i
        if i in ends or i in run_ends:
            parts.append(_CLOSE)
        if opens:
            parts.append(_OPEN_NB)
        if i in runs:
            parts.append(_lt_open_tag(runs[i][1], lt_style))
        if tag is not None:
            parts.append(tag + escape(char) + _CLOSE)
            plain_start = i + 1
    flush(len(text))
    if len(text) in ends or len(text) in run_ends:
        parts.append(_CLOSE)
    return Markup("").join(parts)


def _lt_open_tag(sides: str, space: str) -> Markup:
    """The opening tag of a whole Western run with its gap sides (see ``typeset``)."""
    if not space:
        return Markup('<span class="lt {}">').format(sides)
    return Markup('<span class="lt {}" style="{}: {}">').format(
        sides, HAN_LATIN_SPACE_PROPERTY, space)
