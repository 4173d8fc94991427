"""Provides crash-safe whole-file writes that keep the target's symlink, mode and group."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable; a folder that cannot be opened is skipped."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_prefix(path: Path) -> str:
    """The name prefix of `atomic_write`'s temporary files for `path` (same folder)."""
    return f".{path.name}.tmp-"


def final_path(path: Path) -> Path:
    """The file a write to `path` must replace: symlinks resolved, so they stay links."""
    return Path(os.path.realpath(path))


def copy_owner_and_mode(fd: int, like: os.stat_result) -> None:
    """Give the open file `fd` the owner, group and permission bits of `like`.

    Owner first: chown clears set-id bits, so the mode is applied after it. A caller
    that may not give the file away (not root) still keeps the group where it is a
    member of it; otherwise the file keeps the caller's own.
    """
    try:
        os.fchown(fd, like.st_uid, like.st_gid)
    except OSError:
        try:
            os.fchown(fd, -1, like.st_gid)
        except OSError:
            pass
    os.fchmod(fd, stat.S_IMODE(like.st_mode))


def atomic_write(path: Path, text: str, *, new_mode: int = 0o600, like: Path | None = None) -> Path:
    """Write `text` to `path` so that a crash at any point leaves old or new content.

    Through a symlink the link's target is replaced and the link kept. An existing
    file keeps its mode, owner and group; a new one gets the mode, owner and group
    of `like` when given, else `new_mode` (less the umask). Returns the file written.
    """
    final = final_path(path)
    try:
        old: os.stat_result | None = os.stat(final)
    except FileNotFoundError:
        old = None
    if old is None and like is not None:
        try:
            old = os.stat(like)
        except OSError:
            old = None
    tmp = final.with_name(f"{temp_prefix(final)}{os.getpid()}-{threading.get_ident()}")
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(tmp, flags, 0o600 if old is not None else new_mode)
        try:
            payload = text.encode("utf-8")
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if old is not None:
                copy_owner_and_mode(fd, old)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    fsync_dir(final.parent)
    return final
