"""Provides the journal: a crash-safe TinyDB store of experiment entries.

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
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from fmtui.core import journal_lock, schema
from fmtui.core.atomic import atomic_write, final_path, fsync_dir, temp_prefix
from fmtui.core.journal_errors import JournalError, JournalLocked, JournalWriteError
from fmtui.core.schema import (
    ADJUST_CHOICES,
    DIRECTIONS,
    ENTRY_STATUSES,
    METRICS,
    TEXT_FIELDS,
    TIME_FORMAT,
)
from fmtui.core.spec import SpecError

SCHEMA_VERSION = 1
SORTS = ("date", "title", "best", "status")
ENTRIES_TABLE = "entries"
META_TABLE = "_meta"


def now_text() -> str:
    return datetime.now().strftime(TIME_FORMAT)


# ---------------------------------------------------------------- strict JSON


def to_json_safe(value: Any) -> Any:
    """Plain JSON values only: non-finite floats → None, numpy/torch scalars → Python."""
    kind = type(value)  # exact types first: every journal read walks every number
    if kind is str or kind is int or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if kind is list:
        return [to_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    item = getattr(value, "item", None)  # numpy and torch scalars
    if callable(item):
        try:
            return to_json_safe(item())
        except (ValueError, RuntimeError):
            pass
    tolist = getattr(value, "tolist", None)  # numpy arrays and tensors
    if callable(tolist):
        return to_json_safe(tolist())
    raise TypeError(f"cannot store a {type(value).__name__} in the journal")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_loads(text: str) -> Any:
    """`json.loads` that refuses NaN/Infinity, as any strict JSON reader would."""
    return json.loads(text, parse_constant=_reject_constant)


def dumps(data: Any) -> str:
    return json.dumps(
        to_json_safe(data), allow_nan=False, ensure_ascii=False, separators=(",", ":")
    )


# ---------------------------------------------------------------- entry model


@dataclass
class Claim:
    """A specific hypothesis: the metric, which way it should move, against which arm."""

    metric: str = "test_acc"
    direction: str = "higher"
    baseline: str = ""
    alpha: float = 0.05
    margin: float = 0.005
    # Multiplicity: "auto" is Holm, or Benjamini–Hochberg when the claim is exploratory.
    adjust: str = "auto"
    exploratory: bool = False
    # Seeds until decided: 0 = a fixed number of seeds; futility below this effect.
    max_seeds: int = 0
    smallest_effect: float = 0.0

    def __post_init__(self) -> None:
        from fmtui.core.spec import parse_choice, parse_float, parse_int

        # Lenient on purpose: the form gives text ("0.05", "Higher"); files go through
        # `from_dict`, which holds them to the schema first.
        self.metric = parse_choice("metric", self.metric, METRICS)
        self.direction = parse_choice("direction", self.direction, DIRECTIONS)
        self.baseline = schema.text(80)("baseline", self.baseline)
        self.alpha = parse_float("alpha", self.alpha, 0.0, 0.5, lo_open=True)
        self.margin = parse_float("margin", self.margin, 0.0, 1.0)
        self.adjust = parse_choice("adjust", self.adjust, ADJUST_CHOICES)
        if not isinstance(self.exploratory, bool):
            raise SpecError("exploratory", f"expected true or false, got {self.exploratory!r}")
        self.max_seeds = parse_int("max_seeds", self.max_seeds, 0, 100)
        self.smallest_effect = parse_float("smallest_effect", self.smallest_effect, 0.0, 1.0)

    @property
    def adjustment(self) -> str:
        """The multiplicity adjustment in force: holm, bh, dunnett or none."""
        if self.adjust != "auto":
            return self.adjust
        return "bh" if self.exploratory else "holm"

    @classmethod
    def from_dict(cls, data: Any) -> Claim | None:
        checked = schema.CLAIM("claim", data)
        return None if checked is None else cls(**checked)


def _stored(name: str, value: Any) -> Any:
    """Plain JSON first (numpy scalars, NaN from a diverged run become null), then the schema."""
    try:
        return schema.check_field(name, to_json_safe(value))
    except TypeError as err:
        raise SpecError(name, str(err)) from None
    except RecursionError:
        raise SpecError(name, "nested too deeply") from None


@dataclass
class Entry:
    """One experiment in the journal, from drafted hypothesis to conclusion.

    Every field is checked against `fmtui.core.schema.ENTRY` on construction, so an
    Entry in hand is one every reader can show.
    """

    title: str = ""
    objective: str = ""
    hypothesis: str = ""
    methodology: str = ""
    results: str = ""
    evaluation: str = ""
    conclusion: str = ""
    tags: list[str] = field(default_factory=list)
    status: str = "draft"
    claim: Claim | None = None
    experiment: dict[str, Any] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    verdict: str | None = None
    stats: dict[str, Any] | None = None
    origin: str = "fmtui"  # fmtui | imported
    parent_id: int | None = None
    # Why a rerun has no parent_id (its original was not imported with it), shown to readers.
    link_note: str = ""
    # The last rerun check against the parent: see fmtui.core.reproduce.
    reproduction: dict[str, Any] | None = None
    pid: int | None = None
    created: str = field(default_factory=now_text)
    updated: str = field(default_factory=now_text)
    id: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "claim":
                if not isinstance(value, Claim):
                    self.claim = Claim.from_dict(value)
                continue
            if f.name == "tags" and isinstance(value, tuple):
                value = list(value)
            setattr(self, f.name, _stored(f.name, value))
        self.tags = list(dict.fromkeys(t.strip() for t in self.tags if t.strip()))

    @property
    def best_accuracy(self) -> float | None:
        values = [r.get("test_acc") for r in self.runs if r.get("status") == "completed"]
        accs: list[float] = [a for a in values if isinstance(a, int | float)]
        return max(accs) if accs else None

    def text(self) -> str:
        """Everything searchable, lower-cased."""
        parts = [self.title, *(getattr(self, n) for n in TEXT_FIELDS), " ".join(self.tags)]
        parts += [r.get("arm", "") for r in self.runs]
        return "\n".join(parts).lower()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["claim"] = asdict(self.claim) if self.claim else None
        return to_json_safe(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], entry_id: int | None = None) -> Entry:
        """An entry from stored or imported data; unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise SpecError("entry", f"expected an object, got {type(data).__name__}")
        schema.check_entry_keys(data)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if entry_id is not None:
            values["id"] = entry_id
        return cls(**values)


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


