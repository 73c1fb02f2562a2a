"""site: the built editions -> a static download site and an OPDS catalog.

In:  the seeds of editions already built into ``dist/`` (``<slug>.pdf`` and
     ``<slug>.epub``, by ``emit.build``), and each edition's model from
     ``stages.model``: the site reads the model, never the text.
Out: ``build_site`` writes ``dist/site/`` and returns its path:

    index.html            every edition, newest first: paper, date and weekday,
                          article count, first headlines, downloads (size, SHA-256)
    opds.xml              an OPDS 1.2 acquisition feed (Atom) of the same editions
    SHA256SUMS            every edition file, for ``sha256sum -c SHA256SUMS``
    site.css
    <slug>/index.html     one edition: cover, downloads, table of contents
    <slug>/<slug>.pdf     the print edition and the e-book, copied from dist/
    <slug>/<slug>.epub
    <slug>/cover.png      the e-book's cover image, taken from the EPUB
    <slug>/thumbnail.png  the same, small (library views, the download page)

The pages and the feed are the Jinja2 templates of ``layouts/site/``, rendered
by the one autoescaping environment (``render.environment``): headline text that
looks like markup stays text.  Links are relative and name files (``index.html``,
never a bare folder), so the folder works from any static server and from disk;
no page needs JavaScript.  A rebuild gives the same bytes: the feed's times come
from the editions' dates and ``SOURCE_DATE_EPOCH``, never the clock.

Files are written atomically, the editions' files first and ``index.html`` and
``opds.xml`` last, so a reader never follows a link to a file not yet there;
files of editions no longer listed are then removed.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import posixpath
import re
import uuid
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from PIL import Image

from . import output, render, stages
from .cover import render_cover
from .emit.epub import article_title, build_time, section_heads
from .errors import BuildError, InputError
from .fonts import load_manifest
from .model import Edition, Meta

log = logging.getLogger("paiban")

#: The folder of the site inside ``dist/``.
SITE_DIR = "site"
#: The editions' files, in the order the pages list them: (format, media type).
FORMATS = (("pdf", "application/pdf"), ("epub", "application/epub+zip"))
#: The media type of an OPDS acquisition feed (OPDS 1.2 §2.2 "Acquisition Feeds").
CATALOG_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
#: How many headlines the index shows for each edition.
FIRST_HEADLINES = 3
#: The thumbnail's box in pixels: 120 CSS px wide on a 2x phone screen.
THUMBNAIL_BOX = (240, 480)
#: The thumbnail's palette size (a drawn cover needs few colours; see ``thumbnail``).
THUMBNAIL_COLOURS = 64
#: Raster cover types, and the extension the site gives the file.
COVER_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
               "image/webp": ".webp"}
#: A slug is a folder name and a URL path segment that needs no escaping.
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*")
#: Names at the top of the site that no edition's folder may take.
_RESERVED = frozenset({"index.html", "opds.xml", "site.css", "SHA256SUMS"})
#: What the site writes, by suffix: stale files of these kinds are removed.
_OURS = frozenset({".html", ".xml", ".css", ".pdf", ".epub", ".part", *COVER_TYPES.values()})
# An IRI scheme (RFC 3987): an identifier without one cannot be an atom:id as it is.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_OCF = {"c": "urn:oasis:names:tc:opendocument:xmlns:container"}
_OPF = {"opf": "http://www.idpf.org/2007/opf"}


# --- what the site shows ---------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """One file of an edition, as the pages and the feed offer it."""

    format: str  # "pdf" or "epub": the templates' key for its label
    href: str  # relative to the site folder
    media_type: str
    size: int  # bytes
    sha256: str  # hex digest

    @property
    def size_text(self) -> str:
        """The size for people: ``412 kB``, ``2.4 MB`` (SI units, as ``ls --si``)."""
        if self.size < 1000:
            return f"{self.size} B"
        if self.size < 1_000_000:
            return f"{self.size / 1000:.0f} kB"
        return f"{self.size / 1_000_000:.1f} MB"


@dataclass(frozen=True)
class Picture:
    """An image file of the site with its pixel size (for ``width``/``height``)."""

    href: str  # relative to the site folder
    media_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Contents:
    """One article in an edition's table of contents."""

    title: str  # as the e-book's contents name it (``epub.article_title``)
    label: tuple[str, ...]  # column label (栏目)
    kicker: str  # shown only beside real title lines: an untitled article
    subtitle: str  # is named by these, and they would show twice
    heads: tuple[str, ...]  # its subheads and run-in section heads


