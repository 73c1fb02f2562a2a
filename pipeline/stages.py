"""The stage order, declared once: from a seed to the committed files.

In: a seed path (``seeds/<name>.txt``) and the project root.
Out: the products of each stage, in this order (``build`` runs them all):

    Seed ─ read ─▶ Source ─ normalize ─▶ Normalized (Edition + diagnostics), Sidecar
         stages.read: bytes → text      stages.model: text → model, the limits
                                        (normalize/: blocks → repairs → articles)
    Edition ─ fonts ─▶ tuple[SubsetFace]       emit.build.edition_fonts: coverage
                                               check, one set of subsets for both
    Edition + Layout ─ render ─▶ str (print HTML)   emit.pdf.print_html (render.py,
                                                    layouts/, Jinja2)
    print HTML ─ lay out ─▶ Document, page map      emit.pdf.lay_out (WeasyPrint with
                                                    weasyprint_ext), page_map,
                                                    page_starts (or the cached map)
    Document ─ pdf write ─▶ bytes (a part)          emit.pdf.pdf_bytes
    Edition + page map ─ epub write ─▶ bytes (a part)   emit.epub.make_epub
    parts ─ commit ─▶ dist/<slug>.pdf, dist/<slug>.epub  output.commit (both or none)

The print layout may run in a second process (``emit.print_process``), started
before the text is read; the e-book is written meanwhile.  Around one edition:
``batch`` (many seeds, stamps, workers), ``review`` (the structure page),
``site`` (the download site), ``measure`` (the benchmark: measurement, not product).

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

    from .emit.print_process import PrintProcess
    from .emit.progress import StageCallback
    from .model import Block, Edition, Table
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
# ... and all tables together: each table costs ~13 ms besides its cells (2,000 small
# tables take 26 s), and the characters alone would admit 16,000 tables or 200,000 cells.
MAX_TABLES = 2_000
MAX_CELLS = 30_000
# Each limit above holds one shape under a minute; mixed, they could add up.  So a
# build's time is also estimated from what the print layout will set (``layout_cost``:
# seconds per item, whole builds measured on the 2-core machine the tests run on; the
# seed's estimate is 1.0 s) and an edition estimated over this is refused, naming
# what costs most.
MAX_LAYOUT_SECONDS = 55.0
LAYOUT_SECONDS = {
    "characters": 0.00005,   # 300,000 characters of one paragraph: 15.7 s
    "typographic spans": 0.00056,  # 29,625 spans over 399,009 characters: 36.7 s
    "articles": 0.045,       # 1,000 with a byline and two paragraphs: 50.9 s
    "lines of verse": 0.0019,  # 20,000: 38 s
    "names": 0.00105,        # 4,000: 4.2 s
    "field lines": 0.0033,   # 8,000: 27 s
    "tables": 0.013,         # 2,000 small ones: 26 s
    "table cells": 0.0014,   # 12,000: 17 s
}
# A line of verse (a forced line break) or a name of a name list is a line box or a cell
# WeasyPrint lays out on its own: 20,000 lines of verse take ~40 s (514 pages), 4,000
# names 4 s; the characters alone would admit 45,000 lines or 100,000 names.
MAX_LINES = 20_000
MAX_NAMES = 20_000


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
    from .model import LineBreak, NameList, edition_text
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
    sizes = [table_cells(table) for table in _tables(normalized.edition)]
    if max(sizes, default=0) > MAX_TABLE_CELLS:
        raise InputError(f"a table has {max(sizes):,} cells; the limit is {MAX_TABLE_CELLS:,} "
                         "(split it into several tables)", str(seed.text))
    if len(sizes) > MAX_TABLES or sum(sizes) > MAX_CELLS:
        raise InputError(f"the text has {len(sizes):,} tables of {sum(sizes):,} cells in all; "
                         f"the limits are {MAX_TABLES:,} tables and {MAX_CELLS:,} cells "
                         "(split it into several files)", str(seed.text))
    lines = sum(isinstance(run, LineBreak) for block in _blocks(normalized.edition)
                for run in getattr(block, "inlines", ()))
    if lines > MAX_LINES:
        raise InputError(f"the text has {lines:,} lines set as the source broke them (verse, "
                         f"lists); the limit is {MAX_LINES:,} (split it into several files)",
                         str(seed.text))
    names = sum(len(block.names) for block in _blocks(normalized.edition)
                if isinstance(block, NameList))
    if names > MAX_NAMES:
        raise InputError(f"the name lists hold {names:,} names; the limit is {MAX_NAMES:,} "
                         "(split it into several files)", str(seed.text))
    marks = typography.mark_count(edition_text(normalized.edition))
    if marks > MAX_MARKS:
        raise InputError(
            f"the text needs {marks:,} typographic spans (runs of punctuation, letters "
            f"between Han characters); the limit is {MAX_MARKS:,} (news text has about "
            "one per 35 characters)", str(seed.text))
    cost = layout_cost(normalized.edition, marks)
    if sum(cost.values()) > MAX_LAYOUT_SECONDS:
        most = max(cost, key=cost.__getitem__)
        raise InputError(
            f"the print layout would take about {sum(cost.values()):.0f} s (most of it "
            f"{cost[most]:.0f} s for its {most}); the limit is {MAX_LAYOUT_SECONDS:.0f} s "
            "(split it into several files)", str(seed.text))
    return normalized, sidecar


def layout_cost(edition: Edition, marks: int | None = None) -> dict[str, float]:
    """The print layout's estimated seconds for ``edition``, by what is set
    (``LAYOUT_SECONDS``); ``marks``: its typographic spans, when counted already."""
    from . import typography
    from .model import Fields, LineBreak, NameList, Paragraph, edition_text

    text = edition_text(edition)
    counts = {"characters": len(text),
              "typographic spans": typography.mark_count(text) if marks is None else marks,
              "articles": len(edition.articles),
              "lines of verse": 0, "names": 0, "field lines": 0, "tables": 0, "table cells": 0}
    for block in _blocks(edition):
        if isinstance(block, Paragraph):
            counts["lines of verse"] += sum(isinstance(run, LineBreak) for run in block.inlines)
        elif isinstance(block, NameList):
            counts["names"] += len(block.names)
        elif isinstance(block, Fields):
            counts["field lines"] += len(block.items)
    sizes = [table_cells(table) for table in _tables(edition)]
    counts["tables"], counts["table cells"] = len(sizes), sum(sizes)
    return {kind: count * LAYOUT_SECONDS[kind] for kind, count in counts.items()}


def table_cells(table: Table) -> int:
    """The cells of ``table``: its header's and its rows' (a ragged row counts as it is)."""
    return len(table.header) + sum(map(len, table.rows))


def _blocks(edition: Edition) -> Iterator[Block]:
    for article in edition.articles:
        yield from article.body


def _tables(edition: Edition) -> Iterator[Table]:
    from .model import Table

    for article in edition.articles:
        yield from (block for block in article.body if isinstance(block, Table))


def build(seed: Seed, formats: list[str], out_dir: Path, *, key: str | None = None,
          on_stage: StageCallback | None = None,
          printer: PrintProcess | None = None) -> list[Path]:
    """Build the requested editions of one seed; return the paths written.

    ``key`` is the content key of the seed's inputs (``stamp.edition_key``): with
    it, the print page map is cached for e-book-only builds.  ``on_stage`` is
    called with each stage's name (``progress.STAGES``) as the stage starts.  With a
    ``printer`` (started before the text was read), the pages are laid out and
    the PDF written by that second process, and the e-book here meanwhile.  Both
    files are written as parts and committed together (``output.commit``): when
    either fails, the previous edition stays as it was, both files.
    """
    from . import output
    from .emit import build
    from .emit.progress import weasyprint_stages
    from .model import edition_text

    tell = on_stage or (lambda stage: None)
    out_dir = out_dir if out_dir.is_absolute() else seed.root / out_dir
    cache = seed.root / "build"
    for line in output.recover([out_dir, cache, *cache.glob("*/"), *cache.glob("*/*/")]):
        log.info("%s", line)  # what a killed build left: its commit completed, parts removed
    tell("model")
    normalized, sidecar = model(seed)
    edition = normalized.edition
    tell("fonts")
    log.info("Step 3 - Subsetting fonts")
    faces = build.edition_fonts(edition, seed.root, read(seed).text, fallback=(
        seed.root / sidecar.fallback_font if sidecar.fallback_font else None))
    paths = {fmt: out_dir / f"{edition.meta.slug}.{fmt}" for fmt in ("pdf", "epub")
             if fmt in formats}
    cached = None if "pdf" in paths else build.cached_page_map(seed.root, key, edition)
    page_of, starts = cached if cached is not None else (None, {})
    photos = {photo.path: photo.data for photo in sidecar.photos}  # the bytes checked
    parts: dict[Path, Path] = {}  # written, to be committed together (output.commit)
    try:
        if page_of is None:
            from .emit import pdf

            tell("render")
            html = pdf.print_html(edition, sidecar.layout, faces, photos, seed.root)
            if printer is not None:
                log.info("Step 4 - Laying out the print edition (print process)")
                anchors, starts = printer.lay_out(html, seed.root, paths.get("pdf"),
                                                  tell, edition_text(edition))
                page_of = pdf.page_map(anchors, edition)
            else:
                build.preload(seed.root)  # WeasyPrint is imported only when pages are laid out
                with weasyprint_stages(on_stage):
                    log.info("Step 4 - Laying out the print edition")
                    document = pdf.lay_out(html, seed.root, edition_text(edition))
                    page_of = pdf.page_map(document, edition)
                    starts = pdf.page_starts(document)
                    if "pdf" in paths:
                        log.info("Step 5 - Writing %s", paths["pdf"])
                        parts[paths["pdf"]] = output.write_part(
                            paths["pdf"], pdf.pdf_bytes(document))
            build.store_page_map(seed.root, key, page_of, starts)
        if "epub" in paths:  # while the print process, if any, writes the PDF
            from .emit import epub

            tell("epub write")
            log.info("Step 5 - Writing the e-book")
            epub_part = output.write_part(paths["epub"], epub.make_epub(
                edition, sidecar.layout, faces, page_of, root=seed.root, photos=photos,
                starts=starts))
            parts[paths["epub"]] = epub_part
        if printer is not None and "pdf" in paths:
            pdf_part = printer.finish(tell)
            parts = {paths["pdf"]: pdf_part, **parts}
        output.commit(parts)  # the print edition first: a failure there keeps both old
    except BaseException:
        output.discard(parts.values())
        raise
    return list(paths.values())
