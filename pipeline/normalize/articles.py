"""Raw blocks to articles: where each article starts and what its headline is.

In: repaired raw blocks.  Out: ``Article``s (model) and diagnostics.

An article starts at a *heading run*: consecutive heading-shaped lines (short,
no full stop), stacked short-line groups (a column label) and photo gaps, with
no body text between them; a credit line (…摄, 版式设计：…) is never one.
Whether a run opens a new article or is a subhead of the current one is
``openers.judge``'s scored decision (P120 for a subhead, P123 for a close
call; a sidecar ``article:`` or ``subhead:`` line settles it).  Inside a new
article's run: kickers first, then title lines
(a couplet of equal length is two title lines, otherwise the second line is
the subtitle), and after a gap or label, further lines are the body's first
subheads.  A second reading (``to_articles``) opens an article at subhead runs
that the first reading's whole articles show to be headlines: a subhead alone in
its article, a lone pair of heading lines after the text, a subhead with only a
photo gap under it (each a P123 doubt with its sidecar line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..diagnostics import Diagnostic
from ..model import (
    Article, Block, Byline, Credit, Field, Fields, Headline, Heading, LineBreak, NameList,
    Paragraph, PhotoGap, SignOff, Span, Table,
)
from .blocks import DATE_NOTE, Raw
from .openers import TITLE_TAG, Context, Verdict, judge, stacked_layout
from .structure import (
    inlines, is_byline, is_credit_line, is_label, parse_byline, parse_byline_line,
    run_in_head, split_label,
)
from .text import SENTENCE_END, is_author_name, is_heading_like, is_kicker

# A two-line title is a couplet (对仗) when its lines differ by at most this much.
COUPLET_SLACK = 1
COUPLET_MAX = 12


# A headline (kicker, title lines, subtitle, a tag) has at most this many stacked lines;
# more are verse or a list.
HEAD_LINES_MAX = 4


# Sidecar settlings that start a heading run of their own, and those that put a line
# in a headline (the run then opens an article).
_OPENING = ("article", "kicker")
_HEADLINE_PART = ("article", "kicker", "subtitle")


def _is_head_element(block: Raw) -> bool:
    if block.role in _HEADLINE_PART:
        return True
    if block.role == "credit":
        return False
    if block.kind == "lines":
        return len(block.lines) <= HEAD_LINES_MAX
    return (block.kind == "para" and is_heading_like(block.text)
            and not is_byline(block.text) and not run_in_head(block.text)
            and not is_credit_line(block.text))


@dataclass
class _Draft:
    headline: Headline
    label: tuple[str, ...] = ()
    byline: Byline | None = None
    body: list[Block] = field(default_factory=list)
    first: int = 0
    last: int = 0
    signed: bool = False
    last_block: Raw | None = None  # the last raw block read into the body

    def headline_text(self) -> str:
        h = self.headline
        return h.kicker + "".join(h.titles) + h.subtitle

    def add(self, block: Block, last: int) -> None:
        self.body.append(block)
        self.last = max(self.last, last)

    def done(self) -> Article:
        return Article(self.headline, tuple(self.body), Span(self.first, self.last),
                       self.label, self.byline)


# A subtitle by its form: a dash before it (——访…), a date or place in brackets under a
# speech's title (（2020年1月8日）), who attended (王五出席并讲话, 赵六主持), or the
# author's name (任仲平: then read as the byline, P122).
_ATTENDANCE = re.compile(r"(?:出席|主持|讲话|講話|致辞|致辭|观看|觀看|陪同)(?:并讲话|並講話|会议|會議)?$")


def _is_subtitle(line: str) -> bool:
    return (line.startswith(("——", "—", "--")) or bool(DATE_NOTE.match(line))
            or bool(_ATTENDANCE.search(line)) or is_author_name(line))


def _leads_in(line: str) -> bool:
    """A kicker by its end: a dash into the title (…——), or a speaker's colon (王五：)."""
    return is_kicker(line) or (line.rstrip().endswith(("：", ":")) and len(line) <= 16)


def _couplet(a: str, b: str) -> bool:
    """Two title lines of (nearly) equal length, short: a couplet (对仗)."""
    return abs(len(a) - len(b)) <= COUPLET_SLACK and max(len(a), len(b)) <= COUPLET_MAX


