"""Golden cases: tests/cases/<name>/input.txt (+ sidecar.yaml) -> expected.yaml, expected.diagnostics.

Each case is a day shaped unlike the seed (another paper, encoding, headline
shapes).  Regenerate with ``pytest --update-golden`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.decode import decode
from pipeline.diagnostics import explain
from pipeline.model_yaml import dump
from pipeline.normalize import normalize, unaccounted
from pipeline.settings import load_sidecar

from .conftest import ROOT

CASES = sorted(p for p in (ROOT / "tests" / "cases").iterdir() if (p / "input.txt").exists())


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_case(case: Path, golden):
    source = decode((case / "input.txt").read_bytes(), "input.txt")
    sidecar = load_sidecar(case / "sidecar.yaml", ROOT)
    normalized = normalize(source, sidecar, case.name)
    assert unaccounted(source, normalized) == {}
    golden(case / "expected.yaml", dump(normalized.edition))
    golden(case / "expected.diagnostics", explain(normalized.diagnostics) + "\n")
