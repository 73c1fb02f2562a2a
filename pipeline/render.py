"""render: the document model -> HTML, through the shared Jinja2 layouts in ``layouts/``.

In:  ``model.Article`` / ``model.Edition``; for print, ``settings.Layout`` and the
     ``@font-face`` CSS of the subset fonts.
Out: ``render_article`` — one article as well-formed XHTML (``layouts/article.html.j2``),
     the same partial for the PDF and the EPUB; ``render_print`` — the whole print
     document (``layouts/print.html.j2``: masthead, contents, articles) as an HTML string
     for WeasyPrint; ``page_geometry`` — the character grid the print page is set on.

There is one renderer and one set of layouts: the EPUB includes the article partial
as it is.  Text is never escaped by hand: Jinja2 autoescapes, and every run of text
goes through ``typeset`` (``pipeline.typography``), which escapes it and adds the clreq
marks.  Ids are stable (``a3``, ``a3-b5``), so the PDF's page map and the EPUB's
page-list and links agree.
"""

from __future__ import annotations

import datetime
import hashlib
import functools
import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from pathlib import Path

import jinja2
import jinja2.runtime
from markupsafe import Markup

from . import fonts, model, typography
from .settings import Layout

LAYOUTS = Path(__file__).resolve().parent.parent / "layouts"

# A name list is set on a grid of cells this many characters wide at least
# (Chinese name lists pad two-character names to three, clreq §3.8).
_NAME_CELL_MIN = 3
# The least gap between two name cells, in characters.
_NAME_GAP_MIN = 1
# A table column whose every cell is at most this many characters long is set
# without line breaks: names, dates, codes (a 3-character name never wraps).
_SHORT_CELL = 8
_WEEKDAYS = "一二三四五六日"


# --- ids -------------------------------------------------------------------


def article_id(article_index: int) -> str:
    """The id of an article: ``a3``; the print page map and EPUB page-list key."""
    return f"a{article_index}"


def block_id(article_index: int, block_index: int) -> str:
    """The id of a body block: ``a3-b5`` (block 5 of article 3)."""
    return f"{article_id(article_index)}-b{block_index}"


def model_ids(edition: model.Edition) -> list[str]:
    """Every article and block id the layouts give the edition, in reading order."""
    return [
        ident
        for index, article in enumerate(edition.articles)
        for ident in (article_id(index),
                      *(block_id(index, number) for number in range(len(article.body))))
    ]


# --- dates -----------------------------------------------------------------


def date_line(meta: model.Meta) -> str:
    """The date of a masthead and running head: ``2022年3月31日 星期四`` ("" if none)."""
    try:
        day = datetime.date.fromisoformat(meta.date)
    except ValueError:
        return ""
    return f"{day.year}年{day.month}月{day.day}日 星期{_WEEKDAYS[day.weekday()]}"


def edition_title(edition: model.Edition) -> str:
    """The edition's title for both editions' metadata: paper and dated line, or — for
    a day whose paper and date the text did not say — its first headline, or its slug."""
    parts = [part for part in (edition.meta.paper, date_line(edition.meta)) if part]
    if parts:
        return " ".join(parts)
    for article in edition.articles:
        if article.headline.titles:
            return title_text(article.headline)
    return edition.meta.slug or "paiban"


def revision(edition: model.Edition) -> str:
    """A hash of everything the edition says (its text, structure and metadata): two
    builds of the same inputs give the same; a changed text or sidecar another."""
    return hashlib.sha256(repr(edition).encode("utf-8")).hexdigest()


def document_dates(meta: model.Meta, revision: str = "") -> tuple[str, str]:
    """W3C dates (created, modified) for the document's metadata, never the clock.

    Created is the edition's date.  Modified is the later of the edition's date
    (midnight UTC) and ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention for
    "when the source last changed"), plus a time within that day taken from the
    edition's ``revision``: it never precedes the edition, a rebuild of the same
    inputs gives the same moment, and a corrected text or sidecar another one, so
    that a library tells the revisions apart (identifier + modified).  ("", "")
    without a date or an epoch.
    """
    try:
        day = datetime.date.fromisoformat(meta.date)
        created = day.isoformat()
        moments = [datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)]
    except ValueError:
        created, moments = "", []
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        moments.append(datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc))
    if not moments:
        return "", ""
    moment = max(moments)
    if revision:  # (even seconds: a zip entry's time has a two-second step)
        moment += datetime.timedelta(seconds=int(revision[:8], 16) % 43_200 * 2)
    return created, moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def title_text(headline: model.Headline) -> str:
    """The headline's title lines on one line (contents, bookmarks, running heads)."""
    return " ".join(headline.titles)


