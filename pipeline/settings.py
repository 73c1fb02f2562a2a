"""Settings: the sidecar YAML beside a seed, read strictly into frozen objects.

In: ``seeds/<name>.yaml`` (optional) — edition metadata, corrections no
general rule can decide, photos for photo gaps, and layout options.
Out: ``Sidecar`` (frozen), or ``InputError`` naming the file, line and column
of a YAML syntax error, or the key path of an unknown key or a wrong type.

Only ``yaml.SafeLoader`` is used (refusing a key given twice).  Paths (photos) are resolved against the
sidecar's folder and must stay inside the project: absolute paths, ``..`` and
symlinks that lead out are refused.  A photo must be, by its first bytes, a
JPEG, PNG, GIF, WebP or SVG image (the raster types WeasyPrint draws that are
also EPUB 3.3 core media types) named with its type's extension; an SVG must be
static and self-contained: no script, event handler, foreign object, entity or
reference outside itself.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,80}")  # (matched whole: fullmatch)


def default_slug(name: str) -> str:
    """The slug of an edition whose sidecar names none: from the seed's file name."""
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "edition"
_LENGTH = re.compile(r"\d{1,4}(\.\d{1,4})?(pt|mm|cm|in|em|px)")
# A BCP 47 language tag (RFC 5646 ``langtag``; case is free): zh, zh-CN, zh-Hant-HK.
_LANGUAGE = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?", re.IGNORECASE)
# The longest value each edition field may have (a masthead, an identifier URN …).
_META_MAX = {"paper": 40, "publisher": 80, "identifier": 200, "slug": 81, "date": 10,
             "language": 35, "rights": 200}
# A sidecar larger than this is refused before it is parsed (a real one is < 10 kB).
SIDECAR_MAX_BYTES = 1024 * 1024
# Corrections and photos a sidecar may list, and the length of their texts.
ITEMS_MAX = 1000
TEXT_MAX = 500
# The layout values a newspaper or book could use (README, "Limits"): the body size in
# points, line height, page sides in millimetres, margins up to a third of the page,
# the gap between columns in characters, the Han-Latin space in em; and the text block
# must hold at least this many characters a line and lines a column.
BODY_PT = (6.0, 24.0)
LINE_HEIGHT = (1.0, 3.0)
PAGE_MM = (90.0, 1200.0)
GAP_CHARS = (0, 8)
HAN_LATIN_EM = (0.0, 0.5)
MIN_CHARS, MIN_LINES = 8, 10

#: Photo file extensions and their media types: EPUB 3.3 core media types that
#: WeasyPrint also draws.  The e-book declares the type its extension names.
PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
# Signatures of the raster types (JPEG SOI + marker; PNG; GIF87a/89a; RIFF....WEBP).
_MAGIC = (
    (re.compile(rb"\xff\xd8\xff"), "image/jpeg"),
    (re.compile(rb"\x89PNG\r\n\x1a\n"), "image/png"),
    (re.compile(rb"GIF8[79]a"), "image/gif"),
    (re.compile(rb"RIFF....WEBP", re.DOTALL), "image/webp"),
)
_SVG_NS = "{http://www.w3.org/2000/svg}"
# In an SVG, a reference may only point inside the file, or be an inline raster
# image: a nested SVG document (data:image/svg+xml) could refer to files and URLs.
_RASTER_DATA = r"data:image/(?:png|jpeg|jpg|gif|webp)[;,]"
_EXTERNAL_URL = re.compile(rf"url\(\s*['\"]?\s*(?!#|{_RASTER_DATA})", re.IGNORECASE)
_INTERNAL_HREF = re.compile(rf"\s*(?:#|{_RASTER_DATA})", re.IGNORECASE)
# An SVG's <use> copies what it points at; nested, copies multiply (ten <use> of
# ten <use> …: 10^8 elements from 2 kB).  A picture needs few.
SVG_MAX_ELEMENTS = 20_000
# A photo file larger than this is refused before it is read (a newspaper photo is
# a few MB; the e-book carries it whole).
PHOTO_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class EditionMeta:
    """Metadata the sidecar may set; empty strings mean "infer it"."""

    paper: str = ""
    date: str = ""
    language: str = ""
    identifier: str = ""
    slug: str = ""
    publisher: str = ""
    rights: str = ""


