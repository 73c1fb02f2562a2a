"""The e-book cover: a raster image made from the edition's metadata.

In: ``model.Meta`` (paper, ISO date, publisher) and the vendored font faces.
Out: PNG bytes (``render_cover``) showing the masthead (the paper's name), the
date with its weekday (``render.date_line``) and the publisher.

Why a PNG and not an SVG with an embedded font: every EPUB reading system
shows a raster ``cover-image`` in its library view, while SVG covers with
``@font-face`` are drawn without the font (or not at all) by several of them.
The image is drawn with Pillow from the *full* vendored fonts, not from the
edition's subsets: the masthead and the weekday are not necessarily in the
edition's text, so a subset may lack their glyphs.

The bytes depend only on the metadata, the font files and Pillow: the PNG
carries no timestamp, so rebuilding gives the same image.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image, ImageDraw, ImageFont

from .fonts import Face
from .model import Meta
from .render import date_line

#: Cover size in pixels: the 1:1.6 portrait that e-book stores ask for.
SIZE = (1600, 2560)
#: Newsprint, masthead red and ink.  Red on paper is 7.0:1 and ink on paper
#: 15.8:1, so the text in the image passes WCAG 1.4.3 (4.5:1) at any size.
PAPER = (248, 244, 234)
RED = (166, 20, 28)
INK = (28, 26, 24)
#: Shades from paper to each ink in the PNG's palette: the anti-aliased edges
#: of red or black type on paper need no others.
RAMP = 16


def _pick(faces: Iterable[Face], *wanted: tuple[str, int]) -> Face:
    """The first face matching one of ``wanted`` (family, weight), in that order."""
    faces = tuple(faces)
    for family, weight in wanted:
        for face in faces:
            if face.family == family and face.weight == weight:
                return face
    if not faces:
        raise ValueError("no font faces to draw the cover with")
    return faces[0]


def _fitted(face: Face, text: str, width: int, largest: int) -> ImageFont.FreeTypeFont:
    """``face`` at the largest size up to ``largest`` px that sets ``text`` within ``width``."""
    size = largest
    font = ImageFont.truetype(str(face.path), size)
    measured = font.getlength(text)
    if measured > width:
        size = max(12, int(size * width / measured))
        font = ImageFont.truetype(str(face.path), size)
    return font


def _masthead_lines(paper: str) -> tuple[str, ...]:
    """The paper's name in one line, or two halves when it is long.

    Past six characters one line would set the masthead too small to read as
    a masthead in a library's thumbnail.
    """
    if len(paper) <= 6:
        return (paper,)
    half = (len(paper) + 1) // 2
    return (paper[:half], paper[half:])


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str,
             font: ImageFont.FreeTypeFont, fill: tuple[int, int, int]) -> int:
    """Draw ``text`` centred with its top at ``y``; return the y below its ink."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (SIZE[0] - (right - left)) // 2 - left
    draw.text((x, y - top), text, font=font, fill=fill)
    return y + (bottom - top)


def render_cover(meta: Meta, faces: Iterable[Face]) -> bytes:
    """The cover as PNG bytes: masthead, a newspaper's double rule, date and publisher.

    ``faces`` are the vendored faces (``pipeline.fonts.Face``); the masthead
    is set in the Kai face (the calligraphic 报头 of Chinese papers), falling
    back to the bold serif; the date line in the regular serif.
    """
    faces = tuple(faces)
    masthead_face = _pick(faces, ("Paiban Kai", 400), ("Paiban Serif", 700))
    text_face = _pick(faces, ("Paiban Serif", 400), ("Paiban Serif", 700))
    heavy_face = _pick(faces, ("Paiban Sans", 700), ("Paiban Serif", 700))
    width, height = SIZE
    margin = 150
    measure = width - 2 * margin

    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    # A frame of two rules, as round a newspaper's front-page ear.
    draw.rectangle((60, 60, width - 61, height - 61), outline=INK, width=6)
    draw.rectangle((84, 84, width - 85, height - 85), outline=INK, width=2)

    paper = meta.paper or meta.publisher or meta.slug
    y = 680
    for line in _masthead_lines(paper):
        masthead = _fitted(masthead_face, line, measure - 80, 340)
        y = _centred(draw, y, line, masthead, RED) + 60
    y += 70
    # The double rule under the masthead: thick over thin.
    draw.rectangle((margin, y, width - margin, y + 14), fill=INK)
    draw.rectangle((margin, y + 30, width - margin, y + 34), fill=INK)
    y += 110
    dated = date_line(meta) or meta.date
    if dated:
        date_font = _fitted(text_face, dated, measure, 96)
        _centred(draw, y, dated, date_font, INK)
    if meta.publisher and meta.publisher != paper:
        publisher = _fitted(heavy_face, meta.publisher, measure, 72)
        _centred(draw, height - 420, meta.publisher, publisher, INK)

    out = io.BytesIO()
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(out, "PNG")
    return out.getvalue()


def _palette() -> Image.Image:
    """A palette image of the shades from paper to red and from paper to ink.

    Mapping the drawing onto these 32 colours takes milliseconds (adaptive
    quantization ~0.25 s) and gives a palette PNG about half the size of the
    RGB one.
    """
    shades = [
        tuple(round(paper + (ink - paper) * step / (RAMP - 1)) for paper, ink in zip(PAPER, colour))
        for colour in (RED, INK) for step in range(RAMP)
    ]
    palette = Image.new("P", (1, 1))
    palette.putpalette([value for shade in shades for value in shade])
    return palette


__all__ = ["SIZE", "render_cover"]
