"""Properties of the whole path, text -> model -> both editions, on random text.

For any text drawn here — random CJK, punctuation runs, tabs, blank-line patterns,
markup, URLs of every scheme, control and zero-width characters — the pipeline either
refuses it with a documented input error (``InputError``) or:

* conserves it: every non-space character of the input is in the model or reported
  removed (``normalize.unaccounted``);
* renders it: WeasyPrint lays the print edition out, the EPUB package is made, and
  every XHTML/XML file of it parses as XML;
* shows it: every Han character of the model is in the e-book's text, in order, and
  (for the examples written to PDF) in the print edition's text layer;
* links only http, https and mailto URLs, and runs no script.

Rendering costs ~0.15 s an example, so these tests take a fifth of the hypothesis
profile's examples (``ci``: 40; ``fuzz``, ``make fuzz``: 4,000), a tenth when the PDF
is written too, and share one set of font subsets, cut once for an alphabet that
every example's characters come from.
"""

from __future__ import annotations

import functools
import io
import re
from collections import Counter
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st
from lxml import etree

from pipeline import stages
from pipeline.emit import build, epub, pdf
from pipeline.errors import InputError
from pipeline.fonts import coverage_gaps, load_manifest
from pipeline.model import (Article, Byline, Credit, Edition, Headline, Meta, Paragraph, Span,
                            Text, edition_text)
from pipeline.normalize import unaccounted
from pipeline.settings import Layout
from pipeline.typography import is_han

from .conftest import ROOT

XHTML = "{http://www.w3.org/1999/xhtml}"
# A rendered example costs ~0.15 s: a fifth of the profile's examples (ci: 40), and a
# tenth written to PDF too (ci: 20).
RENDERED = settings(max_examples=max(10, settings.default.max_examples // 5),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
WRITTEN = settings(RENDERED, max_examples=max(5, settings.default.max_examples // 10))

# --- the alphabet -------------------------------------------------------------------------

HAN = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工"
       "也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物"
       "现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全"
       "表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无"
       "系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基"
       "资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取"
       "据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
       "收证改清美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华"
       "名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持"
       "𠮷𡃁𬌗㐀䶵龘齉鱻")
PUNCTUATION = "，。、；：？！“”‘’（）《》【】〔〕「」『』—…·％"
ASCII = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
         "<>&\"'/:;.,!?()[]{}#%=+-_*@~`|\\^$")
SPACES = " \t\n\u3000\u00a0"
REMOVED = "\x1b\x07\x00\x7f\u200b\u200d\ufeff\u202e\u2066"  # clean.py removes these
ALPHABET = HAN + PUNCTUATION + ASCII + SPACES + REMOVED

# Pieces shaped like a newsroom export: headlines, bylines, blank-line patterns (column
# breaks, photo gaps), tables (ragged ones too), name grids, fields, sign-offs, links of
# every scheme, markup, escape sequences and runs of punctuation.
PIECES = [
    "市委召开会议", "本报讯（记者 张三 通讯员 李四）", "新华社北京3月31日电（记者 王五）",
    "一、", "（二）", "3.", "。", "，", "；", "：", "“", "”", "（", "）", "《", "》",
    "——", "……", "————————————————————————————————————————————————", "。。。。。。",
    "！！！", "？！", "，，，，", "“《（【", "】）》”", "2022年3月31日", "3月31日",
    "\n", "\n\n", "\n\n\n", "\n\n\n\n\n", "\t", "\t\t\n", " ", "\u3000\u3000",
    "姓名\t性别\t民族\n张三\t男\n李四\t女\t汉\t备注\n", "王五\t\t\n",
    "张三 李四 王五 赵六\n钱七 孙八\n", "受理电话：0734-1234567\n", "举报网址：<http://a.cn/x?y=1&z=2>\n",
    "中共某某委员会\n某某市人民政府\n2022年3月31日\n", "<https://example.org/a_b>", "http://b.cn/p?q=1",
    "mailto:desk@example.com", "<javascript:alert(1)>", "javascript:alert(2)",
    "<ftp://example.com/f>", "data:text/html,<b>x</b>", "<file:///etc/passwd>",
    "<script>alert(1)</script>", "<b>粗</b>", "&amp;", "&lt;", "]]>", "\"引号\"", "'单引'",
    "\x1b[31m", "\x1b[0m", "\x07", "\u200b", "\ufeff", "\u202e", "𠮷", "㐀", "App", "5G", "43个",
]
# Every character an example can show: the fonts are cut for these once.
DRAWN = "".join(sorted(set(HAN + PUNCTUATION + ASCII + "".join(PIECES)) - set(SPACES + REMOVED)))
newsroom_text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(alphabet=ALPHABET, max_size=12)),
    max_size=50).map("".join)
random_text = st.text(alphabet=ALPHABET, max_size=400)
# The layout settings a sidecar may choose (page, columns, body size).
layouts = st.builds(Layout, page_size=st.sampled_from(["A4", "A5", "B5", "A4 landscape"]),
                    columns=st.sampled_from([1, 2]),
                    body_size=st.sampled_from(["9pt", "10.5pt", "12pt"]))
