"""Shared fixtures: the seed's model, golden-file handling, required tools.

``pytest --update-golden`` rewrites golden files from the current output
(then review the diff).  ``PAIBAN_REQUIRE_TOOLS=1`` (set by .ci/run) turns a
missing measuring tool (pdftotext, java) into a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# `make fuzz` runs the property tests with many more examples than CI does.
settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_3b959c98e2937adc.txt"
os.environ.setdefault("SOURCE_DATE_EPOCH", "1648684800")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files from the current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """``golden(path, text)``: compare ``text`` with the golden file (or rewrite it)."""
    update = request.config.getoption("--update-golden")

    def check(path: Path, text: str) -> None:
        if update or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if not update:
                pytest.fail(f"{path} did not exist; written — review and commit it")
        assert text == path.read_text(encoding="utf-8"), (
            f"{path.name} differs from the golden file; run pytest --update-golden and review")

    return check


def require_tool(name: str) -> str:
    """Path of a command-line tool, or skip (fail in CI) when it is missing."""
    found = shutil.which(name)
    if not found:
        message = f"{name} is not installed (apt-get install poppler-utils / default-jre-headless)"
        if os.environ.get("PAIBAN_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def seed_model():
    """(Normalized, Sidecar) for the seed, made once per test session."""
    from pipeline import stages

    return stages.model(stages.locate(SEED, ROOT))
