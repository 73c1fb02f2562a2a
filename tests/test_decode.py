"""decode: every accepted encoding gives the same text; bad bytes give one clear error."""

from __future__ import annotations

import codecs

import pytest

from pipeline.decode import decode
from pipeline.errors import InputError

from .conftest import SEED

TEXT = SEED.read_bytes().decode("utf-8")


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    TEXT.encode("utf-16"),  # with BOM
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("gb18030"),
    TEXT.replace("\n", "\r\n").encode("gb18030"),
    TEXT.replace("\n", "\r").encode("utf-8"),
    TEXT.replace("\n", "  \n").encode("utf-8"),
    TEXT.encode("utf-16-le"),
    TEXT.replace("\n", "\r\n").encode("utf-16-be"),
], ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "gb18030", "gb18030-crlf", "cr", "trailing",
        "utf16le-no-bom", "utf16be-no-bom-crlf"])
def test_same_text_in_every_encoding(data):
    assert decode(data).text == decode(TEXT.encode("utf-8")).text


def test_gbk_subset_reads_as_gb18030():
    assert decode("中文报纸，二〇二二年。".encode("gbk")).encoding == "gb18030"


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"\n \n\t\n", "blank"),
    (bytes(range(256)) * 4, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, na\u00efve r\u00e9sum\u00e9".encode("latin-1"), "not UTF-8"),
    ("Caf\u00e9 cr\u00e8me".encode("latin-1"), "GB18030 or Big5"),
    (b"\x00\x01\x02\x03" * 64 + b"\n\x00", "binary"),  # NULs, even length: not UTF-16 text
    (codecs.BOM_UTF8 + b"\xff\xfe\xfd", "byte-order mark"),
])
def test_bad_input_is_one_clear_error(data, message):
    with pytest.raises(InputError) as info:
        decode(data, "x.txt")
    line = info.value.line()
    assert line.startswith("x.txt: ") and "\n" not in line
    assert message in line


# A paper set in traditional characters (Taiwan, Hong Kong), as its archive exports it.
TRADITIONAL = """行政院召開會議 推動數位轉型
記者王大明／臺北報導
行政院今天召開院會，討論國家發展計畫與經濟政策。院長表示，政府將持續推動數位轉型，\
並加強與國際夥伴的合作關係，預計明年完成相關法規的修訂。
經濟部指出，今年第一季出口總額達一千二百億美元，較去年同期成長百分之十二。
"""


@pytest.mark.parametrize("encoding", ["cp950", "big5", "big5hkscs"])
def test_big5_reads_as_traditional_chinese(encoding):
    source = decode(TRADITIONAL.encode(encoding))
    assert source.encoding in ("cp950", "big5hkscs")
    # Big5 tables disagree on a few symbols (0xA1FE/0xA241: ／ or ∕); the characters
    # are the text's.
    assert source.text.replace("\u2215", "\uff0f") == TRADITIONAL


def test_simplified_and_traditional_are_not_mistaken_for_each_other():
    assert decode(TEXT.encode("gb18030")).encoding == "gb18030"  # not Big5
    assert decode(TRADITIONAL.encode("cp950")).encoding == "cp950"  # not GB18030


# --- properties ---------------------------------------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402


@given(st.binary(max_size=3000))
def test_any_bytes_decode_or_give_one_clear_error(data):
    try:
        source = decode(data, "x.txt")
    except InputError as error:
        line = error.line()
        assert line.startswith("x.txt: ") and "\n" not in line
    else:
        assert source.text.strip() and "\r" not in source.text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                      blacklist_characters="\x00\ufeff"), min_size=1, max_size=400))
def test_utf8_text_reads_back_as_itself(text):
    """UTF-8 is tried before every legacy guess: its text is never mistaken for another."""
    try:
        source = decode(text.encode("utf-8"))
    except InputError:
        return  # blank, or control characters enough to look binary
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert source.encoding == "utf-8"
    assert source.text == "\n".join(line.rstrip(" \u00a0\u3000") for line in expected.split("\n"))


def test_the_refusal_names_the_line_of_the_first_bad_byte():
    data = "第一行\n第二行\n".encode("utf-8") + b"\xff\xfe\x41 bad\n"
    with pytest.raises(InputError, match=r"line 3, byte 20 is 0xff"):
        decode(data, "x.txt")