# XML 1.0 (Char production): what may stand in an XHTML document at all.
_XML_CHAR = re.compile("[\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- one set of fonts for every example ------------------------------------------------


@functools.cache
def song_faces() -> list:
    """The Song Regular face: every character of an edition must be in it."""
    return [face for face in load_manifest(ROOT / "fonts") if face.weight == 400
            and face.family == "Paiban Serif"]


@pytest.fixture(scope="session")
def faces(tmp_path_factory):
    """Font subsets for every character of the alphabet in every role (headline, byline,
    kicker, body, masthead), cut once through ``build.edition_fonts`` as a build does."""
    text = DRAWN
    span = Span(1, 1)
    alphabet = Edition(
        Meta(paper=text, date="2022-03-31", publisher=text),
        (Article(Headline((text,), kicker=text, subtitle=text),
                 (Paragraph((Text(text),), span, head=text),), span, label=(text,),
                 byline=Byline("本报讯", (Credit("记者", (text,)),))),))
    cache = tmp_path_factory.mktemp("font-cache")
    assert not coverage_gaps(text, song_faces(), cache), "the alphabet must be drawn by Song"
    return build.edition_fonts(alphabet, ROOT, cache=cache)


@pytest.fixture(scope="session")
def scratch(tmp_path_factory) -> Path:
    """A project folder whose seeds/t.txt each example rewrites."""
    root = tmp_path_factory.mktemp("properties")
    (root / "seeds").mkdir()
    return root


# --- the pipeline, as the stages run it ---------------------------------------------------


def model(root: Path, text: str):
    """Stages 1-2 on ``text`` written as a seed: (source, normalized, sidecar), or None
    when the input is refused with an ``InputError`` (blank, binary, too long …)."""
    path = root / "seeds" / "t.txt"
    path.write_bytes(text.encode("utf-8"))
    seed = stages.locate(path, root)
    try:
        normalized, sidecar = stages.model(seed)
    except InputError as error:
        event(f"refused: {re.sub(r'[0-9,]+', 'N', error.message)}")
        return None
    return stages.read(seed), normalized, sidecar


def article_xhtml(files: dict[str, bytes]) -> list[etree._Element]:
    """The article documents of a package, in spine order (a0, a1 …)."""
    names = sorted((name for name in files if "/text/" in name and name.endswith(".xhtml")),
                   key=lambda name: int(re.search(r"a(\d+)\.xhtml$", name)[1]))
    return [etree.fromstring(files[name]) for name in names]


def check_edition(root: Path, text: str, faces, *, write_pdf: bool = False,
                  layout: Layout | None = None) -> None:
    found = model(root, text)
    if found is None:
        return
    source, normalized, sidecar = found
    assert unaccounted(source, normalized) == {}
    edition = normalized.edition
    layout = layout or sidecar.layout
    event(f"rendered: {min(len(edition.articles), 5)}{'+' if len(edition.articles) > 5 else ''}"
          " article(s)")
    document = pdf.render_document(edition, layout, faces, root=root)
    page_of = pdf.page_map(document, edition)
    files = epub.package(edition, layout, faces, page_of, root=root)
    # Well-formed: every XML file of the container parses as XML.
    for name, data in files.items():
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            etree.fromstring(data)
    documents = article_xhtml(files)
    shown = "".join("".join(doc.find(f"{XHTML}body").itertext()) for doc in documents)
    wanted = [ch for ch in edition_text(edition) if is_han(ch)]
    assert [ch for ch in shown if is_han(ch)] == wanted
    for doc in documents:
        assert doc.find(f".//{XHTML}script") is None
        for link in doc.iter(f"{XHTML}a"):
            assert link.get("href").startswith(("http://", "https://", "mailto:"))
    if write_pdf:
        reader = pypdf.PdfReader(io.BytesIO(document.write_pdf(**pdf.PDF_OPTIONS)))
        assert len(reader.pages) == len(document.pages) >= 1
        printed = Counter("".join(page.extract_text() for page in reader.pages))
        assert not Counter(wanted) - printed
        for page in reader.pages:
            for annotation in page.get("/Annots") or ():
                action = annotation.get_object().get("/A")
                if action is not None:
                    uri = str(action.get_object()["/URI"])
                    assert uri.startswith(("http://", "https://", "mailto:"))


# --- the properties --------------------------------------------------------------------------


@RENDERED
@given(text=newsroom_text, layout=layouts)
def test_properties_newsroom_text_renders_in_both_editions(scratch, faces, text, layout):
    check_edition(scratch, text, faces, layout=layout)


@RENDERED
@given(text=random_text)
def test_properties_random_text_renders_in_both_editions(scratch, faces, text):
    check_edition(scratch, text, faces)


@WRITTEN
@given(text=newsroom_text)
def test_properties_written_pdf_opens_and_shows_the_text(scratch, faces, text):
    check_edition(scratch, text, faces, write_pdf=True)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_properties_any_unicode_is_refused_or_fit_for_xml(scratch, text):
    """Any text at all: refused (InputError), or a model whose every character may stand
    in XHTML — unless the font check refuses it first (a character no face draws)."""
    if "\x00" in text or "\r" in text:
        return  # decode: NUL is binary data; CR is a newline (checked elsewhere)
    found = model(scratch, text)
    if found is None:
        return
    shown = edition_text(found[1].edition)
    gaps = coverage_gaps(shown, song_faces())
    unfit = {ch for ch in shown if not _XML_CHAR.match(ch)}
    assert unfit <= set(gaps)
    assert not {ch for ch in shown if ch in "\x1b\x07\u200b\u200d\u202e\ufeff"}


def test_properties_alphabet_needs_no_other_font(faces):
    """Every character an example can show is in the shared Song subset: no example
    falls back to a system font (a build would refuse such a character)."""
    from fontTools.ttLib import TTFont

    song = next(face for face in faces if face.face.family == "Paiban Serif"
                and face.face.weight == 400)
    assert {ord(ch) for ch in DRAWN} <= set(TTFont(song.path).getBestCmap())
