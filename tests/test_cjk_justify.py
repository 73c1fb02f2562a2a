"""CJK justification (pipeline.weasyprint_ext.cjk_justify), measured in the PDF.

In:  generated Chinese paragraphs mixing Han, Latin, digits, punctuation and
     inline spans, marked up by ``pipeline.typography.typeset`` and rendered by
     WeasyPrint with ``cjk_justify.install()``, at 10.5pt in a 40em, a 39.6em
     and a two-column measure, ``text-align: justify; text-indent: 2em``.
Out: assertions on the glyph positions (pdfplumber) and the text layers
     (pypdf, pdftotext): flush lines, clreq line-start/line-end rules,
     unstretched last lines, punctuation compression, the Han/Western gap
     in the glyphs and not in the text; and on the operators that keep
     gaps out of the text (character spacing in ActualText spans), which
     move no glyph and no pixel.
"""

from __future__ import annotations

import html
import io
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from markupsafe import Markup, escape

from pipeline import typography
from pipeline.weasyprint_ext import cjk_justify
from pipeline.typography import is_han, is_western, typeset

pytest.importorskip("weasyprint")
pdfplumber = pytest.importorskip("pdfplumber")
pypdf = pytest.importorskip("pypdf")

ROOT = Path(__file__).resolve().parent.parent
VENDORED_FONT = ROOT / "fonts" / "NotoSerifSC-Regular.otf"

FONT_SIZE = 10.5                 # pt, the body size
EM = FONT_SIZE
MARGIN = 20 * 72 / 25.4          # @page margin: 20mm, in pt
FLUSH_TOLERANCE = 0.5            # pt
LINE_START_FORBIDDEN = set("、，。；：？！）》」』”’")
LINE_END_FORBIDDEN = set("（《「『“‘")
# A paragraph end the widow guard applies to: two Han, then only closing marks.
HAN_ENDING = re.compile("[\u4e00-\u9fff]{2}[”’）》」』】〕〗］｝、，。．：；！？—…]*$")

# --------------------------------------------------------------------------
# the corpus

HAN = ("记者从市政府新闻发布会上获悉今年以来全市经济运行总体平稳稳中有进主要指标好于预期"
       "城乡居民收入持续增长社会事业全面发展人民群众获得感幸福感安全感不断增强我们将继续坚持"
       "以人民为中心的发展思想推动高质量发展在新的起点上奋力谱写现代化建设新篇章")
LATIN = ("App", "GDP", "WeasyPrint", "iPhone", "PDF", "Wi-Fi", "5G", "CPU", "OpenType")
NUMBERS = ("2020年", "43个", "3.5%", "1998", "12月31日", "100万", "7.8亿元", "第3季度")
GAP_TEXT = "他说2020年App查询43个结果，Wi-Fi覆盖3.5%的地区。"
PAIRS = ("”“", "。”", "）“", "”、", "，“", "》（", "。“", "；“", "）》", "」『", "“《", "？”",
         "！”", "”，", "）、", "》，")


def _han(rng: random.Random, n: int) -> str:
    start = rng.randrange(len(HAN) - n)
    return HAN[start:start + n]


def _piece(rng: random.Random) -> tuple[str | None, str]:
    """One inline piece: (tag or None, text)."""
    kind = rng.randrange(13)
    if kind == 0:
        return None, _han(rng, 3) + rng.choice(LATIN) + _han(rng, 4)
    if kind == 1:
        return None, _han(rng, 2) + rng.choice(NUMBERS) + _han(rng, 3)
    if kind == 2:
        return None, "“" + _han(rng, rng.randint(2, 8)) + "”"
    if kind == 3:
        return None, "《" + _han(rng, rng.randint(2, 6)) + "》"
    if kind == 4:
        return None, "（" + _han(rng, rng.randint(2, 6)) + "）"
    if kind == 5:
        return None, "——" + _han(rng, 4)
    if kind == 6:
        return None, _han(rng, 3) + "……"
    if kind == 7:
        return "b", _han(rng, rng.randint(2, 6))
    if kind == 8:
        return "a", _han(rng, 3) + rng.choice(LATIN)
    if kind == 9:
        return "span", _han(rng, 5)
    if kind == 10:
        return None, rng.choice(PAIRS)
    return None, _han(rng, rng.randint(4, 12))


