"""Character classes and small text tests the normalizer's rules share.

In: strings.  Out: booleans and pieces of strings.  No state but the lazily
loaded word list (jieba's dictionary, read as a plain set: the segmenter itself
is not needed to ask "is this a word?").
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import marshal
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

# clreq §3.1.7: marks that may not start a line — nor, therefore, a sentence.
NO_START = set("、，。．；：？！）》」』】〕〗〉”’…—%‰℃,.;:?!)]}")
# Marks that close a sentence or a self-contained unit (a paragraph ending here is complete).
TERMINAL = set("。！？!?…；;：:）)」』】》”’〕")
# Marks that end a sentence (closing quotes and brackets may end a headline).
SENTENCE_END = set("。！？!?…；;：:，,、")
# A line is heading-like when it is short and has no full stop inside; a long
# one (a government notice's title) may be heading-like when it has no commas.
HEADING_MAX = 32
HEADING_LONG = 60

#: Han ideographs as a regex class body: the URO, extensions A to H, compatibility.
HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN = re.compile(f"[{HAN_CLASS}]")
_DATE = re.compile(
    r"^(?P<y>\d{4}|[〇零一二三四五六七八九]{4})年"
    r"(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})月"
    r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})日$"
)
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
# A jump line (上接第一版 / 下转第三版): body text, never a headline.
_JUMP = re.compile(r"^[（(](?:上接|下转|接|转)第?[\w一二三四五六七八九十]{1,4}版[）)]$")
_CLAUSE = re.compile(r"[，；、。：！？]")
_CLAUSE_MARKS = frozenset("，；、。：！？")


def is_han(ch: str) -> bool:
    """Whether ``ch`` is a CJK ideograph (BMP blocks and the supplementary planes)."""
    return bool(_HAN.match(ch))


def han_count(text: str) -> int:
    """How many ideographs ``text`` holds."""
    return len(_HAN.findall(text))


def is_terminated(text: str) -> bool:
    """Whether a paragraph's last character closes a sentence or a unit."""
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in TERMINAL


def is_heading_like(text: str) -> bool:
    """A headline or subhead shape: no full stop inside, no sentence mark at the end,
    and short — or, up to ``HEADING_LONG``, without the commas of running text."""
    text = text.strip()
    if not text or "。" in text or len(text) > HEADING_LONG or _JUMP.match(text):
        return False
    if text[0] in "（(" and text[-1] in "）)" or dateline(text):  # a note; the date
        return False
    # Headlines carry at most one comma; running text more, or a semicolon.
    if "；" in text or text.count("，") > (0 if len(text) > HEADING_MAX else 1):
        return False
    return text[-1] not in SENTENCE_END or text.endswith("——")


# The date line at the head of a day's dump: 2022年3月31日 星期四 (a lunar date may
# stand between: 2022年3月31日 农历二月廿九 星期四).
_DATELINE = re.compile(r"^(?P<date>\S{6,14}日)(?:\s*(?:农历|農曆)\S{2,8})?"
                       r"(?:\s*(?:星期|週|周)[一二三四五六日天])?$")


def dateline(text: str) -> str | None:
    """The ISO date of a line that is only a date (and weekday), else None."""
    match = _DATELINE.match(text.strip())
    return parse_date(match["date"]) if match else None


# The commonest Chinese surnames (simplified and traditional forms), for telling an
# author's name set under a headline (a commentary's 任仲平) from a short subtitle.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝洪赖"
    "陳張楊黃趙吳劉鄭謝許韓馮鄧蕭葉蘇魏呂盧姜鍾譚陸範賈韋鄒聶龔嚴顧鄔邊賴錢顏莊魯簡藍駱"
    "賀湯溫蔣閻龍歐萬羅孫紀連戴")
_COMPOUND_SURNAMES = ("欧阳", "歐陽", "司马", "司馬", "诸葛", "諸葛", "上官", "东方", "東方",
                      "皇甫", "尉迟", "尉遲", "公孙", "公孫", "慕容", "令狐", "宇文", "长孙", "長孫")
# Short words a headline's second line may be that are no names: the genre of the piece.
_GENRES = {"时评", "時評", "社论", "社論", "短评", "短評", "快评", "快評", "述评", "述評", "综述",
           "綜述", "评论", "評論", "随笔", "隨筆", "特稿", "专稿", "專稿", "侧记", "側記", "札记",
           "札記", "手记", "手記", "观察", "觀察", "纪实", "紀實", "速写", "速寫"}


def is_genre(text: str) -> bool:
    """A word naming the kind of piece (时评, 手记, 综述): never a person's name (记者手记
    is a genre, not the reporter 手记)."""
    return text.strip() in _GENRES


def is_author_name(text: str) -> bool:
    """A line that is a person's name alone (2 or 3 ideographs from a common surname,
    4 from a compound one): an author set under a headline, not a subtitle."""
    text = text.strip()
    if not text or text in _GENRES or not all(map(_HAN.fullmatch, text)):
        return False
    if text.startswith(_COMPOUND_SURNAMES):
        return 3 <= len(text) <= 4
    return 2 <= len(text) <= 3 and text[0] in _SURNAMES


def is_kicker(text: str) -> bool:
    """A kicker (引题) ends with a dash that leads into the title."""
    return text.rstrip().endswith(("——", "—", "--"))


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 4:  # a year spelt digit by digit: 二〇二二
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS[text[1]]
    if text.endswith("十"):
        return _CN_DIGITS[text[0]] * 10
    if "十" in text:
        return _CN_DIGITS[text[0]] * 10 + _CN_DIGITS[text[2]]
    return _CN_DIGITS[text]


