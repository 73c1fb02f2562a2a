"""output: files written so that a reader never sees half of one, or half of a set.

In: paths and the bytes they should hold.
Out: ``write_atomic`` — one file, through a temporary file beside it; and the
two phases it is made of, for editions that must change together:
``write_part`` writes the bytes to a temporary ``.<name>.<pid>.<random>.part`` in
the target's folder, ``commit`` renames a set of parts onto their targets (all of
them, or — if a rename fails — none: the targets renamed already get their
previous files back), ``discard`` removes parts that will not be committed.

A process killed outright (``kill -9``, power lost) cleans nothing up; the next
build does, with ``recover``: a commit of several files first writes a journal
(``.paiban-commit.<pid>.json``: each target, its part, its previous file), so a
commit cut between two renames is completed (every part was whole before the
journal was written); parts left by processes no longer running are removed.

A build writes the PDF and the e-book of an edition as parts and commits both
only when both were written: a failure in either leaves the previous edition,
both files, as it was.  A file-system error (no room, no permission, a file
where the folder should be) is a ``BuildError`` naming the target.

Kept free of the pipeline's heavier modules: the print process
(``emit.print_process``) imports it beside WeasyPrint alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path

from .errors import BuildError


def _failed(path: Path, error: OSError) -> BuildError:
    return BuildError(f"cannot write {path}: {error.strerror or error}")


def write_part(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path``; return the temporary file.

    Nothing is left behind if writing fails or is interrupted.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part",
                                        dir=path.parent)
    except OSError as error:
        raise _failed(path, error) from None
    part = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(part, 0o644)  # mkstemp makes 0600; editions and caches are shared
    except BaseException as error:
        part.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _failed(path, error) from None
        raise
    return part


def discard(parts: Iterable[Path]) -> None:
    """Remove temporary files that will not be committed (missing ones are fine)."""
    for part in parts:
        with suppress(OSError):
            part.unlink()


def _keep_previous(target: Path) -> Path | None:
    """A hard link (else a copy) of ``target``'s current file, to restore it; None if
    there is no current file."""
    if not target.is_file():
        return None
    backup = target.with_name(f".{target.name}.previous.part")
    backup.unlink(missing_ok=True)
    try:
        os.link(target, backup)
    except OSError:  # a file system without hard links
        shutil.copy2(target, backup)
    return backup


def commit(parts: Mapping[Path, Path]) -> None:
    """Rename each part (a value, from ``write_part``) onto its target (its key).

    In the mapping's order.  If a rename fails, the targets renamed before it are
    given back their previous files, every part is removed and the failure raised:
    the set changes whole or not at all.
    """
    done: list[tuple[Path, Path | None]] = []
    target = None
    journal = None
    try:
        if len(parts) > 1:
            journal = _journal(parts)
        for target, part in parts.items():
            backup = _keep_previous(target) if len(parts) > 1 else None
            try:
                os.replace(part, target)
            except BaseException:
                discard([backup] if backup is not None else [])
                raise
            done.append((target, backup))
    except BaseException as error:
        if journal is not None:
            discard([journal])
        for previous, backup in reversed(done):
            with suppress(OSError):
                if backup is None:
                    previous.unlink()
                else:
                    os.replace(backup, previous)
        discard(parts.values())
        if isinstance(error, OSError):
            raise _failed(target, error) from None
        raise
    discard(backup for _, backup in done if backup is not None)
    if journal is not None:
        discard([journal])


def _journal(parts: Mapping[Path, Path]) -> Path:
    """Write (and flush to disk) the journal of a commit of several parts."""
    first = next(iter(parts))
    path = first.with_name(f".paiban-commit.{os.getpid()}.json")
    entries = [[str(target), str(part), str(target.with_name(f".{target.name}.previous.part"))]
               for target, part in parts.items()]
    try:
        with path.open("w", encoding="utf-8") as out:
            json.dump(entries, out)
            out.flush()
            os.fsync(out.fileno())
    except OSError as error:
        raise _failed(path, error) from None
    return path


_PART = re.compile(r"^\..+\.(?P<pid>\d+)\.[^.]+\.part$")
_JOURNAL = re.compile(r"^\.paiban-commit\.(?P<pid>\d+)\.json$")


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def recover(folders: Iterable[Path]) -> list[str]:
    """Finish what processes that no longer run left in ``folders``: complete their
    journaled commits, remove their parts.  Returns what was done, one line each."""
    done: list[str] = []
    for folder in folders:
        with suppress(OSError):
            names = sorted(p.name for p in folder.iterdir())
            for name in names:
                match = _JOURNAL.match(name)
                if match and not _running(int(match["pid"])):
                    done += _complete(folder / name)
            for name in sorted(p.name for p in folder.iterdir()):
                match = _PART.match(name)
                if match and not _running(int(match["pid"])):
                    with suppress(OSError):
                        (folder / name).unlink()
                        done.append(f"removed {folder / name}, left by process {match['pid']}")
    return done


def _complete(journal: Path) -> list[str]:
    """Complete the commit a journal describes: rename the parts still there."""
    done = []
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))
        for target, part, backup in entries:
            if Path(part).exists():
                os.replace(part, target)
                done.append(f"completed the commit of {target}")
            Path(backup).unlink(missing_ok=True)
    except (OSError, ValueError, TypeError):
        pass  # a journal cut short: its commit never started (the parts are swept)
    journal.unlink(missing_ok=True)
    return done


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: readers see the previous file or the whole new one.

    A failed or interrupted write leaves no partial file and keeps the previous one.
    """
    commit({path: write_part(path, data)})


__all__ = ["commit", "discard", "recover", "write_atomic", "write_part"]
