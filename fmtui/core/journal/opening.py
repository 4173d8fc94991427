"""Provides how a journal file is opened: created, version-checked, migrated or quarantined."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fmtui.core.atomic import atomic_write, final_path, fsync_dir, temp_prefix
from fmtui.core.journal.arms import SUMMARY_KEY, index_entry, run_summary
from fmtui.core.journal.model import Entry, dumps
from fmtui.core.journal.recovery import (
    ENTRIES_TABLE,
    META_TABLE,
    MIGRATIONS,
    SCHEMA_VERSION,
    Recovery,
    UnknownSchemaVersion,
    _aside_path,
    _Invalid,
    _parse_journal,
    _salvage,
    _schema_version,
)
from fmtui.core.journal.runlog import RunLogDamaged, RunLogs, full_run
from fmtui.core.journal_errors import JournalError, JournalWriteError
from fmtui.core.spec import SpecError


class JournalOpening:
    """The opening half of `Journal`: reads the file once and hands back its document."""

    path: Path
    # The file's text when the document read from it is unchanged: storage keeps it as
    # is instead of encoding the document again (a second pass over every value).
    _opened_text: str | None = None
    recovery: Recovery | None
    migrated_from: int | None
    backup: Path | None
    _inline_runs: dict[int, list[dict[str, Any]]]

    def _read_only_doc(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {META_TABLE: {"1": {"schema_version": SCHEMA_VERSION}}, ENTRIES_TABLE: {}}
        except OSError as err:
            raise JournalError(f"Cannot read the journal {self.path}: {err.strerror}.") from err
        try:
            doc = _parse_journal(raw)
            self._opened_text = raw.decode("utf-8")
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
        self._opened_text = raw.decode("utf-8")
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
        self._opened_text = None  # the document changed: its text is no longer the file's
        if write_backup:
            real = final_path(self.path)
            backup = _aside_path(real, f"v{version}-backup")
            atomic_write(backup, real.read_text("utf-8"), like=real)
            self.backup = backup
        self.migrated_from = version
        if version == 2:  # run summaries in the index, bulky parts in the logs: join them
            self._join_logs(doc)
        while version < SCHEMA_VERSION:
            doc = MIGRATIONS[version](doc)
            version += 1
        doc[META_TABLE] = {"1": {"schema_version": SCHEMA_VERSION}}
        # Logs first, the index after: the index points at them. Read-only, the runs
        # are kept in memory and the files are left as they are.
        self._split_runs(doc, write=write_backup)
        if write_backup:
            self._write_doc(doc)
        return doc

    def _join_logs(self, doc: dict[str, Any]) -> None:
        """Schema 2: each entry's run summaries joined with the bulky parts in its log."""
        logs = RunLogs(self.path)
        for key, value in doc.get(ENTRIES_TABLE, {}).items():
            runs = value.get("runs") if isinstance(value, dict) else None
            if not isinstance(runs, list) or not runs or not key.isdigit():
                continue
            try:
                bulky = logs.load(int(key), writable=False) or []
            except (RunLogDamaged, JournalError):
                continue  # the summaries stay; `fmtui journal check` reports the log
            value["runs"] = [
                full_run(r, bulky[i] if i < len(bulky) else None) if isinstance(r, dict) else r
                for i, r in enumerate(runs)
            ]

    def _split_runs(self, doc: dict[str, Any], *, write: bool) -> None:
        """Move the runs of every valid entry to its run log; the index keeps a summary.

        A damaged entry stays as it is, so readers still show why. An entry already in
        the index's form (salvage) keeps its log.
        """
        logs = RunLogs(self.path)
        for key, value in doc.get(ENTRIES_TABLE, {}).items():
            if isinstance(value, dict) and SUMMARY_KEY in value:
                continue
            try:
                runs = Entry.from_dict(value).to_dict()["runs"]
            except (SpecError, TypeError, ValueError):
                continue
            if runs and write:
                try:
                    logs.rewrite(int(key), runs)
                except JournalWriteError as err:
                    raise JournalWriteError(f"{err} The journal was not changed.") from err
            elif runs:
                self._inline_runs[int(key)] = runs
            value.pop("runs", None)
            value[SUMMARY_KEY] = run_summary(runs)

    def _quarantine(self, raw: bytes, reason: str) -> dict[str, Any]:
        real = final_path(self.path)  # through a symlink: move the file, keep the link
        moved_to = _aside_path(real, "corrupt")
        os.replace(real, moved_to)  # a rename: the bytes and mode stay exactly as they were
        fsync_dir(moved_to.parent)
        entries: dict[str, Any] = {}
        next_id = 1
        for old_id, value in _salvage(raw):
            try:  # an index record (its log kept), else a whole entry of an older file
                indexed = isinstance(value, dict) and SUMMARY_KEY in value
                entry = index_entry(value) if indexed else Entry.from_dict(value)
            except (SpecError, TypeError, ValueError):
                continue
            key = old_id if old_id and str(old_id) not in entries else next_id
            while str(key) in entries:
                key += 1
            summary = entry.run_summary
            entries[str(key)] = entry.to_dict() | {"id": None}
            if summary is not None:
                del entries[str(key)]["runs"]
                entries[str(key)][SUMMARY_KEY] = summary
            next_id = max(next_id, key + 1)
        for value in entries.values():
            value.pop("id", None)
        doc = {META_TABLE: {"1": {"schema_version": SCHEMA_VERSION}}, ENTRIES_TABLE: entries}
        self._split_runs(doc, write=True)
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
