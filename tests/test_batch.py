"""Batch and incremental builds: ``paiban build -j N``, stamps, cached page maps.

A scratch project holds three copies of the seed (each sidecar names its own
slug) and one unreadable seed.  Whether something was rebuilt is read from the
outputs' modification times and the stamps, never from how long a run took.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline import batch, stamp
from pipeline.errors import EXIT_BAD_INPUT, EXIT_BUILD_FAILED, EXIT_OK

from .conftest import ROOT, SEED

EDITIONS = ("a", "b", "c")


def paiban(project: Path, *args: str, python_flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run([sys.executable, *python_flags, "-m", "pipeline", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)


def add_seed(project: Path, name: str) -> str:
    """A copy of the seed as ``seeds/<name>.txt``, its sidecar naming slug ``edition-<name>``."""
    sidecar = SEED.with_suffix(".yaml").read_text(encoding="utf-8")
    old_slug = next(line.split(":", 1)[1].strip() for line in sidecar.splitlines()
                    if line.strip().startswith("slug:"))
    shutil.copy(SEED, project / "seeds" / f"{name}.txt")
    (project / "seeds" / f"{name}.yaml").write_text(
        sidecar.replace(old_slug, f"edition-{name}"), encoding="utf-8")
    return f"seeds/{name}.txt"


def outputs(project: Path, *names: str) -> dict[Path, int]:
    """Modification time of every output of the editions ``names``."""
    return {path: path.stat().st_mtime_ns for name in names
            for path in (project / "dist").glob(f"edition-{name}.*")}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The scratch project: seeds a, b, c and bad; the fonts; a copy of the layouts."""
    project = tmp_path_factory.mktemp("batch")
    (project / "seeds").mkdir()
    (project / "fonts").symlink_to(ROOT / "fonts", target_is_directory=True)
    shutil.copytree(ROOT / "layouts", project / "layouts")
    for name in EDITIONS:
        add_seed(project, name)
    (project / "seeds" / "bad.txt").write_bytes(bytes(range(256)) * 8)
    return project


@pytest.fixture(scope="module")
def first(project) -> subprocess.CompletedProcess:
    """The first build: three good editions and a broken one, two at a time."""
    seeds = [f"seeds/{name}.txt" for name in EDITIONS]
    return paiban(project, "build", "-j", "2", seeds[0], "seeds/bad.txt", *seeds[1:])


def test_every_good_edition_is_built(project, first):
    for name in EDITIONS:
        for suffix in ("pdf", "epub"):
            assert (project / "dist" / f"edition-{name}.{suffix}").stat().st_size > 10_000
        assert (project / "build" / "stamps" / "seeds" / f"{name}.stamp").is_file()
    assert not (project / "build" / "stamps" / "seeds" / "bad.stamp").exists()


def test_broken_seed_is_reported_once_and_exit_is_2(first):
    assert first.returncode == EXIT_BAD_INPUT, first.stderr
    errors = [line for line in first.stderr.splitlines() if line.startswith("paiban: ")]
    assert len(errors) == 1 and errors[0].startswith("paiban: seeds/bad.txt: "), first.stderr
    assert "binary" in errors[0] and "Traceback" not in first.stderr


def test_progress_names_edition_stage_and_time(first):
    lines = first.stderr.splitlines()
    for name in EDITIONS:
        line = re.compile(rf"^\[\d/4\] seeds/{name}\.txt +(\S+(?: \S+)*?) +\d+\.\d\d s")
        stages = [match[1] for match in map(line.match, lines) if match]
        assert stages[0] == "model" and "layout pass 1" in stages, stages
        assert stages.index("pdf write") < stages.index("epub write") < stages.index("done")
    assert any(re.match(r"^\[2/4\] seeds/bad\.txt +failed", line) for line in lines)
    assert lines[-1].startswith("[done] 3 built, 0 up to date, 1 failed")


def test_nothing_changed_rebuilds_nothing_and_loads_no_weasyprint(project, first):
    before = outputs(project, *EDITIONS)
    stamps = {p: p.read_bytes() for p in (project / "build" / "stamps").rglob("*.stamp")}
    again = paiban(project, "build", "-j", "2", *(f"seeds/{n}.txt" for n in EDITIONS),
                   python_flags=("-X", "importtime"))
    assert again.returncode == EXIT_OK, again.stderr
    assert outputs(project, *EDITIONS) == before
    assert {p: p.read_bytes() for p in stamps} == stamps
    assert len(re.findall(r"(?m)^\[\d/3\] seeds/\w\.txt +up to date$", again.stderr)) == 3
    imported = [line.split("|")[-1].strip() for line in again.stderr.splitlines()
                if line.startswith("import time:")]
    assert imported and not [m for m in imported
                             if m.startswith(("weasyprint", "pipeline.normalize", "jieba"))]
    assert again.stdout == ""  # nothing written


