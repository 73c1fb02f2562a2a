"""The CLI as a user runs it: exit codes, one-line errors, no traceback, no partial files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SEED


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch project folder with the seed and its sidecar."""
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    shutil.copy(SEED.with_suffix(".yaml"), tmp_path / "seeds" / SEED.with_suffix(".yaml").name)
    return tmp_path


def paiban(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_clean_failure(result: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("paiban: ") and "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_model_writes_yaml(project):
    result = paiban(project, "model", "seeds/" + SEED.name)
    assert result.returncode == 0, result.stderr
    assert (project / "build" / "hengyang-ribao-2022-03-31.yaml").is_file()
    assert not list((project / "build").glob("*.part"))


def test_model_explain_lists_repairs(project):
    result = paiban(project, "model", "--explain", "seeds/" + SEED.name)
    assert result.returncode == 0
    assert "P102 repair: moved lines 117-119" in result.stderr


@pytest.mark.parametrize("name, data, words", [
    ("empty.txt", b"", ["empty.txt", "empty"]),
    ("blank.txt", b"\n\n  \n", ["blank lines"]),
    ("binary.txt", bytes(range(256)) * 8, ["binary"]),
    ("latin1.txt", "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e".encode("latin-1"), ["not UTF-8"]),
])
def test_bad_text_exit_2(project, name, data, words):
    (project / "seeds" / name).write_bytes(data)
    result = paiban(project, "model", f"seeds/{name}")
    assert_clean_failure(result, 2, *words)
    assert not (project / "build").exists() or not list((project / "build").iterdir())


def test_missing_file(project):
    assert_clean_failure(paiban(project, "model", "seeds/nope.txt"), 2, "no such file")


def test_path_outside_the_project(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "x.txt"
    outside.write_text("标题\n\n正文。\n", encoding="utf-8")
    assert_clean_failure(paiban(project, "model", str(outside)), 2, "outside the project")


@pytest.mark.parametrize("sidecar, words", [
    ("edition: [unclosed\n", ["YAML syntax error", "line 2, column 1"]),
    ("edition:\n  paper: x\n  colour: red\n", ["edition.colour", "unknown key"]),
    ("edition:\n  paper: 12\n", ["edition.paper", "expected str"]),
    ("layout:\n  columns: 3\n", ["layout.columns"]),
    ("photos:\n  - article: x\n    path: /etc/passwd\n", ["photos[0].path", "relative path"]),
    ("photos:\n  - article: x\n    path: ../../x.jpg\n", ["photos[0].path"]),
    ("corrections:\n  - join: 不存在的文字\n    with: 也不存在\n", ["correction", "need exactly one"]),
    ("!!python/object/apply:os.system [echo hi]\n", ["YAML syntax error"]),
])
def test_broken_sidecar_exit_2(project, sidecar, words):
    (project / "seeds" / SEED.with_suffix(".yaml").name).write_text(sidecar, encoding="utf-8")
    assert_clean_failure(paiban(project, "model", "seeds/" + SEED.name), 2, *words)


def test_symlink_out_of_the_project_is_refused(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("pics") / "p.jpg"
    outside.write_bytes(b"\xff\xd8\xff")
    (project / "seeds" / "link.jpg").symlink_to(outside)
    (project / "seeds" / SEED.with_suffix(".yaml").name).write_text(
        "photos:\n  - article: 请旅客\n    path: link.jpg\n", encoding="utf-8")
    assert_clean_failure(paiban(project, "model", "seeds/" + SEED.name), 2, "leads outside")


def test_photo_is_attached(project):
    from PIL import Image

    Image.new("RGB", (8, 6), (200, 40, 40)).save(project / "seeds" / "p.jpg", "JPEG")
    (project / "seeds" / SEED.with_suffix(".yaml").name).write_text(
        "photos:\n  - article: 请旅客\n    path: p.jpg\n    caption: 车站\n", encoding="utf-8")
    result = paiban(project, "model", "seeds/" + SEED.name)
    assert result.returncode == 0, result.stderr
    text = (project / "build" / "edition.yaml").read_text(encoding="utf-8") if (
        project / "build" / "edition.yaml").exists() else next(
        (project / "build").glob("*.yaml")).read_text(encoding="utf-8")
    assert "path: seeds/p.jpg" in text and "caption: 车站" in text


def test_usage_error_exit_2(project):
    result = paiban(project, "frobnicate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
