"""Character clean-up before any structure is read.

In: decoded text.  Out: the text without control and zero-width characters, and
one diagnostic per line that lost any.

The rule: C0 and C1 control characters other than TAB and LF (ESC, BEL, DEL …)
are removed, as are the invisible format characters a newsroom export leaves
behind — ZERO WIDTH SPACE/NON-JOINER/JOINER, WORD JOINER, SOFT HYPHEN and an
inner BYTE ORDER MARK.  Chinese text needs none of them; each removal is
reported (P001/P002) with its line and the characters removed.
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\u00ad\ufeff]")


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def clean(text: str) -> tuple[str, tuple[Diagnostic, ...]]:
    """Remove control and zero-width characters, reporting each line touched."""
    diagnostics: list[Diagnostic] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        for pattern, code, what in (
            (_CONTROL, "P001", "control"),
            (_INVISIBLE, "P002", "zero-width"),
        ):
            found = pattern.findall(line)
            if found:
                line = pattern.sub("", line)
                names = " ".join(sorted({_name(ch) for ch in found}))
                diagnostics.append(Diagnostic(
                    code, number, f"removed {len(found)} {what} character(s): {names}",
                    removed="".join(found)))
        lines[number - 1] = line.rstrip(" \u00a0\u3000")
    return "\n".join(lines), tuple(diagnostics)
