"""Provides the journal's single-writer lock: a kernel `flock` on `<journal>.lock`.

The kernel holds the lock for as long as the writer's file descriptor is open and
drops it when the process ends in any way (kill -9 included), so there are no
stale locks to guess about and no takeover to race for. The pid written into the
file is only information for the "in use by pid N" message.

Release unlinks the file while still holding the lock; an opener that locked the
unlinked file finds it is no longer the one at the path and tries again, so two
writers can never hold locks on two different files.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from fmtui.core.atomic import final_path
from fmtui.core.journal_errors import JournalError, JournalLocked

LOCK_SUFFIX = ".lock"
# A reader's probe holds a shared lock for microseconds; a writer that meets one
# tries again for this long before it reports the journal as in use.
BUSY_RETRY_S = 1.0
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_FULL = (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class HeldLock:
    """A taken lock: the open descriptor that holds it and the file's path."""

    fd: int
    path: Path


def lock_path(journal: Path) -> Path:
    """`<journal>.lock` beside the real journal file, so every symlink shares one lock."""
    real = final_path(journal)
    return real.with_name(real.name + LOCK_SUFFIX)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _unusable(journal: Path, path: Path, what: str) -> JournalError:
    return JournalError(
        f"Cannot lock the journal {journal}: its lock file {path} is {what}. fmtui only "
        "uses a regular file there; move that away and try again. Reading commands "
        "(journal list/show, export) work meanwhile."
    )


def _open(journal: Path, path: Path) -> int:
    """Open (creating) the lock file without following links or blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _OPEN_FLAGS, 0o644)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _unusable(journal, path, "a symbolic link") from None
        if err.errno == errno.EISDIR:
            raise _unusable(journal, path, "a folder") from None
        if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise _open_error(journal, path, err) from None
        try:  # flock needs no write access; the pid is then simply not recorded
            fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
        except OSError:
            raise _open_error(journal, path, err) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _unusable(journal, path, _kind(mode))
    return fd


def _open_error(journal: Path, path: Path, err: OSError) -> JournalError:
    reason = err.strerror or str(err)
    advice = "Free some space and try again." if err.errno in _FULL else "Fix that and try again."
    return JournalError(
        f"Cannot lock the journal {journal}: cannot open its lock file {path}: {reason}. "
        f"{advice} Reading commands (journal list/show, export) work meanwhile."
    )


def _same_file(fd: int, path: Path) -> bool:
    """Is the locked descriptor still the file at `path` (not unlinked by a releaser)?"""
    try:
        here = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _record_pid(fd: int) -> None:
    """Write our pid for others' messages; failing (full disk, read-only fd) is harmless."""
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError:
        pass


def acquire(journal: Path) -> HeldLock:
    """Take the journal's writer lock or raise JournalLocked naming the holder."""
    path = lock_path(journal)
    deadline = time.monotonic() + BUSY_RETRY_S
    while True:
        fd = _open(journal, path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            if time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            who = f" (pid {holder})" if holder else ""
            raise JournalLocked(
                f"The journal {journal} is in use by another fmtui process{who}. "
                "Close it first, or open another journal with --journal PATH. "
                "Reading commands (journal list/show, export) work meanwhile."
            ) from None
        except OSError as err:
            os.close(fd)
            reason = err.strerror or err
            raise JournalError(f"Cannot lock the journal {journal}: {reason}.") from err
        if not _same_file(fd, path):
            os.close(fd)
            continue
        _record_pid(fd)
        return HeldLock(fd, path)


def release(held: HeldLock) -> None:
    """Remove the lock file while still holding the lock, then let the kernel drop it."""
    try:
        if _same_file(held.fd, held.path):
            held.path.unlink()
    except OSError:
        pass
    finally:
        os.close(held.fd)


def writer_alive(journal: Path) -> bool:
    """Does some process hold the writer lock? Tested with a shared lock, never waited on.

    A lock file that cannot be tested counts as held, so a reader changes nothing.
    """
    path = lock_path(journal)
    for _ in range(10):
        try:
            fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
        except FileNotFoundError:
            return False
        except OSError:
            return True
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return True
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            if _same_file(fd, path):
                return False
        finally:
            os.close(fd)  # closing drops the shared lock at once
    return True
