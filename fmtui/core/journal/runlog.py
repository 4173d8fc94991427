"""Provides the append-only run logs that hold each entry's runs beside the index.

The journal file (TinyDB) keeps what list, search, sort and the browser's row need:
per entry, one summary of its runs (see journal.arms). The runs themselves, every
field (per-epoch metrics, confusion matrix, environment and the small ones), live in
`<journal>.runs/<id>.jsonl`, one record per line, each line `<crc32 of the JSON text,
8 hex digits> <JSON>`:

- `{"k": "runs", "runs": [...]}` every run (a rewrite starts with it);
- `{"k": "run", "i": n, "run": {...}}` run n as it now is (a run started or finished);
- `{"k": "epoch", "i": n, "epoch": {...}, "best_epoch": b}` one more epoch of run n.

Schema-2 journals kept the small fields in the index and only the bulky ones (and the
key order) here; `bulky_of`, `summary_of` and `full_run` remain for their migration.

A line is appended with one write and fsynced, so a kill loses at most the line being
written. A torn or bad last line is ignored and cut off before the next append; a bad
line before the last means the file was damaged otherwise, so only that entry's log is
moved aside and the entry keeps the runs read before the damage.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmtui.core.atomic import atomic_write, final_path, fsync_dir
from fmtui.core.journal.model import dumps, strict_loads
from fmtui.core.journal.recovery import _aside_path
from fmtui.core.journal_errors import JournalError, JournalWriteError

# A deny-list, so small fields added to runs later stay in the summary (and the index).
BULKY = ("epochs", "confusion", "per_class_acc", "misclassified", "environment")
# Kept in a summary in place of the epochs, for the preview; never part of a full run.
EPOCH_COUNT = "epoch_count"
# In a log's run record: the run's keys in their recorded order (never a run field).
ORDER = "order"


def summary_of(run: dict[str, Any]) -> dict[str, Any]:
    """A run without its bulky fields, plus how many epochs it has."""
    epochs = run.get("epochs")
    count = len(epochs) if isinstance(epochs, list) and epochs else run.get(EPOCH_COUNT, 0)
    out = {k: v for k, v in run.items() if k not in BULKY}
    out[EPOCH_COUNT] = count if isinstance(count, int) else 0
    return out


def bulky_of(run: dict[str, Any]) -> dict[str, Any]:
    """The bulky fields, and the run's key order so that it reads back (and exports) as is."""
    return {k: run[k] for k in BULKY if k in run} | {ORDER: list(run)}


def full_run(summary: dict[str, Any], bulky: dict[str, Any] | None) -> dict[str, Any]:
    """A summary joined with its bulky fields from the log: the run as it was recorded."""
    out = {k: v for k, v in summary.items() if k != EPOCH_COUNT}
    out.setdefault("epochs", [])  # as the schema fills it in for every reader
    if not bulky:
        return out
    out.update((k, v) for k, v in bulky.items() if k != ORDER)
    order = bulky.get(ORDER)
    if isinstance(order, list):
        first = {k: out[k] for k in order if isinstance(k, str) and k in out}
        out = first | out  # fields added since the log was written go last
    return out


def epoch_count(run: dict[str, Any]) -> int:
    """Epochs of a run, full or summary."""
    epochs = run.get("epochs")
    if isinstance(epochs, list) and epochs:
        return len(epochs)
    count = run.get(EPOCH_COUNT, 0)
    return count if isinstance(count, int) else 0


def encode(record: dict[str, Any]) -> bytes:
    text = dumps(record).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(text), text)


def decode(line: bytes) -> dict[str, Any] | None:
    """The record on a line, or None when its checksum or JSON is wrong."""
    if len(line) < 10 or line[8:9] != b" " or not line.endswith(b"\n"):
        return None
    text = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(text):
            return None
        record = strict_loads(text.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("k"), str) else None


class RunLogDamaged(JournalError):
    """A bad line before the last one: the log was changed by something other than fmtui."""

    def __init__(self, path: Path, line: int, runs: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"The run log {path} is damaged at line {line}.")
        self.path = path
        self.line = line
        self.runs = runs or []  # what the lines before the damaged one hold


@dataclass
class LogRead:
    runs: list[dict[str, Any]]
    good_end: int  # bytes of whole, valid lines; anything after is a torn last line
    size: int
    lines: int