# --- the article partial ------------------------------------------------------


def kind(node: object) -> str:
    """The model type of a node ("Paragraph", "Text"…), for the layouts to dispatch on."""
    return type(node).__name__


def is_verse(block: model.Block) -> bool:
    """A paragraph of lines broken as the source set them (a poem, an address)."""
    return isinstance(block, model.Paragraph) and any(
        isinstance(run, model.LineBreak) for run in block.inlines)


def author_line(byline: model.Byline | None) -> bool:
    """A byline that is an author's name alone (a commentary's, an essay's: 任仲平), which
    stands on a line of its own under the headline, not run into the first paragraph."""
    return (byline is not None and not byline.agency and not byline.brackets
            and len(byline.credits) == 1 and not byline.credits[0].role)


# A sentence that introduces what follows (…如下：, 他说：) is no salutation.
_INTRODUCES = re.compile(
    r"(?:如下|以下|下列|是|为|指出|表示|说|道|问|答|强调|认为|介绍|称|提出|获悉|了解到|得知)[：:]$")
_SALUTATION_MAX = 40


def is_salutation(article: model.Article, number: int) -> bool:
    """A letter's or notice's salutation (称呼: 各县市区委组织部，市直有关单位：), set
    flush left (顶格), not indented: the article's first paragraph, short, ending with
    a colon, with no sentence mark or digit in it (a date is news), no byline before
    it and no words that introduce a statement or a list (…如下：, 某某指出：)."""
    block = article.body[number]
    if not isinstance(block, model.Paragraph) or block.head or is_verse(block) or any(
            isinstance(before, model.Paragraph) for before in article.body[:number]):
        return False
    if article.byline is not None and not author_line(article.byline) \
            and lead_index(article) == number:
        return False
    text = "".join(run_text(run) for run in block.inlines).strip()
    return (text.endswith(("：", ":")) and len(text) <= _SALUTATION_MAX
            and not re.search(r"[。！？；!?;0-9０-９]", text) and not _INTRODUCES.search(text))


def lead_index(article: model.Article) -> int | None:
    """The block whose start carries the byline: the first paragraph, if nothing
    visible comes before it (an empty photo gap shows nothing) and it is not verse;
    else None, and the byline stands in a paragraph of its own before the body (so
    does an author's name alone: ``author_line``)."""
    if author_line(article.byline):
        return None
    for index, block in enumerate(article.body):
        if isinstance(block, model.Paragraph):
            # Verse keeps its first line: the byline stands apart.
            return None if is_verse(block) else index
        if not (isinstance(block, model.PhotoGap) and block.image is None):
            return None
    return None


#: Lines of verse set in one paragraph; more are set as several (``verse_chunks``).
VERSE_LINES = 100


def verse_chunks(inlines: tuple[model.Inline, ...]) -> list[tuple[model.Inline, ...]]:
    """A paragraph's runs in pieces of at most ``VERSE_LINES`` lines, parted where a
    line break stands (which the paragraph boundary then makes); one piece for any
    paragraph of fewer lines.  WeasyPrint 70 lays out each line of a paragraph with
    forced breaks from a copy of all its remaining runs: 5,000 lines took 11 s,
    10,000 lines 34 s."""
    breaks = [i for i, run in enumerate(inlines) if isinstance(run, model.LineBreak)]
    if len(breaks) < VERSE_LINES:
        return [tuple(inlines)]
    chunks, start = [], 0
    for count, at in enumerate(breaks, start=1):
        if count % VERSE_LINES == 0:
            chunks.append(tuple(inlines[start:at]))
            start = at + 1
    chunks.append(tuple(inlines[start:]))
    return [chunk for chunk in chunks if chunk]


def run_text(run: model.Inline) -> str:
    """An inline run's text, "" for a line break (no pair or gap is read across it)."""
    return getattr(run, "text", "")


def body_runs(article: model.Article) -> list[tuple[bool, list[tuple[int, model.Block]]]]:
    """The body as runs of (wide, [(block number, block)…]): each table is a wide run
    of its own, read across the page; the blocks between tables are text runs, which
    a multi-column page sets in columns."""
    runs: list[tuple[bool, list[tuple[int, model.Block]]]] = []
    for number, block in enumerate(article.body):
        wide = isinstance(block, model.Table)
        if wide or not runs or runs[-1][0]:
            runs.append((wide, []))
        runs[-1][1].append((number, block))
    return runs


