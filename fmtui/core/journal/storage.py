"""Provides the journal's atomic TinyDB storage and its per-process writer locks."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from fmtui.core import journal_lock
from fmtui.core.atomic import atomic_write
from fmtui.core.journal.index_seal import SEAL_TABLE, read_seal, sealed_text
from fmtui.core.journal.model import dumps
from fmtui.core.journal.recovery import ENTRIES_TABLE
from fmtui.core.journal_errors import JournalWriteError

# ---------------------------------------------------------------- atomic storage


class AtomicJSONStorage(Storage):
    """TinyDB storage writing through `atomic_write`, with an in-memory copy.

    The copy (the JSON text last written) is only replaced after the file was, so a
    failed write leaves both the file and what the process believes is on disk
    unchanged. Reads parse that text, which is cheaper than a deep copy.
    """

    def __init__(
        self,
        path: str | Path,
        initial: dict[str, Any] | None = None,
        text: str | None = None,
    ) -> None:
        """`text`, when given, is the file's own strict JSON of `initial` (kept, not encoded
        again); `initial` then also serves the first reader (see `take_parsed`)."""
        self.path = Path(path)
        self.run_logs: object = None  # the RunLogs beside this file, shared by its writers
        # Ids of the stored entries that fail the schema, once a read has checked them all.
        self.damaged_ids: set[int] | None = None
        self._text: str | None = text if text is not None or initial is None else dumps(initial)
        # The parsed text, while nobody has been handed it to keep: parsing 10 MB once
        # instead of three times is most of what `journal list` costs.
        self._parsed: tuple[str, dict[str, Any]] | None = None
        if text is not None and initial is not None:
            self._parsed = (text, initial)
        # (text, damaged ids) of the last text whose seal was checked or written.
        self.verified: tuple[str, set[int]] | None = None

    def peek(self) -> dict[str, Any]:
        """The stored document, shared: for readers that change and keep nothing of it."""
        if self._text is None:
            return {}
        if self._parsed is None or self._parsed[0] is not self._text:
            self._parsed = (self._text, json.loads(self._text))
        return self._parsed[1]

    def take_parsed(self) -> dict[str, Any]:
        """The stored document, the caller's to keep (the shared copy is let go)."""
        doc = self.peek()
        self._parsed = None
        return doc

    def entry_doc(self, entry_id: int) -> dict[str, Any] | None:
        """One stored entry, for a reader that copies what it keeps (Entry.from_dict does)."""
        table = self.peek().get(ENTRIES_TABLE)
        doc = table.get(str(entry_id)) if isinstance(table, dict) else None
        return doc if isinstance(doc, dict) else None

    def read(self) -> dict[str, Any] | None:
        if self._text is None:
            return None
        return json.loads(self._text)

    def write(self, data: dict[str, Any]) -> None:
        data = {k: v for k, v in data.items() if k != SEAL_TABLE}  # the old seal: replaced
        try:
            # What TinyDB hands back is what it read plus entries' own to_dict: plain JSON.
            body = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            body = dumps(data)  # to_json_safe first: NaN → null, numpy → Python
        text = sealed_text(body, self.damaged_ids)
        try:
            atomic_write(self.path, text)
        except OSError as err:
            reason = err.strerror or str(err)
            raise JournalWriteError(
                f"Could not save the journal {self.path}: {reason}. Nothing on disk was "
                "changed; free space or fix permissions and try again."
            ) from err
        self._text = text
        if self.damaged_ids is not None:
            self.verified = (text, set(self.damaged_ids))

    def known_damaged(self) -> set[int] | None:
        """The sealed damaged ids of the stored text, or None (see index_seal)."""
        if self._text is None:
            return None
        if self.verified is not None and self.verified[0] is self._text:
            return set(self.verified[1])
        found = read_seal(self._text)
        if found is not None:
            self.verified = (self._text, found)
        return found

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
