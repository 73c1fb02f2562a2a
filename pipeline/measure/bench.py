"""measure.bench: what a build costs, stage by stage, whole process, against pandoc, at scale.

In: a seed path and a repeat count.
Out: one Markdown table on stdout and in ``build/bench.md``, every row measured
in the same run on the same machine:

* stages of one edition in one warm process (median of ``repeat`` runs): decode,
  normalize, font subsetting with an empty cache and with a warm one, Jinja2
  rendering of the print HTML, each step of WeasyPrint's layout (style, boxes,
  every layout pass), PDF write, EPUB write; and that process's peak memory;
* whole processes as a user runs them (``make pdf``, ``make epub`` with and
  without the print page map cached, ``make all``; with warm and with empty
  caches; ``make all`` with nothing to do), each child's own peak memory
  (``os.wait4``'s rusage: ``RUSAGE_CHILDREN`` would be the max over all of them);
* pandoc building the same text, to EPUB and to PDF through WeasyPrint with the
  same fonts, when pandoc is installed (a note when it is not), and the ratio;
* scale: 1x, 10x and 50x the seed's text as one edition (time and memory per 1x:
  flat means linear); a batch of 30 editions with ``-j 2`` and each edition's
  peak memory, first to last (flat means no growth per edition).

Timings are never asserted by tests; this is the place they are measured.  The
whole-process runs use a scratch project under ``build/`` (links to the fonts,
layouts, Makefile and venv), so the project's own ``dist/`` is not touched.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import output, stages

#: Pages of the 1x seed text are compared with these multiples of it.
SCALES = (1, 10, 50)
#: Editions in the batch measurement, and the workers building them.
BATCH_EDITIONS = 30
BATCH_JOBS = 2


@dataclass(frozen=True)
class Row:
    """One line of the table: a measure, its wall time, CPU time, peak memory, a note."""

    measure: str
    seconds: float | None = None
    cpu: float | None = None
    mb: float | None = None
    note: str = ""


def _section(title: str) -> Row:
    return Row(f"**{title}**")


# --- stages in one warm process -----------------------------------------------------------


def _median(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls of ``run``, and its last result."""
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


class _Steps:
    """Times WeasyPrint's steps (``emit.progress`` turns its progress log into stages)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, stage: str) -> None:
        self.marks.append((stage, time.perf_counter()))

    def durations(self, start: float, end: float) -> dict[str, float]:
        """Seconds of each step; the time before the first is the HTML rendering."""
        names = ["render", *(name for name, _ in self.marks)]
        times = [start, *(t for _, t in self.marks), end]
        return {name: times[i + 1] - times[i] for i, name in enumerate(names)}


def _stage_rows(seed: stages.Seed, repeat: int, scratch: Path) -> list[Row]:
    from .. import fonts, render, weasyprint_ext
    from ..decode import decode
    from ..emit import build, epub, pdf, progress
    from ..normalize import normalize

    build.preload(seed.root)
    data = seed.text.read_bytes()
    sidecar = stages.settings(seed)
    rows = [_section(f"stages of one edition, one warm process (median of {repeat})")]
    t, cpu, source = _median(lambda: decode(data, seed.text.name), repeat)
    rows.append(Row("decode", t, cpu))
    t, cpu, normalized = _median(lambda: normalize(source, sidecar, seed.name), repeat)
    rows.append(Row("normalize", t, cpu))
    edition = normalized.edition

    def cold_fonts() -> object:
        fonts._cmap_memo.clear()  # the in-process cmap memo is a cache too
        return build.edition_fonts(edition, seed.root, source.text,
                                   cache=Path(tempfile.mkdtemp(dir=scratch)))

    t, cpu, _ = _median(cold_fonts, repeat)
    rows.append(Row("font subsetting, empty cache", t, cpu,
                    note="coverage check, cmaps read, 4 subsets made"))
    t, cpu, faces = _median(lambda: build.edition_fonts(edition, seed.root, source.text,
                                                        cache=scratch / "fonts"), repeat)
    rows.append(Row("font subsetting, warm cache", t, cpu))
    weasyprint_ext.install()
    font_css = fonts.font_face_css(faces, Path.as_uri)
    t, cpu, _ = _median(lambda: render.render_print(edition, sidecar.layout, font_css), repeat)
    rows.append(Row("render: Jinja2 -> print HTML", t, cpu))
    runs: list[dict[str, float]] = []
    cpus: list[float] = []
    document = None
    for _ in range(repeat):
        steps = _Steps()
        start, cpu = time.perf_counter(), time.process_time()
        with progress.weasyprint_stages(steps):
            document = pdf.render_document(edition, sidecar.layout, faces, root=seed.root)
        runs.append(steps.durations(start, time.perf_counter()))
        cpus.append(time.process_time() - cpu - runs[-1]["render"])
    notes = {"style": "parse HTML and CSS, cascade", "boxes": "box tree",
             "layout pass 1": "lines and pages"}
    for name in (name for name in runs[0] if name != "render"):
        rows.append(Row(f"PDF {name}", statistics.median(run.get(name, 0.0) for run in runs),
                        note=notes.get(name, "page numbers changed: pages laid out again")))
    rows.append(Row("PDF layout, all steps", statistics.median(
        sum(v for k, v in run.items() if k != "render") for run in runs),
        statistics.median(cpus)))
    t, cpu, _ = _median(lambda: pdf.pdf_bytes(document), repeat)
    rows.append(Row("PDF write", t, cpu, note="draw pages, fonts, tags, compress"))
    t, cpu, page_of = _median(lambda: pdf.page_map(document, edition), repeat)
    rows.append(Row("page map", t, cpu))
    t, cpu, _ = _median(lambda: epub.write_epub(edition, sidecar.layout, faces,
                                                scratch / "b.epub", page_of, root=seed.root),
                        repeat)
    rows.append(Row("EPUB write", t, cpu, note="package, cover image, zip"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(Row("peak memory of this warm process", mb=peak))
    return rows


# --- whole processes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A finished child process: wall and CPU seconds, its own peak RSS in MB."""

    seconds: float
    cpu: float
    mb: float
    returncode: int
    stderr: str


