"""Lines to raw blocks: the first reading of a day's text.

In: cleaned text.  Out: a list of ``Raw`` blocks in source order — paragraphs,
short-line groups, tables, name grids, field runs, sign-offs and photo gaps —
each with its line span and the number of blank lines before it.

Nothing here decides what is a headline or an article; ``articles`` does that
from these blocks after ``repair`` has mended column breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .structure import is_label, parse_byline_line
from .text import (
    HEADING_LONG, HEADING_MAX, is_heading_like, is_kicker, is_terminated, parse_date,
    starts_mid_sentence,
)

# A name grid: three or more space-separated names of 2-4 ideographs (with ·).
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")
# A field line: a short label without punctuation, a colon, a value.
_FIELD = re.compile(r"^(?P<label>[\w\u4e00-\u9fff（）()]{2,10}?)(?P<sep>[：:])(?P<value>\S.*)$")
_SENTENCE_MARKS = set("。，；！？")
# A field line's value is short (受理地点：…); so is each plain line under it taken as its
# note, with no sentence in it, and a field takes at most this many: running text is
# the body's, not a field's.
FIELD_VALUE_MAX = 60
FIELD_NOTES_MAX = 3
# Names one a line, this many or more, are a name list (a headline has at most four lines).
NAME_COLUMN_MIN = 5
# A photo gap is two or more blank lines in a row between blocks.
PHOTO_GAP = 2


@dataclass
class Raw:
    """A raw block: ``kind`` is para, lines, table, names, fields, signoff or gap."""

    kind: str
    first: int
    last: int
    gap: int = 0
    text: str = ""
    lines: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    items: list["RawField"] = field(default_factory=list)
    sealed: bool = False  # a sidecar correction settled this paragraph's end
    aligned: bool = False  # a table whose columns were aligned with spaces, not tabs
    # In a text whose paragraphs are indented (``indented_layout``): "flush" for a
    # block set flush left (a headline line), "indented" for one indented (body).
    margin: str = ""
    # A sidecar's settling (``settings.STRUCTURES``): "article" (opens one), "subhead",
    # "kicker", "subtitle" or "credit"; ``parts`` the lines it names kicker or subtitle,
    # as (part, quoted start of the line).
    role: str = ""
    parts: tuple[tuple[str, str], ...] = ()
    parted: bool = False  # a separator line (＊＊＊, ------) stood right before it


@dataclass
class RawField:
    """One ``label：value`` line; ``value`` pieces are text, None marks a line break."""

    label: str
    sep: str
    value: list[str | None]
    first: int
    last: int


def _line_kind(text: str) -> str:
    if "\t" in text:
        return "table"
    tokens = text.split()
    if len(tokens) >= 3 and all(_NAME.match(t) for t in tokens) and not parse_byline_line(text):
        return "names"
    if parse_date(text):
        return "date"
    match = _FIELD.match(text)
    if match and not (_SENTENCE_MARKS & set(match["value"])) \
            and len(match["value"]) <= FIELD_VALUE_MAX \
            and not is_label(text) and not _bracketed(text):
        return "field"  # (第01版：要闻 is a page marker; （作者单位：…） a note)
    return "text"


def _bracketed(text: str) -> bool:
    """A line wholly in round brackets: a note (（作者单位：市第一中学）), not a field."""
    text = text.strip()
    return text[:1] in "（(" and text[-1:] in "）)"


def _names_row(text: str) -> bool:
    tokens = text.split()
    return bool(tokens) and all(_NAME.match(t) for t in tokens)


def _short(text: str) -> bool:
    return len(text) <= HEADING_MAX and not is_terminated(text)


def _stackable(text: str) -> bool:
    """A line that may stand in a stacked group: short and open (a verse line, a
    label), or headline-shaped (a title closing with ” or ）, a kicker ending ——)."""
    return _short(text) or is_kicker(text) or bool(_SPEAKER.match(text)) or bool(
        DATE_NOTE.match(text)) or (
        is_heading_like(text) and not (len(text) >= 20 and "，" in text))


# A speaker's name leading into a headline (王五：), and the date under a speech's
# title (（2020年1月8日）, （二〇二〇年一月八日，北京）).
_SPEAKER = re.compile(r"^[^\s，。、；！？]{2,14}[：:]$")
DATE_NOTE = re.compile(
    r"^[（(][^（()）]{0,12}[0-9〇零一二三四五六七八九十]{1,4}年[^（()）]{0,24}[）)]$")


# A title closing with its column tag: …新城（经济聚焦）.
_TAGGED_TITLE = re.compile(r"[（(][^（()）\d]{2,12}[）)]$")


def _deck(text: str) -> bool:
    """A long subtitle or deck under a stacked headline: no closing mark, no byline."""
    return (not is_terminated(text) and not text.rstrip().endswith(("，", "、"))
            and len(text) <= 2 * HEADING_LONG and parse_byline_line(text) is None)


def _salutation(line: Line) -> bool:
    """In an indented layout, a flush line open at its end (尊敬的各位来宾，, 朋友们：)
    is a salutation, a paragraph of its own: never stacked with a headline's lines."""
    text = line.text.strip()
    return bool(line.margin) and (text.endswith(("，", "、", ",")) or (
        text.endswith(("：", ":")) and not _SPEAKER.match(text)))