def cell_modes(table: model.Table) -> tuple[str, ...]:
    """How each column of ``table`` may wrap: ``"nowrap"`` when every cell is short
    (names, dates), ``"words"`` when every space-separated word is (wrap only at the
    spaces: 在职研究生 管理学博士), else ``""`` (wrap anywhere, clreq-style)."""
    rows = (table.header, *table.rows)
    width = max(len(row) for row in rows)
    modes = []
    for column in range(width):
        cells = [row[column].strip() for row in rows if column < len(row)]
        if all(len(cell) <= _SHORT_CELL for cell in cells):
            modes.append("nowrap")
        elif all(len(word) <= _SHORT_CELL for cell in cells for word in cell.split()):
            modes.append("words")
        else:
            modes.append("")
    return tuple(modes)


# Where a long cell may be broken between phrases: after a pause mark, and around a
# bracketed part (衡山工业集中区（衡山科学城）党委书记).  Used for the e-book only.
_PHRASE = re.compile(r"[（(][^（）()]*[）)][、，；：。]?|[^、，；：。（）()]+[、，；：。]?|.", re.S)


def cell_pieces(cell: str, mode: str) -> tuple[tuple[str, str], ...]:
    """``cell`` (of a column in ``mode``, ``cell_modes``) as (text, class) pieces that
    join to the cell's text: ``"word"`` is never broken (a short cell whole, or a
    word of a ``words`` column: 在职研究生), ``"phrase"`` is a short phrase of a long
    cell (衡阳市委常委、) which the e-book keeps whole (print lets it break: its
    measured column widths count each character alone, ``table_setting``), ``""``
    may break anywhere (a space, or a phrase too long to keep whole)."""
    if not cell.strip():
        return ((cell, ""),) if cell else ()
    if mode == "nowrap":
        return ((cell, "word"),)
    pieces = []
    for part in re.split(r"( +)", cell):
        if not part:
            continue
        if part.isspace() or mode == "words":
            pieces.append((part, "" if part.isspace() else "word"))
            continue
        for phrase in _PHRASE.findall(part):
            pieces.append((phrase, "phrase" if len(phrase) <= _SHORT_CELL else ""))
    return tuple(pieces)


def row_header(table: model.Table) -> bool:
    """Whether the first column names the rows (``<th scope="row">``): a table of two
    columns or more whose every row starts with a short cell (at most _SHORT_CELL
    characters: a name, a place, an item), with no digit in it (a rank, a date or a
    number is data, not a name), each row's a different one."""
    firsts = [row[0].strip() if row else "" for row in table.rows]
    return (len(table.header) >= 2 and bool(firsts)
            and all(0 < len(cell) <= _SHORT_CELL and not re.search(r"[0-9０-９]", cell)
                    for cell in firsts)
            and len(set(firsts)) == len(firsts))


def table_intro(article: model.Article, number: int) -> int | None:
    """The block that introduces the table at ``number``: the paragraph right before
    it when it ends with a colon (…进行任前公示：, …如下：); the table is described by
    it (``aria-describedby``).  It is not made the table's caption: a caption is a
    title, and this is a sentence of the text, which stays where it stands."""
    if number == 0:
        return None
    before = article.body[number - 1]
    if not isinstance(before, model.Paragraph):
        return None
    text = "".join(run_text(run) for run in before.inlines).strip()
    return number - 1 if text.endswith(("：", ":")) else None


# A numbered section head (一、 （二） 3.): it heads the text after the table too.
_SECTION_NUMBER = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+[、．.]|[（(][一二三四五六七八九十百0-9０-９]+[）)]|[0-9０-９]+[、．.](?![0-9]))")


def table_caption(article: model.Article, number: int) -> int | None:
    """The block that is the table at ``number``'s caption: a subhead standing right
    before it (表1 2021年主要经济指标), unless it is a numbered section head (一、…),
    which heads more than the table.  The caption is the table's first child, so
    the text keeps its place; a title in a paragraph (…如下：) is not cut out of
    it (``table_intro``)."""
    if number == 0 or not isinstance(article.body[number], model.Table):
        return None
    before = article.body[number - 1]
    if isinstance(before, model.Heading) and not _SECTION_NUMBER.match(before.text):
        return number - 1
    return None


def is_caption(article: model.Article, number: int) -> bool:
    """Whether block ``number`` is set as the next block's table caption."""
    return number + 1 < len(article.body) and table_caption(article, number + 1) == number


#: The e-book's tables (ebook.css): type size and cell padding, in em of the text.
EBOOK_TABLE_EM = 0.8
EBOOK_CELL_PAD_EM = 0.3
#: A table is set as a table in a box at least as wide as its least width, rounded up
#: to one of these steps (em of the text); narrower, its rows are stacked (one block a
#: row, each cell after its column's name).  One container query a step:
#: layouts/epub/tables.css.j2.
STACK_STEPS_EM = (12, 16, 20, 24, 28, 32, 36, 40, 48, 56, 64)


