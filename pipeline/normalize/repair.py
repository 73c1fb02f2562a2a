"""Column-break repair: mend sentences the page layout cut apart.

In: raw blocks in source order.  Out: the same blocks with cut sentences joined
and displaced fragments moved back, plus a diagnostic for every repair and
every doubt.

A newspaper page dumped to text loses its columns: a sentence that ran from
the foot of one column to the head of the next arrives as two paragraphs with
a blank line between, and a column read in the wrong order puts a fragment in
the wrong place.  The signals used are general, never the words of one day:

* a body paragraph whose last character closes nothing (no 。！？…；：”）) is
  cut (an unterminated sentence);
* a paragraph that opens with a mark that cannot start a line (clreq §3.1.7),
  or with one ideograph and a comma, is the second half of something;
* a dictionary word (jieba's word list) that exists only across the join
  (项目进|行 → 进行) supports the join;
* clauses in Chinese enumerations repeat their opening (不准…；不准…；不): a
  join that continues the paragraph's own clause pattern is preferred;
* an enumeration cut after its 、 is continued by one more short item (…时限、主体
  责任 | 单位、责任人…).

A repair changes the text, so it is made only on evidence: a paragraph that
merely lacks a final stop (a summary line, a deck, a caption) is no evidence,
since real pages print many such lines.  The candidate continuations of a cut
paragraph are the next paragraph — joined when at least one signal above holds —
and every nearby paragraph that nothing precedes (a "fragment"), moved only with
``MOVE_MIN`` points and never across what starts an article (a stacked headline,
a byline, a sign-off).  The best-scoring one wins; a fragment moves with the
paragraphs that follow it in its column (up to the next heading-shaped line).
Where no candidate is good enough the paragraph stays cut and a P103 doubt is
reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostic
from .blocks import Raw
from .text import (
    clause_heads, continues_list, first_clause, is_heading_like, is_kicker, is_terminated,
    last_clause, spanning_word, starts_mid_sentence,
)
from .structure import is_byline, run_in_head

# How far (in blocks) a displaced fragment is looked for around a cut paragraph.
WINDOW = 16
# A body paragraph at least this long that ends without a closing mark is cut.
BODY_MIN = 20
# Points a displaced fragment needs before it is moved (two independent signals).
MOVE_MIN = 3


@dataclass(frozen=True)
class Candidate:
    """A possible continuation of a cut paragraph, with its score and reasons."""

    index: int
    score: int
    reasons: tuple[str, ...]


def _is_cut(block: Raw) -> bool:
    return (
        block.kind == "para"
        and not block.sealed
        and not is_terminated(block.text)
        and not is_heading_like(block.text)
        and len(block.text) >= BODY_MIN
    )


def _opens_structure(text: str) -> bool:
    """A paragraph that starts something of its own: a byline, a section head, a kicker."""
    return bool(is_byline(text) or run_in_head(text) or is_kicker(text))


def _score(tail_text: str, head_text: str) -> tuple[int, tuple[str, ...]]:
    reasons = []
    score = 0
    if starts_mid_sentence(head_text):
        score += 2
        reasons.append("starts mid-sentence")
    if continues_list(tail_text, head_text):
        score += 1
        reasons.append("continues the list")
    word = spanning_word(tail_text, head_text)
    if word:
        score += 1
        reasons.append(f"word {word} spans the break")
    # Parallel clauses: the clause the join makes opens like the clauses around it.
    stub = last_clause(tail_text)
    opening = (stub + head_text)[:2]
    if len(stub) < 4 and len(opening) == 2:
        before = clause_heads(tail_text[: len(tail_text) - len(stub)])
        after = clause_heads(head_text[len(first_clause(head_text)):])
        matches = (opening in before) + (opening in after)
        if matches:
            score += matches
            reasons.append(f"continues the clause pattern {opening}…")
    return score, tuple(reasons)



def _fragment_ok(blocks: list[Raw], index: int) -> bool:
    """A paragraph nothing continues into: preceded by a heading, label, gap or a complete paragraph."""
    block = blocks[index]
    if block.kind != "para" or is_heading_like(block.text) or _opens_structure(block.text):
        return False
    before = blocks[index - 1] if index else None
    return before is None or not _is_cut(before)


def _candidates(blocks: list[Raw], index: int) -> list[Candidate]:
    tail = blocks[index].text
    found = []
    nxt = index + 1
    if (nxt < len(blocks) and blocks[nxt].kind == "para"
            and not is_heading_like(blocks[nxt].text)
            and not _opens_structure(blocks[nxt].text)):
        score, reasons = _score(tail, blocks[nxt].text)
        # The next paragraph is the natural reading: it wins ties.  Following alone is
        # no evidence (a deck or summary line has no final stop either).
        if score >= 1:
            found.append(Candidate(nxt, score + 1, ("follows directly", *reasons)))
    low, high = max(0, index - WINDOW), min(len(blocks), index + WINDOW + 1)
    for other in range(low, high):
        if other in (index, nxt) or not _fragment_ok(blocks, other):
            continue
        if _barrier(blocks, min(index, other) + 1, max(index, other)):
            continue
        score, reasons = _score(tail, blocks[other].text)
        if score >= MOVE_MIN:
            found.append(Candidate(other, score, reasons))
    return sorted(found, key=lambda c: (-c.score, abs(c.index - index)))


def _barrier(blocks: list[Raw], start: int, stop: int) -> bool:
    """Whether something between ``start`` and ``stop`` starts an article: a stacked
    headline, a byline or a sign-off (a fragment never moves across one)."""
    for block in blocks[start:stop]:
        if block.kind in ("lines", "signoff") or (
                block.kind == "para" and is_byline(block.text)):
            return True
    return False


def _column_run(blocks: list[Raw], start: int, stop: int) -> int:
    """End (exclusive, at most ``stop``) of the fragment's column: following body
    paragraphs up to a heading."""
    end = start + 1
    while (end < stop and blocks[end].kind == "para"
           and not is_heading_like(blocks[end].text)
           and not _opens_structure(blocks[end].text)
           and blocks[end].gap < 2):
        end += 1
    return end


def _join(target: Raw, piece: Raw) -> None:
    target.text += piece.text
    target.last = max(target.last, piece.last)


def repair_paragraphs(blocks: list[Raw]) -> tuple[list[Raw], list[Diagnostic]]:
    """Join cut sentences and move displaced fragments back (see module docstring)."""
    blocks = list(blocks)
    diagnostics: list[Diagnostic] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if not _is_cut(block):
            index += 1
            continue
        candidates = _candidates(blocks, index)
        best = candidates[0] if candidates else None
        if best is None or best.score < 1:
            diagnostics.append(Diagnostic(
                "P103", block.last,
                f"paragraph ends mid-sentence (…{block.text[-8:]}) and nothing continues it"))
            index += 1
            continue
        piece = blocks[best.index]
        why = "; ".join(best.reasons)
        if best.index == index + 1:
            diagnostics.append(Diagnostic(
                "P101", piece.first,
                f"joined line {block.last} …{block.text[-6:]} + {piece.text[:6]}… "
                f"from line {piece.first} ({why})"))
            _join(block, piece)
            del blocks[index + 1]
            continue  # the joined paragraph may itself still be cut
        end = _column_run(blocks, best.index, index if best.index < index else len(blocks))
        moved = blocks[best.index:end]
        diagnostics.append(Diagnostic(
            "P102", piece.first,
            f"moved lines {piece.first}-{moved[-1].last} ({piece.text[:6]}…) to follow "
            f"line {block.last} …{block.text[-6:]} ({why})"))
        del blocks[best.index:end]
        if best.index < index:
            index -= len(moved)
        block = blocks[index]
        _join(block, moved[0])
        blocks[index + 1:index + 1] = moved[1:]
        index += len(moved)
    diagnostics.extend(_orphans(blocks))
    return blocks, diagnostics


def _orphans(blocks: list[Raw]) -> list[Diagnostic]:
    """P104: paragraphs that still open mid-sentence after the repairs."""
    found = []
    for index, block in enumerate(blocks):
        if block.kind == "para" and starts_mid_sentence(block.text) and _fragment_ok(blocks, index):
            found.append(Diagnostic(
                "P104", block.first,
                f"paragraph starts mid-sentence ({block.text[:6]}…) and nothing before it ends open"))
    return found


def repair_fields(blocks: list[Raw]) -> tuple[list[Raw], list[Diagnostic]]:
    """Join a field value cut across a blank line (…市委大 | 院二…) and re-merge the run."""
    diagnostics: list[Diagnostic] = []
    out: list[Raw] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        out.append(block)
        index += 1
        if block.kind != "fields" or index >= len(blocks):
            continue
        piece = blocks[index]
        last = block.items[-1]
        value = last.value[-1]
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if (piece.kind == "para" and piece.gap <= 1 and isinstance(value, str)
                and not is_terminated(value) and is_heading_like(piece.text)
                and after is not None and after.kind == "fields" and after.gap == 0):
            word = spanning_word(value, piece.text)
            if word or starts_mid_sentence(piece.text):
                last.value[-1] = value + piece.text
                last.last = piece.last
                diagnostics.append(Diagnostic(
                    "P101", piece.first,
                    f"joined field {last.label} …{value[-6:]} + {piece.text[:6]}… "
                    f"from line {piece.first} (word {word} spans the break)"))
                block.items.extend(after.items)
                block.last = after.last
                index += 2
    return out, diagnostics
