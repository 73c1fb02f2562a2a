"""Character clean-up before any structure is read.

In: decoded text.  Out: the text without control and zero-width characters, and
one diagnostic per line that lost any.

The rule: C0 and C1 control characters other than TAB and LF (ESC, BEL, DEL …)
are removed, and a terminal escape sequence goes whole — ESC or CSI with its
parameters and final byte (ECMA-48 §5.4: ``ESC [ 3 1 m``), so no ``[31m`` is
left in the text.  The invisible format characters a newsroom export leaves
behind are removed too — ZERO WIDTH SPACE/NON-JOINER/JOINER, WORD JOINER, SOFT
HYPHEN, an inner BYTE ORDER MARK, and the bidirectional marks, embeddings,
overrides and isolates (U+200E/F, U+202A-E, U+2066-9), which could make a
reading system show the text in another order than it is stored.  Chinese
text needs none of them; each removal is reported (P001/P002) with its line
and the characters removed.  A line of asterisks, hyphens or equals signs that
only separates articles is emptied too (P004): the break it made stays.
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# ECMA-48 escape sequences: CSI (ESC [ or U+009B) + parameter bytes, intermediate
# bytes and a final byte (§5.4); a control string (OSC, DCS, SOS, PM, APC) up to
# its terminator (BEL or ST, §5.6); any other ESC + intermediates + final byte.
# A control string stops at the next ESC or introducer, so matching stays linear.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x90\x98\x9c-\x9f]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\u00ad\ufeff\u202a-\u202e\u2066-\u2069]")
# A line that only divides articles (＊　＊　＊, ***, ------, ======): three or more of these
# marks and spaces, nothing else.  (A rule of em dashes is left alone: text can be —— alone.)
_SEPARATOR = re.compile(r"^[ \u3000]*(?:[*＊※=＝\-－_＿~～·•][ \u3000]*){3,}$")


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _control(line: str, number: int) -> tuple[str, Diagnostic | None]:
    """``line`` without escape sequences and control characters, and the P001 saying so."""
    sequences = _ESCAPE.findall(line)
    line = _ESCAPE.sub("", line)
    found = _CONTROL.findall(line)
    line = _CONTROL.sub("", line)
    if not sequences and not found:
        return line, None
    controls = [ch for ch in "".join(sequences) + "".join(found) if _CONTROL.match(ch)]
    names = " ".join(sorted({_name(ch) for ch in controls}))
    message = f"removed {len(controls)} control character(s): {names}"
    if sequences:
        shown = " ".join(_CONTROL.sub("", sequence) for sequence in sequences[:3])
        more = " …" if len(sequences) > 3 else ""
        message += f", and the rest of {len(sequences)} escape sequence(s): {shown}{more}"
    removed = "".join(sequences) + "".join(found)
    return line, Diagnostic("P001", number, message, removed=removed)


def clean(text: str) -> tuple[str, tuple[Diagnostic, ...]]:
    """Remove control sequences, control and zero-width characters, reporting each line touched."""
    diagnostics: list[Diagnostic] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        line, control = _control(line, number)
        if control:
            diagnostics.append(control)
        found = _INVISIBLE.findall(line)
        if found:
            line = _INVISIBLE.sub("", line)
            names = " ".join(sorted({_name(ch) for ch in found}))
            diagnostics.append(Diagnostic(
                "P002", number, f"removed {len(found)} zero-width character(s): {names}",
                removed="".join(found)))
        if _SEPARATOR.match(line):
            diagnostics.append(Diagnostic(
                "P004", number, f"removed a line that only separates articles: {line.strip()}",
                removed=line))
            line = ""
        lines[number - 1] = line.rstrip(" \u00a0\u3000")
    return "\n".join(lines), tuple(diagnostics)


def separator_lines(diagnostics: tuple[Diagnostic, ...]) -> frozenset[int]:
    """The numbers of the lines ``clean`` emptied because they only separated articles:
    each is one break between blocks, never part of a photo gap."""
    return frozenset(d.line for d in diagnostics if d.code == "P004")
