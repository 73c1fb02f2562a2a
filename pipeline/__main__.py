"""The command line: ``paiban model|review|build|dist|bench …`` — a thin layer over ``stages``.

In: arguments.  Out: files under ``build/`` and ``dist/``, diagnostics on
stderr, and an exit code: 0 built, 1 build failed, 2 bad input or usage, 130
stopped by Ctrl-C.
Expected failures print one line (``paiban: <file>: <problem>``), never a
traceback.  ``build`` of many seeds: see ``pipeline.batch`` (exit 2 only when
every failure was bad input).

Imports are late on purpose: ``paiban build`` with every edition up to date
must answer in a few hundredths of a second, so it loads neither the
normalizer nor WeasyPrint.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import EXIT_INTERRUPTED, EXIT_OK, PaibanError

ROOT = Path.cwd()


def _model(args: argparse.Namespace) -> int:
    from . import output, stages
    from .diagnostics import explain
    from .model_yaml import dump

    for path in args.seeds:
        seed = stages.locate(Path(path), ROOT)
        normalized, _ = stages.model(seed)
        out = Path(args.out) / f"{normalized.edition.meta.slug}.yaml"
        output.write_atomic(out, dump(normalized.edition).encode("utf-8"))
        if args.explain:
            print(explain(normalized.diagnostics, str(path)), file=sys.stderr)
        print(f"{out}  ({len(normalized.edition.articles)} articles, "
              f"{len(normalized.diagnostics)} diagnostics)")
    return EXIT_OK


def _review(args: argparse.Namespace) -> int:
    from . import output, review, stages

    for path in args.seeds:
        seed = stages.locate(Path(path), ROOT)
        source = stages.read(seed)
        normalized, _ = stages.model(seed, source)
        page = review.review(source, normalized, seed.text.name)
        out = Path(args.out) / f"{normalized.edition.meta.slug}.review.html"
        output.write_atomic(out, review.render(page, ROOT).encode("utf-8"))
        print(f"{out}  ({len(page.headlines)} articles, {page.doubts} doubts)")
    return EXIT_OK


def _emit(args: argparse.Namespace) -> int:
    from . import batch

    progress = args.progress if args.progress is not None else (
        sys.stderr.isatty() or len(args.seeds) > 1 or args.jobs != 1)
    summary = batch.run(args.seeds, ROOT, args.formats, Path(args.out), jobs=args.jobs,
                        force=args.force, progress=progress and not args.quiet,
                        verbose=args.verbose, dask=args.dask)
    return summary.exit_code


def _dist(args: argparse.Namespace) -> int:
    from . import site, stages, stamp
    from .errors import InputError

    seeds = [stages.locate(Path(path), ROOT) for path in args.seeds]
    for seed, name in zip(seeds, args.seeds):
        # The site shows the seed's headlines beside the built files: files built from
        # an older seed or sidecar (their stamp says so) would not match them.
        built = stamp.read(seed.text, ROOT)
        if built is not None and built.key != stamp.edition_key(seed.text, ROOT):
            raise InputError("changed since its editions were built; run paiban build "
                             "(make all) first", name)
    print(site.build_site(seeds, Path(args.out)) / "index.html")
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from .measure import bench

    print(bench.run(Path(args.seed), ROOT, args.repeat))
    return EXIT_OK


def _jobs(value: str) -> int:
    """``-j``'s value: a count of editions at once, 0 for one per core."""
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected 0 or a positive number, not {value!r}")
    return int(value)


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
    check = sub.add_parser("review", help="text -> build/<slug>.review.html: every line "
                           "with the role and article it was given, doubts highlighted")
    check.add_argument("seeds", nargs="+")
    check.add_argument("--out", default="build")
    check.set_defaults(run=_review)
    build = sub.add_parser("build", help="text -> dist/<slug>.pdf and .epub")
    build.add_argument("seeds", nargs="+")
    build.add_argument("--out", default="dist")
    build.add_argument("--format", dest="formats", action="append", choices=("pdf", "epub"))
    build.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                       help="build N editions at once, each in its own process (0: one per core)")
    build.add_argument("--force", action="store_true",
                       help="rebuild even the editions whose stamp says they are up to date")
    build.add_argument("--progress", action="store_true", default=None,
                       help="a line per edition and stage on stderr (the default for a "
                            "terminal, several seeds or -j)")
    build.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    build.add_argument("--dask", metavar="ADDRESS",
                       help="run the builds on a Dask cluster: its scheduler's address, or "
                            "'local' for one of -j processes here (needs distributed)")
    build.set_defaults(run=_emit)
    dist = sub.add_parser("dist", help="built editions -> dist/site/ (download page, OPDS feed)")
    dist.add_argument("seeds", nargs="+")
    dist.add_argument("--out", default="dist",
                      help="the folder of the built editions; the site goes in <out>/site")
    dist.set_defaults(run=_dist)
    bench = sub.add_parser("bench", help="time each stage and whole builds -> build/bench.md")
    bench.add_argument("seed")
    bench.add_argument("--repeat", type=int, default=5)
    bench.set_defaults(run=_bench)
    return top


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwound like Ctrl-C, so parts are removed and the print
    process ends with the build."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)
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
    except Stopped as stopped:
        import signal

        print(f"paiban: stopped by {signal.Signals(stopped.signum).name}", file=sys.stderr)
        return 128 + stopped.signum
    except KeyboardInterrupt:
        print("paiban: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