def _em(text: str) -> float:
    """An estimate of ``text``'s width on one line, in em: a wide (Han, full-width)
    character 1, any other 0.6 (digits and Latin letters of the bundled faces are
    narrower: an estimate that errs wide)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def stack_step(table: model.Table) -> int:
    """The step of ``STACK_STEPS_EM`` below which the e-book stacks ``table``: its
    least width (each column's longest piece that is kept whole, ``cell_pieces``, or
    one character, plus padding and rules) with a tenth to spare; the last step for a
    table wider than every step (wider still, its box scrolls)."""
    modes = cell_modes(table)
    least = 0.0
    for column, mode in enumerate(modes):
        cells = [row[column] for row in (table.header, *table.rows) if column < len(row)]
        widest = max((_em(text) if kind else 1.0
                      for cell in cells for text, kind in cell_pieces(cell, mode)
                      if not text.isspace()), default=1.0)
        least += (widest + 2 * EBOOK_CELL_PAD_EM) * EBOOK_TABLE_EM + 0.1  # 0.1: the rule
    return next((step for step in STACK_STEPS_EM if step >= least * 1.1), STACK_STEPS_EM[-1])


#: The print edition's tables: type size, and cell padding and rule width (pt).  The
#: stylesheet gets them from here (``_geometry.css.j2``): ``table_setting`` needs them.
TABLE_PT = 9.0
TABLE_PAD_PT = 4.0
TABLE_RULE_PT = 0.5
#: The least type size a dense table is set in (小六号, as papers set statistics).
TABLE_MIN_PT = 6.5

#: ``measure(text, header)``: the width of ``text`` on one line, in em of its size —
#: set in the header's face when ``header`` is true, else the body's.
Measure = Callable[[str, bool], float]


@dataclass(frozen=True)
class TableSetting:
    """How the print edition sets one table (``table_setting``)."""

    widths: tuple[float, ...]  # each column's share of the table's width, percent
    size_pt: float  # type size: TABLE_PT, less for a table too dense for it
    modes: tuple[str, ...]  # cell_modes, short columns allowed to wrap if still too dense
    fits: bool = True  # False: even so its columns' least widths overrun the width

    @property
    def style(self) -> str:
        """The table element's style attribute ("" at the usual size)."""
        return f"font-size: {self.size_pt:g}pt" if self.size_pt < TABLE_PT else ""


def _extents(table: model.Table, modes: list[str],
             measure: Measure) -> tuple[list[float], list[float]]:
    """Each column's least and most text width in em: a ``nowrap`` cell whole, a
    ``words`` cell's longest word, else its widest character; the widest cell on one
    line."""
    least = [0.0] * len(modes)
    most = [0.0] * len(modes)
    for header, row in ((True, table.header), *((False, row) for row in table.rows)):
        for column, cell in enumerate(row[:len(modes)]):
            text = cell.strip()
            if not text:
                continue
            pieces = ([text] if modes[column] == "nowrap" else
                      text.split() if modes[column] == "words" else list(set(text) - {" "}))
            least[column] = max(least[column], max(measure(p, header) for p in pieces))
            most[column] = max(most[column], measure(text, header))
    return least, most


def table_setting(table: model.Table, width_pt: float, measure: Measure) -> TableSetting:
    """Column widths and type size of ``table`` set ``width_pt`` wide.

    The widths are what the automatic table layout (CSS 2.1 §17.5.2.2) would give,
    from measured text instead of trial line breaks (WeasyPrint's auto layout breaks
    each cell's text at every opportunity to find its least width: a tenth of a
    second for a 90-cell table): each column gets at least its least width and the
    room beyond goes to the columns in proportion to what more they could use.  A
    table whose least widths do not fit is set smaller, down to ``TABLE_MIN_PT``;
    if even that is too wide, its short columns may wrap too (rather than run into
    each other).
    """
    modes = list(cell_modes(table))
    pad = 2 * TABLE_PAD_PT + TABLE_RULE_PT  # pt, per cell
    least, most = _extents(table, modes, measure)
    text_room = width_pt - pad * len(modes)
    size = TABLE_PT
    if sum(least) * size > text_room:
        size = max(TABLE_MIN_PT, math.floor(text_room / sum(least) * 4) / 4)
        if sum(least) * size > text_room:
            modes = ["" if mode == "nowrap" else mode for mode in modes]
            least, most = _extents(table, modes, measure)
    least = [w * size + pad for w in least]
    most = [w * size + pad for w in most]
    if sum(most) <= width_pt:
        widths = [w * width_pt / sum(most) for w in most]
    elif sum(least) >= width_pt:
        widths = least
    else:
        spare, wants = width_pt - sum(least), [m - n for m, n in zip(most, least)]
        widths = [n + spare * want / sum(wants) for n, want in zip(least, wants)]
    return TableSetting(tuple(100 * w / sum(widths) for w in widths), size, tuple(modes),
                        fits=sum(least) <= width_pt)


