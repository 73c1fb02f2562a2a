"""normalize: text -> document model, with repairs and diagnostics.

In: a decoded ``Source`` and the seed's ``Sidecar``.
Out: ``Normalized`` — the ``Edition`` and every diagnostic (decisions, repairs,
doubts), each with a stable code and a source line.

The steps run in the order ``STEPS`` names: clean characters, read blocks,
apply the sidecar's corrections, mend column breaks, find articles, attach
photos, settle metadata.  None of them raises on any text: bad input was
already refused by ``decode``.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections import Counter
from dataclasses import dataclass, replace

from ..decode import Source, encodable
from ..diagnostics import Diagnostic
from ..errors import InputError
from ..model import Article, Edition, Image, Meta, PhotoGap, SignOff, article_text, edition_text
from ..settings import Correction, Sidecar, default_slug
from .articles import to_articles
from .blocks import Raw, to_blocks
from .clean import clean, separator_lines
from .repair import repair_fields, repair_paragraphs
from .text import dateline, parse_date, words

STEPS = ("clean", "blocks", "corrections", "repair", "articles", "photos", "meta")


@dataclass(frozen=True)
class Normalized:
    """The normalizer's result: the edition and what was decided on the way."""

    edition: Edition
    diagnostics: tuple[Diagnostic, ...]


def load_words() -> None:
    """Read the word list the normalizer consults (jieba's dictionary, cached on disk),
    so that a process that forks workers pays for it once (``pipeline.preload``)."""
    words()


def _find(blocks: list[Raw], text: str, *, at_end: bool) -> int:
    hits = [i for i, b in enumerate(blocks) if b.kind == "para"
            and (b.text.endswith(text) if at_end else b.text.startswith(text))]
    return hits[0] if len(hits) == 1 else -1 - len(hits)


def apply_corrections(
    blocks: list[Raw], corrections: tuple[Correction, ...], source: str
) -> tuple[list[Raw], list[Diagnostic]]:
    """Apply sidecar corrections, addressed by quoted text (never by line numbers)."""
    diagnostics = []
    for correction in corrections:
        if correction.structure:
            diagnostics.append(_settle(blocks, correction, source))
            continue
        end = _find(blocks, correction.end, at_end=True)
        if end < 0:
            raise InputError(
                f"correction: {-end - 1} paragraphs end with {correction.end!r} (need exactly one)",
                source)
        if correction.keep_apart:
            blocks[end].sealed = True
            diagnostics.append(Diagnostic(
                "P150", blocks[end].last, f"kept …{correction.end} apart from what follows"))
            continue
        start = _find(blocks, correction.start, at_end=False)
        if start < 0:
            raise InputError(
                f"correction: {-start - 1} paragraphs start with {correction.start!r} "
                "(need exactly one)", source)
        piece = blocks.pop(start)
        if start < end:
            end -= 1
        blocks[end].text += piece.text
        blocks[end].last = max(blocks[end].last, piece.last)
        blocks[end].sealed = True
        diagnostics.append(Diagnostic(
            "P150", piece.first,
            f"joined {correction.start}… (line {piece.first}) to …{correction.end}"))
    return blocks, diagnostics


_SETTLED = {"article": "starts an article", "subhead": "starts a subhead",
            "kicker": "is a kicker (引题) opening an article",
            "subtitle": "is the subtitle (副题) of the headline above it",
            "credit": "is a credit or caption of the article before"}


def _settle(blocks: list[Raw], correction: Correction, source: str) -> Diagnostic:
    """Mark the one line that starts with the quoted text with what the sidecar says
    it is (``Correction.structure``); the segmenter obeys.  A kicker or subtitle may
    be any line of a stacked group; the other structures name a group's first line."""
    quoted = correction.end.strip()
    inner = correction.structure in ("kicker", "subtitle")
    hits = [b for b in blocks if (b.kind == "para" and b.text.startswith(quoted))
            or (b.kind == "lines" and any(line.startswith(quoted)
                                          for line in (b.lines if inner else b.lines[:1])))]
    if len(hits) != 1:
        raise InputError(
            f"correction: {len(hits)} lines start with {quoted!r} (need exactly one)", source)
    block = hits[0]
    if inner:
        block.parts += ((correction.structure, quoted),)
    if not inner or block.role in ("", "subtitle"):
        block.role = correction.structure  # a kicker opens the article: it wins
    return Diagnostic("P150", hits[0].first,
                      f"the sidecar says {quoted} {_SETTLED[correction.structure]}")


