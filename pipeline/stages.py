"""The stage order, declared once.

In: a seed path (``seeds/<name>.txt``) and the project root.
Out: the products of each stage: ``Source`` (decode), ``Normalized``
(normalize), and — through ``emit`` — the editions' files.

This is the single place that says what runs in what order (like
markdown-it's core rule list); the CLI and the tests call these functions,
never the stages' internals in their own order.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .decode import Source, decode
from .errors import InputError
from .normalize import Normalized, normalize
from .settings import Sidecar, load_sidecar

log = logging.getLogger("paiban")

# Inputs larger than this are refused before decoding (a day's paper is ~20 kB).
MAX_INPUT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Seed:
    """One edition's inputs: the text file, its sidecar and the project root."""

    text: Path
    sidecar: Path
    root: Path

    @property
    def name(self) -> str:
        """The file stem, used as the default slug."""
        return self.text.stem


def locate(path: Path, root: Path) -> Seed:
    """The seed at ``path``; ``InputError`` if it is missing or outside the project."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise InputError("the input is outside the project folder", str(path))
    if not resolved.is_file():
        raise InputError("no such file", str(path))
    return Seed(resolved, resolved.with_suffix(".yaml"), root.resolve())


def read(seed: Seed) -> Source:
    """Stage 1, decode: the seed's bytes as text."""
    size = seed.text.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(f"the file is {size} bytes; the limit is {MAX_INPUT_BYTES}", str(seed.text))
    log.info("Step 1 - Decoding %s", seed.text.name)
    return decode(seed.text.read_bytes(), str(seed.text))


def settings(seed: Seed) -> Sidecar:
    """The seed's sidecar (defaults when there is none)."""
    return load_sidecar(seed.sidecar, seed.root)


def model(seed: Seed) -> tuple[Normalized, Sidecar]:
    """Stages 1-2, decode and normalize: the edition model and its diagnostics."""
    sidecar = settings(seed)
    source = read(seed)
    log.info("Step 2 - Normalizing")
    return normalize(source, sidecar, seed.name), sidecar


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    A failed or interrupted build leaves no partial file and keeps the previous
    good one: the rename is the only step that touches ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
