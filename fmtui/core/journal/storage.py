"""Provides the journal's atomic TinyDB storage and its per-process writer locks."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from fmtui.core import journal_lock
from fmtui.core.atomic import atomic_write
from fmtui.core.journal.model import dumps
from fmtui.core.journal_errors import JournalWriteError

# ---------------------------------------------------------------- atomic storage


class AtomicJSONStorage(Storage):
    """TinyDB storage writing through `atomic_write`, with an in-memory copy.

    The copy (the JSON text last written) is only replaced after the file was, so a
    failed write leaves both the file and what the process believes is on disk
    unchanged. Reads parse that text, which is cheaper than a deep copy.
    """

    def __init__(self, path: str | Path, initial: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self._text: str | None = None if initial is None else dumps(initial)

    def read(self) -> dict[str, Any] | None:
        if self._text is None:
            return None
        return json.loads(self._text)

    def write(self, data: dict[str, Any]) -> None:
        text = dumps(data)  # to_json_safe + allow_nan=False: strict JSON only
        try:
            atomic_write(self.path, text)
        except OSError as err:
            reason = err.strerror or str(err)
            raise JournalWriteError(
                f"Could not save the journal {self.path}: {reason}. Nothing on disk was "
                "changed; free space or fix permissions and try again."
            ) from err
        self._text = text

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- locking


# One RLock and one kernel lock per journal file in this process, with a user count.
_process_locks: dict[Path, tuple[threading.RLock, int, journal_lock.HeldLock]] = {}
# Writers of one file in one process share its storage, so none works from a stale copy.
_shared_storage: dict[Path, AtomicJSONStorage] = {}
_registry_lock = threading.Lock()


def _acquire_process_lock(path: Path) -> threading.RLock:
    """One RLock per journal file in this process; the flock guards other processes."""
    with _registry_lock:
        if path in _process_locks:
            lock, count, held = _process_locks[path]
            _process_locks[path] = (lock, count + 1, held)
            return lock
        held = journal_lock.acquire(path)
        lock = threading.RLock()
        _process_locks[path] = (lock, 1, held)
        return lock


def _release_process_lock(path: Path) -> None:
    with _registry_lock:
        if path not in _process_locks:
            return
        lock, count, held = _process_locks[path]
        if count > 1:
            _process_locks[path] = (lock, count - 1, held)
            return
        del _process_locks[path]
        _shared_storage.pop(path, None)
        journal_lock.release(held)
