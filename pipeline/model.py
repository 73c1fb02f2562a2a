"""The document model: one closed set of frozen dataclasses.

In: nothing (this module imports nothing else of ``pipeline``).
Out: the types every stage passes along — ``Edition`` at the top, made of
``Article``s whose bodies are ``Block``s whose text is ``Inline`` runs.

Like pandoc's ``Pandoc Meta [Block]``, the set is closed: a block is one of the
union ``Block``, never a free-form ``type: str``.  Options (page size, fonts)
travel beside the document in ``Settings``, never inside it.  Every block keeps
the source line span it came from, so diagnostics and tests can point back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Span:
    """Source lines a block came from, 1-based and inclusive."""

    first: int
    last: int


# --- inline runs -----------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A run of plain text."""

    text: str


@dataclass(frozen=True)
class Link:
    """A hyperlink; ``text`` is what the reader sees, ``url`` an http(s)/mailto URL."""

    text: str
    url: str


@dataclass(frozen=True)
class LineBreak:
    """A forced line break inside a block (a note line under a field, say)."""


Inline = Union[Text, Link, LineBreak]


# --- blocks ----------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph; ``head`` is a run-in section head (一、…。) set at its start."""

    inlines: tuple[Inline, ...]
    span: Span
    head: str = ""


@dataclass(frozen=True)
class Heading:
    """A stand-alone subhead inside an article."""

    text: str
    span: Span


@dataclass(frozen=True)
class Table:
    """A table: one header row and body rows; cells keep their inner spaces."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    span: Span


@dataclass(frozen=True)
class NameList:
    """A grid of personal names, read row by row."""

    names: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class Field:
    """One ``label：value`` line (受理举报时间：…); ``value`` may hold links and breaks."""

    label: str
    value: tuple[Inline, ...]
    span: Span
    separator: str = "："


@dataclass(frozen=True)
class Fields:
    """A run of field lines, set with their labels aligned."""

    items: tuple[Field, ...]
    span: Span


@dataclass(frozen=True)
class SignOff:
    """Organisations and a date closing an article, set right-aligned."""

    organisations: tuple[str, ...]
    date: str
    span: Span


@dataclass(frozen=True)
class Image:
    """A picture supplied by the sidecar for a photo gap."""

    path: str
    caption: str = ""


@dataclass(frozen=True)
class PhotoGap:
    """Where the page had a photo (a run of blank lines); shown only with an image."""

    blank_lines: int
    span: Span
    image: Image | None = None


Block = Union[Paragraph, Heading, Table, NameList, Fields, SignOff, PhotoGap]


# --- articles and the edition ----------------------------------------------


@dataclass(frozen=True)
class Credit:
    """One role in a byline and the people credited in it (全媒体记者 → 张三).

    As printed: the role, a space unless ``spaced`` is false (记者张三), and the
    names joined by ``separator`` (" ", or "、": 记者张三、李四).
    """

    role: str
    names: tuple[str, ...]
    spaced: bool = True
    separator: str = " "


@dataclass(frozen=True)
class Byline:
    """The dateline (电头) opening the lead: agency plus bracketed credits
    (``brackets`` is "" for a byline that stood on a line of its own)."""

    agency: str
    credits: tuple[Credit, ...]
    brackets: str = "（）"


@dataclass(frozen=True)
class Headline:
    """The headline block: kicker (引题), title lines (主题), subtitle (副题)."""

    titles: tuple[str, ...]
    kicker: str = ""
    subtitle: str = ""


@dataclass(frozen=True)
class Article:
    """One article: headline, optional column label (栏目), optional byline, body."""

    headline: Headline
    body: tuple[Block, ...]
    span: Span
    label: tuple[str, ...] = ()
    byline: Byline | None = None


@dataclass(frozen=True)
class Meta:
    """Edition metadata; ``date`` is ISO 8601 (YYYY-MM-DD)."""

    paper: str
    date: str
    language: str = "zh-CN"
    identifier: str = ""
    slug: str = ""
    publisher: str = ""
    rights: str = ""  # from the sidecar only (never guessed): 版权所有 …


@dataclass(frozen=True)
class Edition:
    """A newspaper day: metadata and its articles in reading order."""

    meta: Meta
    articles: tuple[Article, ...]


# The closed set, by name: model_yaml uses it to tag and rebuild union members.
NODE_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Span, Text, Link, LineBreak, Paragraph, Heading, Table, NameList, Field,
        Fields, SignOff, Image, PhotoGap, Credit, Byline, Headline, Article, Meta,
        Edition,
    )
}


# --- the text a reader sees -------------------------------------------------


def inline_text(inlines: tuple[Inline, ...]) -> str:
    """The visible text of inline runs; a line break reads as a newline."""
    return "".join(
        "\n" if isinstance(run, LineBreak) else run.text for run in inlines
    )


def byline_text(byline: Byline) -> str:
    """The byline as printed: 本报讯（全媒体记者 张三 通讯员 李四）."""
    credits = " ".join(
        credit.role + (" " if credit.spaced and credit.names else "")
        + credit.separator.join(credit.names) for credit in byline.credits
    )
    if not byline.credits:
        return byline.agency
    if not byline.brackets:  # a byline line of its own: 本报记者 张三
        return " ".join(part for part in (byline.agency, credits) if part)
    return f"{byline.agency}{byline.brackets[0]}{credits}{byline.brackets[1]}"


def block_text(block: Block) -> str:
    """The visible text of one block, lines joined by newlines."""
    match block:
        case Paragraph():
            return block.head + inline_text(block.inlines)
        case Heading():
            return block.text
        case Table():
            return "\n".join("\t".join(row) for row in (block.header, *block.rows))
        case NameList():
            return " ".join(block.names)
        case Fields():
            return "\n".join(
                item.label + item.separator + inline_text(item.value)
                for item in block.items
            )
        case SignOff():
            return "\n".join((*block.organisations, block.date))
        case PhotoGap():
            return block.image.caption if block.image else ""
    raise TypeError(f"not a block: {block!r}")


def article_text(article: Article) -> Iterator[str]:
    """Every piece of an article's visible text, in reading order."""
    head = article.headline
    yield from article.label  # set above the headline, as papers place a column tag
    if head.kicker:
        yield head.kicker
    yield from head.titles
    if head.subtitle:
        yield head.subtitle
    for index, block in enumerate(article.body):
        if index == 0 and article.byline is not None:
            yield byline_text(article.byline)
        yield block_text(block)
    if not article.body and article.byline is not None:
        yield byline_text(article.byline)


def edition_text(edition: Edition) -> str:
    """All visible text of the edition, articles in order, pieces on their own lines."""
    return "\n".join(piece for art in edition.articles for piece in article_text(art))


__all__ = [
    "SCHEMA_VERSION", "Span", "Text", "Link", "LineBreak", "Inline", "Paragraph",
    "Heading", "Table", "NameList", "Field", "Fields", "SignOff", "Image",
    "PhotoGap", "Block", "Credit", "Byline", "Headline", "Article", "Meta",
    "Edition", "NODE_TYPES", "inline_text", "byline_text", "block_text",
    "article_text", "edition_text",
]