def _split_headline(lines: list[str], stacked: bool = True) -> Headline:
    """Kicker (引题), title lines (主题) and subtitle (副题) of a headline's lines.

    Lines ending in —— or a speaker's colon are kickers.  Of two lines, the first
    is the kicker when only the second carries the column tag (it closes the title
    line).  Of two lines left, the
    second is the subtitle when its form says so (_is_subtitle), when the first
    carries the column tag, or when a kicker was already found; two short lines
    of equal length are a couplet (two title lines).  Otherwise, when the lines
    were ``stacked`` as the page set them, the first is the kicker and the second
    the title — the common two-line headline (引题 + 主题); a dump that parts the
    lines with blank lines lists title before subtitle.  Three lines are kicker,
    title and subtitle.
    """
    kickers = []
    while len(lines) > 1 and _leads_in(lines[0]):
        kickers.append(lines.pop(0))
    subtitle = ""
    if len(lines) >= 2:
        a, b = lines[-2], lines[-1]
        couplet = _couplet(a, b)
        if len(lines) == 2 and not kickers and TITLE_TAG.search(b) and not TITLE_TAG.search(a) \
                and not _is_subtitle(b):
            kickers.append(lines.pop(0))  # the column tag closes the title line (主题)
        elif _is_subtitle(b) or kickers or (len(lines) == 2 and TITLE_TAG.search(a)):
            subtitle = lines.pop()
        elif (len(lines) >= 3 or not stacked) and not couplet:
            subtitle = lines.pop()
        elif not couplet:
            kickers.append(lines.pop(0))
        if len(lines) >= 2 and not kickers and not _couplet(lines[0], lines[1]):
            kickers.append(lines.pop(0))
    return Headline(titles=tuple(lines), kicker="".join(kickers), subtitle=subtitle)


def _gap(block: Raw) -> PhotoGap:
    return PhotoGap(block.gap, Span(block.first, block.last))


# Column tags stacked under a headline are few (安全生产三年行动 / 应急科普).
_MAX_TAG_LINES = 3


def _open_article(run: list[Raw], diagnostics: list[Diagnostic],
                  stacked: bool = False) -> tuple[_Draft, list[tuple[Block, int]]]:
    """A new article's draft from its heading run, and blocks that start its body.

    In a text that stacks its headlines (``stacked``), a heading line standing
    apart after the headline is no part of it: a deck, a box label (内容提要), the
    body's first subhead."""
    lines: list[str] = []
    label: tuple[str, ...] = ()
    body: list[tuple[Block, int]] = []
    byline: Byline | None = None
    after_break = False
    together = False  # the headline's lines were stacked as the page set them
    parts: dict[str, list[str]] = {"kicker": [], "subtitle": []}  # named by the sidecar
    for block in _unstack(run):
        if block.parts:
            for line in (block.lines if block.kind == "lines" else [block.text]):
                part = next((p for p, quoted in block.parts if line.startswith(quoted)), "")
                (parts[part] if part else lines).append(line)
            together = together or block.kind == "lines"
        elif block.kind == "gap":
            body.append((_gap(block), block.last))
            after_break = True
        elif block.kind == "lines" and lines and len(block.lines) > _MAX_TAG_LINES:
            # Four or more stacked lines after a headline are no tags: verse, the body's start.
            body.append((_body_block(block, diagnostics), block.last))
            after_break = True
        elif block.kind == "lines" and lines:  # after the headline: its tags, or a subhead
            if label:
                body.append((Heading(" ".join(block.lines), Span(block.first, block.last)), block.last))
            else:
                label = tuple(block.lines)
            after_break = True
        elif block.kind == "lines":
            lines.extend(block.lines)
            together = together or len(block.lines) > 1
        elif is_label(block.text) and not lines and not label:
            label = (block.text,)
        elif byline is None and parse_byline_line(block.text):
            byline = parse_byline_line(block.text)
        elif stacked and not after_break and not label and len(lines) == 1 \
                and TITLE_TAG.search(block.text) and not TITLE_TAG.search(lines[0]):
            # A column tag closes the title line (主题): the line above it is the kicker.
            lines.append(block.text)
        elif after_break or (stacked and lines):
            body.append((Heading(block.text, Span(block.first, block.last)), block.last))
            after_break = True
        elif not lines and not label and (tagged := split_label(block.text)):
            label, title = (tagged[0],), tagged[1]  # 【两会聚焦】代表委员热议…
            lines.append(title)
        else:
            lines.append(block.text)
    if parts["kicker"] or parts["subtitle"]:
        # The sidecar named parts of the headline: the other lines are its title lines.
        headline = Headline(titles=tuple(lines or parts["kicker"]),
                            kicker="".join(parts["kicker"]) if lines else "",
                            subtitle="".join(parts["subtitle"]))
    else:
        headline = _split_headline(lines, together)
    if byline is None and headline.titles and is_author_name(headline.subtitle):
        # An author's name set under the headline (a commentary's): the article's byline.
        byline = Byline("", (Credit("", (headline.subtitle,), spaced=False),), "")
        diagnostics.append(Diagnostic(
            "P122", run[0].first, f"read {headline.subtitle} under the headline as its "
            "author's name (the byline), not a subtitle"))
        headline = replace(headline, subtitle="")
    draft = _Draft(headline, label=label, byline=byline,
                   first=run[0].first, last=run[-1].last)
    return draft, body