def take_dateline(blocks: list[Raw]) -> tuple[list[Raw], str, list[Diagnostic]]:
    """The date line heading a day's dump (2022年3月31日 星期四), taken off the text as
    the edition's date: the masthead shows it (P143 reports the line as removed)."""
    if not blocks:
        return blocks, "", []
    first = blocks[0]
    if first.kind == "para" and (date := dateline(first.text)):
        line = first.text
        blocks = blocks[1:]
    elif first.kind == "lines" and first.lines and (date := dateline(first.lines[0])):
        line = first.lines[0]
        rest = first.lines[1:]
        first.lines, first.first = rest, first.first + 1
        if len(rest) == 1:  # one line left: a paragraph of its own
            blocks[0] = Raw("para", first.first, first.last, gap=first.gap, text=rest[0])
    else:
        return blocks, "", []
    return blocks, date, [Diagnostic(
        "P143", 1, f"took the edition date {date} from the top line (the masthead shows it)",
        removed=line)]


def repeated_articles(articles: list[Article]) -> list[Diagnostic]:
    """P124: an article whose headline and text repeat an earlier one word for word (a
    crawl lists an article on every page it runs on).  Both are kept — the text is the
    desk's — and the doubt says which lines to delete if it is not meant twice."""
    seen: dict[tuple, Article] = {}
    found = []
    for article in articles:
        text = "".join("".join(article_text(article)).split())
        if len(text) < 40:
            continue  # short items (图片报道 …) may well repeat
        first = seen.setdefault((article.headline, text), article)
        if first is not article:
            found.append(Diagnostic(
                "P124", article.span.first, f"lines {article.span.first}-{article.span.last} "
                f"repeat the article at lines {first.span.first}-{first.span.last} word for "
                "word; delete one copy from the text if the paper did not print it twice"))
    return found


def attach_photos(articles: list[Article], sidecar: Sidecar, source: str) -> list[Article]:
    """Give each photo in the sidecar to the photo gap it names."""
    out = list(articles)
    for photo in sidecar.photos:
        matches = [i for i, a in enumerate(out)
                   if photo.article in "".join(a.headline.titles)]
        if len(matches) != 1:
            raise InputError(
                f"photos: {len(matches)} articles have {photo.article!r} in the title "
                "(need exactly one)", source)
        article = out[matches[0]]
        gaps = [i for i, b in enumerate(article.body) if isinstance(b, PhotoGap)]
        if not 1 <= photo.index <= len(gaps):
            raise InputError(
                f"photos: article {photo.article!r} has {len(gaps)} photo gaps, "
                f"not {photo.index}", source)
        body = list(article.body)
        gap = body[gaps[photo.index - 1]]
        body[gaps[photo.index - 1]] = replace(gap, image=Image(photo.path, photo.caption))
        out[matches[0]] = replace(article, body=tuple(body))
    return out


def script_language(articles: list[Article]) -> str:
    """"zh-Hant" for text in traditional characters, else "zh-CN" (the sidecar's
    ``edition.language`` overrides either: zh-TW, zh-HK …).

    The evidence is the characters only one script has: Big5 but not GB2312 (國, 們,
    臺) against GB2312 but not Big5 (国, 们, 台).  Rare characters in neither (𠮷,
    㐀, a name's) say nothing.  Traditional wins with three or more such characters
    and at least twice the simplified count.
    """
    traditional = simplified = 0
    for article in articles:
        for ch in "".join(article_text(article)):
            if "\u4e00" <= ch <= "\u9fff":
                in_gb, in_big5 = encodable(ch, "gb2312"), encodable(ch, "cp950")
                traditional += in_big5 and not in_gb
                simplified += in_gb and not in_big5
    return "zh-Hant" if traditional >= 3 and traditional >= 2 * simplified else "zh-CN"


_NAME_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)[-_.]?(?P<m>0[1-9]|1[0-2])[-_.]?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")


def date_in_name(name: str) -> str:
    """The ISO date a seed's file name holds (rmrb-2020-01-09, 20200109_evening), or ""."""
    match = _NAME_DATE.search(name)
    if not match:
        return ""
    try:
        return datetime.date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
    except ValueError:  # 2022-02-30
        return ""


