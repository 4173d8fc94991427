"""Provides the one way an export reaches its target: CLI and app alike.

- the journal's own files are refused: the journal, its lock, backups, quarantined
  copies and temporary files, by resolved path and by device and inode (so symlinks
  and hard links to them are caught too);
- a folder or a disk device is refused with a message;
- other non-regular targets (a terminal, /dev/null, a FIFO, /dev/stdout) are opened
  and written in place, never renamed over;
- a new file is written atomically with the umask's mode; an existing regular file
  is replaced only with consent (`--force`, or a yes in the app's dialog), atomically,
  keeping its mode, owner and group; through a symlink the target is written and
  the link kept.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path
from typing import TextIO

from fmtui.core.atomic import atomic_write, final_path
from fmtui.core.journal_errors import JournalError
from fmtui.core.journal_lock import LOCK_SUFFIX

STDOUT = "-"


class ExportTargetError(JournalError):
    """The export target is refused or cannot be written; the message says why."""


class TargetExists(ExportTargetError):
    """An existing regular file: replaced only when the user agrees."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists")
        self.path = path


def _journal_role(name: str, journal_name: str) -> str | None:
    """What a file called `name` beside the journal `journal_name` is to it, if anything."""
    if name == journal_name:
        return "the journal itself"
    if name == journal_name + LOCK_SUFFIX:
        return "the journal's lock file"
    if name.startswith(journal_name + ".") and "-backup-" in name:
        return "a backup of the journal"
    if name.startswith(journal_name + ".corrupt-"):
        return "a quarantined copy of the journal"
    if name.startswith(f".{journal_name}.tmp-"):
        return "a temporary file of the journal"
    return None


def journal_role(target: Path, journal: Path) -> str | None:
    """Why `target` is one of `journal`'s own files, or None when it is not."""
    real_journal = final_path(journal)
    real_target = final_path(target)
    if real_target.parent == real_journal.parent:
        role = _journal_role(real_target.name, real_journal.name)
        if role:
            return role
    try:
        here = os.stat(target)
    except OSError:
        return None
    try:
        siblings = list(os.scandir(real_journal.parent))
    except OSError:
        return None
    for sibling in siblings:
        role = _journal_role(sibling.name, real_journal.name)
        if role is None:
            continue
        try:
            there = sibling.stat()
        except OSError:
            continue
        if (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino):
            return role + f" ({sibling.path}, linked)"
    return None


def _through_fd_link(path: Path) -> bool:
    """Does `path` lead through /dev/fd or /proc (as /dev/stdout does) to an open file?"""
    current = path
    for _ in range(40):
        if str(current).startswith(("/proc/", "/dev/fd/")):
            return True
        try:
            link = os.readlink(current)
        except OSError:
            return False
        current = Path(os.path.normpath(current.parent / link))
    return False


def _write_in_place(path: Path, text: str, regular: bool) -> Path:
    """Open and write, as a shell's `>` would; O_NONBLOCK so a reader-less FIFO fails."""
    flags = os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_APPEND if regular else 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ENXIO:
            raise ExportTargetError(
                f"cannot write {path}: nothing is reading from it; start the reader first"
            ) from None
        raise ExportTargetError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        # Writes may block as they would for `cat > FIFO`; only the open must not.
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        view = memoryview(text.encode("utf-8"))
        while view:
            view = view[os.write(fd, view) :]
    except OSError as err:
        raise ExportTargetError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        os.close(fd)
    return path


def _refuse_kind(path: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise ExportTargetError(f"{path} is a folder; name a file inside it")
    if stat.S_ISBLK(mode):
        raise ExportTargetError(f"{path} is a disk device; fmtui will not write to it")


def write_export(
    target: str | Path,
    text: str,
    *,
    journal: Path | None,
    overwrite: bool = False,
    stdout: TextIO | None = None,
) -> Path | None:
    """Write `text` to `target` by the rules above; returns the file written, or None
    for standard output (`-`, only where `stdout` is given).

    Raises TargetExists for an existing regular file unless `overwrite`, and
    ExportTargetError for every refused or failed target.
    """
    if str(target) == STDOUT:
        if stdout is None:
            raise ExportTargetError("'-' means standard output here; name a file instead")
        stdout.write(text)
        stdout.flush()
        return None
    path = Path(os.path.abspath(Path(target).expanduser()))
    if journal is not None:
        role = journal_role(path, journal)
        if role:
            raise ExportTargetError(
                f"refusing to write to {path}: it is {role}; choose another file"
            )
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise ExportTargetError(f"cannot write {path}: {err.strerror or err}") from None
    if st is None:
        real = final_path(path)
        if not real.parent.is_dir():
            raise ExportTargetError(f"cannot write {path}: the folder {real.parent} does not exist")
        return _atomic(real, text, 0o666)
    _refuse_kind(path, st.st_mode)
    regular = stat.S_ISREG(st.st_mode)
    if regular and not _through_fd_link(path):
        if not overwrite:
            raise TargetExists(path)
        return _atomic(path, text, 0o666)
    return _write_in_place(path, text, regular)


def _atomic(path: Path, text: str, new_mode: int) -> Path:
    try:
        return atomic_write(path, text, new_mode=new_mode)
    except OSError as err:
        raise ExportTargetError(f"cannot write {path}: {err.strerror or err}") from err
