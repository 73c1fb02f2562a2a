"""Tests for the vendored fonts (fonts/) and pipeline.fonts.

In: fonts/manifest.yaml and the files it lists; seeds/000_3b959c98e2937adc.txt.
Out: pass or fail.  Subsetting is HarfBuzz (milliseconds a face); the two
WeasyPrint checks render one small page each.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from pipeline import fonts
from pipeline.fonts import FontError, SubsetFace

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "fonts"
SEED = ROOT / "seeds" / "000_3b959c98e2937adc.txt"
CSS_FACES = {("Paiban Serif", 400), ("Paiban Serif", 700), ("Paiban Sans", 700),
             ("Paiban Kai", 400)}


@pytest.fixture(scope="module")
def faces() -> tuple[fonts.Face, ...]:
    return fonts.load_manifest(FONTS)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def subsets(faces, seed_text, tmp_path_factory) -> tuple[SubsetFace, ...]:
    return fonts.subset_all(faces, seed_text, tmp_path_factory.mktemp("subsets"))


def _cmap(path: Path) -> set[int]:
    return set(TTFont(path, lazy=True).getBestCmap())


def _layout_features(path: Path) -> set[str]:
    font = TTFont(path, lazy=True)
    return {record.FeatureTag for tag in ("GSUB", "GPOS") if tag in font
            for record in font[tag].table.FeatureList.FeatureRecord}


# --- the vendored files -------------------------------------------------------

def test_manifest_hashes_and_sizes_match_files() -> None:
    manifest = yaml.safe_load((FONTS / "manifest.yaml").read_text(encoding="utf-8"))
    for entry in manifest["faces"]:
        data = (FONTS / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert len(data) == entry["size"], entry["file"]
        assert entry["licence"] == "OFL-1.1"
    assert sum(e["size"] for e in manifest["faces"]) < 64_000_000
    assert {(e["css_family"], e["weight"]) for e in manifest["faces"]} == CSS_FACES


def test_load_manifest_gives_the_css_faces(faces) -> None:
    assert {(face.family, face.weight) for face in faces} == CSS_FACES
    assert all(face.path.is_absolute() and face.style == "normal" for face in faces)


def test_noto_faces_are_the_simplified_chinese_members(faces) -> None:
    for face in faces:
        if face.path.suffix == ".otf":
            family = TTFont(face.path, lazy=True)["name"].getDebugName(1)
            assert family in {"Noto Serif CJK SC", "Noto Sans CJK SC"}


# --- load_manifest errors -----------------------------------------------------

def _copy_manifest(tmp_path: Path) -> list[str]:
    shutil.copy(FONTS / "manifest.yaml", tmp_path / "manifest.yaml")
    manifest = yaml.safe_load((FONTS / "manifest.yaml").read_text(encoding="utf-8"))
    return [entry["file"] for entry in manifest["faces"]]


def test_missing_font_file_raises_font_error_naming_it(tmp_path) -> None:
    names = _copy_manifest(tmp_path)
    for name in names[1:]:
        os.symlink(FONTS / name, tmp_path / name)
    with pytest.raises(FontError, match=re.escape(names[0])) as caught:
        fonts.load_manifest(tmp_path)
    assert "missing" in str(caught.value) and "\n" not in str(caught.value)


def test_corrupt_font_file_raises_font_error_naming_it(tmp_path) -> None:
    names = _copy_manifest(tmp_path)
    for name in names[:-1]:
        os.symlink(FONTS / name, tmp_path / name)
    # Right size, wrong bytes: only the hash can tell.
    with (tmp_path / names[-1]).open("wb") as stream:
        stream.truncate((FONTS / names[-1]).stat().st_size)
    with pytest.raises(FontError, match=re.escape(names[-1])) as caught:
        fonts.load_manifest(tmp_path)
    assert "corrupt" in str(caught.value) and "\n" not in str(caught.value)


def test_unreadable_manifest_raises_font_error(tmp_path) -> None:
    (tmp_path / "manifest.yaml").write_text("faces: [unclosed", encoding="utf-8")
    with pytest.raises(FontError, match="manifest"):
        fonts.load_manifest(tmp_path)


# --- coverage ---------------------------------------------------------------

def test_coverage_gaps_none_for_the_seed(faces, seed_text) -> None:
    assert fonts.coverage_gaps(seed_text, faces) == {}


def test_coverage_gaps_reports_uncovered_chars_with_offsets(faces) -> None:
    # U+2A6D6 (CJK Ext. B) is in none of the fonts, nor is a private-use
    # character.  U+20BB7 𠮷 is *not* a gap: Noto CJK and WenKai both draw it.
    text = "衡阳\U0002a6d6市\ue000 \u3000\n\t\u200b𠮷\U0002a6d6"
    assert fonts.coverage_gaps(text, faces) == {
        "\U0002a6d6": (2, 11), "\ue000": (4,)}


def test_coverage_gaps_per_role(faces) -> None:
    kai = [face for face in faces if face.family == "Paiban Kai"]
    # U+3400 (CJK Ext. A) is in Noto but not in WenKai: a byline using it
    # would fall back to another font.
    assert fonts.coverage_gaps("记者\u3400", kai) == {"\u3400": (2,)}
    assert fonts.coverage_gaps("记者\u3400", faces) == {}


def test_cmap_json_cache_round_trips(faces, tmp_path, monkeypatch) -> None:
    face = next(f for f in faces if f.family == "Paiban Kai")
    monkeypatch.setattr(fonts, "_cmap_memo", {})
    from_font = fonts.face_codepoints(face, tmp_path)
    assert len(list(tmp_path.glob("cmap-*.json"))) == 1
    monkeypatch.setattr(fonts, "_cmap_memo", {})
    monkeypatch.setattr(fonts, "_read_cmap", lambda face: pytest.fail("cache not used"))
    assert fonts.face_codepoints(face, tmp_path) == from_font


# --- subsets ------------------------------------------------------------------

def test_subset_maps_exactly_the_requested_chars(faces, subsets, seed_text) -> None:
    requested = {ord(char) for char in seed_text}
    for subset in subsets:
        assert _cmap(subset.path) == requested & _cmap(subset.face.path), subset.path.name
    # Only the tab and the newline are not in the fonts.
    assert requested - _cmap(subsets[0].path) == {0x09, 0x0A}


def test_subset_keeps_cjk_layout_features(subsets) -> None:
    # HarfBuzz drops a feature whose lookups touch none of the kept glyphs
    # (Noto's vkrn kerns kana only), so check the ones Chinese text uses.
    wanted = {"halt", "palt", "vhal", "vert", "locl", "kern"}
    for subset in subsets:
        source = _layout_features(subset.face.path)
        kept = _layout_features(subset.path)
        assert source & wanted <= kept, subset.path.name
        if subset.format == "opentype":  # Noto; WenKai has vert but no GPOS at all
            assert wanted <= kept
        assert "halt" in kept, subset.path.name  # made for WenKai (fonts._with_halt)


def test_a_halt_feature_is_made_for_a_face_without_one(faces) -> None:
    import uharfbuzz as hb

    kai = next(face for face in faces if face.path.name.startswith("LXGW"))
    assert "halt" not in _layout_features(kai.path)
    data = fonts._subset_bytes(kai, sorted(map(ord, "（张）。，、“”")))
    font = hb.Font(hb.Face(data))

    def advances(text: str, halt: bool) -> list[tuple[int, int]]:
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        hb.shape(font, buffer, {"halt": halt})
        return [(p.x_advance, p.x_offset) for p in buffer.glyph_positions]

    assert advances("（张）。，、", False) == [(1000, 0)] * 6
    # the opening bracket loses its left half, closing marks and stops their right
    assert advances("（张）。，、", True) == [(500, -500), (1000, 0)] + [(500, 0)] * 4
    # WenKai's curly quotes are proportional (350 units): not touched
    assert advances("“”", True) == advances("“”", False)
    assert fonts._with_halt(data) == data  # a face that has halt keeps its bytes


def test_subset_cff_cids_equal_glyph_ids(subsets) -> None:
    for subset in subsets:
        if subset.format == "opentype":
            order = TTFont(subset.path, lazy=True).getGlyphOrder()
            assert order[1:] == [f"cid{gid:05d}" for gid in range(1, len(order))]


def test_subset_bytes_identical_across_runs(faces, seed_text, tmp_path) -> None:
    for face in faces:
        first = fonts.subset_face(face, seed_text, tmp_path / "a")
        second = fonts.subset_face(face, seed_text[::-1], tmp_path / "b")
        assert first.name == second.name
        assert first.read_bytes() == second.read_bytes()


def test_subset_is_reused_from_the_cache(faces, tmp_path, monkeypatch) -> None:
    path = fonts.subset_face(faces[0], "新闻", tmp_path)
    monkeypatch.setattr(fonts, "_subset_bytes", lambda *a: pytest.fail("re-subset"))
    assert fonts.subset_face(faces[0], "闻新", tmp_path) == path
    # no temp file left; the subset's recorded hash beside it (checked before reuse)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + ".sha256"]


def test_a_damaged_subset_in_the_cache_is_made_again(faces, tmp_path) -> None:
    path = fonts.subset_face(faces[0], "新闻", tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole[:500])
    assert fonts.subset_face(faces[0], "新闻", tmp_path) == path
    assert path.read_bytes() == whole
    path.with_name(path.name + ".sha256").unlink()  # no recorded hash: not trusted either
    path.write_bytes(b"")
    fonts.subset_face(faces[0], "新闻", tmp_path)
    assert path.read_bytes() == whole


def test_subset_all_takes_chars_per_family(faces, tmp_path) -> None:
    subsets = fonts.subset_all(faces, {"Paiban Kai": "记者李明"}, tmp_path)
    assert [s.face.family for s in subsets] == ["Paiban Kai"]
    assert _cmap(subsets[0].path) == {ord(char) for char in "记者李明"}
    assert subsets[0].media_type == "font/ttf"


def test_subsets_do_not_use_reserved_font_names(faces, subsets) -> None:
    """OFL condition 3: LXGW WenKai reserves "霞鹜" and "LXGW"; its subset (a Modified
    Version) is renamed after its CSS family, keeping the copyright and licence."""
    kai_face = next(face for face in faces if face.family == "Paiban Kai")
    assert kai_face.reserved_names == ("霞鹜", "LXGW")
    kai = next(subset for subset in subsets if subset.face is kai_face)
    names = {record.nameID: record.toUnicode() for record in TTFont(kai.path)["name"].names}
    for name_id in (1, 3, 4, 6, 16, 17, 18, 21):
        assert not any(word in names.get(name_id, "") for word in ("霞鹜", "LXGW")), name_id
    assert names[1] == "Paiban Kai" and names[6] == "PaibanKai-Regular"
    assert "LXGW" in names[0] and "Open Font License" in names[13]  # notices kept
    assert kai.file_name == "PaibanKai-Regular.ttf"
    # The vendored file itself is the original, unmodified (distributed as is).
    assert "LXGW" in TTFont(kai_face.path, lazy=True)["name"].getDebugName(1)
    # Faces without reserved names keep their names and file names.
    serif = next(subset for subset in subsets if subset.face.family == "Paiban Serif")
    assert serif.file_name == serif.face.path.name
    assert TTFont(serif.path)["name"].getDebugName(1) == "Noto Serif CJK SC"


def test_font_face_css(subsets) -> None:
    css = fonts.font_face_css(subsets, lambda path: f'fonts/{path.name}"x')
    assert css.count("@font-face") == 4
    assert 'font-family: "Paiban Serif";' in css and "font-weight: 700;" in css
    assert 'format("opentype")' in css and 'format("truetype")' in css
    assert re.search(r'src: url\("fonts/NotoSansSC-Bold-[0-9a-f]{24}\.otf\\"x"\)', css)


# --- WeasyPrint ---------------------------------------------------------------

def _render(subsets, body: str, **options) -> PdfReader:
    from weasyprint import HTML  # imported here: it takes ~1 s to load
    css = fonts.font_face_css(subsets, Path.as_uri)
    document = (
        f"<html lang='zh-Hans'><style>{css}\n@page {{ size: A5; margin: 10mm }}"
        " body { font-family: 'Paiban Serif'; font-size: 10pt }"
        " h1 { font-family: 'Paiban Sans'; font-weight: 700 }"
        " .byline { font-family: 'Paiban Kai' }</style><body>" + body + "</body></html>")
    return PdfReader(io.BytesIO(HTML(string=document).write_pdf(**options)))


def _embedded_fonts(reader: PdfReader) -> dict[str, bytes]:
    """Name-table family of each embedded font program -> its bytes."""
    found = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            data = stream.get_object().get_data()
            found[TTFont(io.BytesIO(data))["name"].getDebugName(1)] = data
    return found


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# WeasyPrint warns on import when libharfbuzz-subset is absent (Debian:
# libharfbuzz-subset0); it then re-subsets with fontTools, slower but correct.
NO_HB_SUBSET_WARNING = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")


@NO_HB_SUBSET_WARNING
def test_weasyprint_sets_chinese_with_the_subsets(subsets, seed_text) -> None:
    lines = [line for line in seed_text.splitlines() if line.strip()]
    headline, byline, paragraph = lines[0], "记者 李明", lines[2][:200]
    reader = _render(
        subsets, f"<h1>{html.escape(headline)}</h1><p class='byline'>{byline}</p>"
        f"<p>{html.escape(paragraph)}</p>")
    # Only our three families: no system font stood in for a missing glyph.
    assert set(_embedded_fonts(reader)) == {
        "Noto Serif CJK SC", "Noto Sans CJK SC", "Paiban Kai"}  # the Kai subset renamed
    text = _squeeze("".join(page.extract_text() for page in reader.pages))
    assert text == _squeeze(headline + byline + paragraph)


@NO_HB_SUBSET_WARNING
def test_weasyprint_full_fonts_embeds_the_subset_unchanged(subsets) -> None:
    serif = next(s for s in subsets if (s.face.family, s.face.weight) == ("Paiban Serif", 400))
    reader = _render([serif], "<p>衡阳市生态环境保护督察</p>", full_fonts=True)
    assert _embedded_fonts(reader) == {"Noto Serif CJK SC": serif.path.read_bytes()}
    assert _squeeze(reader.pages[0].extract_text()) == "衡阳市生态环境保护督察"
