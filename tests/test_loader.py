"""weasyprint_ext.loader: WeasyPrint imported without the modules a paiban build never uses, and
those modules still there, whole, when something does use them.  Each case runs in a
fresh interpreter (the import happens once per process)."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT

PROBE = """
import json, sys
from pathlib import Path
from pipeline.weasyprint_ext.loader import import_weasyprint

import_weasyprint(Path(sys.argv[1]))
import weasyprint.pdf.fonts as pdf_fonts
instancer = sys.modules["fontTools.varLib.instancer"]
found = {
    "instancer_is_stand_in": not hasattr(instancer, "__file__"),
    "subset_is_lazy": type(sys.modules["fontTools.subset"]).__name__ == "_LazyModule",
    "varlib_loaded": "fontTools.varLib" in sys.modules,
}
from fontTools.ttLib import TTFont
try:  # a font without variations: the real function refuses it, which shows it ran
    pdf_fonts.instantiateVariableFont(TTFont(), {"wght": 700})
except Exception as error:
    found["called"] = type(error).__name__ + ": " + str(error)
found["instancer_is_real_now"] = hasattr(sys.modules["fontTools.varLib.instancer"], "__file__")
from fontTools.varLib import instancer
found["same_module"] = instancer is sys.modules["fontTools.varLib.instancer"]
print(json.dumps(found))
"""


def probe(memo) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, str(memo)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_weasyprint_loads_without_the_subsetter_or_the_instancer(tmp_path):
    memo = tmp_path / "libraries.json"
    found = probe(memo)
    assert found["instancer_is_stand_in"] and found["subset_is_lazy"]
    assert not found["varlib_loaded"]
    # Called, the stand-in is the real function, and the real module takes its place.
    assert "fvar" in found["called"]
    assert found["instancer_is_real_now"] and found["same_module"]
    # The library look-ups were memoized, keyed by the machine's linker cache.
    stored = json.loads(memo.read_text(encoding="utf-8"))
    assert stored["find_library"] and stored["machine"]
    assert probe(memo)["instancer_is_stand_in"]  # and the memo serves the next import