#: A first column at most this share of the width is repeated in every band of a
#: table too wide for the page (``table_parts``): it names the rows.
_STUB_SHARE = 1 / 3


def table_parts(table: model.Table, width_pt: float,
                measure: Measure) -> tuple[tuple[model.Table, TableSetting], ...]:
    """How the print edition sets ``table``: as itself (``table_setting``), or — when
    its columns cannot fit ``width_pt`` even at the least type size, wrapping
    anywhere — as bands of columns, one table under the other, each as wide as the
    page, read as continued tables are: the header over every band and the first
    column, which names the rows, repeated at the start of each (when it is
    narrow enough).  A 3,000-column table was one black block of overprinted
    cells; in bands it is read band by band.
    """
    setting = table_setting(table, width_pt, measure)
    if setting.fits or len(table.header) < 2:
        return ((table, setting),)
    least, _ = _extents(table, list(cell_modes(table)), measure)
    need = [w * TABLE_PT + 2 * TABLE_PAD_PT + TABLE_RULE_PT for w in least]
    stub = [0] if need[0] <= width_pt * _STUB_SHARE else []
    bands: list[list[int]] = []
    used = width_pt  # the first column opens the first band
    for column in range(len(stub), len(need)):
        if used + need[column] > width_pt:
            bands.append([])
            used = sum(need[c] for c in stub)
        bands[-1].append(column)
        used += need[column]
    parts = []
    for band in bands:
        part = _columns(table, stub + band)
        parts.append((part, table_setting(part, width_pt, measure)))
    return tuple(parts)