# What a sidecar correction may say a line is (``Correction.structure``).
STRUCTURES = frozenset({"article", "subhead", "kicker", "subtitle", "credit"})


@dataclass(frozen=True)
class Correction:
    """A repair addressed by quoted text: join (end + start), keep_apart (end), or
    what a line is (``structure``): "article" (the heading line ``end`` opens an
    article), "subhead" (it is a subhead of the article before), "kicker" (it opens
    an article as its headline's kicker), "subtitle" (the subtitle of the headline
    above it) or "credit" (a credit or caption: the text of the article before,
    never a headline)."""

    end: str
    start: str = ""
    structure: str = ""

    @property
    def keep_apart(self) -> bool:
        """A keep-apart correction names only the paragraph end."""
        return not self.start and not self.structure


@dataclass(frozen=True)
class Photo:
    """A picture for the photo gap of the article whose headline contains ``article``."""

    article: str
    path: str
    caption: str = ""
    index: int = 1
    #: The bytes that were checked, read once (``read_photo``): both editions use these,
    #: never the file again (it could be swapped between the check and the layout).
    data: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class Layout:
    """Layout options shared by the editions (sizes are CSS lengths)."""

    page_size: str = "A4"
    margin_top: str = "22mm"
    margin_bottom: str = "20mm"
    margin_inside: str = "20mm"
    margin_outside: str = "18mm"
    body_size: str = "10.5pt"
    line_height: float = 1.75
    columns: int = 1
    column_gap_chars: int = 2
    han_latin_space: str = "0.125em"
    #: The e-book's writing mode: "horizontal", or "vertical" (竖排: top to bottom, lines
    #: right to left, pages turned to the right).  The print edition is horizontal.
    writing_mode: str = "horizontal"


@dataclass(frozen=True)
class Sidecar:
    """Everything a seed's sidecar YAML may say."""

    edition: EditionMeta = EditionMeta()
    corrections: tuple[Correction, ...] = ()
    photos: tuple[Photo, ...] = ()
    layout: Layout = Layout()
    #: A font file for characters no bundled face draws (rare name characters): a path
    #: relative to the sidecar, stored relative to the project root; "" for none.
    fallback_font: str = ""
    path: str = ""


def _check_mapping(data: Any, cls: type, where: str, source: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping", source)
    names = {f.name for f in dataclasses.fields(cls) if f.init and f.compare} - (
        {"path"} if cls is Sidecar else set())  # (a photo's checked data is no key)
    for key in data:
        if key not in names:
            allowed = ", ".join(sorted(names))
            raise InputError(f"{where}.{key}: unknown key (allowed: {allowed})", source)
    return data


def _typed(value: Any, expected: type, where: str, source: str) -> Any:
    if expected is float and type(value) in (int, float):
        return float(value)
    if type(value) is not expected:
        raise InputError(
            f"{where}: expected {expected.__name__}, got {type(value).__name__}", source)
    if expected is str and len(value) > TEXT_MAX:
        raise InputError(f"{where}: {len(value):,} characters; at most {TEXT_MAX}", source)
    return value


def _items(data: Any, where: str, source: str) -> list:
    """A sidecar list (corrections, photos) of at most ``ITEMS_MAX`` entries."""
    if not isinstance(data, list):
        raise InputError(f"{where}: expected a list", source)
    if len(data) > ITEMS_MAX:
        raise InputError(f"{where}: {len(data):,} entries; at most {ITEMS_MAX:,}", source)
    return data


def _read_meta(data: Any, source: str) -> EditionMeta:
    data = dict(_check_mapping(data, EditionMeta, "edition", source))
    if isinstance(data.get("date"), datetime.date):
        data["date"] = data["date"].isoformat()
    for key, value in data.items():
        _typed(value, str, f"edition.{key}", source)
    for key, value in data.items():
        if len(value) > _META_MAX[key]:
            raise InputError(f"edition.{key}: {len(value):,} characters; at most "
                             f"{_META_MAX[key]}", source)
        if key != "language" and any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
            raise InputError(f"edition.{key}: holds a control character", source)
    if data.get("date"):
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["date"]):
                raise ValueError
            datetime.date.fromisoformat(data["date"])
        except ValueError:
            raise InputError(f"edition.date: {data['date']!r} is not a date (YYYY-MM-DD)",
                             source) from None
    if data.get("slug") and not _SLUG.fullmatch(data["slug"]):
        raise InputError("edition.slug: use lower-case letters, digits, '.', '_' and '-'", source)
    if data.get("language") and not _LANGUAGE.fullmatch(data["language"]):
        raise InputError(f"edition.language: {data['language']!r} is not a BCP 47 language "
                         "tag (like zh-CN or zh-Hant)", source)
    return EditionMeta(**data)


