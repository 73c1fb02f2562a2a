"""emit.print_process: the print edition laid out and written by a second process.

In: the project root when started; then the edition, its layout, the font
subsets and the PDF's path (``lay_out``).
Out: the page map (``lay_out`` returns it as soon as the pages are laid out),
the PDF file (``finish`` returns once it is written, or raises its failure),
and the stages it went through, told to the caller's ``on_stage``.

Why a second process, for one edition on a machine with a core to spare: the
critical path of a cold build is importing WeasyPrint (0.3 s), laying the pages
out and writing the PDF.  Started before the text is read, the print process
imports WeasyPrint while this one normalizes the text and subsets the fonts;
and it writes the PDF while this one writes the e-book.  It is forked while this
process is still small: forked later, from a process holding the laid-out
document, each process would copy most of the other's pages as Python touches
their reference counts (measured: that cost as much as it saved).

Messages on the pipe, each a tuple: to the print process ``(edition, layout,
faces, root, pdf)``; from it ``("stage", name)``, ``("pages", page_of)``,
``("done",)`` or ``("error", exception)``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path

from ..errors import BuildError


def _serve(conn: Connection, theirs: Connection, root: str) -> None:
    """The print process: import WeasyPrint, wait for one edition, lay it out, write it."""
    theirs.close()  # the parent's end, inherited: the pipe must close when the parent does

    def send(message: tuple) -> None:
        with suppress(OSError):  # the parent stopped listening (it failed or was stopped)
            conn.send(message)

    try:
        from .. import stages
        from . import build, pdf, progress

        build.preload(Path(root))
        work = conn.recv()
        if work is None:  # the build stopped before the pages were needed
            return
        edition, layout, faces, root_path, pdf_path = work
        with progress.weasyprint_stages(lambda stage: send(("stage", stage))):
            send(("stage", "render"))
            document = pdf.render_document(edition, layout, faces, root=root_path)
            send(("pages", pdf.page_map(document, edition)))
            if pdf_path is not None:
                stages.write_atomic(pdf_path, document.write_pdf(**pdf.PDF_OPTIONS))
        send(("done",))
    except (EOFError, KeyboardInterrupt):  # the parent went away, or Ctrl-C: it reports
        pass
    except Exception as error:  # noqa: BLE001 - sent to the parent, which raises it
        try:
            conn.send(("error", error))
        except Exception:  # noqa: BLE001 - an error that does not pickle, or no parent
            send(("error", BuildError(f"{type(error).__name__}: {error}")))
    finally:
        conn.close()


class PrintProcess:
    """A forked process that lays out and writes one print edition (see the module)."""

    def __init__(self, root: Path) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self._conn, str(root)),
                                        name="paiban-print", daemon=True)
        self._process.start()
        child.close()

    def _receive(self, until: str, on_stage: Callable[[str], None]) -> tuple:
        """Messages up to the one named ``until``; stages are told, an error raised."""
        while True:
            try:
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

    def lay_out(self, edition: object, layout: object, faces: Iterable[object], root: Path,
                pdf_path: Path | None, on_stage: Callable[[str], None]) -> dict[str, int]:
        """Lay the edition out there (and write the PDF to ``pdf_path`` if given);
        return the page map once the pages are laid out."""
        self._conn.send((edition, layout, tuple(faces), root, pdf_path))
        return self._receive("pages", on_stage)[1]

    def finish(self, on_stage: Callable[[str], None]) -> None:
        """Wait until the PDF is written; raise what went wrong there."""
        self._receive("done", on_stage)

    def close(self) -> None:
        """Wait for the process to end: at once if it was given no work, else once
        its PDF is written (stopped midway, it would leave a partial file behind)."""
        with suppress(OSError, ValueError):
            self._conn.send(None)
        self._conn.close()
        try:
            self._process.join()
        except KeyboardInterrupt:
            self._process.kill()
            self._process.join()
            raise
