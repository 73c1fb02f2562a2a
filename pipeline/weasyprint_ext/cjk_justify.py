"""Inter-character justification of CJK lines for WeasyPrint 70.0.

In:  nothing at import time; ``install()`` patches the running WeasyPrint.
Out: with the patch installed, every line that WeasyPrint justifies
     (``text-align: justify``; not the last line of its block, not ended by a
     forced break) and that holds CJK text is stretched to the full measure by
     spreading its slack over the gaps between characters, as clreq asks
     for Chinese (clreq 6.2, text alignment and justification).  Lines
     without CJK text keep WeasyPrint's own word-space justification.

Why a single pass inside WeasyPrint's line justification (approach a) rather
than a two-pass re-render (render, measure each line's slack, re-emit the
HTML with per-line letter-spacing, render again):

* little time cost: the patch only works where WeasyPrint already
  justifies a line, and adds a Pango attribute list when drawing (measured
  on 44,000 characters: layout +5-10%, PDF writing +0.4s, about +10% in
  all; the text-layer rewrite described below adds about 40 ms to the
  seed's 0.37 s of PDF writing); a two-pass render doubles the time of every
  edition;
* a second pass cannot be exact: letter-spacing changes where lines break,
  so it would measure lines that no longer exist;
* WeasyPrint is pinned (``weasyprint==70.0``); ``install()`` checks every
  internal it relies on and fails loudly when one is missing, and
  ``tests/test_cjk_justify.py`` measures the glyphs of the PDF, so an upgrade
  cannot silently degrade the output.

How the slack is spread.  Each character gets a weight w: 1 for Han, kana,
hangul, CJK and full-width punctuation, and word spaces; 0 for Latin
letters, digits, dashes and ellipses, so no space opens inside "App",
"2020", "——" or "……" (clreq 6.2: adjust between CJK characters and at
CJK/Western boundaries, not inside Western words).  The gap between
characters a and b weighs (w(a) + w(b)) / 2; the slack divided by the total
weight gives the spacing s, realised in two ways:

* inside a text box, as Pango letter-spacing s on every w=1 character.
  Pango puts half of a character's letter-spacing on each side of it and
  removes the outer halves at both ends of a layout, so a gap receives
  exactly s * (w(a) + w(b)) / 2 and the box edges nothing.  The plan is kept
  on the box's deactivated ``Layout`` and applied by the patched
  ``Layout.set_text`` when the box is drawn: glyphs are positioned by Pango,
  and the PDF gets glyph displacements, never inserted space glyphs;
* between text boxes (``<b>``, ``<a>``, ``<span>`` boundaries), by moving
  the following boxes as WeasyPrint's ``add_word_spacing`` does for word
  spaces; the gap opens before the outermost inline box starting there, so a
  link or a bold span does not grow into it.

Two details of WeasyPrint's PDF drawing (``weasyprint/draw/text.py``) are
patched too, because they matter once every glyph carries spacing:

* it writes each glyph's TJ adjustment as ``int(kerning)``, truncating up to
  1/1000 em per glyph; with inter-character spacing the truncation adds up to
  0.3-0.5pt per line.  The name ``int`` in that module is shadowed by an int
  subclass that keeps its exact value when formatted into the TJ array (and
  is the usual truncated int anywhere else, e.g. when given to Pango);
* text extractors read a gap between two glyphs as a word space: pdftotext
  (poppler's TextOutputDev) from 0.1em, whether the gap is a TJ displacement,
  character spacing (Tc) or a jump to the next box's text matrix; pypdf from
  about 0.1em of displacement or jump.  The Han/Western gap of clreq §3.2.2
  (made by ``pipeline.typography`` as trailing letter-spacing of class
  ``hl``, 1/8em), the gaps between boxes and the inter-character spacing of
  loose lines would all read as spaces.  So the drawn operations of each box
  are rewritten (``_respaced_box``): a run of glyphs followed by gaps of
  0.05em or more is drawn with those gaps as character spacing inside a
  marked-content span whose ActualText is the glyphs' own text (PDF 32000-1
  §14.9.4), which both extractors read without a space.  The glyphs stay
  where they were (the tests compare glyph positions and renders), and the
  text they extract is the source text, spaces only where the source has
  them.

clreq §3.2.2 wants no Han/Western gap at line edges: a justified line ending
in a letter-spaced box has that trailing spacing removed before the slack is
measured.
"""

from __future__ import annotations

import copy
import functools
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

LOGGER = logging.getLogger(__name__)

#: The WeasyPrint release whose internals this module is written against.
PINNED_WEASYPRINT = "70.0"

# Marker put on every replacement, so ``install()`` is idempotent.
_PATCH_MARK = "_paiban_cjk_justify"
# Attribute holding the letter-spacing plan on a weasyprint ``Layout``.
_PLAN_ATTR = "paiban_cjk_spacing"
# Attribute holding the justification gap after a text box, in CSS px.
_GAP_AFTER_ATTR = "paiban_gap_after"
# The Han/Western gap made as the margin of a whole Western run (``<span class="lt ga">``,
# ``pipeline.typography``) after a text box: drawn as character spacing too.
_MARGIN_AFTER_ATTR = "paiban_margin_after"
# A gap after a glyph from this wide, in em, is drawn as character spacing
# in an ActualText span (``_spaced_operations``); narrower ones stay TJ
# displacements, which pdftotext and pypdf read as word spaces only from
# about 0.1em.
_SPACED_GAP = 0.05
# Gaps that differ by at most this, in 1/1000 em, share one character spacing.
_SAME_GAP = 0.5
# Justification spacing between CJK characters, in em, above which a loose
# line widens its CJK/Western boundaries instead (``_spacing``).
_MAX_CJK_SPACING = 0.09
# The widest a CJK/Western boundary gap is made for a loose line, in em.
_MAX_BOUNDARY_GAP = 0.5
# Pango units per CSS pixel (PANGO_SCALE), fixed by Pango's API.
_PANGO_SCALE = 1024