def corpus(seed: int, count: int) -> list[list[tuple[str | None, str]]]:
    """Paragraphs as lists of (tag, text); tag "br" is a forced break."""
    rng = random.Random(seed)
    paragraphs = []
    for number in range(count):
        pieces: list[tuple[str | None, str]] = [(None, _han(rng, 4))]
        for _ in range(rng.randint(6, 30)):
            pieces.append(_piece(rng))
            pieces.append((None, rng.choice("，，，。、；：？！")))
        pieces[-1] = (None, "。")
        if number % 7 == 3:  # a forced break in the middle, before Han text
            middle = next((k for k in range(len(pieces) // 2, len(pieces), 2)
                           if is_han(pieces[k][1][0])), None)
            if middle is not None:
                pieces.insert(middle, ("br", ""))
        merged: list[tuple[str | None, str]] = []
        for tag, text in pieces:  # untagged neighbours form one run
            if merged and tag is None and merged[-1][0] is None:
                merged[-1] = (None, merged[-1][1] + text)
            else:
                merged.append((tag, text))
        paragraphs.append(merged)
    return paragraphs


def paragraph_html(paragraph: list[tuple[str | None, str]]) -> Markup:
    """The paragraph's inner HTML, every run through ``typeset``."""
    parts = []
    last = max(i for i, (tag, _) in enumerate(paragraph) if tag != "br")
    for i, (tag, text) in enumerate(paragraph):
        body = typeset(text, paragraph_end=(i == last), whole_runs=True)
        if tag == "br":
            parts.append(Markup("<br>"))
        elif tag == "a":
            parts.append(Markup('<a href="https://example.org/">') + body + Markup("</a>"))
        elif tag:
            parts.append(Markup(f"<{tag}>") + body + Markup(f"</{tag}>"))
        else:
            parts.append(body)
    return Markup("").join(parts)


def plain(paragraphs) -> str:
    return "".join(text for paragraph in paragraphs for _, text in paragraph)


CORPUS = corpus(seed=20240501, count=28)

# --------------------------------------------------------------------------
# fonts and rendering


@pytest.fixture(scope="session")
def font(tmp_path_factory) -> Path:
    """Noto Serif SC subset to the test texts (WeasyPrint then embeds it fast)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = TTFont(VENDORED_FONT, lazy=True)
    text = (plain(CORPUS) + "".join(PAIRS) + HAN + "".join(LATIN) + "".join(NUMBERS)
            + GAP_TEXT + "".join(map(chr, range(0x20, 0x7F))) + "“”‘’（）《》「」『』、，。；：？！—…")
    options = subset.Options()
    options.layout_features = ["*"]      # keep halt, ccmp, kern...
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(face)
    path = tmp_path_factory.mktemp("fonts") / "serif-sc-test.otf"
    face.save(path)
    return path


@dataclass(frozen=True)
class Measure:
    """A text measure: ``columns`` columns of ``width`` em, 2em apart."""
    name: str
    width: float
    columns: int = 1

    def css(self) -> str:
        if self.columns == 1:
            return f".measure {{ width: {self.width}em }}"
        total = self.columns * self.width + (self.columns - 1) * 2
        return (f".measure {{ width: {total}em; columns: {self.columns}; "
                f"column-gap: 2em; column-fill: auto }}")

    def column_edges(self) -> list[tuple[float, float]]:
        """(left, right) of each column, in pt."""
        return [(MARGIN + i * (self.width + 2) * EM,
                 MARGIN + i * (self.width + 2) * EM + self.width * EM)
                for i in range(self.columns)]


MEASURES = (Measure("40em", 40), Measure("39.6em", 39.6), Measure("2 columns", 19.6, 2))


def document(font: Path, body: Markup | str, measure: Measure,
             align: str = "justify") -> str:
    css = typography.TYPOGRAPHY_CSS_PATH.read_text(encoding="utf-8")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@font-face {{ font-family: "Test Serif"; src: url({font.as_uri()}); }}
@page {{ size: A4; margin: 20mm; }}
html {{ font-family: "Test Serif"; font-size: {FONT_SIZE}pt; line-height: 1.6; }}
body {{ margin: 0; }}
{measure.css()}
p {{ margin: 0; text-align: {align}; text-indent: 2em; }}
{css}
</style></head><body><div class="measure">{body}</div></body></html>"""


def render(font: Path, paragraphs, measure: Measure, align: str = "justify") -> bytes:
    import weasyprint

    body = Markup("").join(Markup("<p>") + paragraph_html(p) + Markup("</p>")
                           for p in paragraphs)
    return weasyprint.HTML(string=document(font, body, measure, align)).write_pdf()


@pytest.fixture(scope="module")
def patched():
    """The patch, installed; left as found (pipeline.emit.pdf installs it
    once per process, so a test must not leave it uninstalled)."""
    was_installed = cjk_justify.installed()
    cjk_justify.install()
    yield
    if not was_installed:
        cjk_justify.uninstall()


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    lines: list  # of Line, read back from the PDF


@pytest.fixture(scope="module")
def renders(font, patched) -> dict[str, Rendered]:
    """The corpus rendered in each measure, and its glyph lines."""
    source, compressed = plain(CORPUS), compressed_indexes(CORPUS)
    rendered = {}
    for measure in MEASURES:
        pdf = render(font, CORPUS, measure)
        rendered[measure.name] = Rendered(pdf, glyph_lines(pdf, source, compressed))
    return rendered


# --------------------------------------------------------------------------
# reading glyphs back


@dataclass
class Glyph:
    index: int      # position of its first character in the source text
    text: str
    x0: float       # pen position (where its em box starts)
    advance: float  # the real advance: half an em for a compressed mark
    top: float


@dataclass
class Line:
    glyphs: list[Glyph]

    @property
    def start(self) -> int:
        return self.glyphs[0].index

    @property
    def end(self) -> int:  # index after the last character
        return self.glyphs[-1].index + len(self.glyphs[-1].text)

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return self.glyphs[-1].x0 + self.glyphs[-1].advance

    @property
    def text(self) -> str:
        return "".join(glyph.text for glyph in self.glyphs)


def compressed_indexes(paragraphs) -> set[int]:
    """Source indexes of the marks ``typeset`` set half-width (class pc)."""
    indexes, offset = set(), 0
    for paragraph in paragraphs:
        for tag, text in paragraph:
            markup = str(typeset(text))
            position = 0
            for match in re.finditer(r"<span class=\"pc\">(.)</span>|<[^>]*>|([^<]+)",
                                     markup):
                if match.group(1) is not None:
                    indexes.add(offset + position)
                    position += 1
                elif match.group(2) is not None:
                    position += len(html.unescape(match.group(2)))
            offset += len(text)
    return indexes


def glyph_lines(pdf: bytes, source: str, compressed: set[int]) -> list[Line]:
    """The PDF's glyphs as lines, each glyph tied to its source index."""
    lines: list[Line] = []
    index = 0
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            previous = None
            for char in page.chars:
                text = char["text"]
                assert source[index:index + len(text)] == text, (
                    f"glyph order differs from the source at {index}: "
                    f"{source[index:index + 5]!r} vs {text!r}")
                x0, advance = char["x0"], char["x1"] - char["x0"]
                if index in compressed:
                    # halt: the blank half goes; an opening mark's glyph is
                    # drawn half an em before its (pen) position.
                    advance = EM / 2
                    x0 += EM / 2 if text in typography.OPENING else 0
                glyph = Glyph(index, text, x0, advance, char["top"])
                if (previous is None or abs(glyph.top - previous.top) > 1
                        or glyph.x0 < previous.x0):
                    lines.append(Line([]))
                lines[-1].glyphs.append(glyph)
                previous = glyph
                index += len(text)
    assert index == len(source), "the PDF lacks some text"
    return lines


def paragraph_bounds(paragraphs) -> tuple[list[tuple[int, int]], set[int]]:
    """(start, end) source ranges of the paragraphs, and forced-break indexes."""
    bounds, breaks, offset = [], set(), 0
    for paragraph in paragraphs:
        start = offset
        for tag, text in paragraph:
            if tag == "br":
                breaks.add(offset)
            offset += len(text)
        bounds.append((start, offset))
    return bounds, breaks


def classify(lines: list[Line], paragraphs):
    """Yield (line, is_first, is_final) with is_final for last or <br> lines."""
    bounds, breaks = paragraph_bounds(paragraphs)
    starts = {start for start, _ in bounds}
    ends = {end for _, end in bounds}
    for line in lines:
        yield line, line.start in starts, line.end in ends or line.end in breaks


def column_of(line: Line, measure: Measure) -> tuple[float, float]:
    edges = measure.column_edges()
    return max((edge for edge in edges if edge[0] <= line.x0 + 1), key=lambda e: e[0])


# --------------------------------------------------------------------------
# requirement A1: flush lines


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_every_non_final_line_is_flush(renders, measure):
    source = plain(CORPUS)
    lines = renders[measure.name].lines
    checked, at_boundary, ragged = 0, 0, []
    for line, first, final in classify(lines, CORPUS):
        left, right = column_of(line, measure)
        indent = 2 * EM if first else 0
        assert abs(line.x0 - (left + indent)) <= FLUSH_TOLERANCE, line.text
        if final:
            continue
        checked += 1
        # clreq §3.2.2: a line ending where a Han/Western gap would be has none.
        at_boundary += line.end < len(source) and (
            is_han(source[line.end - 1]) and is_western(source[line.end])
            or is_western(source[line.end - 1]) and is_han(source[line.end]))
        if abs(line.x1 - right) > FLUSH_TOLERANCE:
            ragged.append(f"{right - line.x1:+.2f}pt {line.text}")
    assert checked > 60 and at_boundary > 0
    flush_share = 1 - len(ragged) / checked
    assert flush_share == 1.0, f"{flush_share:.1%} flush; ragged:\n" + "\n".join(ragged)


def test_without_the_patch_lines_are_ragged(font, patched):
    """The measurement above is meaningful: unpatched WeasyPrint is ragged."""
    cjk_justify.uninstall()
    try:
        pdf = render(font, CORPUS[:8], MEASURES[1])
    finally:
        cjk_justify.install()
    lines = glyph_lines(pdf, plain(CORPUS[:8]), compressed_indexes(CORPUS[:8]))
    _, right = MEASURES[1].column_edges()[0]
    ragged = [line for line, _, final in classify(lines, CORPUS[:8])
              if not final and abs(line.x1 - right) > FLUSH_TOLERANCE]
    assert len(ragged) > 5


# --------------------------------------------------------------------------
# requirement A2: line-start and line-end prohibitions (clreq §3.1.7)


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_line_start_and_end_rules(renders, measure):
    source = plain(CORPUS)
    lines = renders[measure.name].lines
    for line in lines:
        assert line.text[0] not in LINE_START_FORBIDDEN, line.text
        assert line.text[-1] not in LINE_END_FORBIDDEN, line.text
    line_of = {}
    for number, line in enumerate(lines):
        for glyph in line.glyphs:
            for offset in range(len(glyph.text)):
                line_of[glyph.index + offset] = number
    for match in re.finditer("——|……", source):
        assert line_of[match.start()] == line_of[match.end() - 1], match.group()


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_no_one_character_last_line(renders, measure):
    """clreq 7.1.2 (widows): the guard keeps two Han characters together."""
    lines = renders[measure.name].lines
    bounds, _ = paragraph_bounds(CORPUS)
    # typeset() sees one run at a time: the guard needs the two Han characters
    # in the paragraph's last run ("<b>济运行</b>。" is not guarded).
    guarded = {end for (start, end), paragraph in zip(bounds, CORPUS)
               if HAN_ENDING.search(paragraph[-1][1])}
    starts = {start for start, _ in bounds}
    checked = 0
    for line in lines:
        if line.end in guarded and line.start not in starts:
            checked += 1
            assert sum(map(is_han, line.text)) >= 2, line.text
    assert checked > 10


# --------------------------------------------------------------------------
# requirement A3: a clean text layer


def loose_lines(lines: list[Line], threshold: float) -> set[int]:
    """Indexes of the lines whose gap between two CJK characters exceeds
    ``threshold`` em (lines that had to be stretched a lot)."""
    loose = set()
    for number, line in enumerate(lines):
        for a, b in zip(line.glyphs, line.glyphs[1:]):
            if (cjk_justify.is_cjk(a.text[-1]) and cjk_justify.is_cjk(b.text[0])
                    and b.x0 - a.x0 - a.advance > threshold * EM):
                loose.add(number)
    return loose


def spaces_between_cjk(extracted: str, lines: list[Line], source: str) -> list[int]:
    """Line numbers of the spaces an extractor put between two CJK characters.

    ``extracted`` is ``source`` with spaces added, and maybe hyphens removed.
    """
    line_of = {}
    for number, line in enumerate(lines):
        for glyph in line.glyphs:
            for offset in range(len(glyph.text)):
                line_of[glyph.index + offset] = number
    found, index = [], 0
    for position, char in enumerate(extracted):
        if char == " ":
            if (0 < position < len(extracted) - 1
                    and cjk_justify.is_cjk(extracted[position - 1])
                    and cjk_justify.is_cjk(extracted[position + 1])):
                found.append(line_of[index])
        else:
            while source[index] != char and source[index] == "-":
                index += 1
            index += 1
    return found


# pypdf reads a TJ displacement of about 0.095em as a word space, and a
# gap between CJK characters is written as two displacements of half of it.
PYPDF_SAFE_SPACING = 0.15
# pdftotext (poppler) starts a new word at a gap of 0.1em; the patch keeps
# gaps between CJK characters below that unless a line is very loose.
PDFTOTEXT_SAFE_SPACING = 0.1


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_pypdf_extracts_the_source_text(renders, measure):
    """Exactly the source, in every measure: no space at the Han/Western gaps
    nor in loose lines (gaps are character spacing in ActualText spans)."""
    source = plain(CORPUS)
    lines = renders[measure.name].lines
    reader = pypdf.PdfReader(io.BytesIO(renders[measure.name].pdf))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert text.replace(" ", "") == source
    assert text == source
    loose = loose_lines(lines, PYPDF_SAFE_SPACING)
    spaced = spaces_between_cjk(text, lines, source)
    assert set(spaced) <= loose, [lines[n].text for n in set(spaced) - loose]


def pdftotext(path: Path, measure: Measure, *options: str) -> str:
    """pdftotext's text, column by column (it reads across close columns)."""
    with pdfplumber.open(path) as document:
        pages, height = len(document.pages), document.pages[0].height
    text = []
    for page in range(1, pages + 1):
        for left, right in measure.column_edges():
            crop = ["-x", str(int(left) - 2), "-y", "0",
                    "-W", str(int(right - left) + 4), "-H", str(int(height))]
            text.append(subprocess.run(
                ["pdftotext", *options, "-enc", "UTF-8", "-f", str(page), "-l", str(page),
                 *crop, str(path), "-"],
                capture_output=True, text=True, check=True).stdout)
    return re.sub(r"[\n\f]", "", "".join(text))


PDFTOTEXT_MODES = {"default": (), "raw": ("-raw",)}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
@pytest.mark.parametrize("mode", PDFTOTEXT_MODES)
@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_pdftotext_inserts_no_space(renders, measure, mode, tmp_path):
    """No space anywhere, in both modes: not at the Han/Western gaps (clreq
    §3.2.2, 1/8em), not between CJK characters, not in loose lines."""
    source = plain(CORPUS)
    lines = renders[measure.name].lines
    path = tmp_path / "out.pdf"
    path.write_bytes(renders[measure.name].pdf)
    text = pdftotext(path, measure, *PDFTOTEXT_MODES[mode])
    # pdftotext joins a word hyphenated at a line end ("Wi-" + "Fi").
    assert text.replace(" ", "").replace("-", "") == source.replace("-", "")
    spaced = spaces_between_cjk(text, lines, source)
    if measure.columns == 1:
        assert spaced == [], [lines[n].text for n in spaced]
    loose = loose_lines(lines, PDFTOTEXT_SAFE_SPACING)
    assert set(spaced) <= loose, [lines[n].text for n in set(spaced) - loose]
    spaces = [text[max(0, at - 3):at + 4] for at, char in enumerate(text) if char == " "]
    assert spaces == []


def hl_boundaries(paragraphs) -> set[int]:
    """Source indexes of the characters ``typeset`` gives the Han/Western gap."""
    marked, offset = set(), 0
    for paragraph in paragraphs:
        for _, text in paragraph:
            marked |= {offset + i for i in typography._han_latin_gaps(text)}
            offset += len(text)
    return marked


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_the_han_western_gap_is_in_the_glyph_positions(renders, measure):
    """The gap the text layer does not show is there: 1/8em after the marked
    character in a line set at its natural width, at least that when
    justified; none at a line end (the flush test checks that)."""
    marked = hl_boundaries(CORPUS)
    checked = {True: 0, False: 0}
    for line, _, final in classify(renders[measure.name].lines, CORPUS):
        for a, b in zip(line.glyphs, line.glyphs[1:]):
            if a.index + len(a.text) - 1 not in marked or b.index != a.index + len(a.text):
                continue
            gap = (b.x0 - a.x0 - a.advance) / EM
            checked[final] += 1
            if final:
                assert abs(gap - 0.125) <= 0.01, (line.text, a.text, b.text, gap)
            else:
                assert gap >= 0.125 - 0.01, (line.text, a.text, b.text, gap)
    assert checked[False] > 30 and checked[True] > 3, checked


# --------------------------------------------------------------------------
# requirement A4: last lines and forced breaks are not stretched


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_final_lines_keep_natural_spacing(renders, measure):
    lines = renders[measure.name].lines
    finals = [line for line, _, final in classify(lines, CORPUS) if final]
    _, breaks = paragraph_bounds(CORPUS)
    assert any(line.end in breaks for line in finals), "no <br> line in the corpus"
    for line in finals:
        for a, b in zip(line.glyphs, line.glyphs[1:]):
            if is_han(a.text[-1]) and is_han(b.text[0]):
                assert abs(b.x0 - a.x0 - a.advance) < 0.02, line.text


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_spacing_is_even_and_never_inside_western_words(renders, measure):
    lines = renders[measure.name].lines
    for line, _, final in classify(lines, CORPUS):
        han_gaps = []
        for a, b in zip(line.glyphs, line.glyphs[1:]):
            gap = b.x0 - a.x0 - a.advance
            if is_western(a.text[-1]) and is_western(b.text[0]):
                assert gap < 0.05, line.text  # "2020", "App" keep their kerning
            if a.text in ("—", "…") and b.text == a.text:
                assert abs(gap) < 0.05, line.text          # "……" not spaced
            if is_han(a.text[-1]) and is_han(b.text[0]) and a.index + 1 == b.index:
                han_gaps.append(gap)
        if han_gaps:
            assert max(han_gaps) - min(han_gaps) < 0.1, line.text


# --------------------------------------------------------------------------
# typography in the PDF: punctuation compression and the Han/Western gap


def test_adjacent_punctuation_pairs_take_one_and_a_half_em(font, patched):
    import weasyprint

    body = Markup("").join(Markup("<p>中") + typeset(pair) + Markup("中</p>")
                           for pair in PAIRS)
    pdf = weasyprint.HTML(string=document(font, body, MEASURES[0], "start")).write_pdf()
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = doc.pages[0].chars
    advances = {}
    for number, pair in enumerate(PAIRS):
        first, _, after = chars[number * 4 + 1: number * 4 + 4]
        assert first["text"] + chars[number * 4 + 2]["text"] == pair
        advances[pair] = (after["x0"] - first["x0"]) / EM
    compressed = [pair for pair, advance in advances.items() if abs(advance - 1.5) <= 0.05]
    assert compressed == list(PAIRS), advances


def test_han_western_gap_is_in_the_glyphs_not_in_the_text(font, patched, tmp_path):
    import weasyprint

    text = GAP_TEXT
    body = Markup("<p>") + typeset(text) + Markup("</p>")
    pdf = weasyprint.HTML(string=document(font, body, MEASURES[0], "start")).write_pdf()
    if shutil.which("pdftotext"):
        (tmp_path / "gap.pdf").write_bytes(pdf)
        for options in PDFTOTEXT_MODES.values():
            assert subprocess.run(
                ["pdftotext", *options, "-enc", "UTF-8", str(tmp_path / "gap.pdf"), "-"],
                capture_output=True, text=True, check=True).stdout.strip() == text
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = doc.pages[0].chars
    assert "".join(char["text"] for char in chars) == text
    boundaries = 0
    for a, b in zip(chars, chars[1:]):
        gap = (b["x0"] - a["x1"]) / EM
        if is_han(a["text"]) and is_western(b["text"]) or (
                is_western(a["text"]) and is_han(b["text"])):
            boundaries += 1
            assert abs(gap - 0.125) < 0.01, (a["text"], b["text"], gap)
    assert boundaries == sum(
        is_han(a) and is_western(b) or is_western(a) and is_han(b)
        for a, b in zip(text, text[1:])) > 5
    extracted = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().strip()
    assert extracted == text


# --------------------------------------------------------------------------
# the text layer: wide gaps as character spacing in ActualText spans


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.name)
def test_character_spacing_only_inside_actual_text_spans(renders, measure):
    """Tc is set only inside a marked-content span with an ActualText, and
    is 0 again before it ends (poppler measures the span with the Tc of its
    end); marked content is balanced; the spans' texts are in the source."""
    from pypdf.generic import ContentStream

    source = plain(CORPUS)
    reader = pypdf.PdfReader(io.BytesIO(renders[measure.name].pdf))
    spans = 0
    for page in reader.pages:
        stack: list[str | None] = []
        spacing = 0.0
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator in (b"BDC", b"BMC"):
                properties = operands[1] if operator == b"BDC" else None
                stack.append(properties.get("/ActualText")
                             if isinstance(properties, dict) else None)
            elif operator == b"EMC":
                actual = stack.pop()
                if actual is not None:
                    assert spacing == 0 and actual in source, actual
                    spans += 1
            elif operator == b"Tc":
                spacing = float(operands[0])
                assert not spacing or stack and stack[-1] is not None
        assert stack == [] and spacing == 0
    assert spans > 100