# ---------------------------------------------------------------- recovery


@dataclass(frozen=True)
class Recovery:
    """What happened when an unreadable journal was found."""

    path: Path
    moved_to: Path
    recovered: int
    reason: str

    def message(self) -> str:
        return (
            f"The journal {self.path} could not be read ({self.reason}). It was moved, "
            f"unchanged, to {self.moved_to}; {self.recovered} "
            f"entr{'y was' if self.recovered == 1 else 'ies were'} recovered into a fresh "
            f"journal at {self.path}."
        )


class _Invalid(Exception):
    pass


def _parse_journal(raw: bytes) -> dict[str, Any]:
    """The TinyDB document of a journal file, or _Invalid saying why not."""
    if not raw.strip():
        raise _Invalid("the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid("the file is not text") from None
    try:
        doc = strict_loads(text)
    except ValueError as err:
        raise _Invalid(f"not valid JSON: {err}") from None
    except RecursionError:
        raise _Invalid("not a journal: values nested too deeply") from None
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise _Invalid("not a journal: expected tables of entries")
    table = doc.get(ENTRIES_TABLE, {})
    for key, value in table.items():
        if not key.isdigit() or not isinstance(value, dict):
            raise _Invalid("not a journal: entries table holds something else")
    return doc


_KEY_RE = re.compile(r'\s*,?\s*"(\d+)"\s*:\s*')


def _salvage(raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Entries that can still be read from a damaged file, in file order."""
    try:
        return _salvage_text(raw.decode("utf-8", errors="replace"))
    except RecursionError:  # values nested thousands deep: nothing worth keeping
        return []


def _salvage_text(text: str) -> list[tuple[int, dict[str, Any]]]:
    decoder = json.JSONDecoder()  # lenient: NaN is read here and stored as null later
    # Trailing garbage: the first complete document may be intact.
    try:
        doc, _ = decoder.raw_decode(text.lstrip())
        if isinstance(doc, dict) and isinstance(doc.get(ENTRIES_TABLE), dict):
            return [
                (int(k), v)
                for k, v in doc[ENTRIES_TABLE].items()
                if k.isdigit() and isinstance(v, dict)
            ]
        if isinstance(doc, dict) and isinstance(doc.get("entries"), list):  # an export
            return [(0, v) for v in doc["entries"] if isinstance(v, dict)]
    except ValueError:
        pass
    # Truncated: read "id": {...} pairs one by one until the damage.
    table = re.search(rf'"{ENTRIES_TABLE}"\s*:\s*\{{', text)
    if table is None:
        return []
    pos = table.end()
    found = []
    while True:
        match = _KEY_RE.match(text, pos)
        if not match:
            break
        try:
            value, pos = decoder.raw_decode(text, match.end())
        except ValueError:
            break
        if isinstance(value, dict):
            found.append((int(match.group(1)), value))
    return found


# ---------------------------------------------------------------- migrations


def _migrate_0_to_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0: a TinyDB file with entries but no schema record (early files)."""
    entries = doc.get(ENTRIES_TABLE, {})
    for value in entries.values():
        value.setdefault("tags", [])
        value.setdefault("runs", [])
        value.setdefault("status", "completed" if value.get("runs") else "draft")
        value.setdefault("origin", "fmtui")
        for name in TEXT_FIELDS:
            value.setdefault(name, "")
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _migrate_0_to_1}


class UnknownSchemaVersion(ValueError):
    """A schema_version that is not a whole number fmtui ever wrote ("99", 2.0, true, -1)."""


def _schema_version(doc: dict[str, Any]) -> int:
    """The stored schema version; 0 when there is none (early files).

    Only a non-negative JSON integer is a version: anything else stored there is a
    file this fmtui does not understand, refused rather than migrated.
    """
    meta = doc.get(META_TABLE, {})
    for value in meta.values():
        if not isinstance(value, dict) or "schema_version" not in value:
            continue
        version = value["schema_version"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise UnknownSchemaVersion(repr(version)[:40])
        return version
    return 0


def _stamp(path: Path) -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _aside_path(path: Path, label: str) -> Path:
    candidate = path.with_name(f"{path.name}.{label}-{_stamp(path)}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{label}-{_stamp(path)}-{n}")
    return candidate


# ---------------------------------------------------------------- the journal


class Journal:
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
        self._closed = False
        self._damaged_cache: tuple[str, list[tuple[int, str]]] | None = None
        if read_only:
            self._lock = threading.RLock()
            doc = self._read_only_doc()
            self._storage = AtomicJSONStorage(self.path, doc)
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
                shared = _shared_storage[self.path] = AtomicJSONStorage(self.path, doc)
            self._storage = shared
        self._db = TinyDB(storage=lambda: self._storage)  # type: ignore[arg-type]
        self._table = self._db.table(ENTRIES_TABLE, cache_size=0)
        if read_only:
            self._mark_interrupted(journal_lock.writer_alive(self.path), keep_pid=None)
        else:
            self._mark_interrupted(False, keep_pid=None if sole_writer else os.getpid())

    # -- opening

    def _read_only_doc(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {META_TABLE: {"1": {"schema_version": SCHEMA_VERSION}}, ENTRIES_TABLE: {}}
        except OSError as err:
            raise JournalError(f"Cannot read the journal {self.path}: {err.strerror}.") from err
        try:
            doc = _parse_journal(raw)
        except _Invalid as err:
            raise JournalError(
                f"The journal {self.path} could not be read ({err}). Open it for writing "
                "(run `fmtui`) to move it aside and recover what can be read."
            ) from None
        self._check_version(doc)
        return self._migrated(doc, write_backup=False)

    def _open_for_writing(self) -> dict[str, Any]:
        # Safe only because we hold the writer lock: no live process writes these.
        real = final_path(self.path)
        for orphan in real.parent.glob(temp_prefix(real) + "*"):
            try:
                orphan.unlink()
            except OSError:
                pass
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            doc = {META_TABLE: {"1": {"schema_version": SCHEMA_VERSION}}, ENTRIES_TABLE: {}}
            self._write_doc(doc)
            return doc
        except OSError as err:
            raise JournalError(f"Cannot read the journal {self.path}: {err.strerror}.") from err
        try:
            doc = _parse_journal(raw)
        except _Invalid as err:
            return self._quarantine(raw, str(err))
        self._check_version(doc)
        return self._migrated(doc, write_backup=True)

    def _check_version(self, doc: dict[str, Any]) -> None:
        try:
            version = _schema_version(doc)
        except UnknownSchemaVersion as err:
            raise JournalError(
                f"The journal {self.path} has an unknown schema version ({err}; this fmtui "
                f"reads whole numbers up to {SCHEMA_VERSION}). The file was not changed."
            ) from None
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"The journal {self.path} was written by a newer fmtui (schema {version}; this "
                f"version reads up to {SCHEMA_VERSION}). Upgrade fmtui; the file was not changed."
            )

    def _migrated(self, doc: dict[str, Any], write_backup: bool) -> dict[str, Any]:
        version = _schema_version(doc)
        if version == SCHEMA_VERSION:
            return doc
        if write_backup:
            real = final_path(self.path)
            backup = _aside_path(real, f"v{version}-backup")
            atomic_write(backup, real.read_text("utf-8"), like=real)
            self.backup = backup
        self.migrated_from = version
        while version < SCHEMA_VERSION:
            doc = MIGRATIONS[version](doc)
            version += 1
        doc[META_TABLE] = {"1": {"schema_version": SCHEMA_VERSION}}
        if write_backup:
            self._write_doc(doc)
        return doc

    def _quarantine(self, raw: bytes, reason: str) -> dict[str, Any]:
        real = final_path(self.path)  # through a symlink: move the file, keep the link
        moved_to = _aside_path(real, "corrupt")
        os.replace(real, moved_to)  # a rename: the bytes and mode stay exactly as they were
        fsync_dir(moved_to.parent)
        entries: dict[str, Any] = {}
        next_id = 1
        for old_id, value in _salvage(raw):
            try:
                entry = Entry.from_dict(value)
            except (SpecError, TypeError, ValueError):
                continue
            key = old_id if old_id and str(old_id) not in entries else next_id
            while str(key) in entries:
                key += 1
            entries[str(key)] = entry.to_dict() | {"id": None}
            next_id = max(next_id, key + 1)
        for value in entries.values():
            value.pop("id", None)
        doc = {META_TABLE: {"1": {"schema_version": SCHEMA_VERSION}}, ENTRIES_TABLE: entries}
        self._write_doc(doc, like=moved_to)
        self.recovery = Recovery(self.path, moved_to, len(entries), reason)
        return doc

    def _write_doc(self, doc: dict[str, Any], like: Path | None = None) -> None:
        try:
            atomic_write(self.path, dumps(doc), like=like)
        except OSError as err:
            raise JournalWriteError(
                f"Could not save the journal {self.path}: {err.strerror or err}."
            ) from err

    def _mark_interrupted(self, writer_alive: bool, keep_pid: int | None) -> None:
        """Entries left `running` by a process that is gone become `interrupted`.

        Only the lock holder runs experiments, so a writer that holds the lock knows
        every `running` entry not its own is dead, whatever its pid now names; a
        reader that finds the lock free knows all of them are. A writer saves the
        change; a reader only shows it.
        """
        with self._lock:
            doc = self._storage.read() or {}
            changed = [] if writer_alive else _interrupt_dead(doc, keep_pid)
            if changed and not self.read_only:
                self._storage.write(doc)
            elif changed:
                self._storage = AtomicJSONStorage(self.path, doc)
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
        if name in (ENTRIES_TABLE, META_TABLE):
            raise JournalError(f"the {name!r} table is the journal's own")
        if write:
            self._writable()
        with self._lock:
            yield self._db.table(name, cache_size=0)

    # -- entries

    def add(self, entry: Entry) -> int:
        """Insert a new entry; returns (and sets) its id."""
        self._writable()
        with self._lock:
            data = entry.to_dict()
            data.pop("id", None)
            entry_id = self._table.insert(data)
            entry.id = entry_id
            return entry_id

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
            ids: list[int] | None = None
            if before_write is not None:
                ids = self._free_ids(len(entries))
                before_write(ids)
            docs: list[Any] = []
            for entry in entries:
                data = entry.to_dict()
                data.pop("id", None)
                docs.append(data)
            if ids is not None:
                docs = [Document(d, doc_id=i) for d, i in zip(docs, ids, strict=True)]
            ids = self._table.insert_multiple(docs)
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
        data = entry.to_dict()
        data.pop("id", None)
        try:
            self._table.update(_replace_all(data), doc_ids=[entry.id])
        except BaseException:
            entry.updated = previous
            raise

    def update(self, entry: Entry) -> None:
        """Save an existing entry (by its id), stamping `updated`."""
        self._writable()
        with self._lock:
            self._save(entry)

    def get(self, entry_id: int) -> Entry:
        """The entry; a damaged one raises JournalError saying what is wrong with it."""
        with self._lock:
            doc = self._table.get(doc_id=entry_id)
            if doc is None:
                raise JournalError(f"No entry {entry_id} in the journal {self.path}.")
            try:
                return Entry.from_dict(doc, entry_id)
            except SpecError as err:
                raise JournalError(_damaged_message(self.path, entry_id, str(err))) from None

    def delete(self, entry_id: int) -> None:
        self._writable()
        with self._lock:
            if not self._table.contains(doc_id=entry_id):
                raise JournalError(f"No entry {entry_id} in the journal {self.path}.")
            self._table.remove(doc_ids=[entry_id])

    def all(self) -> list[Entry]:
        """Every entry that passes the schema; see `damaged` for the others."""
        return self._read()[0]

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
            good, bad = [], []
            for doc in self._table.all():
                try:
                    good.append(Entry.from_dict(doc, doc.doc_id))
                except (SpecError, TypeError, ValueError) as err:
                    bad.append((doc.doc_id, str(err)))
            bad.sort()
            self._damaged_cache = None if text is None else (text, bad)
            return good, list(bad)

    def __len__(self) -> int:
        with self._lock:
            return len(self._table)

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
        """Entries filtered and sorted; date and best accuracy sort newest/best first."""
        if sort not in SORTS:
            raise SpecError("sort", f"expected one of {', '.join(SORTS)}, got {sort!r}")
        wanted = set(status or ())
        entries = [
            e
            for e in self.all()
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


@dataclass(frozen=True)
class Search:
    """A browser search: free words plus `status:`, `tag:` and `verdict:` filters."""

    words: str = ""
    status: tuple[str, ...] = ()
    tag: str | None = None
    verdict: str | None = None

    @classmethod
    def parse(cls, text: str) -> Search:
        words, status, tag, verdict = [], [], None, None
        for token in text.split():
            key, sep, value = token.partition(":")
            key = key.lower()
            if sep and value and key == "status":
                status.append(value.lower())
            elif sep and value and key == "tag":
                tag = value
            elif sep and value and key == "verdict":
                verdict = value.lower()
            else:
                words.append(token)
        return cls(" ".join(words), tuple(status), tag, verdict)

    def query_args(self) -> dict[str, Any]:
        return {
            "text": self.words or None,
            "status": self.status or None,
            "tag": self.tag,
            "verdict": self.verdict,
        }


def _damaged_message(path: Path, entry_id: int, reason: str) -> str:
    return (
        f"Entry {entry_id} in the journal {path} is damaged: {reason}. Fix the file by "
        "hand, or delete the entry (Delete in the app's journal)."
    )


def _interrupt_dead(doc: dict[str, Any], keep_pid: int | None) -> list[int]:
    """Mark `running` entries not run by `keep_pid` as interrupted; returns their ids."""
    changed = []
    for key, entry in doc.get(ENTRIES_TABLE, {}).items():
        if entry.get("status") != "running":
            continue
        pid = entry.get("pid")
        # A hand-written pid may be anything: only a valid one can be ours.
        valid = type(pid) is int and 0 < pid <= schema.MAX_PID
        if keep_pid is not None and valid and pid == keep_pid:
            continue
        entry["status"] = "interrupted"
        entry["pid"] = None
        runs = entry.get("runs")
        for run in runs if isinstance(runs, list) else []:
            if isinstance(run, dict) and run.get("status") == "running":
                run["status"] = "interrupted"
                run["error"] = "the fmtui process running it ended"
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


__all__ = [
    "Claim",
    "Entry",
    "Journal",
    "JournalError",
    "JournalLocked",
    "JournalWriteError",
    "Recovery",
    "SCHEMA_VERSION",
    "open_journal",
]