def _read_corrections(data: Any, source: str) -> tuple[Correction, ...]:
    if data is None:
        return ()
    out = []
    for number, item in enumerate(_items(data, "corrections", source)):
        where = f"corrections[{number}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected a mapping", source)
        keys = set(item)
        if keys == {"join", "with"}:
            out.append(Correction(_typed(item["join"], str, f"{where}.join", source),
                                  _typed(item["with"], str, f"{where}.with", source)))
        elif keys == {"keep_apart"}:
            out.append(Correction(_typed(item["keep_apart"], str, f"{where}.keep_apart", source)))
        elif len(keys) == 1 and keys <= STRUCTURES:
            (key,) = keys
            out.append(Correction(_typed(item[key], str, f"{where}.{key}", source),
                                  structure=key))
        else:
            raise InputError(
                f"{where}: expected 'join' + 'with', 'keep_apart', 'article', 'subhead', "
                f"'kicker', 'subtitle' or 'credit', got "
                f"{', '.join(sorted(map(str, keys)))}", source)
        if not out[-1].end.strip():
            raise InputError(f"{where}: the quoted text is empty", source)
    return tuple(out)


def safe_path(relative: str, base: Path, root: Path, where: str, source: str) -> Path:
    """``relative`` resolved under ``base``; ``InputError`` if it leaves ``root``."""
    if not relative or Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise InputError(f"{where}: {relative!r} must be a relative path inside the project", source)
    resolved = (base / relative).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise InputError(f"{where}: {relative!r} leads outside the project", source)
    return resolved


def _svg_problem(data: bytes) -> str:
    """Why ``data`` is not a static, self-contained SVG image ("" if it is one)."""
    if b"<!ENTITY" in data:  # entity expansion is no part of a picture
        return "it declares entities"
    try:
        tree = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        return f"it is not well-formed XML ({error})"
    if tree.tag != f"{_SVG_NS}svg":
        return "its root element is not <svg>"
    for element in tree.iter():
        name = str(element.tag).rsplit("}", 1)[-1]
        if name in ("script", "foreignObject"):
            return f"it holds a <{name}> element"
        if name == "style" and (_EXTERNAL_URL.search(element.text or "")
                                or "@import" in (element.text or "")):
            return "its stylesheet refers to another file"
        for key, value in element.attrib.items():
            attribute = key.rsplit("}", 1)[-1]
            if attribute.lower().startswith("on"):
                return f"it has an event handler ({attribute})"
            if ((attribute == "href" and not _INTERNAL_HREF.match(value))
                    or _EXTERNAL_URL.search(value)):
                return f"it refers to another file or document ({value[:40]})"
    return _use_problem(tree)


def _use_problem(tree: ElementTree.Element) -> str:
    """Why the SVG's ``<use>`` copies make it too big to draw ("" if they do not):
    the elements it draws once every ``<use>`` is expanded, counted without
    expanding (memoized per element), and ``<use>`` cycles."""
    by_id = {element.get("id"): element for element in tree.iter() if element.get("id")}
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(element: ElementTree.Element) -> int:
        key = id(element)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise ValueError("a <use> refers to itself")
        open_.add(key)
        total = 1
        for child in element:
            total += size(child)
        if str(element.tag).rsplit("}", 1)[-1] == "use":
            target = next((v for k, v in element.attrib.items()
                           if k.rsplit("}", 1)[-1] == "href"), "")
            if target.startswith("#") and target[1:] in by_id:
                total += size(by_id[target[1:]])
        open_.discard(key)
        sizes[key] = total = min(total, SVG_MAX_ELEMENTS + 1)
        return total

    try:
        drawn = size(tree)
    except (ValueError, RecursionError) as error:
        return str(error) if isinstance(error, ValueError) else "its elements nest too deeply"
    if drawn > SVG_MAX_ELEMENTS:
        return (f"its <use> copies draw more than {SVG_MAX_ELEMENTS:,} elements "
                "(a picture needs far fewer)")
    return ""


