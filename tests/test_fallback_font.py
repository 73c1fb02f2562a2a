"""A sidecar's ``fallback_font``: characters no bundled face draws (a rare character in a
name) are drawn from it in both editions — subset to those characters, the family every
stack ends in after Song — instead of stopping the build.  The font is made here with
fontTools: a TrueType face whose only glyph is a box at U+2A6D6 (𪛖)."""

from __future__ import annotations

import zipfile

import pdfplumber
import pypdf
import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

from .conftest import require_tool
from .test_hostile import (assert_clean_failure, assert_nothing_written, epub_text,
                           make_project, paiban, squeeze)

RARE = "\U0002A6D6"
TEXT = f"标题\n\n第一段。\n\n罕见字{RARE}在此，又见{RARE}。\n"
FAMILY = "PaibanTestRare"


def rare_font(chars: str = RARE) -> bytes:
    """A TrueType font with a box glyph for each of ``chars`` (1000 units to the em)."""
    import io

    names = [".notdef"] + [f"uni{ord(char):X}" for char in chars]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(char): name for char, name in zip(chars, names[1:])})
    pen = TTGlyphPen(None)
    for x0, y0, x1, y1 in ((80, -80, 920, 800), (160, 0, 840, 720)):
        pen.moveTo((x0, y0))
        for point in ((x0, y1), (x1, y1), (x1, y0)) if x0 == 80 else ((x1, y0), (x1, y1), (x0, y1)):
            pen.lineTo(point)
        pen.closePath()
    box = pen.glyph()
    builder.setupGlyf({name: box for name in names})
    builder.setupHorizontalMetrics({name: (1000, 80) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": FAMILY, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def font_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("font-cache")


def project_with(tmp_path, font_cache, sidecar: str, files: dict | None = None):
    project = make_project(tmp_path, font_cache, {"rare.txt": TEXT, **(files or {})})
    (project / "seeds" / "rare.yaml").write_text(sidecar, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory, font_cache):
    project = project_with(tmp_path_factory.mktemp("fallback"), font_cache,
                           "fallback_font: fonts-extra/rare.ttf\n",
                           {"fonts-extra/rare.ttf": rare_font()})
    result = paiban(project, "build", "seeds/rare.txt")
    assert result.returncode == 0, result.stderr
    return project


def test_the_pdf_draws_the_rare_character_from_the_fallback(built):
    pdf = built / "dist" / "rare.pdf"
    with pdfplumber.open(pdf) as read:
        chars = [char for page in read.pages for char in page.chars]
    rare = [char for char in chars if char["text"] == RARE]
    # WeasyPrint names embedded fonts after their CSS family, "Paiban Serif" for both:
    # the fallback is the other subset (another tag), a TrueType one (Song is CFF).
    fallback = {char["fontname"] for char in rare}
    song = {char["fontname"] for char in chars if char["text"] in "罕见字在此"}
    assert len(rare) == 2 and len(fallback) == 1 and not fallback & song
    assert all(char["fontname"] not in fallback for char in chars if char["text"] != RARE)
    assert all(abs(char["width"] - char["size"]) < 0.01 for char in rare)  # 1em advance
    reader = pypdf.PdfReader(pdf)
    kinds = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            kinds[font["/BaseFont"][1:]] = sorted(k for k in descriptor if k.startswith("/FontFile"))
    assert kinds[fallback.pop()] == ["/FontFile2"]  # glyf outlines: the made font
    text = "".join(char["text"] for char in chars)
    assert f"罕见字{RARE}在此，又见{RARE}。" in squeeze(text)


def test_the_ebook_embeds_the_fallback_limited_to_the_rare_character(built):
    book = built / "dist" / "rare.epub"
    assert RARE in epub_text(book)
    with zipfile.ZipFile(book) as read:
        names = read.namelist()
        css = read.read("EPUB/css/fonts.css").decode("utf-8")
    assert "EPUB/fonts/fallback-rare.ttf" in names
    rule = next(rule for rule in css.split("@font-face")[1:] if "fallback-rare.ttf" in rule)
    assert 'font-family: "Paiban Fallback"' in rule
    with zipfile.ZipFile(book) as read:
        stacks = read.read("EPUB/css/ebook.css").decode("utf-8")
    assert stacks.count('"Paiban Serif", "Paiban Fallback"') >= 5


def test_the_ebook_with_a_fallback_passes_epubcheck(built):
    require_tool("java")
    from pipeline.emit.epub import epubcheck

    result = epubcheck(built / "dist" / "rare.epub")
    assert result.fatal == result.error == result.warning == 0, result.messages


def test_a_fallback_that_lacks_the_character_still_stops_the_build(tmp_path, font_cache):
    project = project_with(tmp_path, font_cache, "fallback_font: other.ttf\n",
                           {"other.ttf": rare_font("\U0002A6D7")})
    assert_clean_failure(paiban(project, "build", "seeds/rare.txt"), 1, "rare.txt", "U+2A6D6",
                         "line 5", "nor the fallback font")
    assert_nothing_written(project)


@pytest.mark.parametrize("sidecar, files, code, words", [
    ("fallback_font: bad.ttf\n", {"bad.ttf": b"not a font at all"}, 1,
     ["bad.ttf is not an OpenType or TrueType font file"]),
    ("fallback_font: rare.woff\n", {"rare.woff": b"wOFF"}, 2,
     ["fallback_font", "not named as a font"]),
    ("fallback_font: missing.ttf\n", {}, 2, ["fallback_font", "does not exist"]),
    ("fallback_font: ../../rare.ttf\n", {}, 2, ["fallback_font", "relative path inside"]),
    ("fallback_font: 3\n", {}, 2, ["fallback_font", "expected str, got int"]),
])
def test_a_bad_fallback_font_is_one_line(tmp_path, font_cache, sidecar, files, code, words):
    project = project_with(tmp_path, font_cache, sidecar, files)
    assert_clean_failure(paiban(project, "build", "seeds/rare.txt"), code, *words)
    assert_nothing_written(project)


def test_changing_the_fallback_font_rebuilds(built):
    """The fallback font is an input: the content key covers its bytes."""
    from pipeline import stamp

    seed = built / "seeds" / "rare.txt"
    before = stamp.edition_key(seed, built)
    (built / "seeds" / "fonts-extra" / "rare.ttf").write_bytes(rare_font(RARE + "\U0002A6D7"))
    assert stamp.edition_key(seed, built) != before