@dataclass(frozen=True)
class Listing:
    """One edition as the site lists it."""

    meta: Meta
    id: str  # the feed entry's atom:id
    date_line: str  # 2022年3月31日 星期四, or ""
    published: str  # RFC 3339, or "" when the edition is undated
    updated: str  # RFC 3339
    page: str  # its page, relative to the site folder
    downloads: tuple[Download, ...]
    cover: Picture
    thumbnail: Picture
    contents: tuple[Contents, ...]

    @property
    def headlines(self) -> tuple[str, ...]:
        """The titles of the edition's first articles."""
        return tuple(entry.title for entry in self.contents[:FIRST_HEADLINES])


@dataclass(frozen=True)
class Catalog:
    """What the feed says of itself: a stable id, its time, its papers and publishers."""

    id: str
    updated: str
    papers: tuple[str, ...]
    publishers: tuple[str, ...]


# --- the model's part ----------------------------------------------------------------


def contents(edition: Edition) -> tuple[Contents, ...]:
    """The edition's table of contents as the e-book's navigation has it: every
    article, named as there, with its subheads and run-in section heads."""
    entries = []
    for index, article in enumerate(edition.articles):
        head = article.headline
        titled = bool(head.titles)
        entries.append(Contents(
            title=article_title(article, index), label=article.label,
            kicker=head.kicker if titled else "", subtitle=head.subtitle if titled else "",
            heads=tuple(label for _, label in section_heads(article, index))))
    return tuple(entries)


def _rfc3339(moment: datetime.datetime) -> str:
    """``moment`` as an RFC 3339 UTC time (Atom's date construct, RFC 4287 §3.3)."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_times(meta: Meta, revision: str = "") -> tuple[str, str]:
    """(published, updated) of an edition's feed entry, RFC 3339, never the clock.

    Published is the edition's date (midnight UTC; "" if undated).  Updated is
    the e-book's own ``dcterms:modified`` (``epub.build_time`` of the edition's
    ``revision``), or the date when that is earlier: an entry is not updated
    before it is published.
    """
    built = build_time(meta, revision)
    created, _ = render.document_dates(meta)
    if not created:
        return "", _rfc3339(built)
    day = datetime.datetime.fromisoformat(created).replace(tzinfo=datetime.timezone.utc)
    return _rfc3339(day), _rfc3339(max(built, day))


def entry_id(meta: Meta) -> str:
    """The atom:id of an edition: its identifier (``urn:uuid:…``), which never changes.

    An identifier that is not an IRI (no scheme) becomes a name-based UUID of it.
    """
    if _SCHEME.fullmatch(meta.identifier):
        return meta.identifier
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'paiban:{meta.identifier or meta.slug}')}"


def catalog(listings: Sequence[Listing]) -> Catalog:
    """The feed's own metadata (``listings`` not empty); updated is its latest entry's.

    Its id is a name-based UUID of the papers it carries, not of the editions'
    identifiers: a new edition must not change the feed's id, or reading apps
    would take it for another feed (RFC 4287 §4.2.6: an id is permanent).
    """
    papers = tuple(dict.fromkeys(item.meta.paper for item in listings if item.meta.paper))
    publishers = tuple(dict.fromkeys(
        item.meta.publisher or item.meta.paper for item in listings
        if item.meta.publisher or item.meta.paper))
    name = "paiban:catalog:" + "|".join(sorted(papers))
    return Catalog(id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
                   updated=max(item.updated for item in listings),
                   papers=papers, publishers=publishers)


# --- covers -----------------------------------------------------------------------------


def epub_cover(data: bytes) -> tuple[bytes, str] | None:
    """The cover image of an EPUB (bytes, media type); None if it names no raster cover.

    The cover is the manifest item with ``properties="cover-image"`` (EPUB 3.3),
    or the one the EPUB 2 ``<meta name="cover">`` points at.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            container = ElementTree.fromstring(book.read("META-INF/container.xml"))
            rootfile = container.find(".//c:rootfile", _OCF)
            if rootfile is None:
                return None
            package_path = rootfile.get("full-path", "")
            package = ElementTree.fromstring(book.read(package_path))
            items = package.findall("opf:manifest/opf:item", _OPF)
            legacy = package.find("opf:metadata/opf:meta[@name='cover']", _OPF)
            cover = next((item for item in items
                          if "cover-image" in item.get("properties", "").split()), None)
            if cover is None and legacy is not None:
                cover = next((item for item in items
                              if item.get("id") == legacy.get("content")), None)
            if cover is None or cover.get("media-type") not in COVER_TYPES:
                return None
            # An href is a URL relative to the package document (EPUB 3.3, "Manifest").
            name = posixpath.normpath(posixpath.join(
                posixpath.dirname(package_path), unquote(cover.get("href", ""))))
            return book.read(name), cover.get("media-type")
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, RuntimeError,
            zlib.error) as error:
        raise BuildError(f"not a readable EPUB ({error})") from None