# Never spaced inside: dashes and ellipses are one continuous mark (clreq
# 6.1.2, unbreakable marks: "——" and "……" are single two-em marks).
_UNSPACED = frozenset("\u2014\u2015\u2026\u22ef\u2e3a\u2e3b")
# CJK punctuation outside the CJK blocks (quotes, middle dots).
_CJK_EXTRA = frozenset("\u2018\u2019\u201c\u201d\u00b7\u2027\u2022")
# Unicode blocks set on the ideographic em square.
_CJK_RANGES = (
    (0x1100, 0x11FF),    # Hangul Jamo
    (0x2E80, 0x2FDF),    # CJK and Kangxi radicals
    (0x2FF0, 0x303F),    # ideographic description, CJK symbols and punctuation
    (0x3040, 0x31FF),    # kana, bopomofo, Hangul compatibility, strokes
    (0x3200, 0x4DBF),    # enclosed CJK, compatibility, extension A
    (0x4E00, 0x9FFF),    # CJK unified ideographs
    (0xA960, 0xA97F),    # Hangul Jamo extended-A
    (0xAC00, 0xD7FF),    # Hangul syllables, Jamo extended-B
    (0xF900, 0xFAFF),    # CJK compatibility ideographs
    (0xFE10, 0xFE1F),    # vertical forms
    (0xFE30, 0xFE4F),    # CJK compatibility forms
    (0xFF00, 0xFFEF),    # half-width and full-width forms
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
_SPACES = frozenset(" \u00a0")


@functools.cache
def is_cjk(char: str) -> bool:
    """Whether ``char`` is set on the ideographic em square."""
    if char in _UNSPACED:
        return False
    if char in _CJK_EXTRA:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _weight(char: str) -> int:
    """Justification weight of a character (see the module docstring)."""
    return 1 if char in _SPACES or is_cjk(char) else 0


@functools.cache
def _joins_previous(char: str) -> bool:
    """Whether ``char`` continues the grapheme cluster before it."""
    return (unicodedata.category(char) in ("Mn", "Me")
            or char == "\u200d"
            or "\ufe00" <= char <= "\ufe0f"
            or "\U000e0100" <= char <= "\U000e01ef")


@dataclass(frozen=True)
class _Cluster:
    """A grapheme cluster of a text box: UTF-8 byte range and weight."""
    start: int
    end: int
    weight: int


def _clusters(text: str) -> list[_Cluster]:
    """Split ``text`` into grapheme clusters, the units Pango letter-spaces."""
    clusters: list[_Cluster] = []
    offset = 0
    for char in text:
        size = 1 if char < "\x80" else len(char.encode("utf-8", "surrogatepass"))
        if clusters and _joins_previous(char):
            last = clusters[-1]
            clusters[-1] = _Cluster(last.start, offset + size, last.weight)
        else:
            clusters.append(_Cluster(offset, offset + size, _weight(char)))
        offset += size
    return clusters


def _inner_weight(clusters: list[_Cluster]) -> float:
    """Total weight of the gaps inside one text box."""
    return sum((a.weight + b.weight) / 2 for a, b in zip(clusters, clusters[1:]))


@dataclass(frozen=True)
class _Plan:
    """Letter-spacing applied when a justified text box is drawn.

    ``ranges``: (start byte, end byte, spacing in Pango units).  ``text``
    guards against the layout being reused for another text (ellipsis).
    """
    text: str
    ranges: tuple[tuple[int, int, int], ...]


@dataclass
class _Leaf:
    """An in-flow text box or atomic inline of a line, with its clusters."""
    box: object
    clusters: list[_Cluster]
    ancestors: tuple  # LineBox/InlineBox ancestors, outermost first


class _Hooks:
    """The WeasyPrint modules this patch touches."""

    def __init__(self) -> None:
        import weasyprint
        from weasyprint.draw import text as draw_text
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout import inline
        from weasyprint.pdf import fonts as pdf_fonts
        from weasyprint.pdf import stream as pdf_stream
        from weasyprint.text import ffi, line_break

        self.version: str = weasyprint.__version__
        self.boxes = boxes
        self.inline = inline
        self.line_break = line_break
        self.ffi = ffi
        self.draw_text = draw_text
        self.pdf_fonts = pdf_fonts
        self.pdf_stream = pdf_stream


# --------------------------------------------------------------------------
# install / uninstall

def _require(condition: bool, hook: str, version: str) -> None:
    """Raise a RuntimeError naming a missing WeasyPrint internal."""
    if not condition:
        raise RuntimeError(
            f"pipeline.weasyprint_ext.cjk_justify: WeasyPrint internal {hook!r} is missing "
            f"or has changed (installed weasyprint {version}; this patch is "
            f"written for the pinned weasyprint=={PINNED_WEASYPRINT}). CJK "
            f"justification cannot be installed: pin weasyprint=="
            f"{PINNED_WEASYPRINT} or port pipeline/weasyprint_ext/cjk_justify.py.")


def _unpatched(function: object) -> object:
    """The WeasyPrint original of a function this module may have replaced."""
    if getattr(function, _PATCH_MARK, False):
        return function.__wrapped__
    return function


def _uses(function: object, name: str) -> bool:
    """Whether ``function`` looks ``name`` up as a global or attribute."""
    code = getattr(_unpatched(function), "__code__", None)
    return code is not None and name in code.co_names


def _check_hooks(hooks: _Hooks) -> None:
    """Assert that every internal the patch relies on exists."""
    inline, line_break, boxes = hooks.inline, hooks.line_break, hooks.boxes
    draw_text, pango, version = hooks.draw_text, hooks.ffi.pango, hooks.version
    justify_line = getattr(inline, "justify_line", None)
    _require(callable(justify_line), "weasyprint.layout.inline.justify_line", version)
    # text_align must look justify_line up at call time for the patch to work.
    _require(_uses(getattr(inline, "text_align", None), "justify_line"),
             "weasyprint.layout.inline.text_align -> justify_line", version)
    layout_class = getattr(line_break, "Layout", None)
    _require(callable(getattr(layout_class, "set_text", None)),
             "weasyprint.text.line_break.Layout.set_text", version)
    _require(_uses(getattr(layout_class, "reactivate", None), "set_text"),
             "weasyprint.text.line_break.Layout.reactivate -> set_text", version)
    _require(_uses(getattr(layout_class, "deactivate", None), "layout"),
             "weasyprint.text.line_break.Layout.deactivate", version)
    _require(callable(getattr(line_break, "create_layout", None)),
             "weasyprint.text.line_break.create_layout", version)
    for name in ("TextBox", "LineBox", "InlineBox"):
        _require(isinstance(getattr(boxes, name, None), type),
                 f"weasyprint.formatting_structure.boxes.{name}", version)
    for name in ("pango_layout_get_attributes", "pango_layout_set_attributes",
                 "pango_attr_list_new", "pango_attr_list_unref",
                 "pango_attr_list_change", "pango_attr_letter_spacing_new"):
        _require(hasattr(pango, name), f"weasyprint.text.ffi.pango.{name}", version)
    _require(getattr(hooks.ffi, "TO_UNITS", None) == _PANGO_SCALE,
             "weasyprint.text.ffi.TO_UNITS", version)
    draw_first_line = getattr(draw_text, "draw_first_line", None)
    _require(all(_uses(draw_first_line, name) for name in (
        "int", "set_text_matrix", "set_font_size", "show_text")),
             "weasyprint.draw.text.draw_first_line (int(kerning), set_text_matrix, "
             "set_font_size, show_text)", version)
    _require(_uses(getattr(draw_text, "draw_text", None), "draw_first_line"),
             "weasyprint.draw.text.draw_text -> draw_first_line", version)
    # The drawn operations are rewritten (_respaced_box): they are read from
    # the stream with the fonts' widths and text.
    stream_class = getattr(hooks.pdf_stream, "Stream", None)
    _require(_uses(getattr(stream_class, "__init__", None), "_fonts")
             and _uses(getattr(stream_class, "set_font_size", None), "_current_font"),
             "weasyprint.pdf.stream.Stream (_fonts, set_font_size -> _current_font)",
             version)
    _require(all(_uses(getattr(getattr(hooks.pdf_fonts, "Font", None), "__init__", None), name)
                 for name in ("hash", "widths", "to_unicode", "bitmap")),
             "weasyprint.pdf.fonts.Font (hash, widths, to_unicode, bitmap)", version)
    _require(_pydyf_writes_text_as_parsed(), "pydyf.Stream text operators (Tf, TJ, Tm)",
             version)


def _pydyf_writes_text_as_parsed() -> bool:
    """Whether pydyf writes Tf, TJ and Tm as ``_respaced_box`` reads them."""
    import pydyf

    stream = pydyf.Stream()
    stream.set_text_matrix(1, 0, 0, -1, 2.5, 3)
    stream.set_font_size("F", 14)
    stream.show_text("<0001>1.5<0002>")
    return (stream.stream == [b"1 0 0 -1 2.5 3 Tm", b"/F 14 Tf", b"[<0001>1.5<0002>] TJ"]
            and bool(_TF.fullmatch(stream.stream[1])) and _is_tj(stream.stream[2]))


def install() -> None:
    """Patch WeasyPrint so that justified CJK lines are flush at both edges.

    Idempotent.  Raises RuntimeError naming the missing internal when the
    installed WeasyPrint lacks one of the hooks (see ``PINNED_WEASYPRINT``).
    """
    hooks = _Hooks()
    _check_hooks(hooks)
    inline, layout_class, draw_text = (
        hooks.inline, hooks.line_break.Layout, hooks.draw_text)
    if not getattr(inline.justify_line, _PATCH_MARK, False):
        inline.justify_line = _make_justify_line(hooks, inline.justify_line)
    if not getattr(inline.text_align, _PATCH_MARK, False):
        inline.text_align = _make_text_align(hooks, inline.text_align)
    if not getattr(layout_class.set_text, _PATCH_MARK, False):
        layout_class.set_text = _make_set_text(hooks, layout_class.set_text)
    if not getattr(draw_text.draw_first_line, _PATCH_MARK, False):
        draw_text.draw_first_line = _make_draw_first_line(draw_text.draw_first_line)
    if draw_text.__dict__.get("int") is not _ExactTJInt:
        draw_text.int = _ExactTJInt
    if hooks.version != PINNED_WEASYPRINT:
        LOGGER.warning("cjk_justify: hooks found, but weasyprint %s is not the "
                       "pinned %s", hooks.version, PINNED_WEASYPRINT)


def installed() -> bool:
    """Whether ``install()`` has patched the running WeasyPrint."""
    from weasyprint.layout import inline

    return bool(getattr(inline.justify_line, _PATCH_MARK, False))


def uninstall() -> None:
    """Undo ``install()`` (the tests render with and without the patch)."""
    hooks = _Hooks()
    targets = ((hooks.inline, "justify_line"), (hooks.inline, "text_align"),
               (hooks.line_break.Layout, "set_text"),
               (hooks.draw_text, "draw_first_line"))
    for owner, name in targets:
        current = getattr(owner, name)
        if getattr(current, _PATCH_MARK, False):
            setattr(owner, name, current.__wrapped__)
    if hooks.draw_text.__dict__.get("int") is _ExactTJInt:
        del hooks.draw_text.int


def _mark(function: Callable, original: Callable) -> Callable:
    """Tag ``function`` as this module's replacement of ``original``."""
    function.__wrapped__ = original
    setattr(function, _PATCH_MARK, True)
    return function


# --------------------------------------------------------------------------
# layout: weasyprint.layout.inline.justify_line

def _make_justify_line(hooks: _Hooks, original: Callable) -> Callable:
    """Build the replacement of ``weasyprint.layout.inline.justify_line``."""
    boxes = hooks.boxes

    def leaves(box, ancestors: tuple = ()) -> Iterator[_Leaf]:
        for child in box.children:
            if not child.is_in_normal_flow():
                continue
            if isinstance(child, boxes.TextBox):
                if child.text:
                    yield _Leaf(child, _clusters(child.text), ancestors + (box,))
            elif isinstance(child, (boxes.LineBox, boxes.InlineBox)):
                yield from leaves(child, ancestors + (box,))
            else:  # atomic inline (image, inline-block): no spacing inside
                yield _Leaf(child, [], ancestors + (box,))

    def justify_line(context, line, extra_width):
        line_leaves = list(leaves(line))
        texts = [leaf for leaf in line_leaves if leaf.clusters]
        if (not texts or line.style["direction"] == "rtl"
                or any(leaf.box.style["direction"] == "rtl"
                       # The plan's letter-spacing would replace the Pango
                       # attribute WeasyPrint uses for CSS word-spacing.
                       or leaf.box.style["word_spacing"] and _SPACES & set(leaf.box.text)
                       for leaf in texts)
                or not any(is_cjk(char) for leaf in texts for char in leaf.box.text)):
            return original(context, line, extra_width)

        # clreq §3.2.2: no Han/Western gap at the line end.  That gap is the
        # trailing letter-spacing WeasyPrint adds to a letter-spaced box.
        last = line_leaves[-1]
        if last.clusters and (trailing := _letter_spacing(last.box.style)) > 0:
            last.box.width -= trailing
            for ancestor in last.ancestors:
                ancestor.width -= trailing
            extra_width += trailing
            # Nor is the gap drawn (as character spacing) after the last glyph.
            setattr(last.box, _GAP_AFTER_ATTR, -trailing)

        total = sum(_inner_weight(leaf.clusters) for leaf in texts)
        gap_weights: dict[int, float] = {}
        trailing_space: dict[int, float] = {}
        for previous, leaf in zip(line_leaves, line_leaves[1:]):
            left = previous.clusters[-1].weight if previous.clusters else 0
            right = leaf.clusters[0].weight if leaf.clusters else 0
            if left + right:
                gap_weights[id(leaf.box)] = (left + right) / 2
                total += (left + right) / 2
                if previous.clusters:
                    trailing_space[id(leaf.box)] = _letter_spacing(previous.box.style)
        if total <= 0 or extra_width <= 0:
            return None

        spacing, bonus = _spacing(extra_width, total, gap_weights, trailing_space,
                                  line.style["font_size"])
        units = round(spacing * _PANGO_SCALE)
        growth = {id(leaf.box): _plan_text_box(hooks, context, leaf, units)
                  for leaf in texts}
        gaps = {key: weight * spacing + bonus.get(key, 0.0)
                for key, weight in gap_weights.items()}
        for previous, leaf in zip(line_leaves, line_leaves[1:]):
            if id(leaf.box) in gaps and previous.clusters:
                setattr(previous.box, _GAP_AFTER_ATTR, gaps[id(leaf.box)])
        _move_boxes(boxes, line, growth, gaps, 0.0)
        return None

    return _mark(justify_line, original)


def _is_run(box) -> bool:
    """A whole Western run whose Han/Western gap is its margin (``span.lt``)."""
    element = getattr(box, "element", None)
    return (element is not None and getattr(box, "element_tag", "") == "span"
            and "lt" in (element.get("class") or "").split())


def _make_text_align(hooks: _Hooks, original: Callable) -> Callable:
    """Wrap ``weasyprint.layout.inline.text_align``, called for every line before it is
    aligned or justified: a Western run's gap margin at the line's start or end goes
    (clreq §3.2.2: no Han/Western gap at line edges), and the gap margins inside the
    line are recorded on the text box before them, to be drawn as character spacing
    (``draw_first_line``) — text extractors would read a jump as a word space."""
    boxes = hooks.boxes

    def path(line, first: bool) -> list:
        found, box = [], line
        while True:
            children = [c for c in box.children if c.is_in_normal_flow()]
            if not children:
                return found
            box = children[0] if first else children[-1]
            found.append(box)
            if not isinstance(box, boxes.InlineBox):
                return found

    def shift(box, on_path: list, amount: float) -> None:
        for child in box.children:
            if child is on_path[0]:
                if _is_run(child):
                    child.margin_left = 0
                    for inner in child.children:
                        inner.translate(-amount)
                else:
                    child.width -= amount
                    shift(child, on_path[1:], amount)
            else:
                child.translate(-amount)

    def settle(line) -> None:
        start = path(line, True)
        runs = [box for box in start if _is_run(box) and box.margin_left]
        if runs:
            amount = runs[0].margin_left
            shift(line, start[:start.index(runs[0]) + 1], amount)
            line.width -= amount
        end = path(line, False)
        runs = [box for box in end if _is_run(box) and box.margin_right]
        if runs:
            amount = runs[0].margin_right
            runs[0].margin_right = 0
            for box in end[:end.index(runs[0])]:
                box.width -= amount
            line.width -= amount
        # The gap margins between the line's text boxes.
        leaves: list[tuple[object, tuple]] = []

        def walk(box, ancestors: tuple) -> None:
            for child in box.children:
                if not child.is_in_normal_flow():
                    continue
                if isinstance(child, boxes.InlineBox):
                    walk(child, ancestors + (child,))
                else:
                    leaves.append((child, ancestors))

        walk(line, ())
        for (before, left), (_, right) in zip(leaves, leaves[1:]):
            gap = sum(box.margin_right for box in left if box not in right and _is_run(box))
            gap += sum(box.margin_left for box in right if box not in left and _is_run(box))
            if gap and isinstance(before, boxes.TextBox):
                setattr(before, _MARGIN_AFTER_ATTR, gap)

    def text_align(context, line, available_width, last):
        settle(line)
        return original(context, line, available_width, last)

    return _mark(text_align, original)


def _spacing(extra_width: float, total: float, gap_weights: dict[int, float],
             trailing_space: dict[int, float],
             font_size: float) -> tuple[float, dict[int, float]]:
    """Split a line's slack into the spacing s and extra box-boundary gaps.

    Normally the slack is spread evenly: s = slack / total weight.  A loose
    line (s above ``_MAX_CJK_SPACING``) first widens the gaps between a CJK
    character and a Western letter, digit, dash or ellipsis at box
    boundaries, each up to ``_MAX_BOUNDARY_GAP`` (as JLREQ §3.8.3 widens
    Japanese/Western spaces before inter-character gaps), and only spreads
    what is left over all gaps: a run of Han text stays even and close-set,
    the visible widening goes where the script changes anyway.  Return s and
    the extra gap before each leaf id.
    """
    spacing = extra_width / total
    limit = _MAX_CJK_SPACING * font_size
    if spacing <= limit:
        return spacing, {}
    room = {}
    for key, weight in gap_weights.items():
        if weight == 0.5:  # a CJK character next to a non-CJK one
            free = (_MAX_BOUNDARY_GAP * font_size - trailing_space.get(key, 0.0)
                    - weight * limit)
            if free > 0:
                room[key] = free
    capacity = sum(room.values())
    if capacity <= 0:
        return spacing, {}
    needed = extra_width - limit * total
    used = min(needed, capacity)
    bonus = {key: free * used / capacity for key, free in room.items()}
    return limit + (needed - used) / total, bonus


def _letter_spacing(style) -> float:
    """The computed CSS letter-spacing of a style, in px."""
    value = style["letter_spacing"]
    return 0.0 if value == "normal" else float(value)


def _plan_text_box(hooks: _Hooks, context, leaf: _Leaf, units: int) -> float:
    """Attach the letter-spacing plan of one text box; return its growth.

    Every run of w=1 clusters gets its letter-spacing plus ``units`` (the
    justification spacing, in Pango units); Pango turns that into the per-gap
    amounts described in the module docstring.
    """
    box = leaf.box
    ranges = []
    run_start = None
    previous_end = 0
    for cluster in [*leaf.clusters, _Cluster(-1, -1, 0)]:
        if cluster.weight and run_start is None:
            run_start = cluster.start
        elif not cluster.weight and run_start is not None:
            ranges.append((run_start, previous_end))
            run_start = None
        previous_end = cluster.end
    if not ranges or len(leaf.clusters) < 2:
        return 0.0
    # WeasyPrint already sets the style's letter-spacing on the whole text;
    # a Pango attribute replaces it on its range, so add it back.
    base = round(_letter_spacing(box.style) * _PANGO_SCALE)
    layout = box.pango_layout
    if hasattr(layout, "layout"):
        # Active (not expected): a copy would share its Pango pointers, so
        # make a new one, as WeasyPrint's add_word_spacing does.
        layout = hooks.line_break.create_layout(
            box.text, box.style, context, None, box.justification_spacing)
        layout.deactivate()
    else:
        # A copy, so that no other box sharing the layout inherits the plan.
        layout = copy.copy(layout)
    setattr(layout, _PLAN_ATTR, _Plan(
        box.text, tuple((start, end, base + units) for start, end in ranges)))
    box.pango_layout = layout
    growth = _inner_weight(leaf.clusters) * units / _PANGO_SCALE
    box.width += growth
    return growth


def _move_boxes(boxes, box, growth: dict[int, float], gaps: dict[int, float],
                x_advance: float) -> float:
    """Shift boxes right by the justification accumulated before them.

    Mirrors ``weasyprint.layout.inline.add_word_spacing``.  ``growth`` maps a
    text box id to how much its letter-spacing widened it; ``gaps`` a leaf box
    id to the space to open before it, opened before the outermost inline
    box that starts with that leaf.  Return the shift after ``box``.
    """
    if isinstance(box, boxes.TextBox):
        box.position_x += x_advance
        return x_advance + growth.get(id(box), 0.0)
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        start = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance += gaps.pop(id(_first_leaf(boxes, child)), 0.0)
                x_advance = _move_boxes(boxes, child, growth, gaps, x_advance)
        box.width += x_advance - start
        return x_advance
    box.translate(x_advance, 0)  # atomic inline-level box
    return x_advance


def _first_leaf(boxes, box) -> object:
    """The first in-flow, non-empty text box or atomic inline in ``box``."""
    while isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        children = [child for child in box.children
                    if child.is_in_normal_flow()
                    and not (isinstance(child, boxes.TextBox) and not child.text)]
        if not children:
            return box
        box = children[0]
    return box


# --------------------------------------------------------------------------
# drawing: weasyprint.text.line_break.Layout.set_text

def _make_set_text(hooks: _Hooks, original: Callable) -> Callable:
    """Wrap ``Layout.set_text`` to apply a justification plan when drawing."""
    pango, ffi = hooks.ffi.pango, hooks.ffi.ffi

    def set_text(self, text, justify=False):
        original(self, text, justify)
        plan = getattr(self, _PLAN_ATTR, None)
        # WeasyPrint passes justify=True only from reactivate(), right before
        # drawing; during layout the plan must not change any width.
        if not (justify and plan is not None and plan.text == self.text):
            return
        attr_list = pango.pango_layout_get_attributes(self.layout)
        if attr_list == ffi.NULL:
            attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        for start, end, spacing in plan.ranges:
            attr = pango.pango_attr_letter_spacing_new(spacing)
            attr.start_index, attr.end_index = start, end
            pango.pango_attr_list_change(attr_list, attr)
        pango.pango_layout_set_attributes(self.layout, attr_list)

    return _mark(set_text, original)


# --------------------------------------------------------------------------
# drawing: weasyprint.draw.text

class _ExactTJInt(int):
    """``int`` for weasyprint.draw.text: formats with its exact value.

    ``draw_first_line`` writes ``f'>{int(kerning)}<'`` into the TJ array;
    this keeps two decimals there (1/100000 em) instead of truncating to
    1/1000 em.  Used as a number it is the usual truncated int.
    """

    def __new__(cls, value=0, *args):
        number = super().__new__(cls, value, *args)
        number.exact = value if not args and isinstance(value, float) else None
        return number

    def __format__(self, spec: str) -> str:
        if spec or self.exact is None:
            return super().__format__(spec)
        return f"{self.exact:.2f}".rstrip("0").rstrip(".")


def _make_draw_first_line(original: Callable) -> Callable:
    """Wrap ``draw_first_line``: gaps as character spacing, short numbers.

    WeasyPrint writes a glyph's x offset (half its letter-spacing, with
    justification nearly every glyph has one) as a full float repr such as
    ``-12.339285714285714``; the TJ arrays of the box are rewritten with two
    decimals (1/100000 em), which keeps the PDF about a third smaller.

    Then the gaps that text extractors would read as word spaces are drawn
    as character spacing (``_spaced_operations``): wide gaps between the
    box's glyphs, and the gap after the box (its trailing letter-spacing plus
    the justification gap before the next box), which WeasyPrint leaves to the
    jump of the text matrix to the next box.
    """

    def draw_first_line(stream, textbox, *args, **kwargs):
        operations = getattr(stream, "stream", None)
        start = len(operations) if operations is not None else 0
        font = getattr(stream, "_current_font", None)
        emojis = original(stream, textbox, *args, **kwargs)
        if not operations or len(operations) <= start:
            return emojis
        faces: dict[str, list] = {}
        for face in getattr(stream, "_fonts", {}).values():
            faces.setdefault(face.hash, []).append(face)
        gap = (_letter_spacing(textbox.style) + getattr(textbox, _GAP_AFTER_ATTR, 0.0)
               + getattr(textbox, _MARGIN_AFTER_ATTR, 0.0))
        operations[start:] = _respaced_box(operations[start:], font, faces, gap)
        return emojis

    return _mark(draw_first_line, original)


def _respaced_box(operations: list, font: tuple | None, faces: dict[str, list],
                  gap: float) -> list:
    """The operations drawing one text box, with its gaps as character spacing.

    ``font``: the (font hash, size) in effect before them; ``faces``: the
    weasyprint ``Font`` objects by hash; ``gap``: the gap after the box, in
    CSS px (the text space unit of WeasyPrint's text matrices).
    """
    last = max((index for index, operation in enumerate(operations)
                if _is_tj(operation)), default=None)
    pen = _Pen()
    rewritten: list = []
    for index, operation in enumerate(operations):
        if isinstance(operation, bytes):
            if tf := _TF.fullmatch(operation):
                font = (tf.group(1).decode(), tf.group(2))
            elif operation.endswith(b" Tm"):
                pen = _Pen()
            elif _is_tj(operation):
                operation = _LONG_NUMBER.sub(_two_decimals, operation)
                size = float(font[1]) if font else 0.0
                if size > 0:
                    rewritten += _spaced_operations(
                        operation, _Glyphs(faces.get(font[0], [])), size,
                        gap if index == last else 0.0, pen, final=index == last)
                    continue
        rewritten.append(operation)
    return rewritten


def _is_tj(operation) -> bool:
    return isinstance(operation, bytes) and operation.endswith(b"] TJ")


# A number with more than two decimals in a TJ array (hex glyph strings have
# no dots, so they never match).
_LONG_NUMBER = re.compile(rb"-?\d+\.\d{3,}(?:e-?\d+)?")
# pydyf's set_font_size: "/<font hash> <size> Tf".
_TF = re.compile(rb"/(\S+) (\d+(?:\.\d*)?(?:e-?\d+)?) Tf")


def _two_decimals(match: re.Match) -> bytes:
    return _number(float(match.group()))


def _number(value: float, decimals: int = 2) -> bytes:
    """A PDF number with at most ``decimals`` decimals, no trailing zeros."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return b"0" if text in ("", "-0") else text.encode()


class _Glyphs:
    """Widths and text of the glyphs of one PDF font (its weasyprint ``Font``s)."""

    def __init__(self, faces: list) -> None:
        self.faces = faces
        self.digits = 2 if any(face.bitmap for face in faces) else 4

    def width(self, glyph: bytes) -> float | None:
        """Its width in the PDF's /W array, in 1/1000 of the font size."""
        code = int(glyph, 16)
        return next((face.widths[code] for face in self.faces if code in face.widths), None)

    def text(self, glyph: bytes) -> str | None:
        """Its text in the PDF's ToUnicode map."""
        code = int(glyph, 16)
        return next((face.to_unicode[code] for face in self.faces
                     if face.to_unicode.get(code)), None)


@dataclass
class _Array:
    """A TJ array: the numbers before its first glyph and the displacement
    they make, its glyph codes (hex digits), the numbers after each glyph and
    the displacement they make.  Displacements are in 1/1000 of the font
    size, rightwards (a TJ number's opposite)."""
    leading: list[bytes]
    lead: float
    codes: list[bytes]
    after: list[list[bytes]]
    moves: list[float]


_HEX_STRING = re.compile(rb"<([0-9A-Fa-f]*)>")


def _parse_tj(operation: bytes, digits: int) -> _Array | None:
    """Read ``[...] TJ`` (``digits`` hex digits a glyph); None if it is not one."""
    if not operation.startswith(b"[") or not operation.endswith(b"] TJ"):
        return None
    parts = _HEX_STRING.split(operation[1:-4])
    leading = parts[0].split()
    codes: list[bytes] = []
    after: list[list[bytes]] = []
    for hexes, numbers in zip(parts[1::2], parts[2::2]):
        if len(hexes) % digits or b"<" in numbers or b">" in numbers:
            return None
        for start in range(0, len(hexes), digits):
            codes.append(hexes[start:start + digits])
            after.append([])
        (after[-1] if after else leading).extend(numbers.split())
    try:
        lead = -sum(map(float, leading))
        moves = [-sum(map(float, numbers)) for numbers in after]
    except ValueError:
        return None
    return _Array(leading, lead, codes, after, moves)


_GLYPH_STRING = re.compile(rb"<[0-9A-Fa-f]+>")


def _widest_move(operation: bytes) -> float | None:
    """The largest displacement after a glyph of ``[...] TJ``, rightwards in
    1/1000 of the font size (0 if none); None if it cannot be read."""
    chunks = _GLYPH_STRING.split(operation[1:-4])[1:]  # what follows each glyph string
    try:
        return max((-sum(map(float, chunk.replace(b"<>", b" ").split())) for chunk in chunks),
                   default=0.0)
    except ValueError:
        return None


class _Pen:
    """The TJ arrays a box drew since its last Tm or Td, to find the position.

    ``stale``: the last array ended with character spacing, which pdfminer
    (pdfplumber) does not add after the last glyph of a string; the next
    glyphs are then placed with Td, so that every reader puts them where
    renderers do.  The position is only worked out then (rarely).
    """

    def __init__(self) -> None:
        self.drawn: list[tuple[bytes, float, _Glyphs, float]] = []
        self.stale = False

    def show(self, operation: bytes, spacing: float, glyphs: _Glyphs, size: float) -> None:
        """Record a TJ drawn with character spacing ``spacing``."""
        self.drawn.append((operation, spacing, glyphs, size))

    def x(self) -> float | None:
        """The position, in text space units (None if it cannot be known)."""
        x = 0.0
        for operation, spacing, glyphs, size in self.drawn:
            array = _parse_tj(operation, glyphs.digits)
            if array is None:
                return None
            widths = [glyphs.width(code) for code in array.codes]
            if None in widths:
                return None
            x += (array.lead + sum(widths) + sum(array.moves)) * size / 1000
            x += spacing * len(widths)
        return x

    def place(self) -> bytes | None:
        """The Td putting a stale pen where it is, for every reader."""
        if not self.stale:
            return None
        x = self.x()
        self.drawn, self.stale = [], False
        return _number(x, 4) + b" 0 Td"


def _tj(items: list[bytes]) -> bytes:
    """A TJ operation showing ``items`` (hex strings and numbers)."""
    array = b""
    for item in items:
        if array and not item.startswith(b"<") and not array.endswith(b">"):
            array += b" "
        array += item
    return b"[" + array + b"] TJ"


def _actual_text(text: str) -> bytes:
    """A PDF text string (UTF-16BE with BOM) holding ``text``."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _steps(extra: float) -> list[bytes]:
    """TJ numbers moving ``extra`` 1/1000 em right, each less than ``_SPACED_GAP``."""
    if extra <= 0:
        return []
    count = math.floor(extra / (_SPACED_GAP * 1000)) + 1
    return [_number(-extra / count)] * count


def _spaced_operations(operation: bytes, glyphs: _Glyphs, size: float, trailing: float,
                       pen: _Pen, final: bool) -> list[bytes]:
    """Rewrite one ``[...] TJ`` so that no extractor reads its gaps as spaces.

    ``size``: the font size of its Tf operator; ``trailing``: the gap to leave
    after its last glyph, in text space units; ``pen``: what the box drew
    before; ``final``: whether it is the box's last TJ (the next box sets its
    own text matrix).

    Text extractors place each character by its origin and its width in the
    font, and read a gap after it as a word space: pdftotext (poppler's
    TextOutputDev, ``minWordBreakSpace``) from 0.1em, whether the gap is a TJ
    displacement or character spacing (it subtracts Tc from the advance);
    pypdf from about 0.1em of TJ displacement or text-matrix jump (it counts
    Tc into the advance).  Inside a marked-content sequence with an
    ActualText (PDF 32000-1 §14.9.4), poppler sets the replacement text over
    the span from the first glyph's origin to the end of the last one's
    advance, Tc included if Tc is reset before the sequence ends.  So a run of
    glyphs each followed by the same gap s of ``_SPACED_GAP`` or more is drawn
    as

        /Span <</ActualText <FEFF...>>> BDC s Tc [<glyphs>] TJ 0 Tc EMC

    with the glyphs' own text (their ToUnicode text: extraction reads what it
    read before).  The glyphs stay where they were (differences of a few
    1/100000 em stay TJ numbers), and neither extractor sees a gap.
    Narrower gaps stay TJ displacements, a trailing one appended; so does a
    gap after a glyph with no known text.
    """
    extra = max(trailing, 0.0) / size * 1000  # 1/1000 of the font size
    limit = _SPACED_GAP * 1000
    if not extra and (widest := _widest_move(operation)) is not None and widest < limit:
        array = None  # nothing to space (the usual case): no need to read it all
    else:
        array = _parse_tj(operation, glyphs.digits) if glyphs.faces else None
        if array is not None and array.codes:
            array.moves[-1] += extra
    if array is None or not extra and max(array.moves, default=0.0) < limit:
        # Nothing to space (the usual case): the array as it is.
        operations = [td] if (td := pen.place()) is not None else []
        operation = operation[:-4] + b"".join(b" " + n for n in _steps(extra)) + b"] TJ"
        pen.show(operation, 0.0, glyphs, size)
        return [*operations, operation]
    codes, moves = array.codes, array.moves
    placeable: list[bool] = []  # whether the pen can be placed after this array

    def text_of(index: int) -> str | None:
        if moves[index] < limit:
            return None
        if not (final and index == len(codes) - 1):  # the next glyph needs a Td
            if not placeable:
                placeable.append(pen.x() is not None and None not in map(glyphs.width, codes))
            if not placeable[0]:
                return None
        return glyphs.text(codes[index])

    operations: list[bytes] = []

    def show(items: list[bytes], spacing: float = 0.0) -> bytes:
        if (td := pen.place()) is not None:
            operations.append(td)
        shown = _tj(items)
        pen.show(shown, spacing, glyphs, size)
        return shown

    pending: list[bytes] = list(array.leading)  # items of the next plain TJ array
    index = 0
    while index < len(codes):
        if (text := text_of(index)) is None:
            pending += [b"<" + codes[index] + b">", *array.after[index]]
            if index == len(codes) - 1:
                pending += _steps(extra)
            index += 1
            continue
        end, texts = index + 1, [text]
        while (end < len(codes) and abs(moves[end] - moves[index]) <= _SAME_GAP
               and (text := text_of(end)) is not None):
            texts.append(text)
            end += 1
        if pending:
            # Before the span, even a glyph's offset alone: pdfminer adds Tc
            # before a glyph that follows a number in the array.
            operations.append(show(pending))
            pending = []
        spacing = round(moves[end - 1] * size / 1000, 4)  # Tc, in text space units
        unit = spacing / size * 1000
        items = []
        for code, move in zip(codes[index:end], moves[index:end]):
            items.append(b"<" + code + b">")
            if (residual := _number(unit - move)) != b"0":
                items.append(residual)
        span = show(items, spacing)
        operations += [b"/Span <</ActualText " + _actual_text("".join(texts)) + b">> BDC",
                       _number(spacing, 4) + b" Tc", span, b"0 Tc", b"EMC"]
        pen.stale = True
        index = end
    if pending:
        operations.append(show(pending))
    return operations
