"""Recreate paiban's vendored fonts from Debian's font packages.

In: the installed Debian packages fonts-noto-cjk (the Noto CJK TTC collections)
and fonts-lxgw-wenkai, at the versions pinned in ``SOURCES``; fontTools and
uharfbuzz from the project venv.
Out: in this directory, the font files named in ``SOURCES``, the small files of
centred punctuation named in ``MARKS`` (``*-marks.otf``: the Taiwan / Hong Kong
forms, for editions in traditional characters), ``OFL.txt`` (the copyright
notices and licence) and ``manifest.yaml`` (CSS family, weight, provenance,
SHA-256 and size of each file).  The same inputs and tool versions
give the same bytes; ``--check`` rebuilds into a scratch directory and compares.

Run:  .venv/bin/python fonts/make_fonts.py [--check]
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import fontTools
import uharfbuzz as hb
import yaml
from fontTools.ttLib import TTCollection, TTFont

HERE = Path(__file__).resolve().parent
NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
LXGW_DIR = Path("/usr/share/fonts/truetype/lxgw-wenkai")
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")

# OpenType language systems kept in GSUB/GPOS.  In the SC member of a Noto CJK
# collection the default language system already gives the Simplified Chinese
# forms; the JAN/KOR/ZHT/ZHH systems exist only to reach other regions' glyphs
# through 'locl'.  Dropping them lets the glyph closure drop those glyphs
# (about 19,000 of 65,535), which is what brings four faces under 64 MB.
KEEP_LANGSYS = frozenset({"ZHS"})


@dataclass(frozen=True)
class Source:
    """One vendored file and where it comes from."""

    out_name: str  # file written in fonts/
    css_family: str  # the family name the project's CSS uses
    weight: int  # CSS font-weight
    package: str  # Debian binary package
    package_version: str  # the version make_fonts.py was checked against
    path: Path  # file installed by the package
    member_family: str | None  # name ID 1 of the TTC member to extract; None: not a TTC
    prune: bool  # drop non-SC language systems and unreachable glyphs
    reserved_font_names: tuple[str, ...]  # OFL Reserved Font Names, as Debian states them


SOURCES = (
    Source("NotoSerifSC-Regular.otf", "Paiban Serif", 400,
           "fonts-noto-cjk", "1:20220127+repack1-1",
           NOTO_DIR / "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", True, ()),
    Source("NotoSerifSC-Bold.otf", "Paiban Serif", 700,
           "fonts-noto-cjk", "1:20220127+repack1-1",
           NOTO_DIR / "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC", True, ()),
    Source("NotoSansSC-Bold.otf", "Paiban Sans", 700,
           "fonts-noto-cjk", "1:20220127+repack1-1",
           NOTO_DIR / "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", True, ()),
    # Copied unmodified: Debian records Reserved Font Names for LXGW WenKai, and
    # OFL §3 forbids them on a Modified Version, so the vendored file is not one.
    Source("LXGWWenKai-Regular.ttf", "Paiban Kai", 400,
           "fonts-lxgw-wenkai", "1.250+repack-1",
           LXGW_DIR / "LXGWWenKai-Regular.ttf", None, False, ("霞鹜", "LXGW")),
)


@dataclass(frozen=True)
class Marks:
    """A small file of the centred punctuation of a collection's TC member."""

    out_name: str  # file written in fonts/
    for_file: str  # the SOURCES file whose corner-set marks these replace
    member_family: str  # name ID 1 of the TTC member they come from


# The full-width stops that Taiwan and Hong Kong set centred in the em square and
# the mainland in its lower left (clreq 3.1.6; the 'locl' of ZHT and ZHH in Noto
# CJK's SC member gives the same glyphs as the TC member's cmap, measured).  The
# SC files above drop those language systems with everything they reach; these
# files hold the TC member's glyphs for just these characters (a few KB each), so
# that a zh-Hant edition's subsets can take them (pipeline/fonts.py).
CENTRED_MARKS = "、。，．：；！？"

MARKS = (
    Marks("NotoSerifTC-Regular-marks.otf", "NotoSerifSC-Regular.otf", "Noto Serif CJK TC"),
    Marks("NotoSerifTC-Bold-marks.otf", "NotoSerifSC-Bold.otf", "Noto Serif CJK TC"),
    Marks("NotoSansTC-Bold-marks.otf", "NotoSansSC-Bold.otf", "Noto Sans CJK TC"),
)