def test_spans_move_no_glyph_and_no_pixel(font, patched, monkeypatch, tmp_path):
    """The same corpus drawn with every gap as a TJ displacement (the spans
    off) and as now: the same glyph positions (pdfplumber) and, if poppler's
    pdftoppm is there, the same pixels."""
    measure = MEASURES[2]  # narrow columns: the most loose lines and spans
    paragraphs = CORPUS[:14]
    spanned = render(font, paragraphs, measure)
    monkeypatch.setattr(cjk_justify, "_SPACED_GAP", float("inf"))
    plain_gaps = render(font, paragraphs, measure)
    assert b"ActualText" not in plain_gaps
    positions = []
    for pdf in (spanned, plain_gaps):
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            positions.append([(c["text"], c["x0"], c["top"]) for page in doc.pages
                              for c in page.chars])
    assert [p[0] for p in positions[0]] == [p[0] for p in positions[1]]
    assert max(abs(a[1] - b[1]) + abs(a[2] - b[2])
               for a, b in zip(*positions)) < 0.002  # pt
    if shutil.which("pdftoppm"):
        pixels = []
        for name, pdf in (("spanned", spanned), ("plain", plain_gaps)):
            (tmp_path / f"{name}.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", "150", "-gray", str(tmp_path / f"{name}.pdf"),
                            str(tmp_path / name)], check=True)
            pixels.append([path.read_bytes() for path in sorted(tmp_path.glob(f"{name}-*"))])
        assert pixels[0] == pixels[1]


