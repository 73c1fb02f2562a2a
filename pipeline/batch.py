"""batch: many editions, built in parallel processes, each only when its inputs changed.

In: seed paths, the project root, the formats and output folder, and how to run
the builds — ``jobs`` worker processes, or any ``concurrent.futures.Executor``.
Out: the editions' files, a stamp per seed (``pipeline.stamp``), progress lines
on stderr (edition, stage, seconds since the edition started), one line
``paiban: <seed>: <problem>`` per failed edition, and an exit code:

* 0 — every edition was built or was already up to date;
* 2 — some failed, and every failure was bad input (``InputError``: unreadable
  text, a broken sidecar, a missing file), so fixing the inputs fixes the batch;
* 1 — some edition failed to build for another reason (fonts, layout, writing,
  a crashed worker, a bug).

One failing edition never stops the others.

Each edition is an independent, pure task, ``build_edition(Job) -> Outcome``:
files in, files out, nothing shared but content-addressed caches written
atomically.  Up to date is decided first, in this process and without
importing WeasyPrint (``stamp.edition_key``).  A single edition to build is
built here, in this process (no worker start-up; with a second process laying
out the pages beside it when a core is idle, ``emit.print_process``).  Several
are built in worker processes forked, one per edition, from a fork server that
has WeasyPrint and the pipeline imported once: memory cannot grow from edition
to edition, and no worker pays the 0.3 s import.  Any executor whose workers can import
``pipeline`` and reach the project's files (a Dask ``Client.get_executor()``)
can run the same tasks instead.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import stamp
from .errors import EXIT_BAD_INPUT, EXIT_BUILD_FAILED, EXIT_OK, InputError, PaibanError

if TYPE_CHECKING:  # multiprocessing and concurrent.futures load only when there is work
    from concurrent.futures import Executor, ProcessPoolExecutor

#: The module the fork server imports before forking workers (see preload.py).
PRELOAD = "pipeline.preload"


@dataclass(frozen=True)
class Job:
    """One edition to build: what a worker needs, all of it picklable."""

    seed: str  # absolute path of the seed text
    name: str  # the seed as the user named it, for messages
    root: str  # the project root (absolute)
    formats: tuple[str, ...]
    out_dir: str  # absolute
    key: str | None  # stamp.edition_key, None if the inputs could not be read
    label: str = ""  # "[2/30] seeds/x.txt", for progress lines
    progress: bool = False  # write a line per stage to stderr
    verbose: bool = False  # a bug's traceback on stderr
    parallel: bool = False  # lay out and write the PDF in a second process (a core is idle)


@dataclass(frozen=True)
class Outcome:
    """What became of one edition."""

    name: str
    written: tuple[str, ...] = ()
    error: str = ""  # the one-line message, "" when built
    exit_code: int = EXIT_OK
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of the process that built it (and its children)
    peak_mb: float = 0.0  # peak resident memory of the largest process that built it
    stages: tuple[tuple[str, float], ...] = ()  # (stage, seconds after the start)
    up_to_date: bool = False


@dataclass
class Summary:
    """The batch's outcomes, in the order the seeds were given."""

    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0, or 2 if every failure was bad input, else 1 (see the module docstring)."""
        codes = {outcome.exit_code for outcome in self.outcomes} - {EXIT_OK}
        if not codes:
            return EXIT_OK
        return EXIT_BAD_INPUT if codes == {EXIT_BAD_INPUT} else EXIT_BUILD_FAILED


def _say(line: str) -> None:
    """One progress line on stderr, in one write: lines of parallel workers never mix."""
    os.write(2, (line + "\n").encode("utf-8", "replace"))


def _usage() -> tuple[float, float]:
    """CPU seconds of this process and its waited-for children; peak RSS in MB."""
    import resource

    me, children = (resource.getrusage(who) for who in
                    (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    peak = max(me.ru_maxrss, children.ru_maxrss)  # KB on Linux, bytes on macOS
    return cpu, peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _shown(where: str, job: Job) -> str:
    """The file an error names, as the user would: the seed as given, else relative."""
    if not where or where == job.seed:
        return job.name
    path = Path(where)
    return str(path.relative_to(job.root)) if path.is_relative_to(job.root) else where


def _build(job: Job, on_stage: Callable[[str], None]) -> list[Path]:
    """Build the job's editions; return the paths written."""
    root = Path(job.root)
    printer = None
    if job.parallel and _needs_layout(job):  # started first: it imports WeasyPrint
        from .emit.print_process import PrintProcess  # while we read the text

        printer = PrintProcess(root)
    try:
        from . import stages

        seed = stages.locate(Path(job.seed), root)
        return stages.build(seed, list(job.formats), Path(job.out_dir), key=job.key,
                            on_stage=on_stage, printer=printer)
    finally:
        if printer is not None:
            printer.close()


