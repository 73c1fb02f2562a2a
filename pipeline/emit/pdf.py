"""emit.pdf: the edition -> the print PDF, through WeasyPrint.

In:  ``model.Edition``, ``settings.Layout`` and the subset fonts
     (``pipeline.fonts.SubsetFace``; ``emit.build.edition_fonts`` makes them).
Out: ``render_document`` -> the laid-out ``weasyprint.Document`` (inspect pages,
     anchors, bookmarks and text boxes in tests); ``write_pdf`` -> the PDF file,
     written atomically, and ``PrintResult.page_of``: the printed page of every
     article and block id (the EPUB's page-list).

The PDF is tagged (PDF/UA-1: structure tree, /Lang, document title shown), embeds
the subset fonts as they are (``embed_subsets_as_is``: WeasyPrint does not subset them
again), and is byte-for-byte reproducible: no clock, no random ids (the dates
come from the edition and ``SOURCE_DATE_EPOCH``, see ``render.document_dates``;
the file identifier is a hash of the content).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import fonts, model, render
from ..settings import Layout
from ..stages import write_atomic
from . import cjk_justify

if TYPE_CHECKING:  # WeasyPrint is slow to import: only when a PDF is made
    from weasyprint import Document

log = logging.getLogger("paiban")

#: WeasyPrint's ``write_pdf`` options.  ``pdf/ua-1`` implies tags and PDF 1.7.
#: ``full_fonts`` stays off: in that mode WeasyPrint writes the text map from the
#: font's cmap alone, and glyphs made by layout features (Noto's composed "——")
#: lose their text.  Re-subsetting is skipped instead (``embed_subsets_as_is``).
PDF_OPTIONS = {
    "pdf_variant": "pdf/ua-1",
    "pdf_identifier": True,    # /ID from a hash of the content: reproducible
}


@functools.cache
def embed_subsets_as_is() -> None:
    """Make WeasyPrint embed paiban's font files without subsetting them again.

    The faces handed to WeasyPrint are already HarfBuzz subsets of the edition's
    characters (``emit.build.edition_fonts``); WeasyPrint 70 would subset them a
    second time with fontTools (about 0.3 s a face without the system's
    libharfbuzz-subset).  Its text map and widths still come from the glyphs it
    drew, so extraction stays exact.  Guarded like ``cjk_justify``: the pinned
    version's hook must exist.
    """
    from weasyprint.pdf import fonts as weasy_fonts

    if not callable(getattr(getattr(weasy_fonts, "Font", None), "subset", None)):
        raise RuntimeError("weasyprint.pdf.fonts.Font.subset is gone: "
                           f"paiban needs weasyprint=={cjk_justify.PINNED_WEASYPRINT}")

    def subset(self, to_unicode, hinting) -> None:  # the file is a subset already
        return None

    weasy_fonts.Font.subset = subset


@functools.cache
def cjk_justification() -> bool:
    """Patch WeasyPrint for inter-character justification (clreq §3.8), once per process.

    False, with a warning, when the patch cannot be installed (WeasyPrint's internals
    changed): the edition is still made, its CJK lines justified at spaces only.
    """
    try:
        cjk_justify.install()
    except RuntimeError as error:
        log.warning("%s Lines will not be flush.", error)
        return False
    return True


@dataclass(frozen=True)
class PrintResult:
    """A written print edition: its path, and the page of every article and block id."""

    path: Path
    page_of: dict[str, int]


def render_document(edition: model.Edition, layout: Layout,
                    faces: Iterable[fonts.SubsetFace], *, root: Path | None = None) -> Document:
    """Lay the edition out: a ``weasyprint.Document`` of its pages.

    ``root`` is the folder photos' paths are relative to (the project root).
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    cjk_justification()
    embed_subsets_as_is()
    font_css = fonts.font_face_css(faces, Path.as_uri)
    log.info("Step 3 - Rendering the print HTML")
    html = render.render_print(edition, layout, font_css)
    base = (root or render.LAYOUTS.parent).resolve()
    log.info("Step 4 - Laying out pages (WeasyPrint)")
    return HTML(string=html, base_url=base.as_uri() + "/").render(
        font_config=FontConfiguration())


def page_map(document: Document, edition: model.Edition) -> dict[str, int]:
    """1-based page of every article and block id of ``edition`` in ``document``.

    A block that prints nothing (a photo gap without a photo) has no anchor: it
    gets the page of what follows it (its article's page at the end).
    """
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            found.setdefault(anchor, number)
    page_of: dict[str, int] = {}
    for index, article in enumerate(edition.articles):
        ident = render.article_id(index)
        page_of[ident] = found[ident]
        following = None
        for number in reversed(range(len(article.body))):
            block = render.block_id(index, number)
            following = found.get(block, following)
            page_of[block] = following if following is not None else page_of[ident]
    return {ident: page_of[ident] for ident in render.model_ids(edition)}


def write_pdf(edition: model.Edition, layout: Layout, faces: Iterable[fonts.SubsetFace],
              out: Path, *, root: Path | None = None) -> PrintResult:
    """Render and write the print PDF to ``out`` (atomically)."""
    document = render_document(edition, layout, faces, root=root)
    log.info("Step 5 - Writing %s", out)
    write_atomic(out, document.write_pdf(**PDF_OPTIONS))
    return PrintResult(path=out, page_of=page_map(document, edition))


__all__ = ["PDF_OPTIONS", "PrintResult", "cjk_justification", "render_document",
           "page_map", "write_pdf"]
