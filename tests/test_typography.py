"""pipeline.typography.typeset: clreq marks on plain text.

In:  strings, hand-picked and generated (hypothesis).
Out: assertions on the markup: escaping, the spans of punctuation
     compression (pc), Han/Western gaps (hl) and no-break runs (nb), and the
     properties that typeset never raises and keeps the text exactly.
     (The effect of the marks on glyphs is measured in test_cjk_justify.py.)
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from pipeline import typography
from pipeline.typography import CLOSING, OPENING, STOPS, is_han, is_western, typeset

SPAN = re.compile(r'<span class="(pc|hl|nb)"(?: style="[^"]*")?>')


def text_of(markup: str) -> str:
    """The text content: tags stripped, entities unescaped."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def marked(markup: str, kind: str) -> list[str]:
    """The texts of the ``<span class="{kind}">`` elements (not nested)."""
    root = ElementTree.fromstring(f"<div>{markup}</div>")
    return ["".join(span.itertext()) for span in root.iter("span")
            if span.get("class") == kind]


# --------------------------------------------------------------------------
# escaping


def test_returns_escaped_markup():
    result = typeset('a<b>&"\'')
    assert isinstance(result, Markup)
    assert str(result) == "a&lt;b&gt;&amp;&#34;&#39;"


def test_is_not_escaped_twice_in_an_autoescaped_template():
    env = jinja2.Environment(autoescape=True)
    out = env.from_string("<p>{{ text }}</p>").render(text=typeset("中文<script>"))
    assert out == "<p>中文&lt;script&gt;</p>"


def test_empty_and_plain_text():
    assert typeset("") == Markup("")
    assert typeset("中文") == Markup("中文")
    assert typeset("plain words, no marks.") == Markup("plain words, no marks.")


# --------------------------------------------------------------------------
# clreq §3.1.6: adjacent punctuation compression


@pytest.mark.parametrize("pair, halved", [
    ("”“", "”"), ("。”", "。"), ("）“", "）"), ("”、", "”"), ("，“", "，"),
    ("》（", "》"), ("。“", "。"), ("；“", "；"), ("）》", "）"), ("」『", "」"),
    ("？”", "？"), ("！”", "！"), ("”，", "”"),
    ("“《", "《"), ("（《", "《"), ("「『", "『"),   # two opening marks: the right one
])
def test_the_facing_mark_of_a_pair_is_halved(pair, halved):
    markup = str(typeset(f"中{pair}中", paragraph_end=False))
    assert marked(markup, "pc") == [halved]


@pytest.mark.parametrize("text", ["“中”", "（中）", "中，中", "“”", "（。", "中。"])
def test_no_compression_without_facing_blanks(text):
    assert marked(str(typeset(text, paragraph_end=False)), "pc") == []


def test_runs_of_marks_halve_each_facing_pair_once():
    markup = str(typeset("说。”）“《书》", paragraph_end=False))
    assert marked(markup, "pc") == ["。", "”", "）", "《"]


# --------------------------------------------------------------------------
# clreq §3.2.2: the Han/Western gap


@pytest.mark.parametrize("text, expected", [
    ("2020年", '202<span class="hl">0</span>年'),
    ("App查询", 'Ap<span class="hl">p</span>查询'),
    ("43个", '4<span class="hl">3</span>个'),
    ("年2020", '<span class="hl">年</span>2020'),
    ("增长3.5%的", '增<span class="hl">长</span>3.5<span class="hl">%</span>的'),
])
def test_gap_mark_on_the_character_before_the_boundary(text, expected):
    assert str(typeset(text, paragraph_end=False)) == expected


@pytest.mark.parametrize("text", ["，App", "App，", "“App”", "中 App", "Wi-Fi", "——2020"])
def test_no_gap_next_to_punctuation_or_space(text):
    assert marked(str(typeset(text, paragraph_end=False)), "hl") == []


def test_zero_gap_emits_no_marks():
    assert str(typeset("2020年", han_latin_space="0")) == "2020年"
    assert str(typeset("2020年", han_latin_space="0em")) == "2020年"