def read_log(path: Path) -> LogRead | None:
    """The bulky runs in a log (None when there is none); RunLogDamaged on a bad middle line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise JournalError(f"Cannot read the run log {path}: {err.strerror or err}.") from err
    runs: list[dict[str, Any]] = []
    pos = count = 0
    lines = raw.splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        record = decode(line)
        if record is None:
            if number == len(lines):
                break  # torn by a crash mid-append: ignored, cut before the next append
            raise RunLogDamaged(path, number, runs)
        try:
            _apply(runs, record)
        except (TypeError, ValueError, KeyError, AttributeError):
            raise RunLogDamaged(path, number, runs) from None
        pos += len(line)
        count += 1
    return LogRead(runs, pos, len(raw), count)


def _apply(runs: list[dict[str, Any]], record: dict[str, Any]) -> None:
    kind = record["k"]
    if kind == "runs":
        runs[:] = [dict(r) for r in record["runs"] if isinstance(r, dict)]
        return
    index = record["i"]
    if type(index) is not int or not 0 <= index <= len(runs) + 100_000:
        raise ValueError("bad run index")
    while len(runs) <= index:
        runs.append({})
    if kind == "run":
        runs[index] = dict(record["run"])
    elif kind == "epoch":
        epochs = runs[index].setdefault("epochs", [])
        epochs.append(record["epoch"])
        runs[index]["best_epoch"] = record.get("best_epoch")
    else:
        raise ValueError(f"unknown record {kind!r}")


class RunLogs:
    """The folder of run logs beside one journal file, written only by its lock holder."""

    def __init__(self, journal_path: Path) -> None:
        real = final_path(journal_path)
        self.folder = real.with_name(real.name + ".runs")
        # Valid bytes of each log this process wrote or read: a larger file has a torn tail.
        self._ends: dict[int, int] = {}
        # Logs whose last append failed: the next save rewrites them whole.
        self.stale: set[int] = set()
        # Logs moved aside this session, by entry id: what readers are told.
        self.moved: dict[int, Path] = {}

    def path(self, entry_id: int) -> Path:
        return self.folder / f"{entry_id}.jsonl"

    def load(self, entry_id: int, *, writable: bool) -> list[dict[str, Any]] | None:
        """The bulky runs of an entry; a damaged log is moved aside (when writable)."""
        path = self.path(entry_id)
        try:
            found = read_log(path)
        except RunLogDamaged as err:
            if not writable:
                raise
            self.moved[entry_id] = self.quarantine(entry_id, err)
            return err.runs
        if found is not None:
            self._ends[entry_id] = found.good_end
        return None if found is None else found.runs

    def quarantine(self, entry_id: int, err: RunLogDamaged) -> Path:
        path = self.path(entry_id)
        moved_to = _aside_path(path, "corrupt")
        os.replace(path, moved_to)  # a rename: the bytes stay exactly as they were
        fsync_dir(self.folder)
        self._ends.pop(entry_id, None)
        return moved_to

    def rewrite(self, entry_id: int, bulky: list[dict[str, Any]]) -> None:
        """Replace an entry's log with one record of all its runs (atomically)."""
        self._make_folder()
        data = encode({"k": "runs", "runs": bulky})
        try:
            atomic_write(self.path(entry_id), data.decode("utf-8"))
        except OSError as err:
            raise self._write_error(entry_id, err) from err
        self._ends[entry_id] = len(data)
        self.stale.discard(entry_id)

    def append(self, entry_id: int, record: dict[str, Any]) -> None:
        """Add one record with one write, fsynced; a torn tail left earlier is cut first."""
        path = self.path(entry_id)
        data = encode(record)
        self._make_folder()
        end = self._ends.get(entry_id)
        if end is None:
            found = read_log(path)  # RunLogDamaged: the caller rewrites the log whole
            end = 0 if found is None else found.good_end
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as err:
            raise self._write_error(entry_id, err) from err
        try:
            if end == 0:
                fsync_dir(self.folder)  # a new file: its name must survive a crash too
            if os.fstat(fd).st_size != end:
                os.ftruncate(fd, end)
            os.lseek(fd, end, os.SEEK_SET)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as err:
            self._ends[entry_id] = end  # what follows `end` is torn: cut on the next append
            raise self._write_error(entry_id, err) from err
        finally:
            os.close(fd)
        self._ends[entry_id] = end + len(data)

    def remove(self, entry_id: int) -> None:
        self._ends.pop(entry_id, None)
        self.stale.discard(entry_id)
        try:
            self.path(entry_id).unlink()
        except FileNotFoundError:
            return
        fsync_dir(self.folder)

    def _make_folder(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as err:
            raise JournalWriteError(
                f"Cannot create the run log folder {self.folder}: {err.strerror or err}."
            ) from err

    def _write_error(self, entry_id: int, err: OSError) -> JournalWriteError:
        self.stale.add(entry_id)
        return JournalWriteError(
            f"Could not save to the run log {self.path(entry_id)}: {err.strerror or err}. "
            "The entry is kept in memory and written whole on the next save; free space "
            "or fix permissions."
        )
