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
from .. import render
from ..fonts import SubsetFace, coverage_gaps, load_manifest, subset_face
from ..model import Edition, edition_text

log = logging.getLogger("paiban")

# Characters the layouts may set besides the edition's text: ASCII (URLs, page
# numbers) and every character written in the templates themselves.
_ALWAYS = string.printable.strip() + "\u3000"


def layout_chars(root: Path) -> str:
    """Every non-ASCII character written in the layouts' templates (目录, 星期…)."""
    found = set()
    for path in sorted((root / "layouts").rglob("*")):
        # Package metadata (the OPF's accessibility summary, the NCX) is never set in type.
        if path.is_file() and path.suffix in (".j2", ".css") and not path.name.endswith(
                (".opf.j2", ".ncx.j2", ".xml.j2")):
            found.update(ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 0x7F)
    return "".join(sorted(found))


def _where(char: str, source_text: str) -> str:
    lines = [n for n, line in enumerate(source_text.split("\n"), start=1) if char in line]
    shown = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
    return f"{char} (U+{ord(char):04X}) line {shown}" if lines else f"{char} (U+{ord(char):04X})"


def edition_fonts(edition: Edition, root: Path, source_text: str = "",
                  cache: Path | None = None) -> tuple[SubsetFace, ...]:
    """One subset of each bundled face for both editions; stop on a coverage gap.

    Each face gets the characters the layouts set in it (``render.face_text``);
    Song Regular also gets everything else an edition can show (the whole text,
    the templates' own words, ASCII), so the e-book's navigation and a reading
    system's fallback find their glyphs.  A character that Hei or Kai lacks is
    drawn by the next face of its stack, Song of the same weight, so it joins that
    subset (never a system font).  A character no bundled face draws stops the
    build with one line naming it and its source lines, rather than a blank box.
    """
    cache = cache or root / "build" / "fonts"
    faces = load_manifest(root / "fonts", cache)
    everything = edition_text(edition) + layout_chars(root) + _ALWAYS
    song = [f for f in faces if f.family == render.SONG and f.weight == 400]
    gaps = coverage_gaps(everything, song, cache)
    if gaps:
        shown = "; ".join(_where(ch, source_text) for ch in sorted(gaps)[:8])
        raise BuildError(f"{len(gaps)} character(s) no bundled font draws: {shown}")
    wanted = dict(render.face_text(edition))
    wanted[(render.SONG, 400)] = wanted.get((render.SONG, 400), "") + everything
    for face in faces:
        key = (face.family, face.weight)
        if face.family != render.SONG and key in wanted:
            missing = "".join(coverage_gaps(wanted[key], [face], cache))
            fallback = (render.SONG, face.weight)
            wanted[fallback] = wanted.get(fallback, "") + missing
    return tuple(
        SubsetFace(face, subset_face(face, wanted[(face.family, face.weight)], cache))
        for face in faces if (face.family, face.weight) in wanted)


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
        result = pdf.write_pdf(edition, sidecar.layout, faces, out_dir / f"{slug}.pdf",
                               root=seed.root)
        written.append(result.path)
        page_of = result.page_of
    else:
        page_of = pdf.page_map(
            pdf.render_document(edition, sidecar.layout, faces, root=seed.root), edition)
    if "epub" in formats:
        from . import epub

        log.info("Step 5 - Writing the e-book")
        written.append(epub.write_epub(edition, sidecar.layout, faces,
                                       out_dir / f"{slug}.epub", page_of, root=seed.root))
    return written