def test_other_gap_sets_the_custom_property():
    markup = str(typeset("2020年", han_latin_space="0.2em", paragraph_end=False))
    assert markup == ('202<span class="hl" style="--paiban-han-latin-space: 0.2em">0'
                      "</span>年")


@pytest.mark.parametrize("value", ["", "1em; color: red", "expression(1)", "1 em", "-1em", "2",
                                   "0.125em\"><script>"])
def test_gap_must_be_a_css_length(value):
    with pytest.raises(ValueError):
        typeset("2020年", han_latin_space=value)


# --------------------------------------------------------------------------
# clreq §3.1.7 and 7.1.2: no-break runs


@pytest.mark.parametrize("text, runs", [
    ("他说——我们", ["——"]),
    ("等等……然后", ["……"]),
    ("长——破折———号", ["——", "———"]),
    ("单—字", []),
])
def test_dashes_and_ellipses_are_kept_together(text, runs):
    assert marked(str(typeset(text, paragraph_end=False)), "nb") == runs


@pytest.mark.parametrize("text, tail", [
    ("我们今天说。", "天说。"),
    ("他说“好的”。", "“好的”。"),
    ("结束了。”", "束了。”"),
    ("他说结尾……", "结尾……"),
    ("最后两字", "两字"),
])
def test_the_last_two_han_characters_stay_together(text, tail):
    assert marked(str(typeset(text)), "nb")[-1:] == [tail]


@pytest.mark.parametrize("text", ["说App。", "它。", "好。", "结束了。 "])
def test_no_widow_guard_without_two_final_han(text):
    assert marked(str(typeset(text)), "nb") == []


def test_widow_guard_only_at_a_paragraph_end():
    assert marked(str(typeset("我们今天说。", paragraph_end=False)), "nb") == []


def test_marks_nest_inside_a_no_break_run():
    markup = str(typeset("他说年A好的。”"))
    assert '<span class="nb">好的<span class="pc">。</span>”</span>' in markup


def test_stylesheet_has_a_rule_for_every_class():
    css = typography.TYPOGRAPHY_CSS_PATH.read_text(encoding="utf-8")
    for selector in (".pc", ".hl", ".nb"):
        assert re.search(rf"^{re.escape(selector)}\s*{{", css, re.MULTILINE), selector
    assert f"{typography.HAN_LATIN_SPACE_PROPERTY}: {typography.DEFAULT_HAN_LATIN_SPACE}" in css
    assert '"halt"' in css and "nowrap" in css


# --------------------------------------------------------------------------
# properties

PUNCTUATION = "".join(sorted(OPENING | CLOSING | STOPS))
chinese_like = st.text(
    alphabet=st.sampled_from(list("中文字说年好的了App2020Wi-Fi%…— &<>\"'\n\t" + PUNCTUATION)),
    max_size=60)
any_text = st.text(max_size=60)                       # any code point but surrogates
with_surrogates = st.text(st.characters(codec=None, categories=None), max_size=20)
xml_safe = st.text(alphabet=st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), max_size=40)


@settings(max_examples=300)
@given(st.one_of(chinese_like, any_text, with_surrogates), st.booleans())
def test_never_raises_and_keeps_the_text(text, paragraph_end):
    markup = typeset(text, paragraph_end=paragraph_end)
    assert isinstance(markup, Markup)
    assert text_of(str(markup)) == text


@given(st.one_of(chinese_like, xml_safe.map(lambda s: s + "中文。")))
def test_output_is_well_formed_and_only_adds_known_spans(text):
    markup = str(typeset(text))
    ElementTree.fromstring(f"<div>{markup}</div>")   # balanced, XHTML-safe
    tags = re.findall(r"<[^>]*>", markup)
    assert all(SPAN.fullmatch(tag) or tag == "</span>" for tag in tags)


