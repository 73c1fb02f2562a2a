"""fonts: which characters paiban's fonts draw, and subsets of them to embed.

In: ``fonts/manifest.yaml`` and the font files it lists (written by
``fonts/make_fonts.py``); the text to be set.
Out: ``Face`` records (``load_manifest``); the characters no face draws
(``coverage_gaps``); subset font files in a cache directory (``subset_face``,
``subset_all``), with the stops centred for an edition in traditional characters
(``centred=True``); the ``@font-face`` CSS that points at them (``font_face_css``).

fontTools only reads cmaps here; HarfBuzz (uharfbuzz) makes the subsets.  A
subset keeps GSUB/GPOS with the features CJK setting uses, so the same file
serves WeasyPrint (PDF) and reading systems (EPUB).
"""

from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

import uharfbuzz as hb
import yaml
from fontTools.ttLib import TTFont

from .errors import BuildError
from .output import write_atomic


#: The CSS family of a sidecar's fallback font (``render.FALLBACK`` re-exports it).
FALLBACK_FAMILY = "Paiban Fallback"


class FontError(BuildError):
    """A font file is missing, corrupt or unusable; the message names the file."""


@dataclass(frozen=True)
class Face:
    """One vendored font file as the CSS sees it."""

    family: str  # CSS font-family, e.g. "Paiban Serif"
    weight: int  # CSS font-weight: 400, 700
    style: str  # CSS font-style: "normal" or "italic"
    path: Path  # the font file
    sha256: str  # hex SHA-256 of the file, as the manifest records it
    #: The licence's Reserved Font Names (OFL): a subset, a Modified Version, must not
    #: use them as its name (``_without_reserved_names``).
    reserved_names: tuple[str, ...] = ()
    #: The upstream family name and its licence (SPDX), for the imprint page.
    name: str = ""
    licence: str = ""
    #: The file of this face's stops set centred (Taiwan / Hong Kong), from the
    #: manifest's ``centred_marks``; None: centred forms are made from its own glyphs.
    centred_marks: Path | None = None


@dataclass(frozen=True)
class SubsetFace:
    """A subset of a ``Face``, written in the subset cache."""

    face: Face  # the face it was cut from; gives family, weight and style
    path: Path  # the subset file

    @property
    def file_name(self) -> str:
        """The name the file takes in an e-book: the face's own (stable across
        editions, unlike the cache's hash); without its Reserved Font Names, if any
        ("PaibanKai-Regular.ttf"); marked as the sidecar's if it is the fallback."""
        face = self.face
        if face.reserved_names:
            return _own_name(face) + face.path.suffix.lower()
        return ("fallback-" if face.family == FALLBACK_FAMILY else "") + face.path.name

    @property
    def format(self) -> str:
        """The CSS ``format()`` hint: "opentype" (CFF outlines) or "truetype"."""
        return "opentype" if self.path.suffix.lower() == ".otf" else "truetype"

    @property
    def media_type(self) -> str:
        """The EPUB 3 core media type of the file (EPUB 3.3 §3.2)."""
        return "font/otf" if self.format == "opentype" else "font/ttf"


# Layout features a subset must keep, on top of HarfBuzz's default set (which
# already holds ccmp, locl, kern, vert, vrt2, vkrn, liga ...).  halt/palt and
# vhal/vpal are the half-width and proportional punctuation alternates that
# punctuation compression in clreq needs; listed so that a HarfBuzz whose
# defaults differ cannot drop them.
KEEP_FEATURES = ("halt", "palt", "vhal", "vpal", "vert", "vrt2", "locl", "kern", "vkrn")
# Name IDs kept beyond the default 0-6: 13/14 are the licence text and URL, so
# an embedded subset carries its OFL notice (OFL condition 2).
KEEP_NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 13, 14)
# GLYPH_NAMES keeps the post table names of TrueType faces (PDF viewers and
# fontTools show them); NOTDEF_OUTLINE keeps the .notdef box, so a character
# that slips through is visible as tofu in a proof, not a silent blank.
# CFF_IDENTITY_CHARSET makes a CFF glyph's CID equal its new glyph ID: without
# it the subset keeps the original, now sparse, CIDs, while a PDF CIDFontType0
# font selects glyphs by CID (ISO 32000-2 §9.7.4.2) and WeasyPrint writes glyph
# IDs there (with full_fonts=True it embeds our file as is).
SUBSET_FLAGS = (hb.SubsetFlags.GLYPH_NAMES | hb.SubsetFlags.NOTDEF_OUTLINE
                | hb.SubsetFlags.CFF_IDENTITY_CHARSET)