def infer_meta(
    articles: list[Article], sidecar: Sidecar, name: str, top_date: str = ""
) -> tuple[Meta, list[Diagnostic]]:
    """Metadata from the sidecar, else from the text: paper from bylines and
    sign-offs, date from the dump's date line (``take_dateline``), else from the
    file name (rmrb-2020-01-09), else from the last sign-off (a doubt: a notice's
    signing date need not be the paper's)."""
    diagnostics = []
    given = sidecar.edition
    papers: Counter[str] = Counter()
    for article in articles:
        if article.byline and article.byline.agency.endswith(("讯", "訊")):
            papers[re.sub(r"(本报|本報)?[讯訊]$", "", article.byline.agency)] += 1
        for block in article.body:
            if isinstance(block, SignOff):
                for org in block.organisations:
                    if org.endswith(("报", "報")):
                        papers[org] += 1
    papers.pop("", None)
    dates = [parse_date(b.date) for a in articles for b in a.body if isinstance(b, SignOff)]
    dates = [d for d in dates if d]
    paper = given.paper or (papers.most_common(1)[0][0] if papers else "")
    named = date_in_name(name)
    date = given.date or top_date or named or (dates[-1] if dates else "")
    if not given.date and not top_date and not named and dates:
        diagnostics.append(Diagnostic(
            "P144", 1, f"the edition date {date} was taken from a sign-off, which may be a "
            "notice's own date: set edition.date in the sidecar if the paper's is another"))
    language = given.language or script_language(articles)
    if not given.paper or not given.date:
        diagnostics.append(Diagnostic(
            "P140", 1, f"inferred paper {paper or '(unknown)'} and date {date or '(unknown)'}"
            + (f"; language {language} (traditional characters)"
               if language != "zh-CN" and not given.language else "")))
    if not date:
        diagnostics.append(Diagnostic("P141", 1, "no sign-off date found; the edition is undated"))
    if not paper:
        example = "…日報訊" if language == "zh-Hant" else "…日报讯"
        diagnostics.append(Diagnostic(
            "P142", 1, f"no paper name found (no '{example}' byline or sign-off); the front "
            "page has no masthead: set edition.paper in the sidecar"))
    slug = given.slug or default_slug(name)
    identifier = given.identifier or (
        "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"paiban:{paper}:{date}:{slug}")))
    meta = Meta(
        paper=paper, date=date, language=language,
        identifier=identifier, slug=slug, publisher=given.publisher or paper,
        rights=given.rights,
    )
    return meta, diagnostics


def unaccounted(source: Source, normalized: Normalized) -> Counter[str]:
    """Conservation: non-space characters of the input the model neither has nor
    reports as removed (positive counts), or has in excess (negative counts).

    Empty when every character of the input reached the model exactly once.
    """
    wanted = Counter(ch for ch in source.text if not ch.isspace())
    wanted.subtract(ch for d in normalized.diagnostics for ch in d.removed if not ch.isspace())
    wanted.subtract(ch for ch in edition_text(normalized.edition) if not ch.isspace())
    return Counter({ch: n for ch, n in wanted.items() if n})


def normalize(source: Source, sidecar: Sidecar | None = None, name: str = "edition") -> Normalized:
    """Read a day's text into an edition (see the module docstring for the steps)."""
    sidecar = sidecar or Sidecar()
    text, cleaned = clean(source.text)
    diagnostics: list[Diagnostic] = list(cleaned)
    if source.encoding not in ("utf-8",):
        diagnostics.append(Diagnostic("P003", 1, f"decoded as {source.encoding}"))
    blocks = to_blocks(text, separator_lines(cleaned))
    blocks, top_date, found = take_dateline(blocks)
    diagnostics += found
    blocks, found = apply_corrections(blocks, sidecar.corrections, sidecar.path or source.name)
    diagnostics += found
    blocks, found = repair_fields(blocks)
    diagnostics += found
    blocks, found = repair_paragraphs(blocks)
    diagnostics += found
    articles, found = to_articles(blocks)
    diagnostics += found
    diagnostics += repeated_articles(articles)
    articles = attach_photos(articles, sidecar, sidecar.path or source.name)
    meta, found = infer_meta(articles, sidecar, name, top_date)
    diagnostics += found
    ordered = tuple(sorted(diagnostics, key=lambda d: (d.line, d.code)))
    return Normalized(Edition(meta, tuple(articles)), ordered)
