"""Error types every stage raises, and the exit codes the CLI maps them to.

In: nothing.  Out: ``PaibanError`` and its kinds.  A ``PaibanError`` is an
expected failure with a one-line message for the user (no traceback); the CLI
prints it as ``paiban: <where>: <message>`` and exits with ``exit_code``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BUILD_FAILED = 1
EXIT_BAD_INPUT = 2
#: Stopped by Ctrl-C (SIGINT): 128 + 2, as shells report it.
EXIT_INTERRUPTED = 130


class PaibanError(Exception):
    """An expected failure, reported as one line; exit code 1 (build failed)."""

    exit_code = EXIT_BUILD_FAILED

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.where = where

    def line(self) -> str:
        """The one line shown on stderr."""
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(PaibanError):
    """Bad input or usage: unreadable text, broken sidecar, a path outside the project."""

    exit_code = EXIT_BAD_INPUT


class BuildError(PaibanError):
    """The input was fine but an output could not be made (fonts, layout, writing)."""

    exit_code = EXIT_BUILD_FAILED
