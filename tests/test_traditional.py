"""Editions in traditional characters set their stops as Taiwan and Hong Kong do:
、。，．：；！？ centred in the em square, in both editions (README, "Traditional
characters").  The subsets carry the centred forms (the TC member's glyphs for Noto
CJK, fonts/*-marks.otf; the ink moved for LXGW WenKai), the stops are never halved,
and a simplified edition is as before.

In: tests/cases/traditional_big5/input.txt (Big5, tagged zh-Hant) and a small
simplified day with the same marks, built in scratch projects.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pdfplumber
import pypdf
import pytest
import uharfbuzz as hb
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from pipeline import fonts, render
from pipeline.typography import typeset

from .conftest import ROOT, require_tool
from .test_hostile import make_project, paiban

DOTS = "。，、"  # the marks a reader sees in every paragraph
SIMPLIFIED = ("交通局启用新号志系统\n\n本报讯 交通局今天宣布，全市一百二十处路口、"
              "学校周边的号志系统正式启用。局长表示：“效果很好！”\n")


def ink_middle(font: TTFont, char: str) -> tuple[float, float]:
    """Where the middle of ``char``'s ink sits in its em square, in em: (across, up
    from the ideographic em box's foot)."""
    glyphs, name = font.getGlyphSet(), font.getBestCmap()[ord(char)]
    pen = BoundsPen(glyphs)
    glyphs[name].draw(pen)
    x_min, y_min, x_max, y_max = pen.bounds
    em = font["head"].unitsPerEm
    foot = font["OS/2"].sTypoDescender
    return ((x_min + x_max) / 2 / glyphs[name].width, ((y_min + y_max) / 2 - foot) / em)


def centred(middle: tuple[float, float]) -> bool:
    return 0.45 <= middle[0] <= 0.55 and 0.4 <= middle[1] <= 0.6


# --- the language ------------------------------------------------------------------


@pytest.mark.parametrize("language, expected", [
    ("zh-Hant", True), ("zh-TW", True), ("zh-HK", True), ("zh-MO", True),
    ("zh-Hant-HK", True), ("zh-CN", False), ("zh-Hans", False), ("zh", False)])
def test_which_editions_centre_their_stops(language, expected):
    assert render.centred_stops(language) is expected


# --- the subsets ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def faces():
    return fonts.load_manifest(ROOT / "fonts")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("subsets")


TEXT = "臺中市今天宣布，路口、號誌。是嗎？好！：；．「」（）“”"


def test_every_noto_face_has_its_tc_marks_file(faces):
    by_family = {(face.family, face.weight): face for face in faces}
    for key in (("Paiban Serif", 400), ("Paiban Serif", 700), ("Paiban Sans", 700)):
        marks = by_family[key].centred_marks
        assert marks is not None and marks.stat().st_size < 8_000
        assert set(TTFont(marks).getBestCmap()) == set(map(ord, fonts.CENTRED_MARKS))
    assert by_family[("Paiban Kai", 400)].centred_marks is None


def test_centred_subsets_set_the_stops_in_the_middle_of_the_em(faces, cache):
    for face in faces:
        plain = TTFont(fonts.subset_face(face, TEXT, cache))
        hant = TTFont(fonts.subset_face(face, TEXT, cache, centred=True))
        for char in fonts.CENTRED_MARKS:
            across = ink_middle(hant, char)[0]
            assert 0.45 <= across <= 0.55, (face.family, face.weight, char, across)
            assert ink_middle(plain, char)[0] < 0.4, (face.family, face.weight, char)
        for char in DOTS:
            assert centred(ink_middle(hant, char)), (face.family, face.weight, char)
            assert not centred(ink_middle(plain, char)), (face.family, face.weight, char)


def test_noto_subsets_take_the_tc_glyphs_themselves(faces, cache):
    """Not the SC glyph moved: the TC serif comma is drawn differently."""
    for face in faces:
        if face.centred_marks is None:
            continue
        hant = TTFont(fonts.subset_face(face, TEXT, cache, centred=True))
        marks = TTFont(face.centred_marks)
        for char in fonts.CENTRED_MARKS:
            ours, theirs = RecordingPen(), RecordingPen()
            hant.getGlyphSet()[hant.getBestCmap()[ord(char)]].draw(ours)
            marks.getGlyphSet()[marks.getBestCmap()[ord(char)]].draw(theirs)
            assert ours.value == theirs.value, (face.family, face.weight, char)


def test_a_centred_stop_has_no_halt_and_brackets_keep_theirs(faces, cache):
    for face in faces:
        path = fonts.subset_face(face, TEXT, cache, centred=True)
        font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
        for text, width in (("。", 1.0), ("，", 1.0), ("」", 0.5), ("「", 0.5), ("）", 0.5)):
            buffer = hb.Buffer()
            buffer.add_str(text)
            buffer.guess_segment_properties()
            hb.shape(font, buffer, {"halt": True})
            advance = buffer.glyph_positions[0].x_advance / font.face.upem
            assert advance == width, (face.family, face.weight, text, advance)


