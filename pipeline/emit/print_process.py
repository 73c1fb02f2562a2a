"""emit.print_process: the print edition laid out and written by a second process.

In: the project root when started; then the print HTML (``pdf.print_html``, made
by the caller) and the PDF's path (``lay_out``).
Out: the page each anchor starts on (``lay_out`` returns it as soon as the pages
are laid out), the PDF written as a part beside its path (``finish`` returns the
part, for the caller to commit with the e-book, or raises the failure), and the
stages it went through, told to the caller's ``on_stage``.

Why a second process, for one edition on a machine with a core to spare: the
critical path of a cold build is importing WeasyPrint (0.3 s), laying the pages
out and writing the PDF.  Forked first, the print process imports WeasyPrint —
and nothing else of paiban's but the layout glue — while this one normalizes the
text, subsets the fonts and renders the HTML; and it writes the PDF while this
one writes the e-book.  It is forked while this process is still small: forked
later, from a process holding the laid-out document, each process would copy
most of the other's pages as Python touches their reference counts (measured:
that cost as much as it saved).

Messages on the pipe, each a tuple: to the print process ``(html, root, pdf, text)``
or ``None`` (no work: end); from it ``("stage", name)``, ``("pages", (anchors, starts))``,
``("done", part or None)`` or ``("error", exception)``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path

from .. import output
from ..errors import BuildError


# The print process's budgets: memory it may take (RLIMIT_DATA: heap and private
# mappings; the worst inputs the limits admit need ~0.6-0.7 GB: 1,000 articles, or
# 400,000 characters with 30,000 spans) and the wall-clock time the parent waits for
# it (those inputs take ~40-55 s on the 2-core test machine; README, "Limits").
PRINT_MEMORY_BYTES = 3 * 1024 ** 3
PRINT_TIMEOUT_S = 300.0


def _bound(parent: int) -> None:
    """Die with the parent (Linux: PR_SET_PDEATHSIG), and keep to the memory budget."""
    import resource
    import signal

    with suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    with suppress(ValueError, OSError, AttributeError):
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = PRINT_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(
            hard, PRINT_MEMORY_BYTES)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _serve(conn: Connection, theirs: Connection, root: str, parent: int) -> None:
    """The print process: import WeasyPrint, wait for one edition's HTML, lay it out,
    write the PDF as a part (``output.write_part``)."""
    theirs.close()  # the parent's end, inherited: the pipe must close when the parent does
    _bound(parent)

    def send(message: tuple) -> None:
        with suppress(OSError):  # the parent stopped listening (it failed or was stopped)
            conn.send(message)

    try:
        # WeasyPrint first: its import is this process's critical path.  Nothing of the
        # normalizer, the model or the templates is loaded here: the parent renders.
        from .. import stamp
        from ..weasyprint_ext.loader import import_weasyprint

        import_weasyprint(stamp.cache_dir(Path(root)) / "libraries.json")
        from .. import output
        from .. import weasyprint_ext
        from . import pdf, progress

        weasyprint_ext.install()
        work = conn.recv()
        if work is None:  # the build stopped before the pages were needed
            return
        html, root_path, pdf_path, expected = work
        with progress.weasyprint_stages(lambda stage: send(("stage", stage))):
            document = pdf.lay_out(html, root_path, expected)
            send(("pages", (pdf.anchor_pages(document), pdf.page_starts(document))))
            part = None
            if pdf_path is not None:
                part = output.write_part(pdf_path, pdf.pdf_bytes(document))
        send(("done", part))
    except (EOFError, KeyboardInterrupt):  # the parent went away, or Ctrl-C: it reports
        pass
    except MemoryError:
        send(("error", BuildError(
            f"the print layout needed more than {PRINT_MEMORY_BYTES // 1024 ** 3} GiB of "
            "memory (split the text into several files)")))
    except Exception as error:  # noqa: BLE001 - sent to the parent, which raises it
        try:
            conn.send(("error", error))
        except Exception:  # noqa: BLE001 - an error that does not pickle, or no parent
            send(("error", BuildError(f"{type(error).__name__}: {error}")))
    finally:
        conn.close()
    # The work is handed over: end here, without freeing the laid-out document object
    # by object (0.05 s that the caller, waiting for this process, would pay).
    os._exit(0)


class PrintProcess:
    """A forked process that lays out and writes one print edition (see the module)."""

    def __init__(self, root: Path) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve,
                                        args=(child, self._conn, str(root), os.getpid()),
                                        name="paiban-print", daemon=True)
        self._process.start()
        child.close()
        self._parts: set[Path] = set()  # parts written there and not handed over

    def _receive(self, until: str, on_stage: Callable[[str], None]) -> tuple:
        """Messages up to the one named ``until``; stages are told, an error raised."""
        import time

        deadline = time.monotonic() + PRINT_TIMEOUT_S
        while True:
            try:
                if not self._conn.poll(max(0.0, deadline - time.monotonic())):
                    self._process.kill()
                    raise BuildError(f"the print layout took more than {PRINT_TIMEOUT_S:.0f} s "
                                     "and was stopped (split the text into several files)")
                message = self._conn.recv()
            except EOFError:
                raise BuildError("the print process stopped without a word "
                                 "(out of memory, or a crash in a native library)") from None
            if message[0] == "stage":
                on_stage(message[1])
            elif message[0] == "error":
                raise message[1]
            elif message[0] == until:
                return message

    def lay_out(self, html: str, root: Path, pdf_path: Path | None,
                on_stage: Callable[[str], None], expected: str | None = None,
                ) -> tuple[dict[str, int], dict[int, tuple[str, int]]]:
        """Lay the print HTML out there (checked against ``expected``, the model's
        text: ``pdf.lay_out``), and write the PDF for ``pdf_path`` if given; return
        the page each anchor starts on (``pdf.anchor_pages``) and where the pages
        that begin inside a block begin (``pdf.page_starts``) as soon as the pages
        are laid out."""
        self._conn.send((html, root, pdf_path, expected))
        return self._receive("pages", on_stage)[1]

    def finish(self, on_stage: Callable[[str], None]) -> Path | None:
        """Wait until the PDF is written; return its part (``output.write_part``), which
        the caller commits or discards; raise what went wrong there."""
        part = self._receive("done", on_stage)[1]
        self._parts.discard(part)
        return part

    def close(self) -> None:
        """Wait for the process to end: at once if it was given no work, else once
        its PDF is written (stopped midway, it would leave a partial file behind)."""
        with suppress(OSError, ValueError):
            self._conn.send(None)
        try:
            while True:  # a PDF written after the caller gave up on it is removed
                message = self._conn.recv()
                if message[0] == "done" and message[1] is not None:
                    self._parts.add(message[1])
        except (EOFError, OSError, ValueError):
            pass
        finally:
            self._conn.close()
            output.discard(self._parts)
        try:
            self._process.join()
        except KeyboardInterrupt:
            self._process.kill()
            self._process.join()
            raise