@given(chinese_like)
def test_every_facing_pair_is_compressed_once(text):
    markup = str(typeset(text, paragraph_end=False))
    halved = set()
    position = 0
    for match in re.finditer(r'<span class="pc">(.)</span>|<[^>]*>|([^<]+)', markup):
        if match.group(1) is not None:
            halved.add(position)
            position += 1
        elif match.group(2) is not None:
            position += len(html.unescape(match.group(2)))
    for i, (left, right) in enumerate(zip(text, text[1:])):
        facing = ((left in CLOSING or left in STOPS)
                  and (right in OPENING or right in CLOSING or right in STOPS)
                  or left in OPENING and right in OPENING)
        if facing:
            assert len({i, i + 1} & halved) >= 1, (text, i)
    for i in halved:
        assert text[i] in OPENING | CLOSING | STOPS


def _marked(markup: str) -> dict[str, set[int]]:
    """Positions in the text of the characters in pc and hl spans."""
    found: dict[str, set[int]] = {"pc": set(), "hl": set()}
    position = 0
    for match in re.finditer(r'<span class="(pc|hl)">(.)</span>|<[^>]*>|([^<]+)', markup):
        if match.group(1) is not None:
            found[match.group(1)].add(position)
            position += 1
        elif match.group(3) is not None:
            position += len(html.unescape(match.group(3)))
    return found


def test_a_pair_across_two_runs_is_compressed_on_the_side_that_faces_it():
    # The byline's closing bracket before the lead's opening quote: 1.5em, not 2em.
    assert str(typeset("（记者 张三）", paragraph_end=False, after="“药店")) == (
        '（记者 张三<span class="pc">）</span>')
    assert str(typeset("“药店”", before="）")) == "“药店”"
    assert str(typeset("《", paragraph_end=False, after="《")) == "《"
    assert str(typeset("《书》", before="《")) == '<span class="pc">《</span>书》'
    assert str(typeset("2020", paragraph_end=False, after="年")) == '202<span class="hl">0</span>'


@given(chinese_like, st.integers(min_value=0, max_value=40))
def test_two_runs_are_marked_as_one(text, cut):
    cut = min(cut, len(text))
    left, right = text[:cut], text[cut:]
    whole = _marked(str(typeset(text, paragraph_end=False)))
    first = _marked(str(typeset(left, paragraph_end=False, after=right)))
    second = _marked(str(typeset(right, paragraph_end=False, before=left)))
    for kind in ("pc", "hl"):
        assert first[kind] | {i + cut for i in second[kind]} == whole[kind], (left, right)


@pytest.mark.parametrize("text, expected", [
    ("2020年", '<span class="lt ga">2020</span>年'),
    ("年2020", '年<span class="lt gb">2020</span>'),
    ("增长3.5%的", '增长<span class="lt gb ga">3.5%</span>的'),
    ("用COVID-19检测", '用<span class="lt gb ga">COVID-19</span>检测'),
    ("ABC 123", "ABC 123"),
])
def test_whole_runs_mark_the_gap_on_the_whole_western_run(text, expected):
    assert str(typeset(text, paragraph_end=False, whole_runs=True)) == expected


@given(chinese_like, st.integers(min_value=0, max_value=40))
def test_whole_runs_never_part_a_western_word(text, cut):
    cut = min(cut, len(text))
    pieces = [typeset(text[:cut], paragraph_end=False, after=text[cut:], whole_runs=True),
              typeset(text[cut:], before=text[:cut], whole_runs=True)]
    markup = "".join(map(str, pieces))
    assert text_of(markup) == text and 'class="hl"' not in markup
    ElementTree.fromstring(f"<div>{markup}</div>")
    # Text nodes never meet between two Western characters, except where the runs do.
    nodes = [node for node in re.split(r"<[^>]*>", markup) if node]
    position = 0
    for node in nodes[:-1]:
        position += len(html.unescape(node))
        if position == cut:
            continue  # the two runs' own edge
        assert not (is_western(text[position - 1]) and is_western(text[position])), (text, node)
    # every gap is still marked: a Western run meeting Han carries its side
    for i in range(len(text) - 1):
        if is_han(text[i]) and is_western(text[i + 1]) and i + 1 != cut:
            assert re.search(r'<span class="lt gb[^"]*">' + re.escape(html.escape(text[i + 1], quote=False)), markup)
