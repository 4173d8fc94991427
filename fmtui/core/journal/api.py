"""Provides the Journal: a crash-safe TinyDB store of experiment entries.

Guarantees, in the order a write meets them:
- every write goes to a temporary file in the journal's folder, is fsynced, replaces
  the journal with `os.replace` and the folder is fsynced, so a crash leaves either
  the old or the new file, never a torn one;
- only strict JSON is written (non-finite numbers become null);
- one process writes at a time: a kernel `flock` on `<journal>.lock`, held for the
  writer's life and dropped by the kernel when it ends (see journal_lock); readers
  never need the lock, since the file is only ever replaced whole;
- a journal reached through a symlink is written at the link's target, and an
  existing file keeps its mode, owner and group (see atomic);
- a file that is not a valid journal is moved aside byte-for-byte and what can be
  read from it is salvaged into a fresh journal;
- a failed write leaves the file and the in-memory state as they were and raises.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document, Table

from fmtui.core import journal_lock, schema
from fmtui.core.journal.arms import index_entry, interrupt
from fmtui.core.journal.index_seal import SEAL_TABLE
from fmtui.core.journal.model import INDEX_SUMMARY, Entry, now_text
from fmtui.core.journal.opening import JournalOpening
from fmtui.core.journal.recovery import (
    ENTRIES_TABLE,
    META_TABLE,
    Recovery,
)
from fmtui.core.journal.runlog import RunLogs
from fmtui.core.journal.runsave import RunLogSaving
from fmtui.core.journal.storage import (
    AtomicJSONStorage,
    _acquire_process_lock,
    _release_process_lock,
    _shared_storage,
)
from fmtui.core.journal_errors import JournalError
from fmtui.core.schema import ENTRY_STATUSES
from fmtui.core.spec import SpecError
from fmtui.core.status import EntryStatus

SORTS = ("date", "title", "best", "status")


# ---------------------------------------------------------------- the journal


class Journal(JournalOpening, RunLogSaving):
    """The journal file: open once per process for writing, or read-only.

    All access goes through one re-entrant lock per file, so threads (the UI and
    the trainer) can share a Journal safely.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path).expanduser().absolute()
        self.read_only = read_only
        self.recovery: Recovery | None = None
        self.migrated_from: int | None = None
        self.backup: Path | None = None
        self.interrupted: list[int] = []
        self._inline_runs: dict[int, list[dict[str, Any]]] = {}
        self._closed = False
        self._damaged_cache: tuple[str, list[tuple[int, str]]] | None = None
        self._count_cache: tuple[str, int] | None = None
        if read_only:
            self._lock = threading.RLock()
            doc = self._read_only_doc()
            self._storage = AtomicJSONStorage(self.path, doc, self._opened_text)
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise JournalError(
                    f"Cannot create the journal folder {self.path.parent}: {err.strerror or err}."
                ) from err
            self._lock = _acquire_process_lock(self.path)
            shared = _shared_storage.get(self.path)
            sole_writer = shared is None  # this process has just taken the lock
            if shared is None:
                try:
                    doc = self._open_for_writing()
                except BaseException:
                    _release_process_lock(self.path)
                    raise
                shared = AtomicJSONStorage(self.path, doc, self._opened_text)
                _shared_storage[self.path] = shared
            self._storage = shared
        self._db = TinyDB(storage=lambda: self._storage)  # type: ignore[arg-type]
        self._table = self._db.table(ENTRIES_TABLE, cache_size=0)
        # Writers of one file in one process share its logs' state, as they share storage.
        logs = self._storage.run_logs
        self._logs = logs if isinstance(logs, RunLogs) else RunLogs(self.path)
        self._storage.run_logs = self._logs
        if read_only:
            self._mark_interrupted(journal_lock.writer_alive(self.path), keep_pid=None)
        else:
            if sole_writer:  # a file not sealed by fmtui is checked once, then sealed
                self._storage.damaged_ids = self._storage.known_damaged()
                if self._storage.damaged_ids is None:
                    self._read()
            self._mark_interrupted(False, keep_pid=None if sole_writer else os.getpid())

    def _mark_interrupted(self, writer_alive: bool, keep_pid: int | None) -> None:
        """Entries left `running` by a process that is gone become `interrupted`.

        Only the lock holder runs experiments, so a writer that holds the lock knows
        every `running` entry not its own is dead, whatever its pid now names; a
        reader that finds the lock free knows all of them are. A writer saves the
        change; a reader only shows it.
        """
        with self._lock:
            entries = self._storage.peek().get(ENTRIES_TABLE, {})
            running = (e.get("status") == EntryStatus.RUNNING for e in entries.values())
            if writer_alive or not any(running):
                self.interrupted = []
                return  # the common case: nothing to change, and no copy of the index made
            doc = self._storage.read() or {}
            sealed = self._storage.known_damaged() if self.read_only else None
            changed = _interrupt_dead(doc, keep_pid)
            if changed and not self.read_only:
                self._storage.write(doc)
            elif changed:
                # Parsed from JSON, so plain JSON: no to_json_safe walk of every value.
                text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
                self._storage = AtomicJSONStorage(self.path, doc, text)
                if sealed is not None:  # a status the reader changed itself keeps entries valid
                    self._storage.verified = (self._storage._text or "", sealed)
                self._storage.run_logs = self._logs
                self._db = TinyDB(storage=lambda: self._storage)  # type: ignore[arg-type]
                self._table = self._db.table(ENTRIES_TABLE, cache_size=0)
            self.interrupted = changed

    # -- life cycle

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self.read_only:
                _release_process_lock(self.path)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _writable(self) -> None:
        if self.read_only:
            raise JournalError(f"The journal {self.path} was opened read-only.")
        if self._closed:
            raise JournalError(f"The journal {self.path} is closed.")

    @contextmanager
    def table(self, name: str, *, write: bool = False) -> Iterator[Table]:
        """Another table of this file (reports), under the journal's lock and atomic save."""
        if name in (ENTRIES_TABLE, META_TABLE, SEAL_TABLE):
            raise JournalError(f"the {name!r} table is the journal's own")
        if write:
            self._writable()
        with self._lock:
            yield self._db.table(name, cache_size=0)

    # -- entries

    def add(self, entry: Entry) -> int:
        """Insert a new entry; returns (and sets) its id."""
        return self.add_many([entry])[0]

    def add_many(
        self,
        entries: Sequence[Entry],
        before_write: Callable[[list[int]], None] | None = None,
    ) -> list[int]:
        """Insert several entries in one write: all of them or, on failure, none.

        `before_write` is told the ids the entries will get and may still change them
        (an import relinks reruns), so links are right in that same single write.
        """
        self._writable()
        with self._lock:
            # The ids first: each entry's run log is written, under its id, before the index.
            ids = self._free_ids(len(entries))
            if before_write is not None:
                before_write(ids)
            docs: list[Any] = []
            try:
                for entry, entry_id in zip(entries, ids, strict=True):
                    self._write_new_log(entry_id, entry)
                    docs.append(Document(self._index_doc(entry), doc_id=entry_id))
                ids = self._table.insert_multiple(docs)
            except BaseException:
                for entry_id in ids:
                    self._drop_log(entry_id)
                raise
            if ids:  # explicit ids bypass TinyDB's counter: move it past them
                # TinyDB leaves `_next_id` unannotated, so mypy takes its `= None` as the type.
                next_id = max(ids[-1] + 1, self._table._next_id or 0)
                self._table._next_id = next_id  # type: ignore[assignment]
            for entry, entry_id in zip(entries, ids, strict=True):
                entry.id = entry_id
            return ids

    def _free_ids(self, count: int) -> list[int]:
        """The ids TinyDB would give the next `count` inserts (its counter, else max + 1).

        Its counter runs past deleted ids within a session, so an id is not reused while
        a dangling link to it may still be on screen.
        """
        largest = max((doc.doc_id for doc in self._table.all()), default=0)
        start = max(largest + 1, self._table._next_id or 0)
        return list(range(start, start + count))

    def _save(self, entry: Entry, touch: bool = True) -> None:
        if entry.id is None or not self._table.contains(doc_id=entry.id):
            raise JournalError(f"No entry {entry.id} in the journal {self.path}.")
        previous = entry.updated
        if touch:
            entry.updated = now_text()
        data = self._index_doc(entry)
        try:
            self._table.update(_replace_all(data), doc_ids=[entry.id])
        except BaseException:
            entry.updated = previous
            raise

    def update(self, entry: Entry) -> None:
        """Save an existing entry (by its id), stamping `updated`.

        A whole entry's bulky run data goes to its run log when it changed; an entry of
        summaries (from `all` or `query`) saves its index record only, and no save
        drops a bulky field the log has and the entry lacks.
        """
        self._writable()
        with self._lock:
            if entry.id is None or not self._table.contains(doc_id=entry.id):
                raise JournalError(f"No entry {entry.id} in the journal {self.path}.")
            if not entry.runs_are_summaries:
                self._sync_log(entry)
            self._save(entry)

    def get(self, entry_id: int) -> Entry:
        """The entry; a damaged one raises JournalError saying what is wrong with it."""
        with self._lock:
            return self._joined(self._indexed(entry_id))

    def summary(self, entry_id: int) -> Entry:
        """The entry as the index keeps it, its runs as summaries (its log is not read):
        what a list row needs. `load_runs` gives it its runs later."""
        with self._lock:
            return self._indexed(entry_id)

    def _indexed(self, entry_id: int) -> Entry:
        doc = self._storage.entry_doc(entry_id)
        if doc is None:
            raise JournalError(f"No entry {entry_id} in the journal {self.path}.")
        try:
            return index_entry(doc, entry_id)
        except SpecError as err:
            raise JournalError(_damaged_message(self.path, entry_id, str(err))) from None

    def delete(self, entry_id: int) -> None:
        self._writable()
        with self._lock:
            if not self._table.contains(doc_id=entry_id):
                raise JournalError(f"No entry {entry_id} in the journal {self.path}.")
            self._table.remove(doc_ids=[entry_id])
            self._drop_log(entry_id)

    def all(self) -> list[Entry]:
        """Every entry that passes the schema, whole (each run log read); see `damaged`.

        Lists, searches and the browser use `summaries` or `query`, which read the
        index alone.
        """
        return self.full(self._read()[0])

    def summaries(self) -> list[Entry]:
        """Every entry that passes the schema, its runs as summaries (the index alone).

        Summaries are what list, search, sort, verdicts and the preview need; `get` and
        `full` give entries with every run field (curves, confusion, environment).
        """
        return self._read()[0]

    def full(self, entries: Iterable[Entry]) -> list[Entry]:
        """The same entries with whole runs: for exports, comparisons and reruns."""
        with self._lock:
            return [self._joined(copy.copy(e)) if e.runs_are_summaries else e for e in entries]

    def damaged(self) -> list[tuple[int, str]]:
        """(id, reason) of every stored entry that fails the schema, by id.

        Such entries come from files written by hand or by other tools; readers show
        them as damaged (and they can be deleted) instead of hiding them.
        """
        with self._lock:
            # The last read's answer holds while the stored text is the same object: a
            # screen asks for entries and then for damaged ones, and one check is enough.
            cached = self._damaged_cache
            if cached is not None and cached[0] is getattr(self._storage, "_text", None):
                return list(cached[1])
            return self._read()[1]

    def _read(self) -> tuple[list[Entry], list[tuple[int, str]]]:
        with self._lock:
            text = getattr(self._storage, "_text", None)
            known_damaged = self._storage.known_damaged()  # None: check each (index_seal)
            doc = self._storage.take_parsed()  # the entries keep parts of it
            good, bad = [], []
            for key, value in doc.get(ENTRIES_TABLE, {}).items():
                entry_id = int(key)
                entry = None
                if known_damaged is not None and entry_id not in known_damaged:
                    entry = Entry.trusted(value, entry_id)
                try:
                    entry = entry or index_entry(value, entry_id)
                except (SpecError, TypeError, ValueError) as err:
                    bad.append((entry_id, str(err)))
                    continue
                good.append(entry)
            bad.sort()
            self._storage.damaged_ids = {i for i, _ in bad}
            self._damaged_cache = None if text is None else (text, bad)
            self._count_cache = None if text is None else (text, len(good) + len(bad))
            return good, list(bad)

    def __len__(self) -> int:
        with self._lock:
            cached = self._count_cache
            if cached is not None and cached[0] is getattr(self._storage, "_text", None):
                return cached[1]
            entries = self._storage.peek().get(ENTRIES_TABLE, {})
            return len(entries) if isinstance(entries, dict) else 0

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.all())

    def query(
        self,
        *,
        sort: str = "date",
        reverse: bool | None = None,
        status: Iterable[str] | None = None,
        tag: str | None = None,
        verdict: str | None = None,
        text: str | None = None,
    ) -> list[Entry]:
        """Entries (run summaries) filtered and sorted; date and best sort newest/best first."""
        if sort not in SORTS:
            raise SpecError("sort", f"expected one of {', '.join(SORTS)}, got {sort!r}")
        wanted = set(status or ())
        entries = [
            e
            for e in self.summaries()
            if (not wanted or e.status in wanted)
            and (tag is None or tag in e.tags)
            and (verdict is None or (e.verdict or "") == verdict)
            and (not text or all(word in e.text() for word in text.lower().split()))
        ]
        keys: dict[str, Callable[[Entry], Any]] = {
            "date": lambda e: (e.created, e.id or 0),
            "title": lambda e: e.title.lower(),
            "best": lambda e: (e.best_accuracy is not None, e.best_accuracy or 0.0),
            "status": lambda e: (ENTRY_STATUSES.index(e.status), e.created),
        }
        default_reverse = sort in ("date", "best")
        return sorted(
            entries,
            key=keys[sort],
            reverse=default_reverse if reverse is None else reverse,
        )