def _unstack(run: list[Raw]) -> list[Raw]:
    """Split a stacked group whose lines play different parts (a bracketed tag, a
    byline line) into one block per line, so each can be read for its part."""
    out = []
    for block in run:
        if block.kind == "lines" and any(
                is_label(line) or parse_byline_line(line) for line in block.lines):
            for k, line in enumerate(block.lines):
                parts = tuple(p for p in block.parts if line.startswith(p[1]))
                role = parts[0][0] if parts else (
                    block.role if k == 0 and block.role not in ("kicker", "subtitle") else "")
                out.append(Raw("para", block.first + k, block.first + k, text=line,
                               role=role, parts=parts))
        else:
            out.append(block)
    return out


def _paragraph(block: Raw, diagnostics: list[Diagnostic]) -> Paragraph:
    head = run_in_head(block.text)
    runs, found = inlines(block.text[len(head):], block.first)
    diagnostics.extend(found)
    return Paragraph(runs, Span(block.first, block.last), head)


def _table(block: Raw, diagnostics: list[Diagnostic]) -> Table:
    header, *rows = block.rows
    if block.aligned:
        diagnostics.append(Diagnostic(
            "P132", block.first, f"read {len(block.rows)} lines of space-aligned columns "
            f"as a table of {len(header)} columns"))
    width = len(header)
    fixed = []
    for offset, row in enumerate(rows, start=1):
        line = block.first + offset
        if len(row) < width:
            diagnostics.append(Diagnostic(
                "P130", line, f"table row has {len(row)} cells, header {width}; padded"))
            row = row + [""] * (width - len(row))
        elif len(row) > width:
            diagnostics.append(Diagnostic(
                "P131", line, f"table row has {len(row)} cells, header {width}; "
                f"last {len(row) - width + 1} joined"))
            row = row[: width - 1] + [" ".join(row[width - 1:])]
        fixed.append(tuple(row))
    return Table(tuple(header), tuple(fixed), Span(block.first, block.last))


def _fields(block: Raw, diagnostics: list[Diagnostic]) -> Fields:
    items = []
    for item in block.items:
        value: list = []
        for piece in item.value:
            if piece is None:
                value.append(LineBreak())
            else:
                runs, found = inlines(piece, item.first)
                diagnostics.extend(found)
                value.extend(runs)
        items.append(Field(item.label, tuple(value), Span(item.first, item.last), item.sep))
    return Fields(tuple(items), Span(block.first, block.last))


def _body_block(block: Raw, diagnostics: list[Diagnostic]) -> Block:
    span = Span(block.first, block.last)
    match block.kind:
        case "para":
            return _paragraph(block, diagnostics)
        case "lines":
            runs: list = []
            for line in block.lines:
                if runs:
                    runs.append(LineBreak())
                found_runs, found = inlines(line, block.first)
                diagnostics.extend(found)
                runs.extend(found_runs)
            return Paragraph(tuple(runs), span)
        case "table":
            return _table(block, diagnostics)
        case "names":
            return NameList(tuple(block.lines), span)
        case "fields":
            return _fields(block, diagnostics)
        case "signoff":
            return SignOff(tuple(block.lines[:-1]), block.lines[-1], span)
        case "gap":
            return _gap(block)
    raise ValueError(f"unknown raw block kind {block.kind}")