def build_edition(job: Job) -> Outcome:
    """Build one edition and write its stamp; never raises (failures are outcomes)."""
    start = time.perf_counter()
    cpu_start, _ = _usage()
    timeline: list[tuple[str, float]] = []

    def on_stage(stage: str) -> None:
        elapsed = time.perf_counter() - start
        timeline.append((stage, round(elapsed, 4)))
        if job.progress:
            _say(f"{job.label}  {stage:<13} {elapsed:6.2f} s")

    def outcome(**fields: object) -> Outcome:
        cpu, peak_mb = _usage()  # the print process's too: it has been waited for
        return Outcome(name=job.name, seconds=time.perf_counter() - start,
                       cpu=cpu - cpu_start, peak_mb=peak_mb, stages=tuple(timeline), **fields)

    try:
        written = _build(job, on_stage)
    except PaibanError as error:
        return outcome(error=f"{_shown(error.where, job)}: {error.message}",
                       exit_code=error.exit_code)
    except Exception as error:  # noqa: BLE001 - one edition's bug must not stop the batch
        if job.verbose:
            import traceback

            traceback.print_exc()
        return outcome(error=f"{job.name}: internal error: {type(error).__name__}: {error}",
                       exit_code=EXIT_BUILD_FAILED)
    result = outcome(written=tuple(map(str, written)))
    if job.key is not None and written:
        stamp.record(Path(job.seed), Path(job.root), job.key, written[0].stem,
                     {path.suffix[1:]: path for path in written},
                     {"seconds": round(result.seconds, 3), "cpu": round(result.cpu, 3),
                      "peak_mb": round(result.peak_mb, 1), "stages": timeline})
    return result


def _print_process() -> bool:
    """True if one edition is built by two processes (``emit.print_process``): wherever
    ``fork`` is safe (Linux and the BSDs; not macOS, whose system libraries may not
    be used after a fork).

    Measured on this project's 2-core machine, the seed, both editions: idle, 1.02 s
    instead of 1.36 s; with two other processes keeping both cores busy, 1.72 s
    instead of 1.90 s; and 1.32 CPU seconds instead of 1.38 (no thread switching
    between the WeasyPrint import and the normalizer), 82 MB at the peak instead of
    127.  So it is not only for an idle core.  A batch's workers build their
    editions in one process each: they fill the cores already.
    ``PAIBAN_PRINT_PROCESS=1`` or ``0`` overrides the choice (to measure both).
    """
    forced = os.environ.get("PAIBAN_PRINT_PROCESS", "")
    if forced in ("0", "1"):
        return forced == "1" and hasattr(os, "fork")
    return hasattr(os, "fork") and sys.platform != "darwin"


def _needs_layout(job: Job) -> bool:
    """True unless the job is an e-book whose print page map is cached."""
    return ("pdf" in job.formats or job.key is None
            or not stamp.page_map_path(Path(job.root), job.key).is_file())


# --- planning: what is up to date ------------------------------------------------------


def _key(seed: Path, root: Path) -> str | None:
    """The seed's content key, or None if an input is unreadable (the build says why)."""
    try:
        return stamp.edition_key(seed, root)
    except (OSError, ValueError, PaibanError):
        return None


