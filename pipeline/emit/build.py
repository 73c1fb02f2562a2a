"""emit.build: one edition from its seed to the files readers get.

In: a ``Seed``, the formats wanted ("pdf", "epub") and the output folder.
Out: the paths written — ``<out>/<slug>.pdf`` and ``<out>/<slug>.epub``.

The order is fixed: model, font coverage check, one set of font subsets for
both editions, the print edition (whose page map gives the e-book its print
page numbers), the e-book.  Each file is written atomically by its emitter.
"""

from __future__ import annotations

import logging
import string
from pathlib import Path

from .. import stages
from ..errors import BuildError
from ..fonts import SubsetFace, coverage_gaps, load_manifest, subset_all
from ..model import Edition, edition_text

log = logging.getLogger("paiban")

# Characters the layouts may set besides the edition's text: ASCII (URLs, page
# numbers) and every character written in the templates themselves.
_ALWAYS = string.printable.strip() + "\u3000"


def layout_chars(root: Path) -> str:
    """Every non-ASCII character written in the layouts' templates (目录, 星期…)."""
    found = set()
    for path in sorted((root / "layouts").rglob("*")):
        if path.is_file() and path.suffix in (".j2", ".css", ".html", ".xhtml"):
            found.update(ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 0x7F)
    return "".join(sorted(found))


def _where(char: str, source_text: str) -> str:
    lines = [n for n, line in enumerate(source_text.split("\n"), start=1) if char in line]
    shown = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
    return f"{char} (U+{ord(char):04X}) line {shown}" if lines else f"{char} (U+{ord(char):04X})"


def edition_fonts(edition: Edition, root: Path, source_text: str) -> tuple[SubsetFace, ...]:
    """Subsets of every bundled face to the edition's characters; stop on a gap.

    clreq-grade setting needs every character drawn by the bundled faces: a
    character none of them covers stops the build with one line naming it and
    the source lines it is on, rather than printing a blank box.
    """
    faces = load_manifest(root / "fonts")
    text = edition_text(edition) + layout_chars(root) + _ALWAYS
    cache = root / "build" / "fonts"
    body_faces = [f for f in faces if f.weight == 400 and f.family == faces[0].family]
    gaps = coverage_gaps(text, body_faces or faces[:1], cache)
    if gaps:
        shown = "; ".join(_where(ch, source_text) for ch in sorted(gaps)[:8])
        raise BuildError(f"{len(gaps)} character(s) no bundled font draws: {shown}")
    return subset_all(faces, text, cache)


def build(seed: stages.Seed, formats: list[str], out_dir: Path) -> list[Path]:
    """Build the requested editions of one seed; return the paths written."""
    normalized, sidecar = stages.model(seed)
    edition = normalized.edition
    source_text = stages.read(seed).text
    log.info("Step 3 - Subsetting fonts")
    faces = edition_fonts(edition, seed.root, source_text)
    out_dir = out_dir if out_dir.is_absolute() else seed.root / out_dir
    written: list[Path] = []
    from . import pdf  # WeasyPrint is imported only when an edition is built

    slug = edition.meta.slug
    if "pdf" in formats:
        log.info("Step 4 - Laying out and writing the print edition")
        result = pdf.write_pdf(edition, sidecar.layout, faces, out_dir / f"{slug}.pdf")
        written.append(result.path)
        page_of = result.page_of
    else:
        page_of = pdf.page_map(pdf.render_document(edition, sidecar.layout, faces))
    if "epub" in formats:
        from . import epub

        log.info("Step 5 - Writing the e-book")
        written.append(epub.write_epub(edition, sidecar.layout, faces,
                                       out_dir / f"{slug}.epub", page_of))
    return written
