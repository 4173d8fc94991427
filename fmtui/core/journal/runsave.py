"""Provides the Journal's run-log half: index records, appends, whole entries.

Per-epoch saves append one line to the entry's run log and leave the index alone;
a run starting or finishing appends its record and saves the entry's index record
(whose run summary it changes).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tinydb.table import Table

from fmtui.core.journal.arms import run_summary
from fmtui.core.journal.model import INDEX_SUMMARY, Entry, to_json_safe
from fmtui.core.journal.runlog import RunLogDamaged, RunLogs
from fmtui.core.journal_errors import JournalError
from fmtui.core.status import EntryStatus, RunStatus


class RunLogSaving:
    """Methods of `Journal` that keep each entry's run log and index record in step."""

    path: Path
    read_only: bool
    _lock: threading.RLock
    _logs: RunLogs
    _table: Table
    # Runs of an older journal opened read-only (not migrated on disk), by entry id.
    _inline_runs: dict[int, list[dict[str, Any]]]

    def _writable(self) -> None:
        raise NotImplementedError

    def _save(self, entry: Entry, touch: bool = True) -> None:
        raise NotImplementedError

    # -- per-run and per-epoch saves (the recorder's)

    def record_run(self, entry: Entry, index: int) -> None:
        """Save run `index` of a whole entry as it now is (started or finished): one log
        line, then the entry's index record."""
        self._writable()
        with self._lock:
            self._append(entry, {"k": "run", "i": index, "run": entry.runs[index]})
            self._save(entry)

    def record_epoch(self, entry: Entry, index: int) -> None:
        """Save the last epoch of run `index`: one log line, fsynced; the index is not touched."""
        self._writable()
        with self._lock:
            run = entry.runs[index]
            epochs = run.get("epochs") or []
            if not epochs:
                return
            record = {"k": "epoch", "i": index, "epoch": epochs[-1]}
            self._append(entry, record | {"best_epoch": run.get("best_epoch")})

    def _append(self, entry: Entry, record: dict[str, Any]) -> None:
        if entry.id is None or entry.runs_are_summaries:
            raise JournalError(f"Entry {entry.id} has no whole runs to save to its run log.")
        if entry.id in self._logs.stale:  # an earlier append failed: write it all again
            self._logs.rewrite(entry.id, to_json_safe(entry.runs))
            return
        try:
            self._logs.append(entry.id, record)
        except RunLogDamaged as err:
            self._logs.moved[entry.id] = self._logs.quarantine(entry.id, err)
            self._logs.rewrite(entry.id, to_json_safe(entry.runs))

    # -- whole entries

    def load_runs(self, entry: Entry) -> Entry:
        """Give an entry of summaries its whole runs, in place (a no-op for a whole one)."""
        if entry.runs_are_summaries and entry.id is not None:
            # From its run log alone: parsing the index again for one entry would cost
            # what the whole journal costs (the browser's preview does this per listing).
            with self._lock:  # type: ignore[attr-defined]
                self._joined(entry)
        return entry

    def _index_doc(self, entry: Entry) -> dict[str, Any]:
        """The entry as the index keeps it: every field but the runs, and their summary.

        An entry of summaries keeps the summary it was read with (its runs are unchanged).
        """
        summary = entry.run_summary
        runs = entry.runs
        entry.runs = []  # not converted: the log has them
        try:
            data = entry.to_dict()
        finally:
            entry.runs = runs
        data.pop("id", None)
        del data["runs"]
        data[INDEX_SUMMARY] = (
            to_json_safe(summary) if summary is not None else run_summary(to_json_safe(runs))
        )
        return data

    def _write_new_log(self, entry_id: int, entry: Entry) -> None:
        """A new entry's log (none when it has no run); a stale one is removed."""
        if entry.runs_are_summaries:
            raise JournalError("An entry of run summaries cannot be added; use Journal.get.")
        if entry.runs:
            self._logs.rewrite(entry_id, to_json_safe(entry.runs))
        else:
            self._drop_log(entry_id)

    def _drop_log(self, entry_id: int) -> None:
        try:
            self._logs.remove(entry_id)
        except OSError:
            pass  # an orphan log is reported by `fmtui journal check`, and harmless

    def _sync_log(self, entry: Entry) -> None:
        """Rewrite a whole entry's log when its runs differ from what is saved."""
        entry_id = entry.id or 0
        current = self._logs.load(entry_id, writable=True) or []
        wanted = to_json_safe(entry.runs)
        # Keys the entry lacks keep the log's values: nothing saved is dropped silently.
        merged = [(current[i] if i < len(current) else {}) | w for i, w in enumerate(wanted)]
        if merged != current or entry_id in self._logs.stale:
            if any(merged) or current:
                self._logs.rewrite(entry_id, merged)

    def _joined(self, entry: Entry) -> Entry:
        """`entry` (from the index) given its runs from the run log, in place.

        The log's lines are checksummed and written only from entries that passed the
        schema, so they are not checked again here (`fmtui journal check` does).
        """
        summary = entry.run_summary
        entry.__dict__.pop("_summaries", None)
        entry.__dict__.pop("_run_summary", None)
        entry_id = entry.id or 0
        if summary is not None and not summary["count"]:
            entry.runs = []
            return entry
        runs: list[dict[str, Any]] | None = self._inline_runs.get(entry_id)
        if runs is None:
            try:
                runs = self._logs.load(entry_id, writable=not self.read_only) or []
            except RunLogDamaged as err:  # read-only: shown, not moved
                runs = err.runs
                self._logs.moved.setdefault(entry_id, err.path)
        entry.runs = [_as_read(r, entry.status) for r in runs]
        if entry_id in self._logs.moved:
            entry.mark_runs_note(self._moved_note(entry_id))
        return entry

    def _moved_note(self, entry_id: int) -> str:
        where = self._logs.moved[entry_id]
        return (
            f"The run log of entry {entry_id} was damaged and is kept at {where}; its "
            "runs show what was read before the damage."
        )


def _as_read(run: dict[str, Any], entry_status: str) -> dict[str, Any]:
    """A run as readers see it: with its epochs list, and not `running` once the
    process that ran it is gone (the entry was marked interrupted)."""
    run = dict(run)
    run.setdefault("epochs", [])
    if entry_status == EntryStatus.INTERRUPTED and run.get("status") == RunStatus.RUNNING:
        run["status"] = RunStatus.INTERRUPTED.value
        run["error"] = "the fmtui process running it ended"
    return run