def _subhead(block: Raw) -> Block:
    """A heading-run block read as part of the current article's body."""
    span = Span(block.first, block.last)
    if block.kind == "gap":
        return _gap(block)
    if block.kind == "lines":
        return Heading(" ".join(block.lines), span)
    return Heading(block.text, span)


# A quoted sentence (“…！”, “…。”): an article's last words when a stacked headline follows.
_QUOTED_SENTENCE = re.compile(r"^[“「].*[。！？!?…][”」]$")


def _headline_after_gap(blocks: list[Raw], start: int, at: int) -> bool:
    """A gap at ``at`` parts two headlines: a headline before it (no kicker's lead-in
    at its end), and after it a title line whose text opens with a byline, or which
    carries a column tag (…（文化脉动）).  The first is an article with no text but
    its picture (the gap)."""
    if blocks[at].kind != "gap" or not any(b.kind != "gap" for b in blocks[start:at]):
        return False
    after = at
    while after < len(blocks) and blocks[after].kind == "gap":
        after += 1
    if after + 1 >= len(blocks):
        return False
    title, lead, last = blocks[after], blocks[after + 1], blocks[at - 1]
    if title.kind != "para" or not _is_head_element(title) or _is_subtitle(title.text) \
            or not (lead.kind == "para" and is_byline(lead.text) or TITLE_TAG.search(title.text)):
        return False
    before = last.lines[-1] if last.kind == "lines" else last.text
    return last.kind != "gap" and not _leads_in(before)


def _heading_run(blocks: list[Raw], start: int) -> int:
    """The end of the heading run starting at ``start`` (``start`` itself: none).  A
    quoted sentence right before a stacked headline is the article's last paragraph;
    in an indented layout, indented lines before a flush headline stay with the body."""
    after = next((b for b in blocks[start + 1:] if b.kind != "gap"), None)
    if blocks[start].kind == "para" and after is not None and after.kind == "lines" \
            and not blocks[start].role and _QUOTED_SENTENCE.match(blocks[start].text.strip()):
        return start
    end = start
    while end < len(blocks) and (_is_head_element(blocks[end]) or blocks[end].kind == "gap") \
            and not (end > start and blocks[end].role in _OPENING) \
            and not (end > start and blocks[end].margin == "flush"
                     and blocks[end - 1].margin == "indented") \
            and not (end > start and _headline_after_gap(blocks, start, end)):
        end += 1
    while end > start and blocks[end - 1].kind == "gap":
        end -= 1  # a trailing gap belongs to the body that follows
    return end


def _opens_article(current: _Draft | None, run: list[Raw], following: Raw | None,
                   stacked: bool, diagnostics: list[Diagnostic],
                   promoted: Mapping[int, str] | None = None) -> Verdict:
    """``openers.judge`` on the run, settled by a sidecar ``article:``/``subhead:``
    line where there is one, or by ``promoted`` (the first lines of runs read as
    headlines on a second look, with why: ``_second_look``); P120 and P123 report
    what was decided."""
    context = Context() if current is None else Context(
        headline=current.headline_text(), open=True, signed=current.signed,
        last=current.last_block, stacked_layout=stacked)
    verdict = judge(run, following, context)
    first = run[0] if run[0].kind != "gap" else run[-1]
    shown = (first.lines[0] if first.kind == "lines" else first.text)[:16]
    why = "; ".join(verdict.reasons)
    settled = next((b.role for b in run if b.role in (*_HEADLINE_PART, "subhead")), "")
    if settled:  # a sidecar line settled it (P150 was reported when it was read)
        return replace(verdict, opens=settled in _HEADLINE_PART)
    if promoted and first.first in promoted and not verdict.opens:
        diagnostics.append(Diagnostic(
            "P123", first.first, f"read {shown} as a new article's headline: "
            f"{promoted[first.first]} ({why}); if it is a subhead, add to the sidecar's "
            f"corrections: - subhead: \"{shown}\""))
        return replace(verdict, opens=True)
    if verdict.doubtful and current is not None:
        settle = "subhead" if verdict.opens else "article"
        diagnostics.append(Diagnostic(
            "P123", first.first, f"read {shown} as "
            + ("a new article's headline" if verdict.opens else "a subhead")
            + f" on little evidence ({why}); if it is "
            + ("a subhead" if verdict.opens else "a headline")
            + f", add to the sidecar's corrections: - {settle}: \"{shown}\""))
    elif not verdict.opens:
        diagnostics.append(Diagnostic("P120", first.first, f"read {shown} as a subhead ({why})"))
    return verdict


