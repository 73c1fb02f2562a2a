"""Normalizer properties over arbitrary text: it never raises, and it conserves characters."""

from __future__ import annotations

from hypothesis import given, strategies as st

from pipeline.decode import Source
from pipeline.errors import InputError
from pipeline.model_yaml import dump, load
from pipeline.normalize import normalize, unaccounted

# Text shaped like a newspaper dump: CJK, punctuation runs, digits, Latin, tabs,
# blank-line patterns, brackets and URLs.
pieces = st.sampled_from([
    "市委", "召开", "会议", "。", "，", "、", "；", "：", "“", "”", "（", "）", "《", "》",
    "——", "……", "2022年3月31日", "记者", "讯（全媒体记者 张三）", "本报讯（记者 李四）",
    "一、", "二、", "\t", "\n", "\n\n", "\n\n\n\n", " ", "App", "43个", "<http://a.cn>",
    "<javascript:alert(1)>", "http://b.cn/x?y=1", "𠮷", "\u200b", "\x1b", "公示", "通讯员 王五",
    "姓名\t性别\n张三\t男\n", "张三 李四 王五 赵六\n", "受理时间：3月31日\n", "中共某某委\n2022年3月31日\n",
])
newspaper_text = st.lists(pieces, max_size=60).map("".join)
any_text = st.text(max_size=300)


def _check(text: str) -> None:
    source = Source(text, "utf-8", "t.txt")
    if not text.strip():
        return  # decode refuses blank input before normalize sees it
    normalized = normalize(source)
    assert unaccounted(source, normalized) == {}
    assert load(dump(normalized.edition)) == normalized.edition


@given(newspaper_text)
def test_newspaper_shaped_text(text):
    _check(text)


@given(any_text)
def test_any_text(text):
    try:
        _check(text)
    except InputError:
        pass  # a typed input error is allowed; nothing else is