class FakeFont:
    """What ``_Glyphs`` reads of a weasyprint ``Font``."""
    hash = "F"
    bitmap = False
    widths = {1: 1000, 2: 500, 3: 1000}
    to_unicode = {1: "中", 2: "a"}  # glyph 3 has no text


SIZE = 14.0  # the Tf size


def origins(operations: list[bytes], *, pdfminer: bool = False) -> list[float]:
    """The x of every glyph shown, from the last Tm: as PDF 32000-1 §9.4.4
    has it (Tc after every glyph), or as pdfminer does (Tc before a glyph
    that follows another glyph or a number of the same array)."""
    x = line = spacing = 0.0
    found = []
    for operation in operations:
        if operation.endswith(b" Td"):
            line += float(operation.split()[0])
            x = line
        elif operation.endswith(b" Tc"):
            spacing = float(operation.split()[0])
        elif operation.endswith(b"] TJ"):
            pending = False
            for codes, number in re.findall(rb"<([0-9a-f]*)>|(-?[\d.]+)", operation[1:-4]):
                if number:
                    x -= float(number) * SIZE / 1000
                    pending = True
                for i in range(0, len(codes), 4):
                    x += spacing if pdfminer and pending else 0.0
                    found.append(x)
                    x += FakeFont.widths[int(codes[i:i + 4], 16)] * SIZE / 1000
                    x += 0.0 if pdfminer else spacing
                    pending = True
    return found