_Events = list[list[tuple[str, Raw | None, Verdict | None]]]


def _second_look(articles: _Events) -> dict[int, str]:
    """The subhead runs of a first reading that are headlines, by their first line,
    with why (the P123 doubt names it)."""
    found = dict.fromkeys(_empty_sections(articles), "only a photo gap stands under it "
                          "before the next article, and a subhead heads text")
    found.update(dict.fromkeys(_lone_stacks(articles), "two heading lines after the "
                               "text, the article's first headings: a headline over its "
                               "first subhead or deck, not a pair of subheads"))
    found.update(dict.fromkeys(_lone_subheads(articles), "it would be the only subhead of "
                               "its article, and features have two or more"))
    return found


def _lone_subheads(articles: _Events) -> frozenset[int]:
    """The first lines of subhead runs that stand alone in their article: one heading
    line, no evidence against a headline (score 0 or more), the only subhead run
    of the article, with paragraphs before and after it.  A feature that has
    subheads has two or more; a single one is more often a one-line headline
    whose article has no byline (a photo story, an essay, a short news item)."""
    promoted = set()
    for events in articles:
        heads = [i for i, (kind, _, _) in enumerate(events) if kind in ("head", "stack")]
        if len(heads) != 1 or events[heads[0]][0] != "head":
            continue
        at = heads[0]
        _, block, verdict = events[at]
        before = sum(kind == "para" for kind, _, _ in events[:at])
        after = sum(kind == "para" for kind, _, _ in events[at + 1:])
        if block is not None and verdict is not None and verdict.score >= 0 \
                and before and after and not block.role:
            promoted.add(block.first)
    return frozenset(promoted)


def _empty_sections(articles: _Events) -> frozenset[int]:
    """The first lines of subhead runs with only a photo gap under them before the
    next article opens: a subhead heads text, so the run is the title of an article
    that has none but its picture, unless it is an author's name closing the text
    above."""
    promoted = set()
    for events in articles[:-1]:
        kinds = [kind for kind, _, _ in events]
        while kinds and kinds[-1] == "gap":
            kinds.pop()
        if len(kinds) == len(events) or not kinds or kinds[-1] != "head":
            continue  # text follows the run, or no photo gap
        _, block, verdict = events[len(kinds) - 1]
        if block is not None and verdict is not None \
                and not block.role and not is_author_name(block.text.strip()) \
                and any(kind == "para" for kind, _, _ in events):
            promoted.add(block.first)
    return frozenset(promoted)


# Closing quotes and brackets, looked through for the sentence mark before them.
_CLOSERS = "”’」』）)》〉】\"'"
# A run's first line this short is a box's label (编后, 附件), not a headline.
_STACK_TITLE_MIN = 4


def _lone_stacks(articles: _Events) -> frozenset[int]:
    """The first lines of runs of two or three heading lines, each a paragraph of its
    own, that stand inside an article after its text: when they are the article's
    first headings, it has no other such run and nothing speaks against a headline
    (score 0 or more), the run is a one-line headline over the next article's first
    subhead (or its deck, or its title under a kicker), not two subheads in a row — a
    feature's paired subheads come two or more times, and a quoted outcry
    (“快，送医院！”) under a subhead is the section's first words."""
    promoted = set()
    for events in articles:
        stacks = [i for i, (kind, _, _) in enumerate(events) if kind == "stack"]
        heads = [i for i, (kind, _, _) in enumerate(events) if kind in ("head", "stack")]
        if len(stacks) != 1 or heads[0] != stacks[0]:
            continue  # two stacks, or subheads before it: the article's own headings
        at = stacks[0]
        _, block, verdict = events[at]
        before = sum(kind == "para" for kind, _, _ in events[:at])
        after = sum(kind == "para" for kind, _, _ in events[at + 1:])
        if block is None or verdict is None or verdict.score < 0 or not before \
                or not after or block.role:
            continue
        lines = block.lines
        if len(lines[0].strip()) < _STACK_TITLE_MIN or any(
                line.rstrip().rstrip(_CLOSERS)[-1:] in SENTENCE_END for line in lines):
            continue
        promoted.add(block.first)
    return frozenset(promoted)


