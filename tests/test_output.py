"""output: one file, or a set of files, replaced whole or not at all."""

from __future__ import annotations

import errno
import os
import types

import pytest

from pipeline import output
from pipeline.errors import BuildError


def files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_write_atomic_replaces_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "a.pdf"
    output.write_atomic(target, b"one")
    output.write_atomic(target, b"two")
    assert files(tmp_path) == {"a.pdf": b"two"}
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_commit_renames_every_part(tmp_path):
    a, b = tmp_path / "e.pdf", tmp_path / "e.epub"
    a.write_bytes(b"old pdf")
    parts = {a: output.write_part(a, b"new pdf"), b: output.write_part(b, b"new epub")}
    assert all(part.name.endswith(".part") and part.parent == tmp_path
               for part in parts.values())
    output.commit(parts)
    assert files(tmp_path) == {"e.pdf": b"new pdf", "e.epub": b"new epub"}


@pytest.fixture
def second_rename_fails(monkeypatch):
    calls = []

    def replace(source, target):
        calls.append(target)
        if str(target).endswith(".epub"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.replace(source, target)

    monkeypatch.setattr(output, "os", types.SimpleNamespace(**{**vars(os),
                                                              "replace": replace}))
    return calls


def test_a_failed_rename_gives_the_set_back(tmp_path, second_rename_fails):
    """The PDF was renamed into place, then the e-book's rename failed: the PDF gets its
    previous bytes back, and no part or backup is left."""
    a, b = tmp_path / "e.pdf", tmp_path / "e.epub"
    a.write_bytes(b"old pdf")
    b.write_bytes(b"old epub")
    parts = {a: output.write_part(a, b"new pdf"), b: output.write_part(b, b"new epub")}
    with pytest.raises(BuildError, match=r"cannot write .*e\.epub: No space left"):
        output.commit(parts)
    assert files(tmp_path) == {"e.pdf": b"old pdf", "e.epub": b"old epub"}


def test_a_failed_first_edition_removes_the_new_one(tmp_path, second_rename_fails):
    """No previous files: the set is all new, so the one renamed is removed again."""
    a, b = tmp_path / "e.pdf", tmp_path / "e.epub"
    parts = {a: output.write_part(a, b"new pdf"), b: output.write_part(b, b"new epub")}
    with pytest.raises(BuildError):
        output.commit(parts)
    assert files(tmp_path) == {}


def test_write_part_into_a_file_is_a_build_error(tmp_path):
    (tmp_path / "dist").write_text("a file", encoding="utf-8")
    with pytest.raises(BuildError, match="cannot write"):
        output.write_part(tmp_path / "dist" / "e.pdf", b"x")


def test_discard_ignores_missing_parts(tmp_path):
    part = output.write_part(tmp_path / "e.pdf", b"x")
    output.discard([part, tmp_path / "never.part"])
    assert files(tmp_path) == {}


def _dead_pid() -> int:
    """A process id no process has now (a child that has ended)."""
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_commit_cut_between_its_renames_is_completed_by_the_next_run(tmp_path):
    """``kill -9`` after the PDF's rename and before the e-book's: the journal lets the
    next build complete the commit (every part was whole before the journal)."""
    import json

    a, b = tmp_path / "e.pdf", tmp_path / "e.epub"
    a.write_bytes(b"new pdf")  # renamed already
    b.write_bytes(b"old epub")
    pid = _dead_pid()
    part = tmp_path / f".e.epub.{pid}.abcd.part"
    part.write_bytes(b"new epub")
    (tmp_path / ".e.pdf.previous.part").write_bytes(b"old pdf")
    (tmp_path / f".paiban-commit.{pid}.json").write_text(json.dumps([
        [str(a), str(tmp_path / f".e.pdf.{pid}.wxyz.part"), str(tmp_path / ".e.pdf.previous.part")],
        [str(b), str(part), str(tmp_path / ".e.epub.previous.part")]]), encoding="utf-8")
    done = output.recover([tmp_path])
    assert files(tmp_path) == {"e.pdf": b"new pdf", "e.epub": b"new epub"}
    assert done == [f"completed the commit of {b}"]


def test_parts_of_processes_that_ended_are_swept_and_live_ones_kept(tmp_path):
    dead = tmp_path / f".e.pdf.{_dead_pid()}.abcd.part"
    live = tmp_path / f".e.pdf.{os.getppid()}.abcd.part"  # a process that runs
    for path in (dead, live):
        path.write_bytes(b"half")
    output.recover([tmp_path, tmp_path / "missing"])
    assert sorted(files(tmp_path)) == [live.name]


def test_a_commit_of_several_files_leaves_no_journal(tmp_path):
    a, b = tmp_path / "e.pdf", tmp_path / "e.epub"
    output.commit({a: output.write_part(a, b"pdf"), b: output.write_part(b, b"epub")})
    assert files(tmp_path) == {"e.pdf": b"pdf", "e.epub": b"epub"}
