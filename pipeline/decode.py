"""decode: bytes -> text.

In: the raw bytes of a day's text file (and its name, for messages).
Out: ``Source``: the text as ``str`` with LF newlines and no trailing spaces,
plus the encoding it was read in.

Accepted: UTF-8 with or without BOM, UTF-16/UTF-32 with BOM, UTF-16 without
BOM (told apart from binary data by what it decodes to), GB18030 (which covers
GBK and GB2312), and Big5 (CP950, then Big5-HKSCS) for papers set in traditional
characters.  The same text in any of these gives the same ``str``, so the same
model.  Binary data, bytes in no known encoding, empty or blank input raise
``InputError`` (exit code 2, one line, no traceback).

Legacy encodings are guessed by plausibility, never by a byte-frequency library:
a GB18030 reading is believed when nine in ten of its non-ASCII characters are
GB2312's (common simplified characters and punctuation); a Big5 reading when nine
in ten are Big5's first level (common traditional characters) or its symbols.
Each encoding's text read as the other fails its test (measured on news text:
Big5 read as GB18030, one in three).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
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


def _encoded_lead(char: str, encoding: str) -> int | None:
    """The first byte of ``char`` in ``encoding``; None if it has no such character."""
    try:
        return char.encode(encoding)[0]
    except UnicodeEncodeError:
        return None


def encodable(char: str, encoding: str) -> bool:
    """Whether ``encoding`` has ``char`` (GB2312's common simplified characters, Big5's
    traditional ones …)."""
    return _encoded_lead(char, encoding) is not None


def _common_gb(char: str) -> bool:
    """In GB2312: the common simplified characters and punctuation."""
    return encodable(char, "gb2312")


def _common_big5(char: str) -> bool:
    """In Big5's symbols (lead byte A1-A3) or its first level of characters (A4-C6)."""
    lead = _encoded_lead(char, "cp950")
    return lead is not None and 0xA1 <= lead <= 0xC6


def _plausible(text: str, common: Callable[[str], bool]) -> bool:
    """Nine in ten of the text's non-ASCII characters are ``common`` ones."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    return not wide or sum(map(common, wide)) >= _GB_PLAUSIBLE * len(wide)


_BIG5_CODECS = ("cp950", "big5hkscs")


def _textlike(char: str) -> bool:
    """A character news text is made of: CJK, ASCII, Latin-1 letters, punctuation."""
    code = ord(char)
    return (char in "\n\t" or 0x20 <= code < 0x7F or 0xA0 <= code < 0x250
            or 0x2000 <= code < 0x2070 or 0x3000 <= code < 0xA000 or 0xF900 <= code < 0xFB00
            or 0xFE30 <= code < 0xFF70 or 0x20000 <= code < 0x32000)


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """``data`` as UTF-16 (LE or BE) when it reads as text that way, else None."""
    if len(data) % 2 or b"\x00" not in data:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\n" in text and sum(map(_textlike, text)) >= _GB_PLAUSIBLE * len(text):
            return text, encoding
    return None


def _decode(data: bytes, name: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError as error:
                raise InputError(
                    f"starts with a {encoding} byte-order mark but byte {error.start + len(bom)} "
                    f"is not {encoding}", name) from None
    if (found := _utf16_without_bom(data)) is not None:
        return found
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
    if text and _plausible(text, _common_gb):
        return text, "gb18030"
    for encoding in _BIG5_CODECS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible(text, _common_big5):
            return text, encoding
        break  # a superset codec would read the same characters: no better
    at = utf8_error.start
    line = data.count(b"\n", 0, at) + 1
    raise InputError(
        f"not UTF-8, UTF-16, GB18030 or Big5 text (line {line}, byte {at} "
        f"is 0x{data[at]:02x}); convert it to UTF-8", name)


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
