"""Coded diagnostics: what the normalizer decided or doubted, with source lines.

In: nothing (stages create ``Diagnostic``s).  Out: the ``Diagnostic`` type, the
table of stable ``CODES`` and a formatter for ``paiban model --explain``.

Like ``se lint``, every message has a stable code; each code has one golden
test in ``tests/test_diagnostics.py``.  A diagnostic that removed text says
which characters in ``removed`` so the conservation check can account for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["info", "repair", "doubt"]

# code -> (severity, one-line meaning).  Codes are never reused or renumbered.
CODES: dict[str, tuple[Severity, str]] = {
    "P001": ("repair", "removed a control character"),
    "P002": ("repair", "removed a zero-width or byte-order-mark character"),
    "P003": ("info", "decoded from a legacy or UTF-16 encoding"),
    "P004": ("repair", "removed a line that only separates articles (＊＊＊, ------)"),
    "P101": ("repair", "joined a sentence cut across a blank line (column break)"),
    "P102": ("repair", "moved a displaced fragment back to the sentence it continues"),
    "P103": ("doubt", "a paragraph ends mid-sentence and nothing continues it"),
    "P104": ("doubt", "a paragraph starts mid-sentence and nothing precedes it"),
    "P110": ("repair", "removed the angle brackets around a link"),
    "P120": ("info", "a heading line inside an article was read as a subhead"),
    "P121": ("doubt", "text before the first headline was kept as an untitled article"),
    "P122": ("info", "a name under a headline was read as the author's byline"),
    "P123": ("doubt", "a heading line was read as a headline or a subhead on little evidence"),
    "P124": ("doubt", "an article repeats an earlier one word for word"),
    "P130": ("repair", "a table row had fewer cells than the header; padded"),
    "P131": ("doubt", "a table row had more cells than the header; extra cells joined"),
    "P132": ("info", "lines of space-aligned columns were read as a table"),
    "P140": ("info", "edition metadata inferred from the text"),
    "P141": ("doubt", "no edition date found in the text"),
    "P142": ("doubt", "no paper name found in the text"),
    "P143": ("info", "the edition date taken from the date line heading the text"),
    "P144": ("doubt", "the edition date was taken from a sign-off (a notice's date?)"),
    "P150": ("repair", "applied a correction from the sidecar"),
}


@dataclass(frozen=True)
class Diagnostic:
    """One decision or doubt, at a source line; ``removed`` lists deleted characters."""

    code: str
    line: int
    message: str
    removed: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown diagnostic code {self.code}")

    @property
    def severity(self) -> Severity:
        """info, repair or doubt — from the code table."""
        return CODES[self.code][0]

    def format(self, source: str = "") -> str:
        """``seeds/x.txt:7: P101 repair: joined …`` — one line."""
        where = f"{source}:{self.line}" if source else f"line {self.line}"
        return f"{where}: {self.code} {self.severity}: {self.message}"


def explain(diagnostics: tuple[Diagnostic, ...], source: str = "") -> str:
    """All diagnostics, one per line, in source order, plus a count by severity."""
    lines = [d.format(source) for d in sorted(diagnostics, key=lambda d: (d.line, d.code))]
    counts: dict[str, int] = {}
    for d in diagnostics:
        counts[d.severity] = counts.get(d.severity, 0) + 1
    summary = ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items())) or "nothing to report"
    return "\n".join([*lines, summary])
