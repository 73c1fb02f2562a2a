"""preload: imported once by the batch's fork server, before it forks workers.

In: the current folder, which is the project root (the CLI runs there).
Out: nothing but side effects — the normalizer's word list read, WeasyPrint
imported (``emit.build.preload``), its changes installed (``weasyprint_ext``), the
pipeline's modules and the layouts' templates loaded —
so that each worker, a fork of the server, starts with all of it in memory
(shared, copy-on-write) instead of importing it again per edition.  It warms
every stage, so it stands beside ``stages``, not inside one of them.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from . import render, stages, weasyprint_ext  # noqa: F401 - loaded for the workers
from .emit import build, epub, pdf  # noqa: F401 - loaded for the workers
from .normalize import load_words

# A failure here must not stop the server: each worker then meets it where it belongs.
with suppress(Exception):
    build.preload(Path.cwd())
    weasyprint_ext.install()
    load_words()  # the normalizer's word list
    for template in render.environment().list_templates():
        render.environment().get_template(template)