def _wrapped(line: str, following: str) -> bool:
    """A line cut by an exporter's fixed width: long, with running-text commas,
    or followed by text that cannot open a sentence."""
    return (len(line) >= 20 and "，" in line) or starts_mid_sentence(following)


# A paragraph indent: two or more spaces, or a full-width or no-break space.
_INDENT = re.compile(r"^(?: {2,}|[\u3000\u00a0])")
# Share of text lines that must be indented for the indent to mark paragraphs.
INDENTED_SHARE = 0.5


def indented_layout(text: str) -> bool:
    """Whether the text marks paragraphs by indenting them, one a line (a CMS or crawl
    export: no blank lines between paragraphs, headlines flush left).  Then every
    indented line is a paragraph of its own and a flush line is a headline line,
    unless it continues a line cut by a fixed width."""
    lines = [line for line in text.split("\n") if line.strip() and "\t" not in line]
    indented = sum(1 for line in lines if _INDENT.match(line))
    return len(lines) >= 4 and indented >= INDENTED_SHARE * len(lines)


class Line(NamedTuple):
    """One line with text: its number, text, the blank lines before it, its kind
    (text, table, names, date, field) and, in an ``indented_layout``, its margin."""

    number: int
    text: str
    gap: int
    kind: str
    margin: str = ""
    parted: bool = False  # a separator line stood before it


def read_lines(text: str, breaks: frozenset[int] = frozenset()) -> list[Line]:
    """Every line with text (see ``Line``).

    A line in ``breaks`` (an emptied separator line) counts as one blank line, and
    the blank lines around it as none: it parts two blocks, it is no photo gap.
    In an ``indented_layout`` an indented line counts as having a blank line before
    it (it is a paragraph of its own), and so does a flush line after an indented
    one, unless that one was cut by a fixed width (long, without a closing mark).
    """
    out: list[Line] = []
    blanks = 0
    collapse = False
    indents = indented_layout(text)
    parted = False
    for number, line in enumerate(text.split("\n"), start=1):
        if number in breaks:
            blanks, collapse, parted = max(blanks, 1), True, True
            continue
        if not line.strip():
            blanks += 0 if collapse else 1
            continue
        collapse = False
        margin = ""
        if indents and "\t" not in line:
            margin = "indented" if _INDENT.match(line) else "flush"
            before = out[-1] if out else None
            cut = before is not None and not is_terminated(before.text) and len(before.text) >= 20
            if margin == "indented" or (before and before.margin == "indented" and not cut):
                blanks = max(blanks, 1)
        if "\t" not in line:
            line = line.strip(" \u3000\u00a0")  # paragraph indents are layout, not text
        out.append(Line(number, line, blanks, _line_kind(line), margin, parted))
        blanks, parted = 0, False
    return out


def _table_row(line: str) -> list[str]:
    return [cell.strip(" \u3000") for cell in line.split("\t")]


def to_blocks(text: str, breaks: frozenset[int] = frozenset()) -> list[Raw]:
    """Group lines into raw blocks (see the module docstring); ``breaks``: see
    ``read_lines``."""
    lines = read_lines(text, breaks)
    blocks: list[Raw] = []
    i = 0
    while i < len(lines):
        number, line, gap, kind, *_ = lines[i]
        if gap >= PHOTO_GAP and blocks:
            blocks.append(Raw("gap", number - gap, number - 1, gap=gap))
            gap = 0
        # The following lines that sit directly under this one (no blank line).
        j = i + 1
        while j < len(lines) and lines[j][2] == 0:
            j += 1
        run = lines[i:j]
        consumed = _group(run, gap, blocks)
        i += consumed
    return blocks


# Columns aligned with runs of spaces (two or more, half- or full-width).
_ALIGNED = re.compile(r"[ \u3000]{2,}")


def _aligned_cells(line: str) -> list[str]:
    """The cells of a line whose columns are aligned with spaces (at least three), else []."""
    if _SENTENCE_MARKS - {"，"} & set(line):
        return []
    cells = [cell for cell in _ALIGNED.split(line.strip()) if cell]
    return cells if len(cells) >= 3 else []


def _group(run: list[Line], gap: int, blocks: list[Raw]) -> int:
    """Make one block from the start of a run of adjacent lines; return lines used."""
    before = len(blocks)
    used = _block(run, gap, blocks)
    if len(blocks) > before:
        blocks[-1].margin, blocks[-1].parted = run[0].margin, run[0].parted
    return used


