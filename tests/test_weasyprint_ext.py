"""weasyprint_ext: the changes paiban makes inside WeasyPrint, one switch for all.

``install`` checks the pinned version; ``PAIBAN_WEASYPRINT_PATCHES`` leaves changes
out.  The seed is laid out with every change off and with all on (each in a process
of its own: the changes patch modules in place), and what they change is reported
— flush lines, layout passes, seconds, bytes — so that the cost of a WeasyPrint
upgrade that drops them is known (``pytest -s -k what_the_changes``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipeline import weasyprint_ext

from .conftest import ROOT

# Lays the seed out in this process with the changes the environment asks for and
# prints what came of it as JSON (run by the test below in a process of its own).
MEASURE = r'''
import json, logging, sys, tempfile, time, types
from pathlib import Path
import pdfplumber
from pipeline import weasyprint_ext
from pipeline.decode import decode
from pipeline.emit import build, pdf, progress
from pipeline.normalize import normalize
from pipeline.settings import load_sidecar
from tests import test_pdf
root = Path.cwd()
seed = sorted((root / "seeds").glob("*.txt"))[0]
sidecar = load_sidecar(seed.with_suffix(".yaml"), root)
edition = normalize(decode(seed.read_bytes(), seed.name), sidecar, seed.stem).edition
faces = build.edition_fonts(edition, root, cache=Path(tempfile.mkdtemp()))
html = pdf.print_html(edition, sidecar.layout, faces, root=root)
stages = []
started = time.perf_counter()
with progress.weasyprint_stages(stages.append):
    document = pdf.lay_out(html, root)
    data = pdf.pdf_bytes(document)
seconds = time.perf_counter() - started
out = Path(tempfile.mkdtemp()) / "x.pdf"
out.write_bytes(data)
built = types.SimpleNamespace(document=document, plumber=pdfplumber.open(out))
lines = [(n, line, right) for n, line, right, final in test_pdf.paragraph_lines(built) if not final]
flush = sum(abs(test_pdf.line_chars(built, n, line)[-1]["x1"] - right) <= 0.5
            for n, line, right in lines)
print(json.dumps({"applied": list(weasyprint_ext.wanted()), "pages": len(document.pages),
                  "passes": len({s for s in stages if s.startswith("layout pass")}),
                  "flush": flush / len(lines), "lines": len(lines), "bytes": len(data),
                  "seconds": round(seconds, 2)}))
'''


def measure(switch: str) -> dict:
    env = {**os.environ, weasyprint_ext.SWITCH: switch}
    result = subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_what_the_changes_do_to_the_seed(record_property):
    on, off = measure("all"), measure("none")
    assert on["applied"] == list(weasyprint_ext.PATCHES) and off["applied"] == []
    print("\nWeasyPrint changes on / off, the seed:")
    for key in ("flush", "lines", "passes", "pages", "bytes", "seconds"):
        print(f"  {key:8} {on[key]:>10.4g} {off[key]:>10.4g}")
        record_property(f"weasyprint_ext_{key}", f"{on[key]} / {off[key]}")
    # Inter-character justification: every justified line flush, WeasyPrint's own
    # leaves every line that does not fall on the character grid ragged (2 in 5 of
    # the seed's); the contents are made again once, not twice.
    assert on["flush"] == 1.0 and off["flush"] < 0.9
    assert on["passes"] < off["passes"]
    assert on["pages"] == off["pages"] and on["lines"] == off["lines"]


def test_install_needs_the_pinned_weasyprint(monkeypatch):
    import weasyprint

    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with pytest.raises(RuntimeError, match="70.0's internals; this is 71.0"):
        weasyprint_ext.install()


@pytest.mark.parametrize("value, names", [
    ("", tuple(weasyprint_ext.PATCHES)), ("all", tuple(weasyprint_ext.PATCHES)), ("none", ()),
    ("cjk_justify, serialize_once", ("cjk_justify", "serialize_once")),
])
def test_the_switch(monkeypatch, value, names):
    monkeypatch.setenv(weasyprint_ext.SWITCH, value)
    assert weasyprint_ext.wanted() == names


def test_an_unknown_change_is_named(monkeypatch):
    monkeypatch.setenv(weasyprint_ext.SWITCH, "cjk_justify,kerning")
    with pytest.raises(RuntimeError, match="unknown change.*kerning"):
        weasyprint_ext.wanted()