def test_changed_sidecar_rebuilds_that_edition_only(project, first):
    before = outputs(project, *EDITIONS)
    sidecar = project / "seeds" / "b.yaml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    result = paiban(project, "build", *(f"seeds/{n}.txt" for n in EDITIONS))
    assert result.returncode == EXIT_OK, result.stderr
    after = outputs(project, *EDITIONS)
    changed = {path.name for path in before if after[path] != before[path]}
    assert changed == {"edition-b.pdf", "edition-b.epub"}


def test_changed_layout_rebuilds_every_edition(project, first):
    css = project / "layouts" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* proof */\n", encoding="utf-8")
    before = outputs(project, *EDITIONS)
    result = paiban(project, "build", "-q", "-j", "2", *(f"seeds/{n}.txt" for n in EDITIONS))
    assert result.returncode == EXIT_OK and result.stderr == "", result.stderr
    after = outputs(project, *EDITIONS)
    assert all(after[path] != before[path] for path in before) and len(before) == 6


def test_epub_after_pdf_reuses_the_page_map(project):
    seed = add_seed(project, "d")
    assert paiban(project, "build", "--format", "pdf", seed).returncode == EXIT_OK
    epub = paiban(project, "build", "--progress", "--format", "epub", seed)
    assert epub.returncode == EXIT_OK, epub.stderr
    assert "epub write" in epub.stderr and "layout" not in epub.stderr
    both = paiban(project, "build", "--progress", seed)
    assert "up to date" in both.stderr and both.stdout == ""


def test_a_deleted_output_is_rebuilt_alone(project, first):
    epub = project / "dist" / "edition-a.epub"
    pdf_time = (project / "dist" / "edition-a.pdf").stat().st_mtime_ns
    epub.unlink()
    result = paiban(project, "build", "--progress", "seeds/a.txt")
    assert result.returncode == EXIT_OK and epub.is_file(), result.stderr
    assert (project / "dist" / "edition-a.pdf").stat().st_mtime_ns == pdf_time
    assert "layout" not in result.stderr  # the page map of the same inputs was kept


def test_print_process_gives_the_same_bytes(project):
    """One edition built by two processes (emit.print_process) or by one: same files."""
    seed = add_seed(project, "p")
    made = {}
    for split in ("1", "0"):
        out = f"dist-{split}"
        env = {"PAIBAN_PRINT_PROCESS": split}
        result = subprocess.run(
            [sys.executable, "-m", "pipeline", "build", "--force", "--out", out, seed],
            cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            capture_output=True, text=True, timeout=300)
        assert result.returncode == EXIT_OK, result.stderr
        made[split] = {p.name: p.read_bytes() for p in (project / out).iterdir()}
    assert made["1"] == made["0"] and len(made["1"]) == 2


def test_print_process_reports_its_failure():
    from pipeline.emit.print_process import PrintProcess

    printer = PrintProcess(ROOT)
    try:
        with pytest.raises(TypeError):  # WeasyPrint's, raised there, re-raised here
            printer.lay_out(None, ROOT, None, lambda stage: None)
    finally:
        printer.close()
    assert not printer._process.is_alive()


def test_a_print_edition_not_taken_is_removed(tmp_path):
    """The caller gave up after the layout (its e-book failed, say): the PDF the print
    process went on to write is not left behind, whole or partial."""
    from pipeline.emit.print_process import PrintProcess

    stages_seen = []
    printer = PrintProcess(ROOT)
    try:
        anchors = printer.lay_out('<p id="x">正文</p>', ROOT, tmp_path / "x.pdf",
                                  stages_seen.append)
    finally:
        printer.close()
    assert anchors == ({"x": 1}, {}) and "layout pass 1" in stages_seen
    assert list(tmp_path.iterdir()) == []


def test_any_executor_runs_the_batch(project):
    """The interface a Dask ``Client.get_executor()`` plugs into, with threads here."""
    seed = add_seed(project, "f")
    with ThreadPoolExecutor(2) as executor:
        summary = batch.run([str(project / seed), str(project / "seeds" / "bad.txt")], project,
                            ["epub"], Path("dist"), executor=executor, jobs=2,
                            out=open(os.devnull, "w"))
    by_name = {Path(o.name).name: o for o in summary.outcomes}
    assert by_name["f.txt"].written and not by_name["f.txt"].error
    assert by_name["bad.txt"].exit_code == EXIT_BAD_INPUT
    assert summary.exit_code == EXIT_BAD_INPUT
    assert stamp.read(project / seed, project).outputs["epub"].intact()