# Measures one command from a small process: a child's ru_maxrss counts the memory of
# the process it was forked from until its exec, so children forked straight from this
# (large) process would all report this process's peak.  The helper is forked from a
# bare interpreter; it reports wall time and the rusage of the command and its
# descendants that it waited for.
_MEASURE = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": time.perf_counter() - start, "code": os.waitstatus_to_exitcode(status),
               "cpu": usage.ru_utime + usage.ru_stime, "kb": usage.ru_maxrss}, out)
"""


def _child(args: Sequence[str], cwd: Path, timeout: float = 1800,
           env: dict[str, str] | None = None) -> Run:
    """Run ``args`` in ``cwd``: wall and CPU time, peak RSS of it and its descendants."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report, \
            tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, "-S", "-c", _MEASURE, report.name, *args],
                                   cwd=cwd, stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True, env={**os.environ, **(env or {})})
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        try:
            measured = json.loads(Path(report.name).read_text(encoding="utf-8"))
        except ValueError:
            return Run(0.0, 0.0, 0.0, -1, stderr or "timed out")
    return Run(measured["seconds"], measured["cpu"], measured["kb"] / 1024, measured["code"],
               stderr)


def _repeat(args: Sequence[str], cwd: Path, repeat: int,
            before: Callable[[], None] = lambda: None, env: dict[str, str] | None = None) -> Run:
    """Median wall and CPU time over ``repeat`` runs, the highest peak memory."""
    runs = []
    for _ in range(repeat):
        before()
        run = _child(args, cwd, env=env)
        if run.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, args))} failed: {run.stderr.strip()[-300:]}")
        runs.append(run)
    return Run(statistics.median(r.seconds for r in runs), statistics.median(r.cpu for r in runs),
               max(r.mb for r in runs), 0, "")


def _project(root: Path, scratch: Path) -> Path:
    """A scratch project: links to the fonts, layouts, Makefile and venv; its own seeds."""
    project = scratch / "project"
    (project / "seeds").mkdir(parents=True)
    for name in ("fonts", "layouts", "Makefile", "pyproject.toml", ".venv"):
        if (root / name).exists():
            (project / name).symlink_to(root / name)
    return project