def parse_date(text: str) -> str | None:
    """``2022年3月31日`` (or in Chinese numerals) as ISO ``2022-03-31``; None if not a date."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        year, month, day = (_cn_number(match[k]) for k in ("y", "m", "d"))
    except (KeyError, IndexError, ValueError):
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def clause_heads(text: str) -> set[str]:
    """The first two characters of every clause (after ，；、。：！？) of ``text``."""
    heads = set()
    for piece in _CLAUSE.split(text):
        piece = piece.strip()
        if len(piece) >= 2:
            heads.add(piece[:2])
    return heads


def first_clause(text: str) -> str:
    """The clause at the start of ``text`` (before its first clause mark)."""
    return _CLAUSE.split(text, maxsplit=1)[0]


def last_clause(text: str) -> str:
    """The unfinished clause at the end of ``text`` (after its last clause mark).

    Scans back from the end: splitting the whole text made repeated joins of a
    growing paragraph quadratic."""
    for index in range(len(text) - 1, -1, -1):
        if text[index] in _CLAUSE_MARKS:
            return text[index + 1:]
    return text


class WordList:
    """jieba's dictionary of Chinese words (349k entries), asked "is this a word?".

    Reading the dictionary into a set costs ~0.2 s a process, more than the
    rest of the normalizer.  The words are kept instead as one sorted table per
    length, each word in fixed-width UTF-32, and found by binary search: the
    table is made once per jieba version into the user's cache folder and then
    read as plain bytes (a few milliseconds).
    """

    def __init__(self, tables: dict[int, bytes]) -> None:
        self._tables = tables

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word:
            return False
        table = self._tables.get(len(word))
        if not table:
            return False
        key = word.encode("utf-32-le")
        width = len(key)
        low, high = 0, len(table) // width
        while low < high:
            middle = (low + high) // 2
            probe = table[middle * width:(middle + 1) * width]
            if probe < key:
                low = middle + 1
            else:
                high = middle
        return table[low * width:(low + 1) * width] == key

    @staticmethod
    def build(lines: Iterable[str]) -> dict[int, bytes]:
        """Tables by word length from the dictionary's lines ("word freq tag")."""
        by_length: dict[int, set[bytes]] = {}
        for line in lines:
            word = line.split(" ", 1)[0].strip()
            if 2 <= len(word) <= WORD_MAX:
                by_length.setdefault(len(word), set()).add(word.encode("utf-32-le"))
        return {length: b"".join(sorted(found)) for length, found in by_length.items()}


# Longest word the joins ever ask about (three characters from each side).
WORD_MAX = 6
_CACHE_MAGIC = b"paiban-words-1\n"


def _cache_path(stamp: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "paiban" / f"words-{stamp}.bin"


@functools.cache
def words() -> WordList:
    """The word list (see ``WordList``), from the cache when it is there."""
    # find_spec locates jieba without importing it (its import alone costs 0.07 s).
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return WordList({})  # no dictionary: joins fall back to the other signals
    source = Path(list(spec.submodule_search_locations)[0]) / "dict.txt"
    stamp = hashlib.sha256(f"{jieba_version()}:{source}".encode()).hexdigest()[:16]
    cache = _cache_path(stamp)
    try:
        data = cache.read_bytes()
        if data.startswith(_CACHE_MAGIC):
            return WordList(marshal.loads(data[len(_CACHE_MAGIC):]))
    except (OSError, ValueError, EOFError, TypeError):
        pass  # no cache or a damaged one: rebuild it
    with source.open(encoding="utf-8") as handle:
        tables = WordList.build(handle)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle_fd, temp = tempfile.mkstemp(dir=cache.parent, suffix=".part")
        with os.fdopen(handle_fd, "wb") as out:
            out.write(_CACHE_MAGIC + marshal.dumps(tables))
        os.replace(temp, cache)
    except OSError:
        pass  # a read-only home: work without the cache
    return WordList(tables)


def jieba_version() -> str:
    """The installed jieba's version (the cache key of the word list)."""
    try:
        return importlib.metadata.version("jieba")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def spanning_word(tail: str, head: str) -> str:
    """A dictionary word that exists only across the join of ``tail`` and ``head``.

    The word must take at least one character from each side; the longest found
    is returned, "" if none.  (杀了夏明|翰 has none; 项目进|行 gives 进行.)
    """
    vocabulary = words()
    best = ""
    for left in range(1, min(3, len(tail)) + 1):
        for right in range(1, min(3, len(head)) + 1):
            word = tail[-left:] + head[:right]
            if not all(is_han(ch) for ch in word):
                continue
            if word in vocabulary and len(word) > len(best):
                best = word
    return best


# Marks that may not start a line but may open a paragraph: a dash leads a list item
# (——强化监管…) and an ellipsis opens a quotation cut short (……).
_MAY_OPEN = set("…—")


def starts_mid_sentence(text: str) -> bool:
    """Text whose first mark cannot open a sentence: ``，`` first, or one ideograph then
    ``，`` / ``；`` / ``。`` (翰，还有…).  One ideograph then ``、`` is no evidence: it
    opens enumerations (看、听、议…) and numbered items (一、…)."""
    text = text.lstrip()
    if not text:
        return False
    if text[0] in NO_START:
        return text[0] not in _MAY_OPEN
    return len(text) > 1 and is_han(text[0]) and text[1] in "，；。"


def continues_list(tail: str, head: str) -> bool:
    """A list cut in two: ``tail`` ends inside an enumeration (…时限、主体责任) and
    ``head`` opens with one more short item of it (单位、责任人…)."""
    before = tail.rstrip()
    stub = last_clause(before)  # after the last clause mark (scanned from the end)
    if len(stub) == len(before) or before[-len(stub) - 1] != "、" or len(stub) > 8:
        return False
    first = _CLAUSE.search(head)
    return bool(first) and first.group() == "、" and 1 <= first.start() <= 6