def respaced(operation: bytes, trailing: float = 0.0, final: bool = True) -> list[bytes]:
    return cjk_justify._spaced_operations(
        operation, cjk_justify._Glyphs([FakeFont()]), SIZE, trailing, cjk_justify._Pen(),
        final)


def test_a_trailing_gap_becomes_character_spacing_in_a_span():
    # The Han/Western gap: 1/8em after a one-glyph box (1.75 = 14 / 8).
    assert respaced(b"[<0001>] TJ", trailing=1.75) == [
        b"/Span <</ActualText <FEFF4E2D>>> BDC", b"1.75 Tc", b"[<0001>] TJ", b"0 Tc", b"EMC"]
    # Narrower than 0.05em: a displacement, as small a one as pypdf ignores.
    assert respaced(b"[<0001>] TJ", trailing=0.5) == [b"[<0001>-35.71] TJ"]
    # No text for the glyph: displacements, each under 0.05em.
    assert respaced(b"[<0003>] TJ", trailing=1.75) == [b"[<0003>-41.67 -41.67 -41.67] TJ"]
    assert respaced(b"[<0001>-20<0002>] TJ") == [b"[<0001>-20<0002>] TJ"]  # untouched


def test_inner_runs_are_spans_and_the_pen_is_placed_again():
    before = b"[-3<0001>-30<>-30<0001>-60<0002>-2<0001>] TJ"
    after = respaced(before)
    assert after == [
        b"[-3] TJ",  # pdfminer would add Tc before a glyph after a number
        b"/Span <</ActualText <FEFF4E2D4E2D>>> BDC", b"0.84 Tc", b"[<0001><0001>] TJ",
        b"0 Tc", b"EMC",
        b"29.722 0 Td", b"[<0002>-2<0001>] TJ"]
    for pdfminer in (False, True):
        assert origins(after, pdfminer=pdfminer) == pytest.approx(origins([before]), abs=1e-3)


