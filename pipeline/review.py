"""review: the structure the normalizer read, line by line, for a desk to check.

In: the decoded ``Source`` and the ``Normalized`` edition of one seed.
Out: ``Review`` rows (one per source line: its role, the article it went to,
the diagnostics at it) and a self-contained HTML page of them
(``layouts/review/review.html.j2``: no scripts, no files or fonts from
elsewhere), written as ``build/<slug>.review.html`` by ``paiban review``.

Doubts are highlighted with their code and, where the normalizer names one,
the sidecar line that settles them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from .decode import Source
from .diagnostics import Diagnostic
from .model import (
    Article, Fields, Heading, NameList, Paragraph, PhotoGap, SignOff, Table, byline_text,
)
from .normalize import Normalized

# The role a body block gives its lines, as the page names it.
_BLOCK_ROLES = {
    Paragraph: "paragraph", Heading: "subhead", Table: "table", Fields: "field lines",
    NameList: "name list", SignOff: "sign-off", PhotoGap: "photo gap",
}


# Diagnostics of the whole text (reported at line 1): shown above the lines.
_EDITION_CODES = frozenset({"P003", "P140", "P141", "P142"})


@dataclass(frozen=True)
class Row:
    """One source line: number, text, role ("" for a blank line), article (1-based, 0
    for none) and the diagnostics reported at it."""

    number: int
    text: str
    role: str
    article: int
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def doubtful(self) -> bool:
        """Whether a doubt was reported at this line."""
        return any(d.severity == "doubt" for d in self.diagnostics)

    @property
    def notes(self) -> tuple[tuple[Diagnostic, str], ...]:
        """Each diagnostic with the sidecar line that settles it ("" when none is named)."""
        return tuple((d, settling_line(d)) for d in self.diagnostics)


_SETTLE = "add to the sidecar's corrections: "


def settling_line(diagnostic: Diagnostic) -> str:
    """The sidecar correction a diagnostic names (``- article: "…"``), or ""."""
    head, found, line = diagnostic.message.partition(_SETTLE)
    return line.strip() if found else ""


@dataclass(frozen=True)
class Review:
    """The rows of one seed and the headlines of its articles, in order."""

    name: str
    rows: tuple[Row, ...]
    headlines: tuple[str, ...]
    edition_notes: tuple[Diagnostic, ...] = ()  # of the whole text: encoding, paper, date

    @property
    def doubts(self) -> int:
        """How many doubts the page shows."""
        return sum(d.severity == "doubt" for row in self.rows for d in row.diagnostics) + sum(
            d.severity == "doubt" for d in self.edition_notes)


def _head_role(article: Article, text: str) -> str:
    """The headline part (or byline) a line outside the body blocks is."""
    squeezed = "".join(text.split())
    headline = article.headline
    parts = [("column tag", line) for line in article.label]
    parts += [("kicker", headline.kicker), *(("title", t) for t in headline.titles),
              ("subtitle", headline.subtitle)]
    if article.byline is not None:
        parts.append(("byline", byline_text(article.byline)))
    for role, part in parts:
        if part and "".join(part.split()) == squeezed:
            return role
    for role, part in parts:  # a line holding a part and more (a tag on the title's line)
        if part and "".join(part.split()) in squeezed:
            return role
    return "headline"


def _article_roles(article: Article, lines: list[str]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for block in article.body:
        role = _BLOCK_ROLES.get(type(block), "paragraph")
        if isinstance(block, Paragraph) and block.head:
            role = "run-in head + paragraph"
        for number in range(block.span.first, block.span.last + 1):
            roles.setdefault(number, role)
    lead = next((b for b in article.body if isinstance(b, Paragraph)), None)
    for number in range(article.span.first, article.span.last + 1):
        text = lines[number - 1] if number <= len(lines) else ""
        if not text.strip():
            continue
        if number not in roles:
            roles[number] = _head_role(article, text)
        elif (article.byline is not None and lead is not None
              and number == lead.span.first and article.byline.agency
              and "".join(text.split()).startswith("".join(article.byline.agency.split()))):
            roles[number] = "byline + paragraph"
    return roles


def review(source: Source, normalized: Normalized, name: str = "") -> Review:
    """The rows of ``source`` as ``normalized`` read it (see the module docstring)."""
    lines = source.text.split("\n")
    owner: dict[int, tuple[int, str]] = {}
    for index, article in enumerate(normalized.edition.articles, start=1):
        for number, role in _article_roles(article, lines).items():
            owner.setdefault(number, (index, role))
    by_line: dict[int, list[Diagnostic]] = {}
    whole = tuple(d for d in normalized.diagnostics if d.code in _EDITION_CODES)
    for diagnostic in normalized.diagnostics:
        if diagnostic.code not in _EDITION_CODES:
            by_line.setdefault(diagnostic.line, []).append(diagnostic)
    removed = {d.line for d in normalized.diagnostics if d.removed.strip()
               and d.code in ("P004", "P143")}
    rows = []
    for number, text in enumerate(lines, start=1):
        article, role = owner.get(number, (0, ""))
        if number in removed:
            role = "removed"
        elif text.strip() and not role:
            role = "not read"  # a line no block holds (should not happen: reported)
        rows.append(Row(number, text.rstrip("\r"), role, article,
                        tuple(by_line.get(number, ()))))
    while rows and not rows[-1].text.strip() and not rows[-1].diagnostics:
        rows.pop()
    headlines = tuple(
        " ".join(a.headline.titles) or "（无标题）" for a in normalized.edition.articles)
    return Review(name, tuple(rows), headlines, whole)


def render(result: Review, root: Path | None = None) -> str:
    """The review page's HTML (layouts/review/review.html.j2, autoescaped).

    With the project ``root``, the page carries its own font: a subset of the
    bundled Serif face for exactly its characters, as a ``data:`` URL, so that it
    reads the same on a machine without Chinese fonts and loads nothing else."""
    from .render import environment

    template = environment().get_template("review/review.html.j2")
    page = template.render(review=result, font_css="")
    if root is None:
        return page
    from .errors import BuildError
    from .fonts import SubsetFace, font_face_css, load_manifest, subset_face

    cache = root / "build" / "fonts"
    try:
        faces = [f for f in load_manifest(root / "fonts", cache)
                 if f.family == "Paiban Serif" and f.weight == 400]
    except BuildError:  # no fonts here: the reader's own Chinese fonts will do
        faces = []
    if not faces:
        return page
    subset = SubsetFace(faces[0], subset_face(faces[0], page, cache))
    data = base64.b64encode(subset.path.read_bytes()).decode("ascii")
    css = font_face_css((subset,), lambda path: f"data:{subset.media_type};base64,{data}")
    return template.render(review=result, font_css=css)