def _damaged_message(path: Path, entry_id: int, reason: str) -> str:
    return (
        f"Entry {entry_id} in the journal {path} is damaged: {reason}. Fix the file by "
        "hand, or delete the entry (Delete in the app's journal)."
    )


def _interrupt_dead(doc: dict[str, Any], keep_pid: int | None) -> list[int]:
    """Mark `running` entries not run by `keep_pid` as interrupted; returns their ids."""
    changed = []
    for key, entry in doc.get(ENTRIES_TABLE, {}).items():
        if entry.get("status") != EntryStatus.RUNNING:
            continue
        pid = entry.get("pid")
        # A hand-written pid may be anything: only a valid one can be ours.
        valid = type(pid) is int and 0 < pid <= schema.MAX_PID
        if keep_pid is not None and valid and pid == keep_pid:
            continue
        entry["status"] = EntryStatus.INTERRUPTED.value
        entry["pid"] = None
        # Its runs are in the log: readers show a `running` one of an interrupted entry
        # as interrupted (runsave._as_read), and its summary counts it so.
        summary = entry.get(INDEX_SUMMARY)
        if isinstance(summary, dict) and isinstance(summary.get("arms"), list):
            interrupt(summary)
        changed.append(int(key))
    return changed


def _replace_all(data: dict[str, Any]) -> Callable[[MutableMapping[str, Any]], None]:
    """A TinyDB update operation that replaces the whole document."""

    def transform(doc: MutableMapping[str, Any]) -> None:
        doc.clear()
        doc.update(copy.deepcopy(data))

    return transform


def open_journal(path: str | Path | None = None, *, read_only: bool = False) -> Journal:
    """Open the journal at `path`, FMTUI_JOURNAL or the default data location."""
    from fmtui import paths

    return Journal(Path(path) if path else paths.journal_path(), read_only=read_only)