def _slug(seed: Path, root: Path) -> str | None:
    """The slug the seed's editions are written under (its sidecar's, else the file
    name's, as ``normalize.infer_meta`` makes it); None if the sidecar is unreadable
    (the build says why)."""
    from .settings import default_slug, load_sidecar

    try:
        given = load_sidecar(seed.with_suffix(".yaml"), root, check_content=False).edition.slug
    except (OSError, ValueError, PaibanError):
        return None
    return given or default_slug(seed.stem)


def plan(seeds: Iterable[str], root: Path, formats: Sequence[str], out_dir: Path, *,
         force: bool = False) -> list[Job | Outcome]:
    """For each seed (duplicates dropped): a ``Job`` for the formats to build,
    or an up-to-date ``Outcome``."""
    root = root.resolve()
    out_dir = (root / out_dir).resolve()
    planned: list[Job | Outcome] = []
    seen: set[Path] = set()
    slugs: dict[str, str] = {}
    for name in seeds:
        path = Path(name).resolve()
        if path in seen:
            continue
        seen.add(path)
        inside = path.is_relative_to(root) and path.is_file()
        slug = _slug(path, root) if inside else None
        if slug is not None and slugs.setdefault(slug, name) != name:
            raise InputError(f"{slugs[slug]} and {name} would both be written as "
                             f"{slug}.pdf/.epub: give one another edition.slug in its sidecar",
                             "batch")
        key = _key(path, root) if inside else None
        todo = list(formats)
        if inside and not force:
            todo = stamp.stale(stamp.read(path, root), path, root, key, formats, out_dir)
        if todo:
            planned.append(Job(seed=str(path), name=name, root=str(root), formats=tuple(todo),
                               out_dir=str(out_dir), key=key))
        else:
            planned.append(Outcome(name=name, up_to_date=True))
    return planned


# --- running ---------------------------------------------------------------------------


def _fork_server_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes forked, one per edition, from a server with WeasyPrint imported."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([PRELOAD])
    else:  # Windows: a fresh interpreter per edition
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, max_tasks_per_child=1)


def _died(job: Job) -> Outcome:
    return Outcome(name=job.name, exit_code=EXIT_BUILD_FAILED,
                   error=f"{job.name}: the worker process died (out of memory, or a crash "
                         "in a native library)")


def _run_pool(jobs: list[Job], workers: int, executor: Executor | None,
              done: Callable[[Job, Outcome], None],
              task: Callable[[Job], Outcome] = build_edition) -> None:
    """Run ``task`` on ``jobs``, at most ``workers`` in flight; ``done(job, outcome)`` each.

    Without an ``executor``, a fork-server process pool.  If a worker dies, that
    pool is broken: the editions it was building are run again one at a time, each
    in a pool of its own, so that only the one that kills its worker fails.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = list(reversed(jobs))
    suspects: list[Job] = []
    pool = executor or _fork_server_pool(workers)
    try:
        in_flight: dict[Future, Job] = {}
        while pending or in_flight:
            while pending and len(in_flight) < workers:
                job = pending.pop()
                in_flight[pool.submit(task, job)] = job
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                job = in_flight.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    if executor is None:
                        suspects.append(job)
                        continue
                    outcome = _died(job)
                except Exception as error:  # noqa: BLE001 - the executor could not run it
                    outcome = Outcome(name=job.name, exit_code=EXIT_BUILD_FAILED,
                                      error=f"{job.name}: the executor failed: {error!r}")
                done(job, outcome)
            if suspects and executor is None:
                suspects += in_flight.values()
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                for job in suspects:  # alone, so that only the culprit fails
                    with _fork_server_pool(1) as alone:
                        try:
                            done(job, alone.submit(task, job).result())
                        except BrokenProcessPool:
                            done(job, _died(job))
                suspects.clear()
                pool = _fork_server_pool(workers)
    finally:
        if executor is None:
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask_executor(address: str, workers: int) -> Iterator[Executor]:
    """An executor on a Dask cluster (``distributed``): the scheduler at ``address``,
    or "local" for a cluster of ``workers`` processes on this machine.

    Its workers must import this ``pipeline`` and see the project's files at the
    same paths (a shared file system).  They are long-lived, so unlike the fork
    server's they run many editions each: restart them now and then
    (``dask worker --lifetime``) for a very long batch.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--dask needs the distributed package (pip install distributed)") from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    client = Client(cluster or address)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _preload_in_thread(root: Path) -> None:
    """Import WeasyPrint in a thread while the text is read and fonts subset.

    The import (0.3 s) overlaps the first stages a little; a failure here is
    ignored: the import on the main thread then raises it where it belongs.
    """
    import threading

    def load() -> None:
        try:
            from .emit import build

            build.preload(root)
        except Exception:  # noqa: BLE001 - reported by the main thread's import
            pass

    threading.Thread(target=load, name="preload-weasyprint", daemon=True).start()


