"""stamp: is an edition up to date?  Content keys, and the stamps beside the outputs.

In: a seed path, the project root, the formats and output folder asked for.
Out: ``edition_key`` — a SHA-256 of everything that decides an edition's bytes;
``Stamp`` — what the last build of a seed wrote (``build/stamps/seeds/<name>.stamp``);
``stale`` — the formats that need building; ``record`` — the new stamp.

The key covers: the seed's bytes and name, its sidecar's bytes and the photos
the sidecar names, every file of ``layouts/``, ``fonts/manifest.yaml`` (which
holds each font file's SHA-256), the source files of the ``pipeline`` package,
the installed versions of the libraries that lay out and write the files
(``DISTRIBUTIONS``), the Python and zlib versions, and the environment
variables the outputs read (``ENVIRONMENT``).  Not covered: system libraries
(Pango, fontconfig) — after upgrading them, rebuild with ``--force``.

This module is on the fast path of ``make all`` with nothing to do: it uses the
standard library only (the sidecar reader only when a sidecar names photos),
and never imports WeasyPrint or the normalizer.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: Bumped when the key's recipe or the stamp's format changes: every stamp goes stale.
STAMP_VERSION = 1
#: Distributions whose code decides the outputs' bytes (layout, PDF and font
#: writing, the cover image, templates, word segmentation, YAML).
DISTRIBUTIONS = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "pyphen",
                 "fonttools", "uharfbuzz", "pillow", "jinja2", "markupsafe", "jieba", "pyyaml")
#: Environment variables the outputs depend on (the documents' dates).
ENVIRONMENT = ("SOURCE_DATE_EPOCH",)
#: The package whose source is hashed: the code that is running.
PACKAGE = Path(__file__).resolve().parent


def _normalized(name: str) -> str:
    """A distribution name as dist-info folders spell it (PEP 503, with underscores)."""
    return name.lower().replace("-", "_").replace(".", "_")


@functools.cache
def installed_versions() -> tuple[tuple[str, str], ...]:
    """(name, version) of each of ``DISTRIBUTIONS``, "absent" if not installed.

    Read from the ``<name>-<version>.dist-info`` folder names on ``sys.path`` (the
    first wins, as for imports): ``importlib.metadata`` would cost ~30 ms to import.
    """
    wanted = {_normalized(name): name for name in DISTRIBUTIONS}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and "-" in name:
                dist, _, version = name[:-len(".dist-info")].partition("-")
                key = _normalized(dist)
                if key in wanted and key not in found:
                    found[key] = version
    return tuple((name, found.get(_normalized(name), "absent")) for name in DISTRIBUTIONS)


# Files under pipeline/ and layouts/ that no edition is made from.
_NOT_EDITIONS = frozenset({"site", "site.py", "measure"})


def _hash_tree(digest: hashlib._Hash, folder: Path, suffixes: tuple[str, ...] | None) -> None:
    """Feed every file under ``folder`` (sorted; by relative path and bytes) to ``digest``."""
    if not folder.is_dir():
        digest.update(f"no folder {folder.name}\0".encode())
        return
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.relative_to(folder).parts[0] in _NOT_EDITIONS or path.name in _NOT_EDITIONS:
            continue  # the download site's code and pages make no edition's bytes
        if suffixes is None or path.suffix in suffixes:
            digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


@functools.cache
def environment_key(root: Path) -> str:
    """The part of every edition's key that does not depend on the seed."""
    digest = hashlib.sha256(f"paiban stamp {STAMP_VERSION}\0".encode())
    digest.update(f"python {sys.version}; zlib {zlib.ZLIB_RUNTIME_VERSION}\0".encode())
    for name, version in installed_versions():
        digest.update(f"{name}=={version}\0".encode())
    for name in ENVIRONMENT:
        digest.update(f"{name}={os.environ.get(name, '')}\0".encode())
    _hash_tree(digest, PACKAGE, (".py",))
    # The templates rendered are the package's; the characters subset for them are
    # read from the project's (``emit.build.layout_chars``): usually one folder.
    for folder in sorted({PACKAGE.parent / "layouts", root / "layouts"}):
        _hash_tree(digest, folder, None)
    manifest = root / "fonts" / "manifest.yaml"
    digest.update(hashlib.sha256(manifest.read_bytes()).digest() if manifest.is_file()
                  else b"no font manifest")
    return digest.hexdigest()


def _named_files(sidecar: Path, root: Path, data: bytes) -> list[Path]:
    """The files a sidecar names — photos, a fallback font (resolved as ``settings``
    does)."""
    if b"photos" not in data and b"fallback_font" not in data:  # no need to read YAML
        return []
    from .settings import load_sidecar  # may raise InputError: the build reports it

    read = load_sidecar(sidecar, root, check_content=False)  # the build decodes photos
    return [root / photo.path for photo in read.photos] + (
        [root / read.fallback_font] if read.fallback_font else [])


