"""The command line: ``paiban model|build|bench …`` — a thin layer over ``stages``.

In: arguments.  Out: files under ``build/`` and ``dist/``, diagnostics on
stderr, and an exit code: 0 built, 1 build failed, 2 bad input or usage.
Expected failures print one line (``paiban: <file>: <problem>``), never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import threading
from pathlib import Path

from . import stages
from .diagnostics import explain
from .errors import EXIT_BAD_INPUT, EXIT_OK, PaibanError
from .model_yaml import dump

ROOT = Path.cwd()


def _model(args: argparse.Namespace) -> int:
    for path in args.seeds:
        seed = stages.locate(Path(path), ROOT)
        normalized, _ = stages.model(seed)
        out = Path(args.out) / f"{normalized.edition.meta.slug}.yaml"
        stages.write_atomic(out, dump(normalized.edition).encode("utf-8"))
        if args.explain:
            print(explain(normalized.diagnostics, str(path)), file=sys.stderr)
        print(f"{out}  ({len(normalized.edition.articles)} articles, "
              f"{len(normalized.diagnostics)} diagnostics)")
    return EXIT_OK


def _preload_weasyprint() -> None:
    """Import WeasyPrint in a thread while the text is read and fonts subset.

    Its import (~0.5 s, mostly loading Pango through cffi) is a third of a cold
    build; overlapping it with the first stages saves ~0.15 s.  A failure here is
    ignored: the import on the main thread then raises it where it belongs.
    """
    def load() -> None:
        try:
            importlib.import_module("weasyprint")
        except Exception:  # noqa: BLE001 - reported by the main thread's import
            pass

    threading.Thread(target=load, name="preload-weasyprint", daemon=True).start()


def _emit(args: argparse.Namespace) -> int:
    if "pdf" in args.formats or "epub" in args.formats:
        _preload_weasyprint()
    from .emit import build  # imported late: WeasyPrint is slow to import

    for path in args.seeds:
        seed = stages.locate(Path(path), ROOT)
        for out in build.build(seed, formats=args.formats, out_dir=Path(args.out)):
            print(out)
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from . import bench

    print(bench.run(Path(args.seed), ROOT, args.repeat))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the tests and for --help)."""
    top = argparse.ArgumentParser(prog="paiban", description=__doc__.split("\n")[0])
    top.add_argument("-v", "--verbose", action="store_true", help="log each stage")
    sub = top.add_subparsers(dest="command", required=True)
    model = sub.add_parser("model", help="text -> build/<slug>.yaml (the document model)")
    model.add_argument("seeds", nargs="+")
    model.add_argument("--out", default="build")
    model.add_argument("--explain", action="store_true",
                       help="list every diagnostic (repairs, doubts) on stderr")
    model.set_defaults(run=_model)
    build = sub.add_parser("build", help="text -> dist/<slug>.pdf and .epub")
    build.add_argument("seeds", nargs="+")
    build.add_argument("--out", default="dist")
    build.add_argument("--format", dest="formats", action="append", choices=("pdf", "epub"))
    build.set_defaults(run=_emit)
    bench = sub.add_parser("bench", help="time each stage and whole builds -> build/bench.md")
    bench.add_argument("seed")
    bench.add_argument("--repeat", type=int, default=5)
    bench.set_defaults(run=_bench)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s")
    if getattr(args, "formats", None) is None and args.command == "build":
        args.formats = ["pdf", "epub"]
    try:
        return args.run(args)
    except PaibanError as error:
        print(f"paiban: {error.line()}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("paiban: interrupted", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