# Everything that decides a subset's bytes besides the font and the
# characters: a change to any of it gives new cache file names.
SUBSETTER_VERSION = (
    f"harfbuzz {hb.version_string()}; uharfbuzz {hb.__version__}; "
    f"features {','.join(KEEP_FEATURES)}; names {KEEP_NAME_IDS}; flags {int(SUBSET_FLAGS)}; "
    "halt made where missing 1")
# Full-width punctuation by the half its ink sits in, for a ``halt`` feature made for
# a face that has none (typography.py: OPENING, CLOSING, STOPS).
_HALT_RIGHT_HALF = "“‘（《〈「『【〔〖［｛"
_HALT_LEFT_HALF = "”’）》〉」』】〕〗］｝、，。．：；！？"
# The stops set in the lower left of the em square in the mainland and centred in it
# in Taiwan and Hong Kong (clreq 3.1.6; fonts/make_fonts.py CENTRED_MARKS).
CENTRED_MARKS = "、。，．：；！？"
_CORNER_DOTS = "、。，．"  # of those, the ones centred in height as well
# Positioning features whose values assume the corner form (halt/palt cut its blank
# right half): a centred mark keeps none of them.
_CORNER_POSITIONING = frozenset({"halt", "palt", "vhal", "vpal"})

# Characters that are never looked up in a cmap, so never coverage gaps:
# whitespace, controls and format characters (Cc, Cf, Z*), and variation
# selectors, which select a glyph of the preceding character (cmap format 14).
_UNDRAWN_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
_VARIATION_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))

_cmap_memo: dict[str, frozenset[int]] = {}  # codepoints per font SHA-256


def _sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stat_key(path: Path) -> str:
    """A file's identity for the hash memo: path, size, modification time, inode."""
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _face_from_entry(entry: Mapping, fonts_dir: Path, manifest: Path,
                     verified: dict[str, str]) -> Face:
    """A checked ``Face`` for one manifest record."""
    try:
        path = fonts_dir / entry["file"]
        face = Face(family=str(entry["css_family"]), weight=int(entry["weight"]),
                    style=str(entry.get("style", "normal")), path=path,
                    sha256=str(entry["sha256"]).lower(),
                    reserved_names=tuple(map(str, entry.get("reserved_font_names") or ())),
                    name=str(entry.get("font_family", "")), licence=str(entry.get("licence", "")))
        size = int(entry["size"])
    except (KeyError, TypeError, ValueError) as error:
        raise FontError(f"{manifest}: bad face record ({error!r})") from None
    if not path.is_file():
        raise FontError(f"font file missing: {path} (listed in {manifest.name})")
    # Size first: it catches a truncated copy without reading 16 MB.  A file whose
    # size, mtime and inode match an earlier check is not hashed again.
    if path.stat().st_size != size:
        digest = ""
    else:
        digest = verified.get(_stat_key(path)) or _sha256_file(path)
    if digest != face.sha256:
        raise FontError(
            f"font file corrupt: {path} (size or SHA-256 differs from {manifest.name};"
            f" re-run fonts/make_fonts.py or restore the file)")
    verified[_stat_key(path)] = digest
    return face