def edition_key(seed: Path, root: Path) -> str:
    """The content key of the editions of ``seed`` (a path inside ``root``).

    Raises ``OSError`` or ``PaibanError`` when an input cannot be read: the
    build, not this check, reports those.
    """
    from .settings import PHOTO_MAX_BYTES, SIDECAR_MAX_BYTES
    from .stages import MAX_INPUT_BYTES

    root = root.resolve()
    seed = seed.resolve()
    sidecar = seed.with_suffix(".yaml")
    digest = hashlib.sha256(environment_key(root).encode())
    digest.update(f"seed {seed.relative_to(root).as_posix()}\0".encode())
    digest.update(_file_digest(seed, MAX_INPUT_BYTES))
    if sidecar.is_file():
        data = _read_bounded(sidecar, SIDECAR_MAX_BYTES)
        digest.update(b"sidecar\0" + hashlib.sha256(data).digest())
        for named in _named_files(sidecar, root, data):
            digest.update(f"file {named.relative_to(root).as_posix()}\0".encode())
            digest.update(_file_digest(named, PHOTO_MAX_BYTES))
    return digest.hexdigest()


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; ``InputError`` before reading if it is over ``limit``."""
    _check_size(path, limit)
    return path.read_bytes()


def _file_digest(path: Path, limit: int) -> bytes:
    """SHA-256 of the file, read in chunks; ``InputError`` before reading it if it is
    over ``limit`` (a 3 GB file is refused by its size, not hashed)."""
    _check_size(path, limit)
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").digest()


def _check_size(path: Path, limit: int) -> None:
    from .errors import InputError

    size = path.stat().st_size
    if size > limit:
        raise InputError(f"the file is {size:,} bytes; the limit is {limit:,}", str(path))


# --- stamps -------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """One written file as the stamp remembers it: a file changed since is stale."""

    path: str  # absolute
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> Output:
        """The record of the file at ``path`` as it is now."""
        st = path.stat()
        return cls(str(path.resolve()), st.st_size, st.st_mtime_ns)

    def intact(self) -> bool:
        """True if the file is still there, as it was written."""
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return st.st_size == self.size and st.st_mtime_ns == self.mtime_ns


@dataclass(frozen=True)
class Stamp:
    """What the last build of one seed made, and from which inputs."""

    seed: str  # relative to the project root
    key: str  # ``edition_key`` of the inputs the outputs were built from
    slug: str
    outputs: Mapping[str, Output] = field(default_factory=dict)  # by format
    stats: Mapping[str, object] = field(default_factory=dict)  # seconds, peak MB, stages


def stamp_path(seed: Path, root: Path) -> Path:
    """Where the stamp of ``seed`` lives: ``build/stamps/<its path in the project>.stamp``."""
    relative = seed.resolve().relative_to(root.resolve()).with_suffix(".stamp")
    return root / "build" / "stamps" / relative


def read(seed: Path, root: Path) -> Stamp | None:
    """The stamp of ``seed``, or None if there is none (or it is unreadable)."""
    try:  # (a seed outside the project has none: ValueError)
        data = json.loads(stamp_path(seed, root).read_text(encoding="utf-8"))
        if data.get("version") != STAMP_VERSION:
            return None
        return Stamp(seed=data["seed"], key=data["key"], slug=data["slug"],
                     outputs={fmt: Output(**rec) for fmt, rec in data["outputs"].items()},
                     stats=data.get("stats", {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def cache_dir(root: Path) -> Path:
    """The folder of intermediate results keyed by content (font subsets apart)."""
    return root / "build" / "cache"


def page_map_path(root: Path, key: str) -> Path:
    """Where the print page map of the inputs with content key ``key`` is cached."""
    return cache_dir(root) / "pages" / f"{key}.json"


def output_path(out_dir: Path, slug: str, fmt: str) -> Path:
    """The file a format is written to: ``<out>/<slug>.<fmt>``."""
    return out_dir / f"{slug}.{fmt}"


def stale(stamp: Stamp | None, seed: Path, root: Path, key: str | None,
          formats: Iterable[str], out_dir: Path) -> list[str]:
    """The formats of ``formats`` that must be (re)built into ``out_dir``.

    A format is up to date when the stamp was made from the same key and the
    same seed, and its file is still where it was written, unchanged.
    """
    formats = list(formats)
    if (stamp is None or key is None or stamp.key != key
            or stamp.seed != seed.resolve().relative_to(root.resolve()).as_posix()):
        return formats
    out_dir = out_dir.resolve()
    return [fmt for fmt in formats
            if not (fmt in stamp.outputs and stamp.outputs[fmt].intact()
                    and Path(stamp.outputs[fmt].path) == output_path(out_dir, stamp.slug, fmt))]


def record(seed: Path, root: Path, key: str, slug: str, written: Mapping[str, Path],
           stats: Mapping[str, object]) -> Stamp:
    """Write the stamp after a build: the new outputs, plus the old ones still valid."""
    old = read(seed, root)
    outputs: dict[str, Output] = {}
    if old is not None and old.key == key and old.slug == slug:
        outputs.update({fmt: out for fmt, out in old.outputs.items() if out.intact()})
    outputs.update({fmt: Output.of(path) for fmt, path in written.items()})
    stamp = Stamp(seed=seed.resolve().relative_to(root.resolve()).as_posix(), key=key,
                  slug=slug, outputs=outputs, stats=dict(stats))
    data = {"version": STAMP_VERSION, "seed": stamp.seed, "key": key, "slug": slug,
            "outputs": {fmt: vars(out) for fmt, out in sorted(outputs.items())},
            "stats": stamp.stats}
    path = stamp_path(seed, root)
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, path)
    except OSError as error:
        # The editions are written and committed: only the record of them is lost,
        # and the next build rebuilds them.  One line, not a traceback; exit 0.
        with contextlib.suppress(OSError):
            temp.unlink()
        print(f"paiban: {path}: cannot record the build ({error.strerror or error}); the "
              "editions were written, the next build will make them again", file=sys.stderr)
    return stamp