def test_dask_local_cluster_runs_the_batch(project):
    """The same tasks on a Dask cluster of two worker processes (``distributed`` is in
    the test extras: this runs in CI)."""
    import distributed  # noqa: F401 - a missing test dependency fails here, never skips

    seeds = [add_seed(project, name) for name in ("g", "h")]
    result = paiban(project, "build", "--dask", "local", "-j", "2", "--format", "epub", *seeds)
    assert result.returncode == EXIT_OK, result.stderr
    for name in ("g", "h"):
        assert (project / "dist" / f"edition-{name}.epub").is_file()
        assert stamp.read(project / "seeds" / f"{name}.txt", project).outputs["epub"].intact()


def crash_on_c(job: batch.Job) -> batch.Outcome:
    """A task that kills its worker process for edition "c" (module level: picklable)."""
    if job.name == "c":
        os._exit(3)
    return batch.Outcome(name=job.name)


def test_a_crashed_worker_fails_only_its_edition():
    jobs = [batch.Job(seed=n, name=n, root="/", formats=(), out_dir="/", key=None)
            for n in "abcde"]
    results: dict[str, batch.Outcome] = {}
    batch._run_pool(jobs, 2, None, lambda job, outcome: results.__setitem__(job.name, outcome),
                    task=crash_on_c)
    assert sorted(results) == list("abcde")
    assert results["c"].exit_code == EXIT_BUILD_FAILED and "died" in results["c"].error
    assert not any(results[n].error for n in "abde")


@pytest.mark.parametrize("codes, expected", [
    ((), EXIT_OK), ((EXIT_OK, EXIT_OK), EXIT_OK),
    ((EXIT_OK, EXIT_BAD_INPUT), EXIT_BAD_INPUT),
    ((EXIT_BAD_INPUT, EXIT_BUILD_FAILED), EXIT_BUILD_FAILED),
])
def test_exit_code_of_a_batch(codes, expected):
    summary = batch.Summary([batch.Outcome(name=str(n), exit_code=c) for n, c in enumerate(codes)])
    assert summary.exit_code == expected


def test_make_passes_its_job_count():
    make = shutil.which("make")
    if not make:
        pytest.skip("make is not installed")
    for flags, jobs in (((), "1"), (("-j2",), "2"), (("-j",), "0")):
        shown = subprocess.run([make, "-n", *flags, "all"], cwd=ROOT, capture_output=True,
                               text=True, timeout=60).stdout
        assert f"paiban build -j {jobs} " in shown, shown


def test_the_up_to_date_check_hashes_photos_without_decoding_them(tmp_path, monkeypatch):
    """Planning (``stamp.edition_key``) only needs the files a sidecar names; decoding
    the photos is the build's job, once (it reports a damaged one)."""
    from pipeline import settings

    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "p.txt").write_text("标题\n\n正文。\n", encoding="utf-8")
    (tmp_path / "seeds" / "p.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    (tmp_path / "seeds" / "p.yaml").write_text(
        "photos:\n  - article: 标题\n    path: p.png\n", encoding="utf-8")
    monkeypatch.setattr(settings, "photo_problem",
                        lambda path, data=None: pytest.fail("a photo decoded while planning"))
    before = stamp.edition_key(tmp_path / "seeds" / "p.txt", tmp_path)
    (tmp_path / "seeds" / "p.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(41))
    assert stamp.edition_key(tmp_path / "seeds" / "p.txt", tmp_path) != before


def test_two_seeds_with_one_slug_are_refused_naming_both(tmp_path):
    """Two seeds whose editions would overwrite each other (one slug) stop the batch
    before anything is built, with both paths named; with their own slugs they build."""
    (tmp_path / "seeds" / "x").mkdir(parents=True)
    (tmp_path / "fonts").symlink_to(ROOT / "fonts", target_is_directory=True)
    (tmp_path / "layouts").symlink_to(ROOT / "layouts", target_is_directory=True)
    for name in ("seeds/day.txt", "seeds/x/day.txt"):
        (tmp_path / name).write_text("标题\n\n正文内容。\n", encoding="utf-8")
    result = paiban(tmp_path, "build", "seeds/day.txt", "seeds/x/day.txt")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "paiban: batch: seeds/day.txt and seeds/x/day.txt would both be written as "
        "day.pdf/.epub: give one another edition.slug in its sidecar"]
    assert not (tmp_path / "dist").exists()
    (tmp_path / "seeds" / "x" / "day.yaml").write_text("edition:\n  slug: day-x\n",
                                                        encoding="utf-8")
    result = paiban(tmp_path, "build", "seeds/day.txt", "seeds/x/day.txt")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [
        "day-x.epub", "day-x.pdf", "day.epub", "day.pdf"]
