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
], ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "gb18030", "gb18030-crlf", "cr", "trailing"])
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
    (codecs.BOM_UTF8 + b"\xff\xfe\xfd", "byte-order mark"),
])
def test_bad_input_is_one_clear_error(data, message):
    with pytest.raises(InputError) as info:
        decode(data, "x.txt")
    line = info.value.line()
    assert line.startswith("x.txt: ") and "\n" not in line
    assert message in line