def read_photo(path: Path) -> bytes:
    """The bytes of the photo file at ``path`` (resolved already), read once: a
    symbolic link put in its place after the path was resolved is not followed
    (``OSError``), and a file over ``PHOTO_MAX_BYTES`` is refused before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > PHOTO_MAX_BYTES:
            raise OSError(0, f"it is {size:,} bytes; the limit is {PHOTO_MAX_BYTES:,}")
        data = file.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise OSError(0, f"it is over {PHOTO_MAX_BYTES:,} bytes")
    return data


def photo_problem(path: Path, data: bytes | None = None) -> str:
    """Why the file at ``path`` (its bytes ``data``, read by ``read_photo`` when not
    given) cannot be a photo of both editions ("" if it can)."""
    suffix = path.suffix.lower()
    if suffix not in PHOTO_TYPES:
        return f"{path.name} is not named as an image ({', '.join(sorted(PHOTO_TYPES))})"
    if data is None:
        data = read_photo(path)
    found = next((kind for magic, kind in _MAGIC if magic.match(data)), None)
    if found is None and data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and (
            b"<svg" in data[:4096]):
        found = "image/svg+xml"
    if found is None:
        return (f"{path.name} is not a JPEG, PNG, GIF, WebP or SVG image "
                f"(it starts with {data[:12]!r})")
    if found != PHOTO_TYPES[suffix]:
        return f"{path.name} holds {found} data but its name says {PHOTO_TYPES[suffix]}"
    if found == "image/svg+xml":
        problem = _svg_problem(data)
        return f"{path.name} is not a static, self-contained SVG: {problem}" if problem else ""
    return _raster_problem(path.name, data)


def _raster_problem(name: str, data: bytes) -> str:
    """Why the JPEG/PNG/GIF/WebP ``data`` cannot be drawn ("" if it decodes whole):
    a file can start right and still be cut short or damaged."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except UnidentifiedImageError:
        return f"{name} cannot be decoded: its data is damaged after the header"
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:
        return f"{name} cannot be decoded: {' '.join(str(error).split()) or type(error).__name__}"
    return ""


def _read_photos(data: Any, source: str, base: Path, root: Path,
                 check_content: bool = True) -> tuple[Photo, ...]:
    if data is None:
        return ()
    out = []
    for number, item in enumerate(_items(data, "photos", source)):
        where = f"photos[{number}]"
        item = _check_mapping(item, Photo, where, source)
        for key in ("article", "path"):
            if key not in item:
                raise InputError(f"{where}.{key}: missing", source)
        fields = {k: _typed(v, int if k == "index" else str, f"{where}.{k}", source)
                  for k, v in item.items()}
        path = safe_path(fields["path"], base, root, f"{where}.path", source)
        if not path.is_file():
            raise InputError(f"{where}.path: {fields['path']} does not exist", source)
        data = b""
        try:
            if check_content:
                data = read_photo(path)
                problem = photo_problem(path, data)
            else:
                problem = ""
        except OSError as error:
            problem = f"cannot read {fields['path']}: {error.strerror or error}"
        if problem:
            raise InputError(f"{where}.path: {problem}", source)
        fields["path"] = str(path.relative_to(root.resolve()))
        out.append(Photo(**fields, data=data))
    return tuple(out)


def _read_layout(data: Any, source: str) -> Layout:
    data = _check_mapping(data, Layout, "layout", source)
    hints = {f.name: f.type for f in dataclasses.fields(Layout)}
    kinds = {"str": str, "int": int, "float": float}
    out = {}
    for key, value in data.items():
        out[key] = _typed(value, kinds[str(hints[key])], f"layout.{key}", source)
        if key.startswith(("margin", "body_size", "han_latin")) and not _LENGTH.fullmatch(out[key]):
            raise InputError(f"layout.{key}: {value!r} is not a CSS length like 20mm", source)
    if out.get("columns", 1) not in (1, 2):
        raise InputError("layout.columns: 1 or 2", source)
    if out.get("writing_mode", "horizontal") not in ("horizontal", "vertical"):
        raise InputError("layout.writing_mode: horizontal or vertical", source)
    layout = Layout(**out)
    _check_layout(layout, source)
    return layout