def _add_seed(project: Path, seed: stages.Seed, name: str, copies: int = 1) -> Path:
    """``seeds/<name>.txt``: the seed's text ``copies`` times, with a sidecar naming slug ``name``."""
    text = seed.text.read_bytes().decode("utf-8-sig")
    (project / "seeds" / f"{name}.txt").write_text("\n\n".join([text] * copies), encoding="utf-8")
    sidecar = seed.sidecar.read_text(encoding="utf-8") if seed.sidecar.is_file() else ""
    lines = [line for line in sidecar.splitlines() if not line.strip().startswith("slug:")]
    if not any(line.startswith("edition:") for line in lines):
        lines.append("edition:")
    at = next(i for i, line in enumerate(lines) if line.startswith("edition:"))
    lines.insert(at + 1, f"  slug: {name}")
    (project / "seeds" / f"{name}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return project / "seeds" / f"{name}.txt"


def _remove(*paths: Path) -> Callable[[], None]:
    def clean() -> None:
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    return clean


def _whole_process_rows(project: Path, name: str, repeat: int) -> list[Row]:
    make = shutil.which("make")
    build = project / "build"
    stamp = build / "stamps" / "seeds" / f"{name}.stamp"
    rows = [_section(f"whole process, as `make` runs it (median of {repeat}; fresh "
                     "interpreter each run)")]
    if not make:
        return rows + [Row("make is not installed", note="skipped")]
    cmd = [make, "-s"]
    _repeat([*cmd, "all"], project, 1)  # the caches, as a previous build leaves them
    pdf = _repeat([*cmd, "pdf"], project, repeat, _remove(stamp))
    rows.append(Row("`make pdf`", pdf.seconds, pdf.cpu, pdf.mb, "font subsets cached"))
    run = _repeat([*cmd, "epub"], project, repeat, _remove(stamp))
    rows.append(Row("`make epub`, page map cached", run.seconds, run.cpu, run.mb,
                    "after `make pdf`: no layout"))
    run = _repeat([*cmd, "epub"], project, repeat, _remove(stamp, build / "cache" / "pages"))
    rows.append(Row("`make epub`, no page map", run.seconds, run.cpu, run.mb, "lays pages out"))
    for split, how in (("0", "one process"), ("1", "two processes (print process)")):
        both = _repeat([*cmd, "all"], project, repeat, _remove(stamp),
                       env={"PAIBAN_PRINT_PROCESS": split})
        rows.append(Row(f"`make all` (both editions), {how}", both.seconds, both.cpu, both.mb,
                        "font subsets cached"))
    both = _repeat([*cmd, "all"], project, repeat, _remove(stamp))
    rows.append(Row("`make all` (both editions), as chosen", both.seconds, both.cpu, both.mb,
                    "two processes wherever fork is safe (batch._print_process)"))
    run = _repeat([*cmd, "all"], project, repeat, _remove(build))
    rows.append(Row("`make all`, empty build/", run.seconds, run.cpu, run.mb,
                    "no font subsets, cmaps or library memo"))
    run = _repeat([*cmd, "all"], project, max(repeat, 5))
    rows.append(Row("`make all`, nothing changed", run.seconds, run.cpu, run.mb,
                    "content-hash check only"))
    return rows


def _ratio(ours: Row, theirs: Run) -> str:
    return f"{ours.seconds / theirs.seconds:.1f}x wall, {ours.cpu / theirs.cpu:.1f}x CPU"


# --- pandoc ----------------------------------------------------------------------------------

_PANDOC_CSS = """\
@font-face {{ font-family: "Paiban Serif"; src: url("{serif}"); }}
@font-face {{ font-family: "Paiban Sans"; font-weight: bold; src: url("{sans}"); }}
body {{ font-family: "Paiban Serif"; font-size: 10.5pt; line-height: 1.75; text-align: justify; }}
h1, h2, h3 {{ font-family: "Paiban Sans"; }}
@page {{ size: A4; margin: 22mm 18mm 20mm 20mm; }}
"""


def _pandoc_rows(root: Path, project: Path, seed: Path, repeat: int, paiban_pdf: Row,
                 paiban_epub: Row) -> list[Row]:
    """pandoc's EPUB and PDF of the seed's text; the ratios paiban / pandoc."""
    rows = [_section("pandoc on the same text (what a user might pick instead)")]
    pandoc = shutil.which("pandoc")
    if not pandoc:
        return rows + [Row("pandoc is not installed", note="skipped: apt-get install pandoc")]
    fonts = root / "fonts"
    css = project / "pandoc.css"
    css.write_text(_PANDOC_CSS.format(serif=(fonts / "NotoSerifSC-Regular.otf").as_uri(),
                                      sans=(fonts / "NotoSansSC-Bold.otf").as_uri()),
                   encoding="utf-8")
    common = [pandoc, "-f", "markdown", str(seed), "--metadata", "title=bench", "-s"]
    epub = _repeat([*common, "-o", str(project / "pandoc.epub")], project, repeat)
    rows.append(Row("pandoc -> EPUB", epub.seconds, epub.cpu, epub.mb,
                    f"paiban `make epub` (no page map) / pandoc: {_ratio(paiban_epub, epub)}; "
                    "paiban lays pages out for the page-list, subsets and embeds fonts"))
    weasyprint = Path(sys.executable).parent / "weasyprint"
    if not weasyprint.exists():
        return rows + [Row("pandoc -> PDF", note="skipped: no weasyprint command beside Python")]
    pdf = _repeat([*common, "--pdf-engine", str(weasyprint), "--css", str(css),
                   "-o", str(project / "pandoc.pdf")], project, repeat)
    rows.append(Row("pandoc -> PDF (WeasyPrint, same fonts)", pdf.seconds, pdf.cpu, pdf.mb,
                    f"paiban `make pdf` / pandoc: {_ratio(paiban_pdf, pdf)}; pandoc's HTML "
                    "has no clreq spans, running heads, contents or tags"))
    return rows


# --- scale and batch ----------------------------------------------------------------------


def _pages(pdf: Path) -> str:
    """The PDF's page count, when pypdf (a test dependency) is there to count it."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return "?"
    return str(len(PdfReader(pdf).pages))


def _scale_rows(project: Path, seed: stages.Seed) -> list[Row]:
    """1x, 10x, 50x the seed's text as one edition; whether the cost grows linearly."""
    from .. import stamp

    rows = [_section("scale: the seed's text repeated, one edition, both formats (one run)")]
    runs: dict[int, Run] = {}
    for copies in SCALES:
        name = f"scale-{copies}x"
        path = _add_seed(project, seed, name, copies)
        run = _child([sys.executable, "-m", "pipeline", "build", "--force",
                      str(path.relative_to(project))], project, timeout=1800)
        if run.returncode != 0:
            rows.append(Row(f"{copies}x text", run.seconds, note=run.stderr.strip()[-200:]))
            continue
        runs[copies] = run
        marks = dict((stage, t) for stage, t in stamp.read(path, project).stats["stages"])
        layout = marks.get("pdf write", 0) - marks.get("render", 0)
        chars = len(path.read_text(encoding="utf-8"))
        pages = _pages(project / "dist" / f"{name}.pdf")
        rows.append(Row(f"{copies}x text ({chars:,} characters, {pages} pages)",
                        run.seconds, run.cpu, run.mb,
                        f"{run.seconds / runs[SCALES[0]].seconds:.1f}x the time of 1x; "
                        f"{run.cpu / copies:.2f} CPU s per 1x of text; layout {layout:.1f} s"))
    small, large = SCALES[1], SCALES[-1]
    if small in runs and large in runs:
        per = [runs[n].cpu / n for n in (small, large)]
        mb = [(runs[n].mb - runs[SCALES[0]].mb) / (n - SCALES[0]) for n in (small, large)]
        verdict = "linear" if per[1] <= per[0] * 1.25 else "faster than linear"
        rows.append(Row("growth with size", note=(
            f"CPU per 1x of text {per[0]:.2f} s at {small}x, {per[1]:.2f} s at {large}x: "
            f"{verdict} (the 1x run is mostly start-up); memory {mb[0]:.0f} and "
            f"{mb[1]:.0f} MB per added 1x")))
    return rows


def _batch_rows(project: Path, seed: stages.Seed) -> list[Row]:
    from .. import stamp

    seeds = [_add_seed(project, seed, f"batch-{n:02}") for n in range(1, BATCH_EDITIONS + 1)]
    run = _child([sys.executable, "-m", "pipeline", "build", "-j", str(BATCH_JOBS),
                  *(str(p.relative_to(project)) for p in seeds)], project, timeout=1800)
    title = f"batch: {BATCH_EDITIONS} editions of the seed's size, -j {BATCH_JOBS}"
    if run.returncode != 0:
        return [_section(title), Row("batch", run.seconds, note=run.stderr.strip()[-200:])]
    stats = [stamp.read(path, project).stats for path in seeds]
    peaks = [s["peak_mb"] for s in stats]
    times = [s["seconds"] for s in stats]
    cpu = sum(s["cpu"] for s in stats)
    third = len(peaks) // 3
    return [
        _section(title),
        Row("whole batch", run.seconds, run.cpu + cpu, run.mb,
            f"{run.seconds / len(seeds):.2f} s per edition; CPU: the editions' and the "
            "parent's; MB: the parent"),
        Row("one edition in the batch (median)", statistics.median(times),
            statistics.median(s["cpu"] for s in stats), statistics.median(peaks),
            f"slowest {max(times):.2f} s"),
        Row("peak RSS per edition, in build order",
            note=f"first {third}: {statistics.mean(peaks[:third]):.0f} MB, "
                 f"last {third}: {statistics.mean(peaks[-third:]):.0f} MB, "
                 f"range {min(peaks):.0f}-{max(peaks):.0f} MB (a fresh process per edition)"),
    ]


# --- the report -----------------------------------------------------------------------------


def _targets(rows: list[Row]) -> list[Row]:
    """The issue's targets, each against the row that measures it."""
    by = {row.measure: row for row in rows}
    scale = {n: row for n in SCALES for row in rows if row.measure.startswith(f"{n}x text (")}
    checks = [
        ("seed, `make pdf`, cold (issue 3)", "`make pdf`", "seconds", 1.3),
        ("seed, both editions, cold", "`make all` (both editions), as chosen", "seconds", 1.5),
        ("`make all` with nothing changed", "`make all`, nothing changed", "seconds", 0.3),
        (f"{BATCH_EDITIONS} editions, -j {BATCH_JOBS}", "whole batch", "seconds", 30.0),
        ("peak memory, seed", "`make all` (both editions), as chosen", "mb", 250.0),
    ]
    out = [_section("targets (wall time on this machine, as loaded as it was)")]
    for label, measure, field_name, limit in checks:
        row = by.get(measure)
        value = getattr(row, field_name) if row else None
        if value is None:
            continue
        unit = "MB" if field_name == "mb" else "s"
        met = "met" if value <= limit else "NOT met"
        cpu = f" (CPU {row.cpu:.2f} s)" if field_name == "seconds" and row.cpu else ""
        shown = f"{value:.0f}" if unit == "MB" else f"{value:.2f}"
        out.append(Row(label, note=f"{shown} {unit}{cpu} against {limit:g} {unit}: {met}"))
    one, fifty = scale.get(SCALES[0]), scale.get(SCALES[-1])
    if one and fifty and one.seconds and fifty.seconds:
        ratio = fifty.seconds / one.seconds
        out.append(Row(f"{SCALES[-1]}x text against 1x", note=(
            f"{ratio:.1f}x the time against {SCALES[-1] * 1.2:g}x: "
            f"{'met' if ratio <= SCALES[-1] * 1.2 else 'NOT met'}")))
    return out


def _cell(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _table(rows: list[Row]) -> list[str]:
    lines = ["| measure | wall s | CPU s | peak MB | note |", "| --- | ---: | ---: | ---: | --- |"]
    for row in rows:
        lines.append(f"| {row.measure} | {_cell(row.seconds, 3)} | {_cell(row.cpu, 2)} | "
                     f"{_cell(row.mb, 0)} | {row.note} |")
    return lines


def run(seed_path: Path, root: Path, repeat: int = 5) -> str:
    """Measure and return the Markdown report (also written to build/bench.md)."""
    seed = stages.locate(seed_path, root)
    load = os.getloadavg()[0]
    logging.getLogger("paiban").setLevel(logging.WARNING)
    (root / "build").mkdir(exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=root / "build", prefix="bench-") as tmp:
        scratch = Path(tmp)
        rows = _stage_rows(seed, repeat, scratch)
        project = _project(root, scratch)
        name = "edition"
        path = _add_seed(project, seed, name)
        whole = _whole_process_rows(project, name, max(3, repeat // 2 + 1))
        rows += whole
        timed = {row.measure: row for row in whole}
        if "`make pdf`" in timed:
            rows += _pandoc_rows(root, project, path, 3, timed["`make pdf`"],
                                 timed["`make epub`, no page map"])
        rows += _scale_rows(project, seed)
        rows += _batch_rows(project, seed)
    rows += _targets(rows)
    lines = [
        f"# paiban benchmark — {seed.text.name}",
        "",
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} "
        f"cores; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"(other processes make wall times longer than CPU times); "
        f"{time.perf_counter() - started:.0f} s in all.",
        "",
        *_table(rows),
        "",
    ]
    report = "\n".join(lines)
    output.write_atomic(root / "build" / "bench.md", report.encode("utf-8"))
    return report