def test_simplified_subsets_are_named_and_made_as_before(faces, cache):
    face = faces[0]
    assert fonts.subset_face(face, TEXT, cache) != fonts.subset_face(face, TEXT, cache, True)
    key = fonts._subset_key(face, sorted(map(ord, TEXT)))
    assert fonts.subset_face(face, TEXT, cache).name == f"{face.path.stem}-{key[:24]}.otf"


# --- compression ---------------------------------------------------------------------


@pytest.mark.parametrize("text, simplified, traditional", [
    ("好。」他", "好<pc>。</pc>」他", "好。」他"),           # a centred stop is not halved
    ("好，。", "好<pc>，</pc>。", "好，。"),
    ("說，「好", "說<pc>，</pc>「好", "說，<pc>「</pc>好"),  # the bracket is, against its text
    ("好」，他", "好<pc>」</pc>，他", "好<pc>」</pc>，他"),
    ("）「", "<pc>）</pc>「", "<pc>）</pc>「"),
    ("「『", "「<pc>『</pc>", "「<pc>『</pc>"),
    ("』」", "<pc>』</pc>」", "<pc>』</pc>」"),
])
def test_traditional_editions_compress_brackets_only(text, simplified, traditional):
    def marks(html: str) -> str:
        return html.replace('<span class="pc">', "<pc>").replace("</span>", "</pc>")
    assert marks(str(typeset(text, paragraph_end=False))) == simplified
    assert marks(str(typeset(text, paragraph_end=False, centred_stops=True))) == traditional


# --- the built editions ------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The Big5 day (zh-Hant) and a simplified day, each built into its own project."""
    cache = tmp_path_factory.mktemp("font-cache")
    projects = {}
    for name, data in (("t", (ROOT / "tests/cases/traditional_big5/input.txt").read_bytes()),
                       ("s", SIMPLIFIED)):
        project = make_project(tmp_path_factory.mktemp(name), cache, {f"{name}.txt": data})
        result = paiban(project, "build", f"seeds/{name}.txt")
        assert result.returncode == 0, result.stderr
        projects[name] = project / "dist"
    return projects


def embedded_fonts(pdf: Path) -> dict[str, TTFont]:
    """The fonts the PDF embeds, by BaseFont without its subset tag (Paiban-Serif)."""
    found = {}
    for page in pypdf.PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            name = str(font["/BaseFont"]).partition("+")[2]
            found[name] = TTFont(io.BytesIO(stream.get_object().get_data()))
    return found


def stops_in_pdf(pdf: Path) -> list[tuple[str, str, float]]:
    """Each stop of 。，、 the PDF sets: (character, font, advance in em)."""
    with pdfplumber.open(pdf) as document:
        return [(char["text"], char["fontname"].partition("+")[2],
                 (char["x1"] - char["x0"]) / char["size"])
                for page in document.pages for char in page.chars if char["text"] in DOTS]


def test_the_traditional_pdf_sets_its_stops_centred_and_whole(built):
    pdf = built["t"] / "t.pdf"
    embedded = embedded_fonts(pdf)
    stops = stops_in_pdf(pdf)
    assert {font for _, font, _ in stops} >= {"Paiban-Serif", "Paiban-Sans-Bold"}
    assert {char for char, _, _ in stops} == set(DOTS)
    for char, font, advance in stops:
        assert advance == pytest.approx(1.0, abs=0.01), (char, font)  # never halved
        assert centred(ink_middle(embedded[font], char)), (char, font)


def test_the_simplified_pdf_keeps_its_stops_in_the_corner(built):
    pdf = built["s"] / "s.pdf"
    embedded = embedded_fonts(pdf)
    stops = stops_in_pdf(pdf)
    assert {char for char, _, _ in stops} == set(DOTS)
    for char, font, _ in stops:
        across, up = ink_middle(embedded[font], char)
        assert across < 0.4 and up < 0.3, (char, font)


def test_the_traditional_ebook_embeds_centred_stops_and_passes_epubcheck(built):
    book = built["t"] / "t.epub"
    with zipfile.ZipFile(book) as read:
        serif = TTFont(io.BytesIO(read.read("EPUB/fonts/NotoSerifSC-Regular.otf")))
        chapter = next(read.read(name).decode("utf-8") for name in read.namelist()
                       if "，" in read.read(name).decode("utf-8", "replace")
                       and name.endswith(".xhtml") and "nav" not in name)
    for char in DOTS:
        assert centred(ink_middle(serif, char)), char
    assert 'lang="zh-Hant"' in chapter and '<span class="pc">，</span>' not in chapter
    require_tool("java")
    from pipeline.emit.epub import epubcheck

    result = epubcheck(book)
    assert result.fatal == result.error == result.warning == 0, result.messages
