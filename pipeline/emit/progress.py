"""emit.progress: the stages a build goes through, told to a callback as each starts.

In: a callback, ``on_stage(name)``.
Out: ``weasyprint_stages`` — a context in which WeasyPrint's own steps (its
``weasyprint.progress`` log) are told to the callback under paiban's names:
parsing and cascading the CSS ("style"), building boxes ("boxes"), each layout
pass ("layout pass 1", "layout pass 2"…: the pages are laid out again while
page-based counters change), writing the PDF ("pdf write").  Nothing is
printed that was not printed before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: The stages of a build, in order, as ``build``'s ``on_stage`` is told them.  A
#: layout pass after the first is "layout pass 2", "layout pass 3"…: WeasyPrint lays
#: the pages out again while page-based counters (the contents' page numbers) change.
STAGES = ("model", "fonts", "render", "style", "boxes", "layout pass 1", "pdf write",
          "epub write")
#: WeasyPrint's progress messages (``weasyprint.progress``, INFO) -> our stage names.
_WEASYPRINT_STEPS = (
    ("Step 1 ", "style"), ("Step 2 ", "style"), ("Step 3 ", "style"),
    ("Step 4 ", "boxes"), ("Step 5 - Creating layout - Repagination", "layout pass"),
    ("Step 5 ", "layout pass 1"), ("Step 6 ", "pdf write"),
)

StageCallback = Callable[[str], None]


class _StageHandler(logging.Handler):
    """Turns WeasyPrint's progress messages into ``on_stage`` calls, each stage once."""

    def __init__(self, on_stage: StageCallback) -> None:
        super().__init__(logging.INFO)
        self.on_stage = on_stage
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.msg)
        for prefix, stage in _WEASYPRINT_STEPS:
            if message.startswith(prefix):
                if stage == "layout pass":  # "Repagination #%d": pass 1 is the first
                    stage = f"layout pass {int(record.args[0]) + 1}"
                elif stage == "layout pass 1" and self.last.startswith("layout pass"):
                    return  # a page of the pass under way
                if stage != self.last:
                    self.last = stage
                    self.on_stage(stage)
                return


@contextmanager
def weasyprint_stages(on_stage: StageCallback | None) -> Iterator[None]:
    """While inside, report WeasyPrint's steps to ``on_stage`` (and nowhere new)."""
    if on_stage is None:
        yield
        return
    logger = logging.getLogger("weasyprint.progress")
    saved = logger.level, logger.propagate
    # Propagate only if the messages were shown before (paiban -v): being told
    # them must not print them.
    logger.propagate = saved[1] and logger.isEnabledFor(logging.INFO)
    logger.setLevel(logging.INFO)
    handler = _StageHandler(on_stage)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