def _execute(todo: list[Job], workers: int, executor: Executor | None, dask: str | None,
             done: Callable[[Job, Outcome], None]) -> None:
    """Build ``todo``: one edition here, several in worker processes; or on the
    ``executor``, or on Dask."""
    if not todo:
        return
    if dask:
        with dask_executor(dask, workers) as cluster:
            _run_pool(todo, workers, cluster, done)
    elif executor is not None:
        _run_pool(todo, workers, executor, done)
    else:
        workers = min(workers, len(todo))
        if len(todo) > 1:
            _run_pool(todo, workers, None, done)
            return
        job = todo[0]
        parallel = _print_process()
        if not parallel and _needs_layout(job):
            _preload_in_thread(Path(job.root))
        done(job, build_edition(replace(job, parallel=parallel)))


def run(seeds: Sequence[str], root: Path, formats: Sequence[str], out_dir: Path, *,
        jobs: int = 1, force: bool = False, progress: bool = False, verbose: bool = False,
        executor: Executor | None = None, dask: str | None = None,
        out: TextIO | None = None) -> Summary:
    """Build every stale edition of ``seeds``; print the paths written on ``out``.

    ``jobs`` is the number of editions built at once (0: one per core); with an
    ``executor``, or ``dask`` (a scheduler's address, or "local": ``dask_executor``,
    started only if something is to be built), the number of tasks kept submitted.
    """
    started = time.perf_counter()
    out = out or sys.stdout
    planned = plan(seeds, root, formats, out_dir, force=force)
    width = len(str(len(planned)))
    name_width = max((len(item.name) for item in planned), default=0)
    results: dict[str, Outcome] = {}

    def label(number: int, name: str) -> str:
        return f"[{number:>{width}}/{len(planned)}] {name:<{name_width}}"

    todo: list[Job] = []
    for number, item in enumerate(planned, start=1):
        if isinstance(item, Outcome):
            results[item.name] = item
            if progress:
                _say(f"{label(number, item.name)}  up to date")
        else:
            todo.append(replace(item, label=label(number, item.name), progress=progress,
                                verbose=verbose))

    def done(job: Job, outcome: Outcome) -> None:
        results[job.name] = outcome
        if progress:
            state = "failed" if outcome.error else "done"
            _say(f"{job.label}  {state:<13} {outcome.seconds:6.2f} s  {outcome.peak_mb:.0f} MB")
        if outcome.error:
            print(f"paiban: {outcome.error}", file=sys.stderr, flush=True)
        for path in outcome.written:
            print(path, file=out, flush=True)

    _execute(todo, jobs if jobs > 0 else (os.cpu_count() or 1), executor, dask, done)
    summary = Summary([results[item.name] for item in planned],
                      time.perf_counter() - started)
    if progress:
        counts = {"built": 0, "up to date": 0, "failed": 0}
        for outcome in summary.outcomes:
            counts["failed" if outcome.error else
                   "up to date" if outcome.up_to_date else "built"] += 1
        _say(f"[done] {', '.join(f'{n} {what}' for what, n in counts.items())} "
             f"in {summary.seconds:.2f} s")
    return summary