def _block(run: list[Line], gap: int, blocks: list[Raw]) -> int:
    """``_group``'s work: append the block, return the lines it took."""
    number, line, _, kind, *_ = run[0]
    # Two or more lines in the same number of space-aligned columns: a table.  Its head
    # may look like a names row (排名  球队  积分); the rows below it may not.
    width = len(_aligned_cells(line)) if kind in ("text", "names") else 0
    end = 1
    while width and end < len(run) and run[end][3] == "text" and len(
            _aligned_cells(run[end][1])) == width:
        end += 1
    if width and end >= 2:
        rows = [_aligned_cells(r[1]) for r in run[:end]]
        blocks.append(Raw("table", number, run[end - 1][0], gap=gap, rows=rows, aligned=True))
        return end
    if kind == "table":
        end = next((k for k, r in enumerate(run) if r[3] != "table"), len(run))
        rows = run[:end]
        table = [_table_row(r[1]) for r in rows if r[1].replace("\t", "").strip()]
        if table:
            blocks.append(Raw("table", number, rows[-1][0], gap=gap, rows=table))
        return end
    if kind == "names":
        # The grid's last row may hold fewer than three names.
        end = next((k for k, r in enumerate(run)
                    if r[3] != "names" and not _names_row(r[1])), len(run))
        names = [n for r in run[:end] for n in r[1].split()]
        blocks.append(Raw("names", number, run[end - 1][0], gap=gap, lines=names))
        return end
    if kind == "field":
        return _fields(run, gap, blocks)
    if kind == "date":
        blocks.append(Raw("signoff", number, number, gap=gap, lines=[line.strip()]))
        return 1
    # Short lines stacked without blank lines: a sign-off when a date closes them,
    # else a group (a column label, a multi-line title, a verse).  A headline's
    # lines may end with a closing quote or bracket, and the last of them (a long
    # subtitle or deck, before a blank line) may be long.
    end = 1
    while end < len(run) and run[end][3] == "text" and _stackable(run[end][1]) \
            and _stackable(line) and not _salutation(run[end]) and not _salutation(run[0]):
        end += 1
    if end == 1 and len(run) == 2 and (_deck(line) or line.rstrip().endswith("……")) \
            and "。" not in line and run[1][3] == "text" \
            and _TAGGED_TITLE.search(run[1][1].strip()) and "。" not in run[1][1] \
            and len(run[1][1].strip()) <= HEADING_MAX:
        end = 2  # a long deck (引题) over a title that carries its column tag
    if end == len(run) - 1 and end >= 1 and run[end][3] == "text" and _deck(run[end][1]) \
            and all(len(r[1]) <= HEADING_MAX and _stackable(r[1]) for r in run[:end]):
        end += 1
    if end < len(run) and run[end][3] == "date" and all(_short(r[1]) for r in run[:end]):
        lines = [r[1].strip() for r in run[: end + 1]]
        blocks.append(Raw("signoff", number, run[end][0], gap=gap, lines=lines))
        return end + 1
    if end >= NAME_COLUMN_MIN and all(_NAME.match(r[1].strip()) for r in run[:end]):
        # A column of names, one a line (an honours list): a name list, not a headline.
        blocks.append(Raw("names", number, run[end - 1][0], gap=gap,
                          lines=[r[1].strip() for r in run[:end]]))
        return end
    if end > 1:
        blocks.append(Raw("lines", number, run[end - 1][0], gap=gap,
                          lines=[r[1].strip() for r in run[:end]]))
        return end
    # A paragraph; lines hard-wrapped inside it (a long line without a closing
    # mark, followed directly by more text) are joined back.
    text = line.strip()
    last = number
    k = 1
    # (In an indented layout a flush line is cut only when it is long: lines set
    # flush one under another are a salutation or a headline's parts.)
    while (k < len(run) and run[k][3] == "text" and not is_terminated(text)
           and (not is_heading_like(text) or _wrapped(text, run[k][1]))
           and (not run[k].margin or len(text) >= 20)):
        text += run[k][1].strip()
        last = run[k][0]
        k += 1
    blocks.append(Raw("para", number, last, gap=gap, text=text))
    return k


def _fields(run: list[Line], gap: int, blocks: list[Raw]) -> int:
    """Field lines, each taking the plain text lines directly under it as notes."""
    items: list[RawField] = []
    k = 0
    while k < len(run) and (run[k][3] == "field" or (
            items and run[k][3] == "text" and len(run[k][1].strip()) <= FIELD_VALUE_MAX
            and not _SENTENCE_MARKS & set(run[k][1])
            and items[-1].value.count(None) < FIELD_NOTES_MAX)):
        number, line, _, kind, *_ = run[k]
        if kind == "field":
            match = _FIELD.match(line)
            assert match
            items.append(RawField(match["label"], match["sep"], [match["value"]], number, number))
        else:
            items[-1].value.extend([None, line.strip()])
            items[-1].last = number
        k += 1
    # Consecutive field runs separated by single blank lines become one block.
    if blocks and blocks[-1].kind == "fields" and gap == 1:
        blocks[-1].items.extend(items)
        blocks[-1].last = items[-1].last
    else:
        blocks.append(Raw("fields", items[0].first, items[-1].last, gap=gap, items=items))
    return k
