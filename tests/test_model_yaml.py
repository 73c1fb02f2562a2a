"""The model's YAML round-trip: load(dump(e)) == e for any edition; strict loading."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from pipeline import model as m
from pipeline.model_yaml import ModelError, dump, load

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
span = st.builds(m.Span, st.integers(1, 999), st.integers(1, 999))
inline = st.one_of(st.builds(m.Text, text), st.builds(m.Link, text, text), st.just(m.LineBreak()))
inlines = st.lists(inline, max_size=4).map(tuple)
words = st.lists(text, max_size=3).map(tuple)
field = st.builds(m.Field, text, inlines, span, st.sampled_from(["：", ":"]))
block = st.one_of(
    st.builds(m.Paragraph, inlines, span, text),
    st.builds(m.Heading, text, span),
    st.builds(m.Table, words, st.lists(words, max_size=3).map(tuple), span),
    st.builds(m.NameList, words, span),
    st.builds(m.Fields, st.lists(field, max_size=3).map(tuple), span),
    st.builds(m.SignOff, words, text, span),
    st.builds(m.PhotoGap, st.integers(2, 9), span,
              st.none() | st.builds(m.Image, text, text)),
)
byline = st.builds(m.Byline, text, st.lists(st.builds(m.Credit, text, words), max_size=3).map(tuple),
                   st.sampled_from(["（）", "()"]))
article = st.builds(
    m.Article, st.builds(m.Headline, words, text, text), st.lists(block, max_size=6).map(tuple),
    span, words, st.none() | byline)
edition = st.builds(m.Edition, st.builds(m.Meta, text, text, text, text, text, text),
                    st.lists(article, max_size=4).map(tuple))


@given(edition)
def test_round_trip(value):
    assert load(dump(value)) == value


def test_schema_version_is_written_first():
    assert dump(m.Edition(m.Meta("p", "2022-01-01"), ())).startswith("schema: 1\n")


@pytest.mark.parametrize("yaml_text, where", [
    ("schema: 2\nmeta: {paper: a, date: b}\narticles: []\n", "schema"),
    ("schema: 1\nmeta: {paper: a, date: b, colour: red}\narticles: []\n", "model.meta.colour"),
    ("schema: 1\nmeta: {paper: 1, date: b}\narticles: []\n", "model.meta.paper"),
    ("schema: 1\nmeta: {paper: a, date: b}\narticles: [{headline: {titles: [x]}, span: [1, 2],"
     " body: [{type: Script, text: x}]}]\n", "model.articles[0].body[0].type"),
    ("schema: 1\nmeta: {paper: a}\narticles: []\n", "model.meta.date"),
    ("schema: [1\n", "model YAML"),
])
def test_strict_loading_names_the_path(yaml_text, where):
    with pytest.raises(ModelError, match=__import__("re").escape(where)):
        load(yaml_text)