def to_articles(blocks: list[Raw]) -> tuple[list[Article], list[Diagnostic]]:
    """Segment raw blocks into articles (see the module docstring): a first reading
    finds the subhead runs that are headlines on a second look (``_second_look``: a
    subhead alone in its article, a lone stack of heading lines after the text, a
    subhead with only a photo gap under it), the second opens an article at each."""
    trial: _Events = []
    _segment([replace(b) for b in blocks], {}, trial)
    return _segment(blocks, _second_look(trial), None)


def _segment(blocks: list[Raw], promoted: Mapping[int, str], events: _Events | None,
             ) -> tuple[list[Article], list[Diagnostic]]:
    """One reading of the blocks; ``events`` (when given) records, per article, its
    body blocks (para, gap or other text) and its subhead runs (a run of one heading
    line with its verdict, or a stack of two or three)."""
    diagnostics: list[Diagnostic] = []
    articles: list[Article] = []
    current: _Draft | None = None
    stacked = stacked_layout(blocks)
    log: list[tuple[str, Raw | None, Verdict | None]] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        end = _heading_run(blocks, index) if _is_head_element(block) else index
        if end > index:
            run = blocks[index:end]
            following = blocks[end] if end < len(blocks) else None
            verdict = _opens_article(current, run, following, stacked, diagnostics, promoted)
            if verdict.opens:
                if current is not None:
                    articles.append(current.done())
                log = []
                if events is not None:
                    events.append(log)
                current, opening = _open_article(run, diagnostics, stacked)
                for piece, last in opening:
                    current.add(piece, last)
                _take_byline(current, blocks, end)
                index = end
                continue
            elements = [b for b in run if b.kind != "gap"]
            single = len(elements) == 1 and elements[0].kind == "para"
            if 2 <= len(elements) <= 3 and all(b.kind == "para" for b in elements):
                # Stacked one per paragraph: recorded as one block holding the lines.
                stack = Raw("lines", elements[0].first, elements[-1].last,
                            lines=[b.text for b in elements],
                            role=next((b.role for b in elements if b.role), ""))
                log.append(("stack", stack, verdict))
            else:
                log.append(("head", elements[0] if single else None, verdict if single else None))
            for piece in run:  # a subhead (or a few): the current article goes on
                current.add(_subhead(piece), piece.last)
            current.last_block = run[-1]
            index = end
            continue
        if current is None:
            diagnostics.append(Diagnostic(
                "P121", block.first, "text before the first headline kept as an untitled article"))
            current = _Draft(Headline(titles=()), first=block.first, last=block.first)
            if events is not None:
                events.append(log)
            _take_byline(current, blocks, index)
            if index >= len(blocks) or blocks[index] is not block:
                continue  # the block was a byline line: it is the article's byline now
        current.add(_body_block(block, diagnostics), block.last)
        if block.kind in ("para", "gap"):
            log.append((block.kind, None, None))
        else:
            log.append(("text", None, None))
        current.signed = block.kind == "signoff"
        current.last_block = block
        index += 1
    if current is not None:
        articles.append(current.done())
    return articles, diagnostics


def _take_byline(draft: _Draft, blocks: list[Raw], index: int) -> None:
    """Lift the byline off the article's lead paragraph (the first body paragraph)."""
    while index < len(blocks) and blocks[index].kind == "gap":
        index += 1
    if draft.byline is not None or index >= len(blocks) or blocks[index].kind != "para":
        return
    alone = parse_byline_line(blocks[index].text)
    if alone is not None:  # a byline on its own line above the lead
        draft.byline = alone
        del blocks[index]
        return
    parsed = parse_byline(blocks[index].text)
    if parsed is not None:
        draft.byline, rest = parsed
        blocks[index].text = rest