BUDGET_BYTES = 64_000_000  # the brief says 64 MB; decimal is the stricter reading


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def package_version(package: str) -> str:
    """The installed version of a Debian package (dpkg-query)."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package],
        capture_output=True, text=True, check=True)
    return result.stdout.strip()


def _member(collection: TTCollection, family: str) -> TTFont:
    """The collection member whose name ID 1 is ``family``.

    Opening a TTC without a font number gives member 0, the Japanese face; the
    SC face must be chosen by name, not by position, to survive re-ordering.
    """
    for font in collection.fonts:
        if font["name"].getDebugName(1) == family:
            return font
    raise SystemExit(f"no member named {family!r} in the collection")


def _keep_sc_language_systems(font: TTFont) -> None:
    """Remove the non-SC language systems from GSUB and GPOS, in place."""
    for tag in ("GSUB", "GPOS"):
        for record in font[tag].table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [
                r for r in script.LangSysRecord if r.LangSysTag.strip() in KEEP_LANGSYS]
            script.LangSysCount = len(script.LangSysRecord)


def _drop_unreachable_glyphs(data: bytes) -> bytes:
    """Keep every codepoint, feature, table and name; drop glyphs nothing reaches.

    HarfBuzz's subsetter with "keep everything" and an empty explicit glyph set
    keeps exactly the glyph closure of the cmap through the remaining layout
    features, and renumbers the glyphs.  The identity charset then makes each
    glyph's CID equal its glyph ID again, as in the original collection: a PDF
    CIDFontType0 font selects glyphs by CID (ISO 32000-2 §9.7.4.2), and PDF
    writers such as WeasyPrint write glyph IDs there.
    """
    subset_input = hb.SubsetInput()
    subset_input.keep_everything()
    subset_input.sets(hb.SubsetInputSets.GLYPH_INDEX).clear()
    subset_input.flags |= hb.SubsetFlags.CFF_IDENTITY_CHARSET
    return hb.subset(hb.Face(hb.Blob(data)), subset_input).blob.data


def extract_noto_sc(source: Source) -> bytes:
    """The Simplified Chinese member of a Noto CJK collection, as an OTF."""
    collection = TTCollection(str(source.path), lazy=True)
    font = _member(collection, source.member_family)
    # Keep head.modified and the stored bounding boxes: bytes must not depend
    # on the day the script runs.
    font.recalcTimestamp = False
    font.recalcBBoxes = False
    if source.prune:
        _keep_sc_language_systems(font)
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=False)
    data = buffer.getvalue()
    if source.prune:
        wanted = set(font.getBestCmap())
        data = _drop_unreachable_glyphs(data)
        kept = set(TTFont(io.BytesIO(data), lazy=True).getBestCmap())
        if kept != wanted:  # the pruning must never cost a character
            raise SystemExit(f"{source.out_name}: cmap changed by pruning")
    return data


def extract_marks(marks: Marks, source: Source) -> bytes:
    """The TC member's glyphs for ``CENTRED_MARKS``, as a small OTF: cmap, outlines,
    metrics and names (the copyright and licence records kept); no layout tables.
    The identity charset makes each glyph's CID its glyph ID, as in the SC files."""
    collection = TTCollection(str(source.path), lazy=True)
    index = collection.fonts.index(_member(collection, marks.member_family))
    subset_input = hb.SubsetInput()
    subset_input.unicode_set.update(ord(char) for char in CENTRED_MARKS)
    subset_input.sets(hb.SubsetInputSets.LAYOUT_FEATURE_TAG).clear()
    subset_input.sets(hb.SubsetInputSets.NAME_ID).update((0, 1, 2, 3, 4, 5, 6, 13, 14))
    subset_input.flags |= hb.SubsetFlags.CFF_IDENTITY_CHARSET
    face = hb.Face(hb.Blob.from_file_path(str(source.path)), index)
    data = hb.subset(face, subset_input).blob.data
    if set(TTFont(io.BytesIO(data), lazy=True).getBestCmap()) != set(map(ord, CENTRED_MARKS)):
        raise SystemExit(f"{marks.out_name}: the TC member lacks some of {CENTRED_MARKS}")
    return data


def build_file(source: Source) -> bytes:
    """The bytes of one vendored font file."""
    if source.member_family is None:
        return source.path.read_bytes()
    return extract_noto_sc(source)


def _name(data: bytes, name_id: int) -> str:
    """A name-table string of a font given as bytes."""
    return TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(name_id) or ""


def _upstream_version(data: bytes) -> str:
    """'2.001' from 'Version 2.001;hotconv 1.1.0;...' (name ID 5)."""
    return _name(data, 5).removeprefix("Version ").split(";")[0].strip()


def _origin(source: Source, data: bytes, modified: bool) -> dict:
    """What a built file is and where it comes from (the records' shared middle)."""
    return {
        "font_family": _name(data, 1),  # the family inside the file (name ID 1)
        "postscript_name": _name(data, 6),
        "upstream_version": _upstream_version(data),
        "source_package": source.package,
        "source_package_version": source.package_version,
        "source_file": str(source.path),
        "source_sha256": sha256_bytes(source.path.read_bytes()),
        "modified": modified,
        "sha256": sha256_bytes(data),
        "size": len(data),
        "licence": "OFL-1.1",
    }


def manifest_entry(source: Source, data: bytes) -> dict:
    """The manifest record for one built file."""
    return {
        "file": source.out_name,
        "css_family": source.css_family,
        "weight": source.weight,
        "style": "normal",
        **_origin(source, data, source.prune),
        "reserved_font_names": list(source.reserved_font_names),
    }