def load_manifest(fonts_dir: Path, cache_dir: Path | None = None) -> tuple[Face, ...]:
    """The faces listed in ``fonts_dir/manifest.yaml``, each file checked by SHA-256.

    Raises ``FontError`` naming the manifest or font file that is missing,
    unreadable or differs from its recorded size and hash.  With ``cache_dir``,
    hashes already checked (same path, size, mtime and inode) are remembered
    there: hashing 60 MB of fonts is most of this function's time.
    """
    fonts_dir = fonts_dir.resolve()  # absolute paths: Face.path feeds file:// URLs
    manifest = fonts_dir / "manifest.yaml"
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise FontError(f"cannot read font manifest {manifest}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("faces"), list):
        raise FontError(f"{manifest}: no 'faces' list")
    memo = cache_dir / "verified.json" if cache_dir else None
    try:
        verified = json.loads(memo.read_text(encoding="utf-8")) if memo else {}
        verified = verified if isinstance(verified, dict) else {}
    except (OSError, ValueError):
        verified = {}
    before = dict(verified)
    faces = tuple(_face_from_entry(entry, fonts_dir, manifest, verified)
                  for entry in data["faces"])
    faces = _with_centred_marks_files(faces, data.get("centred_marks") or (),
                                      fonts_dir, manifest, verified)
    if memo and verified != before:
        with suppress(OSError, BuildError):
            write_atomic(memo, json.dumps(verified, sort_keys=True).encode("utf-8"))
    return faces


def _with_centred_marks_files(faces: tuple[Face, ...], entries: Iterable[Mapping],
                              fonts_dir: Path, manifest: Path,
                              verified: dict[str, str]) -> tuple[Face, ...]:
    """``faces`` with each ``centred_marks`` record's file (checked like a face's)
    attached to the face it is ``for``."""
    files: dict[str, Path] = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or "for" not in entry:
            raise FontError(f"{manifest}: bad centred_marks record ({entry!r})")
        record = {"css_family": "", "weight": 0, **entry}
        files[str(entry["for"])] = _face_from_entry(record, fonts_dir, manifest, verified).path
    return tuple(replace(face, centred_marks=files.get(face.path.name)) for face in faces)


def _ranges(codepoints: Iterable[int]) -> list[list[int]]:
    """Sorted codepoints as inclusive [first, last] runs: a CJK cmap packs ~40x."""
    runs: list[list[int]] = []
    for codepoint in sorted(codepoints):
        if runs and runs[-1][1] == codepoint - 1:
            runs[-1][1] = codepoint
        else:
            runs.append([codepoint, codepoint])
    return runs


def _read_cmap(face: Face) -> frozenset[int]:
    """The codepoints the face's best cmap subtable maps, read with fontTools."""
    try:
        return frozenset(TTFont(face.path, lazy=True).getBestCmap() or ())
    except Exception as error:  # fontTools raises many kinds on a broken file
        raise FontError(f"cannot read cmap of font file {face.path}: {error}") from None


def face_codepoints(face: Face, cache_dir: Path | None = None) -> frozenset[int]:
    """The codepoints ``face`` draws; memoized per SHA-256, and on disk if ``cache_dir``.

    Reading a Noto CJK cmap (44,746 codepoints) with fontTools takes ~0.09 s;
    the JSON cache (runs of codepoints, ~20 KB) loads in a few milliseconds.
    """
    if face.sha256 in _cmap_memo:
        return _cmap_memo[face.sha256]
    cached = cache_dir / f"cmap-{face.sha256[:32]}.json" if cache_dir else None
    codepoints = None
    if cached and cached.is_file():
        with suppress(OSError, ValueError, TypeError, KeyError):  # a bad cache is a miss
            stored = json.loads(cached.read_text(encoding="utf-8"))
            if stored["sha256"] == face.sha256:
                codepoints = frozenset(
                    c for first, last in stored["ranges"] for c in range(first, last + 1))
    if codepoints is None:
        codepoints = _read_cmap(face)
        if cached:
            write_atomic(cached, json.dumps(
                {"sha256": face.sha256, "ranges": _ranges(codepoints)},
                separators=(",", ":")).encode())
    _cmap_memo[face.sha256] = codepoints
    return codepoints


def _drawn(char: str) -> bool:
    """True if ``char`` is looked up in a cmap when set (see _UNDRAWN_CATEGORIES)."""
    codepoint = ord(char)
    if any(codepoint in selectors for selectors in _VARIATION_SELECTORS):
        return False
    return unicodedata.category(char) not in _UNDRAWN_CATEGORIES


def coverage_gaps(text: str, faces: Iterable[Face],
                  cache_dir: Path | None = None) -> dict[str, tuple[int, ...]]:
    """Characters of ``text`` that none of ``faces`` draws, with their offsets.

    Keys are in order of first occurrence; values are the offsets (indexes
    into ``text``) of every occurrence.  Whitespace, controls, format
    characters and variation selectors are never gaps.  Pass the faces of one
    role (e.g. only "Paiban Kai" for bylines) to check that role: a gap there
    is a character the renderer would take from some system font instead.
    """
    covered = frozenset().union(*(face_codepoints(f, cache_dir) for f in faces))
    gaps: dict[str, list[int]] = {}
    for offset, char in enumerate(text):
        if ord(char) not in covered and _drawn(char):
            gaps.setdefault(char, []).append(offset)
    return {char: tuple(offsets) for char, offsets in gaps.items()}


def _subset_key(face: Face, codepoints: list[int], centred: bool = False) -> str:
    """Hex SHA-256 naming a subset: the font, the sorted characters, the subsetter
    (and the names it must drop, with the family it is renamed to; and the centred
    stops with the file they come from — a simplified edition's key is as before)."""
    renamed = [face.family, face.weight, list(face.reserved_names)] if face.reserved_names else []
    if centred:
        donor = _sha256_file(face.centred_marks) if face.centred_marks else "own glyphs"
        renamed += ["centred marks 1", CENTRED_MARKS, donor]
    material = json.dumps([face.sha256, codepoints, SUBSETTER_VERSION, *renamed],
                          ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


def _tag(name: str) -> int:
    """An OpenType tag as the integer HarfBuzz sets hold."""
    return int.from_bytes(name.encode("ascii"), "big")


def _subset_bytes(face: Face, codepoints: list[int], centred: bool = False) -> bytes:
    """The subset of ``face`` to ``codepoints``, with the layout closure HarfBuzz adds;
    with ``centred``, its stops set centred (``_with_centred_stops``)."""
    subset_input = hb.SubsetInput()
    subset_input.unicode_set.update(codepoints)
    subset_input.sets(hb.SubsetInputSets.LAYOUT_FEATURE_TAG).update(
        _tag(feature) for feature in KEEP_FEATURES)
    subset_input.sets(hb.SubsetInputSets.NAME_ID).update(KEEP_NAME_IDS)
    subset_input.flags = SUBSET_FLAGS
    try:
        source = hb.Face(hb.Blob.from_file_path(str(face.path)))
        data = hb.subset(source, subset_input).blob.data
    except (OSError, RuntimeError) as error:
        raise FontError(f"cannot subset font file {face.path}: {error}") from None
    data = _without_reserved_names(data, face) if face.reserved_names else data
    if centred:
        data = _with_centred_stops(data, face.centred_marks)
    return _with_halt(data)


def _with_centred_stops(data: bytes, marks: Path | None) -> bytes:
    """The subset ``data`` with its stops (``CENTRED_MARKS``) set centred in the em
    square, as Taiwan and Hong Kong set them: a locl-substituted variant, baked into
    the glyphs the cmap names, so that no engine's language handling is needed
    (WeasyPrint 70 with Pango 1.50 applies no ZHT/ZHH 'locl', measured).

    A CFF face takes the outlines of ``marks`` (the TC member's own glyphs, which
    differ in drawing from the SC ones, not only in place); a face without such a
    file (LXGW WenKai) has its marks' ink moved to the centre of the em square.
    Positioning made for the corner form (``_CORNER_POSITIONING``) is dropped for
    the changed glyphs; a glyph that another character shares is left as it is.
    """
    import io

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    cmap = font.getBestCmap()
    users: dict[str, int] = {}
    for name in cmap.values():
        users[name] = users.get(name, 0) + 1
    wanted = {char: cmap[ord(char)] for char in CENTRED_MARKS
              if ord(char) in cmap and users[cmap[ord(char)]] == 1}
    if not wanted:
        return data
    if marks is not None and "CFF " in font:
        changed = _outlines_from(font, wanted, TTFont(marks))
    elif "glyf" in font:
        changed = _ink_centred(font, wanted)
    else:
        return data
    if not changed:
        return data
    _drop_positioning(font, changed)
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue()


def _outlines_from(font: TTFont, wanted: Mapping[str, str], marks: TTFont) -> set[str]:
    """Give the CFF glyphs of ``wanted`` (character -> glyph) the outlines ``marks``
    draws for those characters; the advance stays.  The new charstrings are flat
    (no subroutines, no hints): eight glyphs."""
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    top = font["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings
    their_cmap, their_glyphs = marks.getBestCmap(), marks.getGlyphSet()
    changed = set()
    for char, name in wanted.items():
        source = their_cmap.get(ord(char))
        if source is None:
            continue
        old = charstrings[name]
        advance = font["hmtx"][name][0]
        private = old.private
        nominal, default = (getattr(private, "nominalWidthX", 0),
                            getattr(private, "defaultWidthX", 0))
        pen = T2CharStringPen(None if advance == default else advance - nominal, None)
        their_glyphs[source].draw(pen)
        new = pen.getCharString(private=private, globalSubrs=old.globalSubrs)
        old.program, old.bytecode = new.program, None
        changed.add(name)
    return changed


def _ink_centred(font: TTFont, names: Mapping[str, str]) -> set[str]:
    """Move the ink of the TrueType glyphs ``names`` (character -> glyph) to the
    middle of the advance; the dots that sit on the baseline (``_CORNER_DOTS``) also
    to the middle of the em square's height, half the em above the ideographic em
    box's foot (OS/2 sTypoDescender, as Noto CJK's BASE 'ideo' and LXGW WenKai both
    set it).  The tall marks (：；！？) keep their height, as Noto CJK TC's nearly do
    (their middles rise 0-70 units of 1000 there)."""
    glyf, hmtx = font["glyf"], font["hmtx"]
    em = font["head"].unitsPerEm
    middle_y = font["OS/2"].sTypoDescender + em / 2
    changed = set()
    for char, name in names.items():
        glyph = glyf[name]
        if glyph.numberOfContours == 0:
            continue
        glyph.recalcBounds(glyf)
        advance, lsb = hmtx[name]
        dx = round(advance / 2 - (glyph.xMin + glyph.xMax) / 2)
        dy = round(middle_y - (glyph.yMin + glyph.yMax) / 2) if char in _CORNER_DOTS else 0
        if glyph.isComposite():
            for component in glyph.components:
                component.x += dx
                component.y += dy
        else:
            glyph.coordinates.translate((dx, dy))
        glyph.recalcBounds(glyf)
        hmtx[name] = (advance, lsb + dx)
        changed.add(name)
    return changed


def _drop_positioning(font: TTFont, names: set[str]) -> None:
    """Remove ``names`` from the single-adjustment lookups of the features in
    ``_CORNER_POSITIONING``: halt on a centred mark would cut into its ink."""
    if "GPOS" not in font:
        return
    table = font["GPOS"].table
    lookups = {index for record in table.FeatureList.FeatureRecord
               if record.FeatureTag in _CORNER_POSITIONING
               for index in record.Feature.LookupListIndex}
    for index in sorted(lookups):
        lookup = table.LookupList.Lookup[index]
        for subtable in lookup.SubTable:
            single = subtable.ExtSubTable if lookup.LookupType == 9 else subtable
            if getattr(single, "LookupType", lookup.LookupType) != 1:
                continue
            glyphs = single.Coverage.glyphs
            keep = [i for i, name in enumerate(glyphs) if name not in names]
            if len(keep) == len(glyphs):
                continue
            if single.Format == 2:
                single.Value = [single.Value[i] for i in keep]
                single.ValueCount = len(keep)
            single.Coverage.glyphs = [glyphs[i] for i in keep]


def _with_halt(data: bytes) -> bytes:
    """``data`` with a ``halt`` feature made for its full-width punctuation when it has
    none (LXGW WenKai has no GPOS): clreq's compression of a pair (``.pc``, 1.5em)
    then works in Kai as in Song and Hei.  A mark whose ink sits in its left half
    (closing brackets, stops) loses its right half; one whose ink sits in its right
    half (opening brackets) loses its left half.  A mark set otherwise (a centred
    form, a proportional quote) is left as it is."""
    import io

    from fontTools.feaLib.builder import addOpenTypeFeaturesFromString
    from fontTools.pens.boundsPen import BoundsPen

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    if "GPOS" in font and any(record.FeatureTag == "halt" for record
                              in font["GPOS"].table.FeatureList.FeatureRecord):
        return data
    em = font["head"].unitsPerEm
    half = em // 2
    cmap, glyphs, metrics = font.getBestCmap(), font.getGlyphSet(), font["hmtx"]
    rules = []
    for marks, left in ((_HALT_LEFT_HALF, True), (_HALT_RIGHT_HALF, False)):
        for char in marks:
            name = cmap.get(ord(char))
            if name is None or metrics[name][0] != em:
                continue
            pen = BoundsPen(glyphs)
            glyphs[name].draw(pen)
            if pen.bounds is None:
                continue
            x_min, _, x_max, _ = pen.bounds
            if left and x_max <= em * 0.55:
                rules.append(f"  pos \\{name} <0 0 -{half} 0>;")
            elif not left and x_min >= em * 0.45:
                rules.append(f"  pos \\{name} <-{half} 0 -{half} 0>;")
    if not rules:
        return data
    features = ("languagesystem DFLT dflt;\nlanguagesystem hani dflt;\n"
                "feature halt {\n" + "\n".join(rules) + "\n} halt;\n")
    addOpenTypeFeaturesFromString(font, features, tables=["GPOS"])
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue()


# Name IDs that name the font (family, unique id, full and PostScript names, typographic
# and WWS families, variations prefix); 0 (copyright), 13/14 (licence) are notices, kept.
_FONT_NAME_IDS = (1, 3, 4, 6, 16, 17, 18, 20, 21, 22, 25)


def _own_name(face: Face) -> str:
    """The PostScript-style name a renamed subset takes: its CSS family and style
    (PaibanKai-Regular)."""
    return f"{face.family.replace(' ', '')}-{'Bold' if face.weight >= 700 else 'Regular'}"


def _without_reserved_names(data: bytes, face: Face) -> bytes:
    """The subset ``data`` renamed after its CSS family wherever a name record (or CFF
    name) uses one of the face's Reserved Font Names.

    OFL 1.1 condition 3: no Modified Version may use a Reserved Font Name — and a
    subset is a Modified Version (openfontlicense.org, "Webfonts and Reserved Font
    Names").  The copyright and licence records stay.  No timestamp is touched.
    """
    import io

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    family, postscript = face.family, _own_name(face)
    style = postscript.rpartition("-")[2]
    new = {1: family, 16: family, 21: family, 4: f"{family} {style}", 18: f"{family} {style}",
           6: postscript, 20: postscript, 25: family.replace(" ", ""),
           3: f"{postscript}; paiban subset"}
    reserved = tuple(name.lower() for name in face.reserved_names)
    if "name" in font:
        for record in font["name"].names:
            text = record.toUnicode(errors="replace").lower()
            if record.nameID in _FONT_NAME_IDS and any(name in text for name in reserved):
                record.string = new.get(record.nameID, f"{family} {style}")
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        for key, value in (("FullName", f"{family} {style}"), ("FamilyName", family)):
            if any(name in str(getattr(top, key, "")).lower() for name in reserved):
                setattr(top, key, value)
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue()


def subset_face(face: Face, chars: str, cache_dir: Path, centred: bool = False) -> Path:
    """A font file holding ``face``'s glyphs for ``chars``, in ``cache_dir``.

    With ``centred`` (an edition in traditional characters), the stops are set
    centred in the em square (``_with_centred_stops``).

    The cmap maps exactly the characters of ``chars`` the face has; glyphs the
    kept features reach (vertical forms, half-width punctuation) come along.
    The file is named by a hash of (font SHA-256, sorted characters,
    ``SUBSETTER_VERSION``), so an existing file is reused as is; the bytes are
    the same on every run.  Characters of generated content (CSS ``content``,
    page counters, list markers) must be in ``chars`` too.
    """
    codepoints = sorted({ord(char) for char in chars})
    suffix = face.path.suffix.lower()
    key = _subset_key(face, codepoints, centred)
    path = cache_dir / f"{face.path.stem}-{key[:24]}{suffix}"
    if not _intact(path):
        data = _subset_bytes(face, codepoints, centred)
        # the hash first: a subset without its hash is made again, never trusted
        write_atomic(_hash_path(path), hashlib.sha256(data).hexdigest().encode("ascii"))
        write_atomic(path, data)
    return path


def _hash_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _intact(path: Path) -> bool:
    """Whether the cached subset at ``path`` holds the bytes it was written with (a
    truncated or altered file, or one without its recorded hash, is made again)."""
    try:
        recorded = _hash_path(path).read_text(encoding="ascii").strip()
        with path.open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest() == recorded
    except (OSError, UnicodeDecodeError):
        return False


def subset_all(faces: Iterable[Face], chars: str | Mapping[str, str],
               cache_dir: Path, centred: bool = False) -> tuple[SubsetFace, ...]:
    """``subset_face`` for each face, in order (``centred``: the stops centred).

    ``chars`` is one string for every face, or a mapping from CSS family to the
    characters set in that family (e.g. only bylines in "Paiban Kai"); a face
    whose family the mapping lacks is left out.
    """
    subsets = []
    for face in faces:
        face_chars = chars if isinstance(chars, str) else chars.get(face.family)
        if face_chars is not None:
            subsets.append(SubsetFace(face, subset_face(face, face_chars, cache_dir, centred)))
    return tuple(subsets)


@functools.cache
def _shaper(path: Path) -> hb.Font:
    return hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))


def advance_em(path: Path, text: str) -> float:
    """The width of ``text`` set on one line in the font file at ``path``, in em
    (HarfBuzz shaping with the font's default features, as Pango sets it)."""
    font = _shaper(path)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer)
    return sum(position.x_advance for position in buffer.glyph_positions) / font.face.upem