def thumbnail(image: bytes) -> tuple[bytes, tuple[int, int]]:
    """A small PNG of ``image`` within ``THUMBNAIL_BOX``, and its size in pixels.

    ``BuildError`` if Pillow cannot read the image.
    """
    try:
        with Image.open(io.BytesIO(image)) as source:
            small = source.convert("RGB")
    except (OSError, Image.DecompressionBombError) as error:
        raise BuildError(f"the cover image cannot be read ({error})") from None
    small.thumbnail(THUMBNAIL_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A palette of 64 colours keeps a drawn cover's type crisp at a quarter of the
    # RGB file's size; Pillow writes no time into a PNG.
    small.quantize(THUMBNAIL_COLOURS).save(out, "PNG", optimize=True)
    return out.getvalue(), small.size


def _size(image: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(image)) as opened:
        return opened.size


# --- writing ----------------------------------------------------------------------------


class _Writer:
    """Writes files under the site folder atomically and remembers which."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.written: set[Path] = set()

    def write(self, href: str, data: bytes) -> None:
        path = self.site / href
        output.write_atomic(path, data)
        self.written.add(path)

    def prune(self) -> None:
        """Remove what an earlier build wrote and this one did not, then empty folders."""
        try:
            for path in sorted(self.site.rglob("*"), reverse=True):
                if path.is_file() and path not in self.written and (
                        path.suffix in _OURS or path.name == "SHA256SUMS"):
                    log.info("removed %s (no longer listed)", path)
                    path.unlink()
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
        except OSError as error:
            raise BuildError(f"cannot remove an old file: {error.strerror or error}",
                             str(error.filename or self.site)) from None


def _render(name: str, **context: object) -> bytes:
    """A template of ``layouts/site/`` rendered to UTF-8 bytes ending in a newline."""
    text = render.environment().get_template(f"site/{name}").render(**context)
    return (text.rstrip("\n") + "\n").encode("utf-8")


def _shown(path: Path, root: Path) -> str:
    """``path`` as the user named it: relative to the project when inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _check_slugs(editions: Sequence[Edition]) -> None:
    """``InputError`` unless every slug is a safe, unused folder name and no two
    editions share an identifier (a feed's entries with one id are one entry)."""
    seen: dict[str, str] = {}
    for edition in editions:
        slug, ident = edition.meta.slug, entry_id(edition.meta)
        if not _SLUG.fullmatch(slug) or slug in _RESERVED:
            raise InputError(f"the slug {slug!r} cannot name a folder of the site "
                             "(use lower-case letters, digits, '.', '_' and '-')")
        if slug in seen:
            raise InputError(f"two editions have the slug {slug!r}")
        if ident in seen.values():
            raise InputError(f"two editions have the identifier {ident!r}")
        seen[slug] = ident


def _check_built(editions: Sequence[Edition], dist: Path, root: Path) -> None:
    """``InputError`` naming the first edition file not built, before anything is written."""
    for edition in editions:
        for format, _ in FORMATS:
            path = dist / f"{edition.meta.slug}.{format}"
            if not path.is_file():
                raise InputError(f"the {format.upper()} edition is not built; "
                                 "run make all first", _shown(path, root))


def _listing(edition: Edition, dist: Path, root: Path, out: _Writer) -> Listing:
    """Copy one edition's files into the site; its listing."""
    meta = edition.meta
    slug = meta.slug
    files = {}
    for format, _ in FORMATS:
        path = dist / f"{slug}.{format}"
        try:
            files[format] = path.read_bytes()
        except OSError as error:
            raise BuildError(f"cannot read the file: {error.strerror or error}",
                             _shown(path, root)) from None
    downloads = []
    for format, media_type in FORMATS:
        href = f"{slug}/{slug}.{format}"
        out.write(href, files[format])
        downloads.append(Download(format, href, media_type, len(files[format]),
                                  hashlib.sha256(files[format]).hexdigest()))
    where = _shown(dist / f"{slug}.epub", root)
    try:
        found = epub_cover(files["epub"])
    except BuildError as error:
        raise BuildError(error.message, where) from None
    if found is None:  # a book without a raster cover: draw the one the e-book would have
        found = render_cover(meta, load_manifest(root / "fonts")), "image/png"
    cover, cover_type = found
    try:
        small, small_size = thumbnail(cover)
    except BuildError as error:
        raise BuildError(error.message, where) from None
    cover_href = f"{slug}/cover{COVER_TYPES[cover_type]}"
    out.write(cover_href, cover)
    out.write(f"{slug}/thumbnail.png", small)
    published, updated = feed_times(meta, render.revision(edition))
    return Listing(
        meta=meta, id=entry_id(meta), date_line=render.date_line(meta),
        published=published, updated=updated, page=f"{slug}/index.html",
        downloads=tuple(downloads),
        cover=Picture(cover_href, cover_type, *_size(cover)),
        thumbnail=Picture(f"{slug}/thumbnail.png", "image/png", *small_size),
        contents=contents(edition))


def write_site(editions: Sequence[Edition], dist: Path, *,
               root: Path = render.LAYOUTS.parent) -> Path:
    """The site of ``editions``, whose files are built in ``dist``; return ``dist/site``.

    ``root`` is the project folder: its ``fonts/`` draw a cover for an e-book
    that has none, and paths in messages are shown relative to it.
    ``InputError`` (exit 2) when an edition's files are not built.
    """
    if not editions:
        raise InputError("no editions to put on the site")
    _check_slugs(editions)
    _check_built(editions, dist, root)
    site = dist / SITE_DIR
    out = _Writer(site)
    log.info("Step 6 - Assembling the download site in %s", _shown(site, root))
    listings = sorted((_listing(edition, dist, root, out) for edition in editions),
                      key=lambda item: (item.meta.date, item.meta.slug), reverse=True)
    feed = catalog(listings)
    context = {"editions": listings, "catalog": feed, "catalog_type": CATALOG_TYPE}
    for item in listings:
        out.write(item.page, _render("edition.html.j2", base="../", entry=item, **context))
    out.write("site.css", (render.LAYOUTS / "site" / "site.css").read_bytes())
    out.write("SHA256SUMS", "".join(
        f"{file.sha256}  {file.href}\n" for item in listings for file in item.downloads
    ).encode("utf-8"))
    out.write("opds.xml", _render("opds.xml.j2", **context))
    out.write("index.html", _render("index.html.j2", base="", **context))
    out.prune()
    return site


def build_site(seeds: list[stages.Seed], dist: Path) -> Path:
    """The download site of the seeds' built editions in ``dist``; return ``dist/site``.

    A relative ``dist`` is taken from the project folder, as ``emit.build`` does.
    """
    if not seeds:
        raise InputError("no seeds given")
    root = seeds[0].root
    dist = dist if dist.is_absolute() else root / dist
    editions = [stages.model(seed)[0].edition for seed in seeds]
    return write_site(editions, dist, root=root)


__all__ = ["SITE_DIR", "FORMATS", "CATALOG_TYPE", "Download", "Picture", "Contents",
           "Listing", "Catalog", "contents", "feed_times", "entry_id", "catalog",
           "epub_cover", "thumbnail", "write_site", "build_site"]