def _columns(table: model.Table, columns: list[int]) -> model.Table:
    """``table`` with only ``columns`` (a short row's missing cells empty)."""
    def pick(row: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(row[c] if c < len(row) else "" for c in columns)

    return model.Table(pick(table.header), tuple(map(pick, table.rows)), table.span)


def name_cell(names: tuple[str, ...]) -> int:
    """The width of a name grid's cells, in characters: 3, as Chinese name lists are
    set (a two-character name spread over it, 刘　波, lines up with the three-character
    ones); a longer name keeps its own width and takes two cells (``long_name``).  A
    grid of only longer names (4, 5 characters: 欧阳小明) has cells of the longest."""
    short = [name for name in names if len(name) <= _NAME_CELL_MIN]
    if short:
        return _NAME_CELL_MIN
    return max([_NAME_CELL_MIN, *(len(name) for name in names)])


def long_name(name: str, cell: int) -> bool:
    """A name longer than its grid's cells: set at its own width across two cells."""
    return len(name) > cell


# The simplified characters of the templates' own words (目录, 页码, the e-book's
# accessibility summary …) and their traditional forms, for editions in traditional
# characters; tests/test_render.py checks every such character is here.
_TRADITIONAL = str.maketrans(
    "书单号图声头导当录报无标没独电码碍级纸细经结览记评详说读调转软过阅页顺题颜权识订体续",
    "書單號圖聲頭導當錄報無標沒獨電碼礙級紙細經結覽記評詳說讀調轉軟過閱頁順題顏權識訂體續")


def traditional(language: str) -> bool:
    """Whether ``language`` (BCP 47) is Chinese in traditional characters."""
    tag = language.lower()
    return tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo"))


def centred_stops(language: str) -> bool:
    """Whether an edition in ``language`` sets its stops (、。，．：；！？) centred in the
    em square, as Taiwan and Hong Kong do (Noto CJK's ZHT and ZHH forms are the same
    glyphs), rather than in its lower left as the mainland does: every edition in
    traditional characters.  Its subsets carry the centred forms
    (``fonts.subset_face``) and ``typeset`` compresses brackets only."""
    return traditional(language)


def ui_text(text: str, language: str) -> str:
    """A word of the layouts (目录) as an edition in ``language`` writes it (目錄)."""
    return text.translate(_TRADITIONAL) if traditional(language) else text


def environment() -> jinja2.Environment:
    """The Jinja2 environment of ``layouts/``: autoescaping, strict, with ``typeset``.

    One shared instance (templates compile once); treat it as read-only.
    """
    return _environment()


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(LAYOUTS),
        autoescape=jinja2.select_autoescape(("html", "xhtml", "j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["typeset"] = _typeset
    env.filters["ui"] = ui_text
    env.filters["run_text"] = run_text
    env.globals.update(
        kind=kind, long_name=long_name, article_id=article_id, block_id=block_id,
        lead_index=lead_index, author_line=author_line, is_salutation=is_salutation,
        verse_chunks=verse_chunks,
        is_verse=is_verse,
        body_runs=body_runs, cell_modes=cell_modes, name_cell=name_cell,
        cell_pieces=cell_pieces, row_header=row_header, table_intro=table_intro,
        table_caption=table_caption, is_caption=is_caption,
        stack_step=stack_step,
        title_text=title_text, byline_text=model.byline_text, run_text=run_text,
    )
    return env


def render_article(article: model.Article, index: int, *,
                   han_latin_space: str = typography.DEFAULT_HAN_LATIN_SPACE,
                   image_src: Callable[[str], str] = str,
                   tables: dict[int, tuple[tuple[model.Table, TableSetting], ...]]
                   | None = None,
                   whole_runs: bool = False, vertical: bool = False,
                   centred: bool = False) -> Markup:
    """One article as an XHTML ``<article id="a{index}">`` fragment.

    ``image_src`` turns an ``Image.path`` (relative to the project root) into the
    ``src`` the output uses; by default the path itself.  ``tables``: how the
    tables are set (``table_parts``: each table, or its bands, with its setting),
    by block number; a table without one is left to the reader's automatic layout
    (the e-book).  ``whole_runs``: the Han/Western gap marked on whole Western runs
    (``typography.typeset``), as both editions set it (``render_print`` and the
    e-book pass it); the PDF draws that margin as character spacing
    (``weasyprint_ext.cjk_justify``).
    ``vertical``: the e-book set vertically, where short numbers stand upright.
    ``centred``: the edition's stops are centred (``centred_stops``), so only
    brackets are compressed (``typography.typeset``).
    """
    template = environment().get_template("article.html.j2")
    return Markup(template.render(article=article, index=index, hls=han_latin_space,
                                  image_src=image_src, tables=tables or {},
                                  whole_runs=whole_runs, vertical=vertical, centred=centred))


@jinja2.pass_context
def _typeset(context: jinja2.runtime.Context, text: str, **options: Any) -> Markup:
    """The ``typeset`` filter: ``typography.typeset``, with the template's
    ``whole_runs`` (the e-book's Han/Western gaps), ``vertical`` (upright short
    numbers) and ``centred`` (centred stops; see ``render_article``)."""
    return typography.typeset(text, whole_runs=bool(context.get("whole_runs")),
                              upright=bool(context.get("vertical")),
                              centred_stops=bool(context.get("centred")), **options)


# --- the print page ------------------------------------------------------------

# CSS named page sizes (CSS Paged Media 3 §7.1), width x height in millimetres.
_PAGE_SIZES_MM = {
    "a5": (148, 210), "a4": (210, 297), "a3": (297, 420),
    "b5": (176, 250), "b4": (250, 353), "jis-b5": (182, 257), "jis-b4": (257, 364),
    "letter": (215.9, 279.4), "legal": (215.9, 355.6), "ledger": (279.4, 431.8),
}
_PT_PER = {"pt": 1.0, "mm": 72 / 25.4, "cm": 720 / 25.4, "in": 72.0, "px": 0.75, "pc": 12.0}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(pt|mm|cm|in|px|pc|em)\s*$")


def length_pt(value: str, em: float = 0.0) -> float:
    """A CSS length (``20mm``, ``10.5pt``; ``em`` as multiples of ``em``) in points."""
    match = _LENGTH.match(value)
    if not match:
        raise ValueError(f"not a CSS length: {value!r}")
    number, unit = float(match[1]), match[2]
    return number * (em if unit == "em" else _PT_PER[unit])


def page_size_pt(size: str) -> tuple[float, float]:
    """``Layout.page_size`` (``A4``, ``B5 landscape``, ``170mm 240mm``) as points."""
    words = size.lower().split()
    orientation = [w for w in words if w in ("portrait", "landscape")]
    rest = [w for w in words if w not in ("portrait", "landscape")]
    if len(rest) == 1 and rest[0] in _PAGE_SIZES_MM:
        width, height = (mm * _PT_PER["mm"] for mm in _PAGE_SIZES_MM[rest[0]])
    elif len(rest) == 2:
        width, height = (length_pt(word) for word in rest)
    elif len(rest) == 1:
        width = height = length_pt(rest[0])
    else:
        raise ValueError(f"not a page size: {size!r}")
    if ("landscape" in orientation and width < height
            or "portrait" in orientation and width > height):
        width, height = height, width
    return width, height


@dataclass(frozen=True)
class Geometry:
    """The print page set on a character grid (all lengths in points).

    The text block is exactly ``measure`` body characters wide — ``chars`` per
    column, columns ``gap`` characters apart — and a whole number of ``lines``
    high: the margins from the ``Layout`` grow by what is left over, the inside
    and outside margins by half each, the bottom margin by the vertical rest.
    """

    width: float
    height: float
    margin_top: float
    margin_bottom: float
    margin_inside: float
    margin_outside: float
    body: float
    leading: float
    columns: int
    chars: int
    gap: int
    lines: int

    @property
    def measure(self) -> int:
        """The width of the text block in body characters (columns and gaps)."""
        return self.columns * self.chars + (self.columns - 1) * self.gap

    def name_grid(self, cell: int) -> tuple[int, float]:
        """How many name cells of ``cell`` characters fill a line, and the gap between
        them in characters, so that the grid is flush with both edges of a column."""
        per_row = max(1, (self.chars + _NAME_GAP_MIN) // (cell + _NAME_GAP_MIN))
        gap = (self.chars - per_row * cell) / (per_row - 1) if per_row > 1 else 0.0
        return per_row, gap


def page_geometry(layout: Layout) -> Geometry:
    """The character grid of ``layout``'s page; ValueError if no character fits."""
    body = length_pt(layout.body_size)
    width, height = page_size_pt(layout.page_size)
    top, bottom, inside, outside = (
        length_pt(value, body) for value in (layout.margin_top, layout.margin_bottom,
                                             layout.margin_inside, layout.margin_outside))
    room = (width - inside - outside) / body
    gap = layout.column_gap_chars if layout.columns > 1 else 0
    # 1e-6: a width meant to hold N characters exactly must not lose one to rounding.
    chars = math.floor((room - gap * (layout.columns - 1)) / layout.columns + 1e-6)
    leading = body * layout.line_height
    lines = math.floor((height - top - bottom) / leading + 1e-6)
    if chars < 1 or lines < 1:
        raise ValueError(f"the page {layout.page_size} leaves no room for text "
                         f"at {layout.body_size} with these margins")
    spare = width - inside - outside - (chars * layout.columns + gap * (layout.columns - 1)) * body
    return Geometry(
        width=width, height=height, margin_top=top,
        margin_bottom=height - top - lines * leading,
        margin_inside=inside + spare / 2, margin_outside=outside + spare / 2,
        body=body, leading=leading, columns=layout.columns, chars=chars, gap=gap, lines=lines,
    )


# The masthead: at most this size, and at most this share of the measure.
_MASTHEAD_MAX_PT = 66.0
_MASTHEAD_SHARE = 0.8
_MASTHEAD_TRACKING = 0.2  # letter-spacing, em (print.css)


def masthead_size(paper: str, geometry: Geometry) -> float:
    """The masthead's font size in points: large, yet one line on any page."""
    width = geometry.measure * geometry.body * _MASTHEAD_SHARE
    return min(_MASTHEAD_MAX_PT, width / (max(len(paper), 1) * (1 + _MASTHEAD_TRACKING)))


def display_width(text: str) -> float:
    """The width of ``text`` in em, estimated: full-width characters 1, others 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.6 for char in text)


# The running heads' type size (六号 7.5pt is too faint on a news page; 小五 9pt).
RUNNING_HEAD_PT = 9.0


def running_heads(meta: model.Meta, geometry: Geometry) -> tuple[float, float]:
    """Widths in points of the left running head (paper and date, sized to its text)
    and the right one (the article title, cut with an ellipsis when longer): margin
    boxes that must clip need a definite width."""
    left = (display_width(f"{meta.paper}\u3000{date_line(meta)}") + 1) * RUNNING_HEAD_PT
    measure = geometry.measure * geometry.body
    left = min(left, measure / 2)
    return left, measure - left


def name_cells(edition: model.Edition) -> list[int]:
    """The distinct name-grid cell widths the edition's name lists use."""
    return sorted({name_cell(block.names) for article in edition.articles
                   for block in article.body if isinstance(block, model.NameList)})


#: The family every font stack of the layouts ends in (Song, 宋体): it draws everything.
SONG = "Paiban Serif"
#: Hei (黑体): headlines, run-in heads, table heads.
SANS = "Paiban Sans"
#: After Song in every stack: a sidecar's ``fallback_font``, subset to the characters
#: no bundled face draws (no such face is declared when there is none).
FALLBACK = fonts.FALLBACK_FAMILY

# Characters the print layouts set besides the edition's text: digits of page numbers
# and counters, the contents' leader and heading, weekdays, spaces and dashes.
_FURNITURE = "0123456789. \u00a0\u2002\u3000\u2014目录星期年月日" + _WEEKDAYS


def face_text(edition: model.Edition) -> dict[tuple[str, int], str]:
    """The characters each face (CSS family, weight) sets, for font subsetting.

    Song ("Paiban Serif" 400) draws everything: every stack ends in it, so a
    character missing elsewhere still has a glyph.  Hei, Kai and bold Song get only
    what ``print.css`` (and the e-book's stylesheet) set in them.
    """
    meta = edition.meta
    hei, kai = [ui_text("目录", meta.language)], [meta.publisher]
    for article in edition.articles:
        head = article.headline
        hei += [*head.titles, *article.label]
        kai += [head.kicker, head.subtitle]
        if article.byline:
            kai.append(model.byline_text(article.byline))
        for block in article.body:
            match block:
                case model.Paragraph(head=run_in):
                    hei.append(run_in)
                case model.Heading(text=text):
                    hei.append(text)
                case model.Table(header=header):
                    hei += header
                case model.PhotoGap(image=model.Image(caption=caption)):
                    kai.append(caption)
    everything = (model.edition_text(edition) + meta.paper + meta.publisher + meta.rights
                  + meta.identifier + date_line(meta))
    furniture = ui_text(_FURNITURE, meta.language)
    return {
        (SONG, 400): everything + furniture,
        (SONG, 700): meta.paper + furniture,
        (SANS, 700): "".join(hei) + furniture,
        ("Paiban Kai", 400): "".join(kai) + furniture,
    }


def render_print(edition: model.Edition, layout: Layout, font_css: str,
                 measure: Measure | None = None,
                 image_src: Callable[[str], str] = str) -> str:
    """The print document's HTML: masthead, contents, then every article's partial.

    ``font_css`` is the ``@font-face`` CSS of the fonts to use (trusted: it is put
    in the ``<style>`` element as is).  ``image_src`` turns an ``Image.path`` into
    the ``src`` the document uses (``pdf.print_html``: a ``data:`` URL of the checked
    bytes, so nothing is read from disk again at layout).  With
    ``measure`` (the fonts' widths), tables get their column widths from here
    and type size (``table_setting``) and a fixed layout.
    """
    geometry = page_geometry(layout)
    created, modified = document_dates(edition.meta, revision(edition))
    table_pt = geometry.measure * geometry.body  # tables run across all columns (body_runs)
    centred = centred_stops(edition.meta.language)
    articles = [render_article(article, index, han_latin_space=layout.han_latin_space,
                               image_src=image_src, centred=centred, whole_runs=True, tables={
                                   number: table_parts(block, table_pt, measure)
                                   for number, block in enumerate(article.body)
                                   if isinstance(block, model.Table)} if measure else None)
                for index, article in enumerate(edition.articles)]
    template = environment().get_template("print.html.j2")
    return template.render(
        edition=edition, meta=edition.meta, articles=articles, g=geometry,
        date_line=date_line(edition.meta), font_css=Markup(font_css), centred=centred,
        whole_runs=True,
        created=created, modified=modified,
        grids={cell: geometry.name_grid(cell) for cell in name_cells(edition)},
        hls=layout.han_latin_space, edition_title=edition_title(edition),
        masthead_pt=masthead_size(edition.meta.paper, geometry),
        heads=running_heads(edition.meta, geometry), heads_pt=RUNNING_HEAD_PT,
        table_pt=TABLE_PT, table_pad_pt=TABLE_PAD_PT, table_rule_pt=TABLE_RULE_PT,
    )


__all__ = [
    "LAYOUTS", "SONG", "SANS", "FALLBACK", "traditional", "centred_stops", "ui_text", "RUNNING_HEAD_PT", "Geometry", "article_id", "block_id", "model_ids",
    "date_line", "edition_title", "document_dates", "revision", "title_text", "environment", "render_article",
    "render_print", "page_geometry", "length_pt", "page_size_pt", "face_text",
    "masthead_size", "running_heads", "display_width", "lead_index", "body_runs",
    "cell_modes", "cell_pieces", "row_header", "table_intro", "table_caption", "is_caption",
    "stack_step", "STACK_STEPS_EM",
    "is_verse", "table_setting", "table_parts", "TableSetting", "name_cell", "kind", "Measure",
    "TABLE_PT",
]
