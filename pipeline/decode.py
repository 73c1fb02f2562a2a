"""decode: bytes -> text.

In: the raw bytes of a day's text file (and its name, for messages).
Out: ``Source``: the text as ``str`` with LF newlines and no trailing spaces,
plus the encoding it was read in.

Accepted: UTF-8 with or without BOM, UTF-16/UTF-32 with BOM, GB18030 (which
covers GBK and GB2312).  The same text in any of these gives the same ``str``,
so the same model.  Binary data, bytes in no known encoding, empty or blank
input raise ``InputError`` (exit code 2, one line, no traceback).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from .errors import InputError

# Byte-order marks, longest first: a UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_TRAILING = re.compile(r"[ \u00a0\u3000]+$", re.MULTILINE)
# Share of a GB18030 reading's non-ASCII characters that must be common
# (GB2312) characters for the reading to be believed; Latin-1 or random bytes
# read as GB18030 give mostly rare ideographs and fail this.
_GB_PLAUSIBLE = 0.9


@dataclass(frozen=True)
class Source:
    """Decoded text of one input file."""

    text: str
    encoding: str
    name: str = ""


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    controls = sum(1 for b in data if b < 0x20 and b not in b"\t\n\r\f\x1b\x07\x08\x0b")
    return controls > max(8, len(data) // 50)


def _plausible_gb(text: str) -> bool:
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= _GB_PLAUSIBLE


def _decode(data: bytes, name: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise InputError(
                    f"starts with a {encoding} byte-order mark but byte {error.start + len(bom)} "
                    f"is not {encoding}", name) from None
    if _looks_binary(data):
        raise InputError("looks like binary data, not text", name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _plausible_gb(text):
        return text, "gb18030"
    raise InputError(
        f"not UTF-8, UTF-16 or GB18030 text (byte {utf8_error.start} "
        f"is 0x{data[utf8_error.start]:02x}); convert it to UTF-8", name)


def decode(data: bytes, name: str = "") -> Source:
    """Bytes to normalised text; ``InputError`` for empty, blank, binary or unknown bytes."""
    if not data:
        raise InputError("the file is empty", name)
    text, encoding = _decode(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING.sub("", text)
    if not text.strip():
        raise InputError("the file holds only blank lines", name)
    return Source(text=text, encoding=encoding, name=name)