def _css_string(value: str) -> str:
    """``value`` as a double-quoted CSS string (CSS Syntax 3 §4.3.5 escapes)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def font_face_css(subsets: Iterable[SubsetFace], url_for: Callable[[Path], str]) -> str:
    """``@font-face`` rules for ``subsets``, one per file, in the order given.

    ``url_for`` turns a subset file's path into the URL the stylesheet uses:
    ``Path.as_uri`` for the PDF, a path relative to the stylesheet for the EPUB.
    """
    rules = []
    for subset in subsets:
        face = subset.face
        rules.append(
            "@font-face {\n"
            f"  font-family: {_css_string(face.family)};\n"
            f"  font-style: {face.style};\n"
            f"  font-weight: {face.weight};\n"
            f"  src: url({_css_string(url_for(subset.path))})"
            f" format({_css_string(subset.format)});\n"
            "}\n")
    return "\n".join(rules)


def extra_face(path: Path, family: str, weight: int) -> Face:
    """A font file that is not in the manifest (a sidecar's ``fallback_font``) as a
    ``Face`` of ``family`` and ``weight``; ``FontError`` if it cannot be read as a font."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FontError(f"cannot read the font {path}: {error.strerror or error}") from None
    if data[:4] not in (b"OTTO", b"\x00\x01\x00\x00", b"true"):
        raise FontError(f"{path.name} is not an OpenType or TrueType font file"
                        + (" (a collection: extract one face)" if data[:4] == b"ttcf" else ""))
    return Face(family, weight, "normal", path.resolve(), hashlib.sha256(data).hexdigest())
