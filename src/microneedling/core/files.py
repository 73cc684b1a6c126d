"""Write a user's output files safely: all or nothing, and never over a file without ``force``.

Every file a command writes (an export, a plot, an overlay, a CSV, an aftercare sheet, sample
photos) goes through :func:`atomic_output`: the content is written to a temporary file in the
target's folder, flushed to disk (fsync), and only then renamed over the target, so a reader
never sees half a file and a failure (a full disk, a crash) leaves the target as it was.

A command that also commits a record nests the transaction inside ``atomic_output``: the file is
written to its temporary name first, the transaction commits, then the rename makes the file
visible; if the write fails nothing is committed, if the commit fails no file appears.

:func:`check_output` validates a target before any work: its folder exists or can be made, it is
not a folder or a device (``/dev/full``), it has an accepted suffix, and it does not exist unless
``force``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from microneedling.core.errors import ValidationError


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_output(
    path: Path, field: str, *, force: bool = False, suffixes: tuple[str, ...] = ()
) -> Path:
    """Refuse a target that cannot or must not be written, before any work is done.

    ``suffixes`` (lower case, with the dot) lists the accepted file types; an existing regular
    file is replaced only with ``force``; folders, devices and other special files never are.
    """
    if not str(path).strip():
        raise ValidationError(field, "give a file name")
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValidationError(
            field, f"{path.name!r} must end in {', '.join(suffixes)} (the type of file written)"
        )
    existing = next((p for p in path.parents if p.exists()), Path("."))
    if not existing.is_dir():
        raise ValidationError(field, f"{str(existing)!r} is not a folder")
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise ValidationError(field, f"cannot use {str(path)!r}: {_describe(exc)}") from None
    if stat.S_ISDIR(mode):
        raise ValidationError(field, f"{str(path)!r} is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise ValidationError(field, f"{str(path)!r} is not a regular file; it is never replaced")
    if not force:
        raise ValidationError(
            field, f"{str(path)!r} exists; choose another name or force replacing it"
        )
    return path


def _file_mode() -> int:
    """The mode a new file gets from the process umask (tempfile creates 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@dataclass(frozen=True)
class OutputFile:
    """A file being written: ``temp`` lies beside ``path`` (same suffix, so tools that pick the
    format by suffix work) and becomes ``path`` when the writing block ends without error."""

    path: Path
    temp: Path
    field: str

    def write_text(self, text: str) -> None:
        self.write_bytes(text.encode("utf-8"))

    def write_bytes(self, data: bytes) -> None:
        try:
            self.temp.write_bytes(data)
        except OSError as exc:
            raise ValidationError(
                self.field, f"cannot write {self.path}: {_describe(exc)}"
            ) from None


def _sync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_output(
    path: Path, field: str, *, force: bool = False, suffixes: tuple[str, ...] = ()
) -> Iterator[OutputFile]:
    """Yield an :class:`OutputFile`; when the block ends, fsync its temporary file and rename it
    over ``path``. On any error the temporary file is removed and ``path`` is untouched."""
    check_output(path, field, force=force, suffixes=suffixes)
    made = _missing_folders(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # missing folders are made, as asked
        fd, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=f".partial{path.suffix}"
        )
    except OSError as exc:
        _remove_empty(made)
        raise ValidationError(field, f"cannot write in {path.parent}: {_describe(exc)}") from None
    os.close(fd)
    temp = Path(name)
    done = False
    try:
        yield OutputFile(path, temp, field)
        os.chmod(temp, _file_mode())
        _sync(temp)
        check_output(path, field, force=force, suffixes=suffixes)  # nothing appeared meanwhile
        os.replace(temp, path)
        done = True
    except OSError as exc:
        raise ValidationError(field, f"cannot write {path}: {_describe(exc)}") from None
    finally:
        temp.unlink(missing_ok=True)
        if not done:
            _remove_empty(made)  # a refused command leaves no folder behind either
    _sync_folder(path.parent)


def _missing_folders(folder: Path) -> list[Path]:
    """The folders of ``folder``'s path that do not exist yet, deepest first."""
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this write made, deepest first, where they are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def optional_output(
    path: Path | None, field: str, *, force: bool = False, suffixes: tuple[str, ...] = ()
) -> Iterator[OutputFile | None]:
    """:func:`atomic_output` when a path is given, else ``None`` (for optional output files)."""
    if path is None:
        yield None
        return
    with atomic_output(path, field, force=force, suffixes=suffixes) as out:
        yield out


def write_text(path: Path, text: str, field: str, *, force: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; an existing file only with ``force``."""
    with atomic_output(path, field, force=force) as out:
        out.write_text(text)
    return path


def write_bytes(path: Path, data: bytes, field: str, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; an existing file only with ``force``."""
    with atomic_output(path, field, force=force) as out:
        out.write_bytes(data)
    return path