def test_respacing_keeps_every_glyph_where_it_was():
    """Random arrays: the rewritten operations place every glyph where the
    original does, for a spec reader (renderers, poppler) and for pdfminer."""
    rng = random.Random(7)
    spans = 0
    for _ in range(400):
        items = [b"<%04x>" % rng.choice((1, 1, 1, 2, 3)) for _ in range(rng.randint(1, 9))]
        array = b""
        for item in items:
            array += item
            for _ in range(rng.choice((0, 0, 1, 2))):
                array += b" %.2f" % rng.choice((-30, -60, -60.2, -125, -3, 0.01, 40, 512))
        trailing = rng.choice((0.0, 0.5, 1.75, 3.0))
        before = b"[" + array + b"] TJ"
        for final in (True, False):
            after = respaced(before, trailing, final)
            spans += any(b"ActualText" in operation for operation in after)
            for pdfminer in (False, True):
                assert origins(after, pdfminer=pdfminer) == pytest.approx(
                    origins([before]), abs=2e-3), (before, after)
    assert spans > 200


# --------------------------------------------------------------------------
# other scripts, installation, cost


def test_latin_lines_keep_word_space_justification(font, patched):
    import weasyprint

    words = "The quick brown fox jumps over the lazy dog and keeps running far away " * 8
    body = Markup("<p>") + escape(words.strip()) + Markup("</p>")
    pdf = weasyprint.HTML(string=document(font, body, MEASURES[1])).write_pdf()
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words_out = doc.pages[0].extract_words()
    _, right = MEASURES[1].column_edges()[0]
    rows: dict[int, float] = {}
    for word in words_out:
        rows[round(word["top"])] = max(rows.get(round(word["top"]), 0), word["x1"])
    line_ends = [rows[top] for top in sorted(rows)][:-1]
    assert line_ends and all(abs(end - right) <= FLUSH_TOLERANCE for end in line_ends)