def marks_entry(marks: Marks, source: Source, data: bytes) -> dict:
    """The manifest record for one file of centred marks."""
    return {
        "file": marks.out_name,
        "for": marks.for_file,
        "characters": CENTRED_MARKS,
        **_origin(source, data, True),
    }


def _ofl_body() -> str:
    """The OFL 1.1 text, from Debian's machine-readable copyright file."""
    lines = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").splitlines()
    # The stand-alone "License: SIL-1.1" stanza, not the one-line field of
    # the "Files: *" stanza: it is the one followed by indented text.
    start = next(i + 1 for i, line in enumerate(lines[:-1])
                 if line == "License: SIL-1.1" and lines[i + 1].startswith(" "))
    body = []
    for line in lines[start:]:
        if not line.startswith(" "):  # the next stanza
            break
        body.append("" if line == " ." else line[1:])
    return "\n".join(body).strip() + "\n"


def ofl_text(built: dict[str, bytes]) -> str:
    """OFL.txt: each family's copyright notice (name ID 0), then the licence."""
    notices = []
    seen = set()
    for source in SOURCES:
        data = built[source.out_name]
        family = _name(data, 1)
        if family in seen:
            continue
        seen.add(family)
        rfn = (", with Reserved Font Names " + " and ".join(
            f'"{name}"' for name in source.reserved_font_names)
            if source.reserved_font_names else "")
        notices.append(
            f"{family} ({source.package} {source.package_version}):\n"
            f"{_name(data, 0).replace(chr(13), '')}{rfn}\n")
    return (
        "Fonts in this directory, and the subsets paiban makes of them, are\n"
        "licensed under the SIL Open Font License, Version 1.1, below.\n"
        "Noto Serif/Sans CJK SC are Modified Versions (non-SC language systems and\n"
        "the glyphs only they reach removed by fonts/make_fonts.py); the *-marks.otf\n"
        "files are Modified Versions of Noto Serif/Sans CJK TC (subsets to eight\n"
        "punctuation marks); LXGW WenKai is unmodified.\n\n"
        + "\n".join(notices) + "\n" + _ofl_body())


def build(out_dir: Path) -> list[dict]:
    """Write every font file, OFL.txt and manifest.yaml into ``out_dir``."""
    for source in SOURCES:
        installed = package_version(source.package)
        if installed != source.package_version:
            # Another version means other bytes: the manifest would lie.
            raise SystemExit(
                f"{source.package} is {installed}, make_fonts.py expects "
                f"{source.package_version}; update SOURCES and re-run")
    built = {source.out_name: build_file(source) for source in SOURCES}
    entries = []
    for source in SOURCES:
        (out_dir / source.out_name).write_bytes(built[source.out_name])
        entries.append(manifest_entry(source, built[source.out_name]))
    by_name = {source.out_name: source for source in SOURCES}
    marks_entries = []
    for marks in MARKS:
        data = extract_marks(marks, by_name[marks.for_file])
        (out_dir / marks.out_name).write_bytes(data)
        marks_entries.append(marks_entry(marks, by_name[marks.for_file], data))
    total = sum(entry["size"] for entry in entries + marks_entries)
    if total > BUDGET_BYTES:
        raise SystemExit(f"fonts total {total} bytes, over the {BUDGET_BYTES} budget")
    (out_dir / "OFL.txt").write_text(ofl_text(built), encoding="utf-8")
    manifest = {
        "comment": "Written by fonts/make_fonts.py; do not edit by hand.",
        "tools": {
            "fonttools": fontTools.version,
            "uharfbuzz": hb.__version__,
            "harfbuzz": hb.version_string(),
        },
        "total_size": total,
        "faces": entries,
        # Not faces of their own: pipeline/fonts.py puts these glyphs in the subsets
        # of the face named by 'for' when an edition is in traditional characters.
        "centred_marks": marks_entries,
    }
    (out_dir / "manifest.yaml").write_text(
        yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return entries


def check() -> bool:
    """Rebuild into a scratch directory; True if every file matches fonts/."""
    scratch = Path(tempfile.mkdtemp(prefix="paiban-fonts-"))
    try:
        build(scratch)
        names = ([s.out_name for s in SOURCES] + [m.out_name for m in MARKS]
                 + ["OFL.txt", "manifest.yaml"])
        _, mismatch, errors = filecmp.cmpfiles(HERE, scratch, names, shallow=False)
        for name in mismatch + errors:
            print(f"differs: {name}", file=sys.stderr)
        return not (mismatch or errors)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    """CLI entry point: build into fonts/, or --check that a rebuild matches."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a scratch directory and compare with fonts/")
    args = parser.parse_args()
    if args.check:
        same = check()
        print("reproducible: identical bytes" if same else "NOT reproducible")
        return 0 if same else 1
    for entry in build(HERE):
        print(f"{entry['file']:28} {entry['size']:>10} {entry['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
