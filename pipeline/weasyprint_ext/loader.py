"""weasyprint_ext.loader: import WeasyPrint without paying for its library hunt.

In: the file to memoize library look-ups in (``build/cache/libraries.json``).
Out: ``import_weasyprint`` — the ``weasyprint`` module, imported once per process.

Two costs of ``import weasyprint`` (70) that a paiban build never needs:

* WeasyPrint opens GObject, Pango, HarfBuzz, fontconfig and PangoFT2 by trying a
  list of names for each ("libgobject-2.0-0", "gobject-2.0-0", …,
  "libgobject-2.0.so.0").  cffi hands every name that is not a loadable file to
  ``ctypes.util.find_library``, which on Linux runs ``ldconfig -p`` and then
  ``gcc`` as subprocesses: 22 look-ups, about 0.25 s of a 1.8 s build.  Their
  answers depend only on the machine's libraries, so they are memoized on disk,
  keyed by the dynamic linker's cache (installing or removing a library rewrites
  ``/etc/ld.so.cache``) and ``LD_LIBRARY_PATH``.  Where there is no linker cache
  to key on (macOS, musl), nothing is memoized.
* ``weasyprint.pdf.fonts`` imports ``fontTools.subset`` (~0.07 s) to subset
  embedded fonts; paiban embeds its own HarfBuzz subsets as they are
  (``weasyprint_ext.patches.embed_subsets_as_is``), so the module is loaded lazily
  (``importlib.util.LazyLoader``): on first use, if ever.  It also imports
  ``instantiateVariableFont`` from ``fontTools.varLib.instancer`` (~0.04 s with
  the variable-font machinery it pulls in) for variable fonts, which paiban's
  faces are not: that name is a stand-in that loads the module when called
  (``_deferred``).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import threading
from contextlib import suppress
from pathlib import Path
from types import ModuleType

#: What the memoized answers depend on besides the library name.
_LINKER_CACHE = Path("/etc/ld.so.cache")
_lock = threading.Lock()


def _machine_key() -> str | None:
    """The identity of the linker's view of the machine, or None if it has none."""
    try:
        st = _LINKER_CACHE.stat()
    except OSError:
        return None
    return (f"{sys.platform};{st.st_size};{st.st_mtime_ns};"
            f"{os.environ.get('LD_LIBRARY_PATH', '')}")


def _read_memo(memo: Path, machine: str) -> dict[str, str | None]:
    """The memoized answers, or {} when the file is missing, broken or stale."""
    with suppress(OSError, ValueError):
        stored = json.loads(memo.read_text(encoding="utf-8"))
        if isinstance(stored, dict) and stored.get("machine") == machine:
            answers = stored.get("find_library")
            if isinstance(answers, dict):
                return answers
    return {}


def _write_memo(memo: Path, machine: str, answers: dict[str, str | None]) -> None:
    """Store the answers (atomically; a failure only costs the next build the look-ups)."""
    with suppress(OSError):
        memo.parent.mkdir(parents=True, exist_ok=True)
        temp = memo.with_name(f".{memo.name}.{os.getpid()}.part")
        temp.write_text(json.dumps({"machine": machine, "find_library": answers},
                                   sort_keys=True), encoding="utf-8")
        os.replace(temp, memo)


def _lazy(name: str) -> None:
    """Put ``name`` in ``sys.modules`` as a module that loads on first attribute use."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(importlib.import_module(parent), child, module)


def _deferred(name: str, function: str) -> None:
    """Put a stand-in for module ``name`` in ``sys.modules`` whose ``function`` loads
    the real module when called (``from name import function`` no longer loads it);
    any other attribute loads it at once.  The real module then replaces the stand-in."""
    if name in sys.modules or importlib.util.find_spec(name.rpartition(".")[0]) is None:
        return
    stand_in = ModuleType(name)

    def real() -> ModuleType:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return importlib.import_module(name)

    def call(*args: object, **kwargs: object) -> object:
        return getattr(real(), function)(*args, **kwargs)

    def attribute(attribute: str) -> object:
        if attribute.startswith("__"):  # the import system's questions (__path__ …)
            raise AttributeError(attribute)
        return getattr(real(), attribute)

    setattr(stand_in, function, call)
    stand_in.__getattr__ = attribute  # type: ignore[attr-defined]
    sys.modules[name] = stand_in


def import_weasyprint(memo: Path | None = None) -> ModuleType:
    """``import weasyprint``, with library look-ups memoized in ``memo``.

    Safe to call from several threads (the preloading thread and the main one):
    ``find_library`` is swapped only while the first caller imports.
    """
    with _lock:
        if "weasyprint" in sys.modules:
            return sys.modules["weasyprint"]
        machine = _machine_key() if memo is not None else None
        answers = _read_memo(memo, machine) if machine else {}
        known = dict(answers)
        import ctypes.util

        original = ctypes.util.find_library

        def find_library(name: str) -> str | None:
            if name not in answers:
                answers[name] = original(name)
            return answers[name]

        _lazy("fontTools.subset")
        _deferred("fontTools.varLib.instancer", "instantiateVariableFont")
        if machine:
            ctypes.util.find_library = find_library
        try:
            import weasyprint
        finally:
            ctypes.util.find_library = original
        if machine and answers != known:
            _write_memo(memo, machine, answers)
        return weasyprint
