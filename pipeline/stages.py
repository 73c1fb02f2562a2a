"""The stage order, declared once.

In: a seed path (``seeds/<name>.txt``) and the project root.
Out: the products of each stage: ``Source`` (decode), ``Normalized``
(normalize), and — through ``emit`` — the editions' files.

This is the single place that says what runs in what order (like
markdown-it's core rule list); the CLI and the tests call these functions,
never the stages' internals in their own order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .decode import Source, decode
from .errors import InputError
from .settings import Sidecar, load_sidecar

if TYPE_CHECKING:  # the normalizer (jieba's word list…) is loaded only by ``model``:
    from collections.abc import Iterator

    from .model import Edition, Table
    from .normalize import Normalized  # the print process needs ``write_atomic`` alone

log = logging.getLogger("paiban")

# Inputs larger than this are refused before decoding (a day's paper is ~20 kB).
MAX_INPUT_BYTES = 8 * 1024 * 1024
# Limits that keep a build to about a minute (README, "Limits", has the measurements).
# Layout time grows with the characters, and faster with the spans clreq typography
# wraps single characters in (compressed punctuation, Han/Western gaps): news text
# has one per ~35 characters, text that is all punctuation nearly one per character.
MAX_CHARACTERS = 400_000
MAX_MARKS = 30_000
# Each article adds a contents line (a dot leader and a page number found by a
# second pass) and its own headline boxes: WeasyPrint keeps a computed style for
# every element and pseudo-element, ~0.5 MB an article with a byline and two
# paragraphs.  1,000 such articles take ~30 s and ~800 MB; 2,000 took 1.6 GB.
MAX_ARTICLES = 1_000
# A table cell is a box WeasyPrint lays out and draws; a 3,000-column table of 12,000
# cells, set in bands that fit the page (render.table_parts), takes ~17 s and 440 MB.
MAX_TABLE_CELLS = 20_000


@dataclass(frozen=True)
class Seed:
    """One edition's inputs: the text file, its sidecar and the project root."""

    text: Path
    sidecar: Path
    root: Path

    @property
    def name(self) -> str:
        """The file stem, used as the default slug."""
        return self.text.stem


def locate(path: Path, root: Path) -> Seed:
    """The seed at ``path``; ``InputError`` if it is missing or outside the project."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise InputError("the input is outside the project folder", str(path))
    if not resolved.is_file():
        raise InputError("no such file", str(path))
    return Seed(resolved, resolved.with_suffix(".yaml"), root.resolve())


def read(seed: Seed) -> Source:
    """Stage 1, decode: the seed's bytes as text."""
    try:
        size = seed.text.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(f"the file is {size:,} bytes; the limit is {MAX_INPUT_BYTES:,}",
                             str(seed.text))
        data = seed.text.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}",
                         str(seed.text)) from None
    log.info("Step 1 - Decoding %s", seed.text.name)
    source = decode(data, str(seed.text))
    if len(source.text) > MAX_CHARACTERS:
        raise InputError(f"the text has {len(source.text):,} characters; the limit is "
                         f"{MAX_CHARACTERS:,} (split it into several files)", str(seed.text))
    return source


def settings(seed: Seed) -> Sidecar:
    """The seed's sidecar (defaults when there is none)."""
    return load_sidecar(seed.sidecar, seed.root)


def model(seed: Seed, source: Source | None = None) -> tuple[Normalized, Sidecar]:
    """Stages 1-2, decode and normalize: the edition model and its diagnostics
    (``source``: the seed's text when the caller has read it already)."""
    from . import typography
    from .model import edition_text
    from .normalize import normalize

    sidecar = settings(seed)
    source = source or read(seed)
    log.info("Step 2 - Normalizing")
    normalized = normalize(source, sidecar, seed.name)
    if not normalized.edition.articles:
        raise InputError("no text is left once control and zero-width characters are "
                         "removed", str(seed.text))
    articles = len(normalized.edition.articles)
    if articles > MAX_ARTICLES:
        raise InputError(f"the text has {articles:,} articles; the limit is {MAX_ARTICLES:,} "
                         "(split it into several files)", str(seed.text))
    cells = max(map(table_cells, _tables(normalized.edition)), default=0)
    if cells > MAX_TABLE_CELLS:
        raise InputError(f"a table has {cells:,} cells; the limit is {MAX_TABLE_CELLS:,} "
                         "(split it into several tables)", str(seed.text))
    marks = typography.mark_count(edition_text(normalized.edition))
    if marks > MAX_MARKS:
        raise InputError(
            f"the text needs {marks:,} typographic spans (runs of punctuation, letters "
            f"between Han characters); the limit is {MAX_MARKS:,} (news text has about "
            "one per 35 characters)", str(seed.text))
    return normalized, sidecar


def table_cells(table: Table) -> int:
    """The cells of ``table``: its header's and its rows' (a ragged row counts as it is)."""
    return len(table.header) + sum(map(len, table.rows))


def _tables(edition: Edition) -> Iterator[Table]:
    from .model import Table

    for article in edition.articles:
        yield from (block for block in article.body if isinstance(block, Table))
