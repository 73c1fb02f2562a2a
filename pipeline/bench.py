"""bench: how long each stage takes, and the whole process cold.

In: a seed path and a repeat count.
Out: a Markdown table on stdout and in ``build/bench.md``: the median time of
each stage over several runs in one warm process, the peak memory of that
process, and whole-process cold runs of ``paiban build`` (PDF, EPUB, both) as a
user runs them (fresh interpreter each time).  Timings are never asserted by
tests; this is the place they are measured.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import stages


def _median(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _stage_rows(seed: stages.Seed, repeat: int, scratch: Path) -> list[tuple[str, float]]:
    from .decode import decode
    from .emit import build, epub, pdf
    from .normalize import normalize

    data = seed.text.read_bytes()
    sidecar = stages.settings(seed)
    rows = []
    t, source = _median(lambda: decode(data, seed.text.name), repeat)
    rows.append(("decode", t))
    t, normalized = _median(lambda: normalize(source, sidecar, seed.name), repeat)
    rows.append(("normalize", t))
    edition = normalized.edition
    t, faces = _median(lambda: build.edition_fonts(edition, seed.root, source.text,
                                                   cache=scratch / "fonts"), repeat)
    rows.append(("font subsets (cached)", t))
    pdf.cjk_justification()
    t, document = _median(lambda: pdf.render_document(edition, sidecar.layout, faces,
                                                      root=seed.root), repeat)
    rows.append(("PDF render + layout (incl. justification)", t))
    t, _ = _median(lambda: document.write_pdf(**pdf.PDF_OPTIONS), repeat)
    rows.append(("PDF write", t))
    page_of = pdf.page_map(document, edition)
    t, _ = _median(lambda: epub.write_epub(edition, sidecar.layout, faces,
                                           scratch / "b.epub", page_of, root=seed.root), repeat)
    rows.append(("EPUB write", t))
    return rows


def _cold(seed: stages.Seed, formats: list[str], repeat: int, scratch: Path) -> tuple[float, float]:
    """Median wall time and peak RSS (MB) of a fresh ``paiban build`` process."""
    args = [sys.executable, "-m", "pipeline", "build", str(seed.text), "--out", str(scratch)]
    for fmt in formats:
        args += ["--format", fmt]
    times, peaks = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        subprocess.run(args, cwd=seed.root, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        peaks.append(max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
    return statistics.median(times), max(peaks) / 1024


def run(seed_path: Path, root: Path, repeat: int = 5) -> str:
    """Measure and return the Markdown report (also written to build/bench.md)."""
    seed = stages.locate(seed_path, root)
    with tempfile.TemporaryDirectory(dir=root / "build" if (root / "build").is_dir() else None) as tmp:
        scratch = Path(tmp)
        rows = _stage_rows(seed, repeat, scratch)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cold = [(name, *_cold(seed, formats, max(3, repeat // 2), scratch))
                for name, formats in (("make pdf", ["pdf"]), ("make epub", ["epub"]),
                                      ("both editions", ["pdf", "epub"]))]
    lines = [
        f"# paiban benchmark — {seed.text.name}",
        "",
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores; medians of {repeat} runs in one warm process.",
        "",
        "| stage | median s |",
        "| --- | ---: |",
        *(f"| {name} | {t:.3f} |" for name, t in rows),
        f"| peak memory of the warm process | {peak:.0f} MB |",
        "",
        "Whole process, cold (a fresh interpreter each run, as `make` runs it):",
        "",
        "| command | median s | peak RSS MB |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {t:.2f} | {mb:.0f} |" for name, t, mb in cold),
        "",
    ]
    report = "\n".join(lines)
    stages.write_atomic(root / "build" / "bench.md", report.encode("utf-8"))
    return report