def _check_layout(layout: Layout, source: str) -> None:
    """``InputError`` naming the first ``layout`` value outside what a page can use."""
    from .render import length_pt, page_geometry, page_size_pt

    def within(key: str, value: float, bounds: tuple[float, float], unit: str) -> None:
        low, high = bounds
        if not (math.isfinite(value) and low <= value <= high):
            raise InputError(f"layout.{key}: {getattr(layout, key)!r} is outside "
                             f"{low:g}-{high:g}{unit}", source)

    body = length_pt(layout.body_size) if layout.body_size[-2:] != "em" else -1.0
    within("body_size", body, BODY_PT, "pt")
    within("line_height", layout.line_height, LINE_HEIGHT, "")
    within("column_gap_chars", layout.column_gap_chars, GAP_CHARS, " characters")
    if body > 0:
        within("han_latin_space", length_pt(layout.han_latin_space, body) / body,
               HAN_LATIN_EM, "em")
    try:
        width, height = page_size_pt(layout.page_size)
    except ValueError:
        raise InputError(f"layout.page_size: {layout.page_size!r} is not a page size "
                         "(A4, B5 landscape, 170mm 240mm)", source) from None
    for side in (width, height):
        within("page_size", side / 2.834645669, PAGE_MM, "mm a side")
    for key in ("margin_top", "margin_bottom", "margin_inside", "margin_outside"):
        page_side = height if key in ("margin_top", "margin_bottom") else width
        within(key, length_pt(getattr(layout, key), body), (0.0, page_side / 3), "pt (a third "
               "of the page)")
    geometry = page_geometry(layout)
    if geometry.chars < MIN_CHARS or geometry.lines < MIN_LINES:
        raise InputError(f"layout: the text block holds {geometry.chars} characters a line "
                         f"and {geometry.lines} lines; at least {MIN_CHARS} and {MIN_LINES}",
                         source)


_FONT_SUFFIXES = (".otf", ".ttf")


def _read_fallback_font(data: Any, source: str, base: Path, root: Path) -> str:
    """The fallback font's path relative to the project root ("" if none is named)."""
    if data is None:
        return ""
    relative = _typed(data, str, "fallback_font", source)
    path = safe_path(relative, base, root, "fallback_font", source)
    if path.suffix.lower() not in _FONT_SUFFIXES:
        raise InputError(f"fallback_font: {relative} is not named as a font "
                         f"({', '.join(_FONT_SUFFIXES)})", source)
    if not path.is_file():
        raise InputError(f"fallback_font: {relative} does not exist", source)
    return path.relative_to(root.resolve()).as_posix()


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (PyYAML keeps the
    last silently: a sidecar with two ``layout:`` blocks would lose the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # an unhashable key: SafeLoader's own error follows
                continue
            if first is not key_node:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice (first on line "
                    f"{first.start_mark.line + 1})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_sidecar(path: Path, root: Path, *, check_content: bool = True) -> Sidecar:
    """Read and check a sidecar; a missing file gives the defaults.

    ``check_content=False`` skips decoding the photos (``photo_problem``): for a caller
    that only needs the files it names (the up-to-date check), the build checks them.
    """
    source = str(path)
    if not path.exists():
        return Sidecar()
    try:
        if path.stat().st_size > SIDECAR_MAX_BYTES:
            raise InputError(f"the sidecar is {path.stat().st_size:,} bytes; the limit is "
                             f"{SIDECAR_MAX_BYTES:,}", source)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the sidecar: {error}", source) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader
    except RecursionError:
        raise InputError("the sidecar nests too deeply to be a sidecar", source) from None
    except ValueError as error:  # a value YAML reads as a date but is none (2022-13-45)
        raise InputError(f"a value reads as a date or number but is none ({error}); "
                         "quote it, or correct it", source) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).split("\n")[0]
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InputError(f"YAML syntax error at {where}{problem}", source) from None
    data = _check_mapping(data, Sidecar, "sidecar", source)
    return Sidecar(
        edition=_read_meta(data.get("edition"), source),
        corrections=_read_corrections(data.get("corrections"), source),
        photos=_read_photos(data.get("photos"), source, path.parent, root, check_content),
        layout=_read_layout(data.get("layout"), source),
        fallback_font=_read_fallback_font(data.get("fallback_font"), source, path.parent, root),
        path=source,
    )