def test_install_is_idempotent_and_reversible(patched):
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    cjk_justify.install()
    cjk_justify.install()
    assert not hasattr(inline.justify_line.__wrapped__, "__wrapped__")
    assert not hasattr(line_break.Layout.set_text.__wrapped__, "__wrapped__")
    cjk_justify.uninstall()
    try:
        from weasyprint.draw import text as draw_text
        assert not cjk_justify.installed()
        assert not hasattr(inline.justify_line, "__wrapped__")
        assert "int" not in vars(draw_text)
    finally:
        cjk_justify.install()


def _hook_owner(owner: str):
    import importlib

    if owner == "Layout":
        return importlib.import_module("weasyprint.text.line_break").Layout
    return importlib.import_module(owner)


@pytest.mark.parametrize("owner, name", [
    ("weasyprint.layout.inline", "justify_line"),
    ("weasyprint.layout.inline", "text_align"),
    ("Layout", "set_text"),
    ("weasyprint.draw.text", "draw_first_line"),
    ("weasyprint.pdf.stream", "Stream"),
    ("weasyprint.pdf.fonts", "Font"),
])
def test_install_fails_loudly_without_a_hook(monkeypatch, owner, name):
    monkeypatch.delattr(_hook_owner(owner), name)
    with pytest.raises(RuntimeError,
                       match=rf"{name}.*weasyprint=={cjk_justify.PINNED_WEASYPRINT}"):
        cjk_justify.install()


def test_install_fails_loudly_when_pydyf_writes_text_otherwise(monkeypatch):
    import pydyf

    monkeypatch.setattr(pydyf.Stream, "show_text",
                        lambda self, text: self.stream.append(b"[" + text.encode() + b"]TJ"))
    with pytest.raises(RuntimeError, match="pydyf"):
        cjk_justify.install()


def test_install_fails_loudly_without_a_pango_function(monkeypatch):
    from weasyprint.text import ffi

    pango = ffi.pango

    class PangoWithoutLetterSpacing:  # cffi libraries refuse delattr
        def __getattr__(self, key):
            if key == "pango_attr_letter_spacing_new":
                raise AttributeError(key)
            return getattr(pango, key)

    monkeypatch.setattr(ffi, "pango", PangoWithoutLetterSpacing())
    with pytest.raises(RuntimeError, match="pango_attr_letter_spacing_new"):
        cjk_justify.install()


