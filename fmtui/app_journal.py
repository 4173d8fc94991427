"""Provides the app's journal writes and export files, done off the event loop.

A save fsyncs the journal file and its folder and may wait for the training
worker's lock; an export may wait for a reader on a FIFO. On the event loop either
would freeze every key and redraw, so each runs in a thread worker. The workers
take turns in the order the user asked (a tag and then a delete are saved in that
order) and report back on the event loop, where the screens show the outcome.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from textual import work
from textual.app import App

from fmtui.core.export import write_entries
from fmtui.core.journal import Entry, Journal, JournalError
from fmtui.core.reproduce import describe
from fmtui.core.spec import SpecError

T = TypeVar("T")


class JournalApp(App[None]):
    """The part of the app that writes: the journal's saves and export files."""

    journal: Journal
    export_dir: Path

    def __init__(self) -> None:
        super().__init__()
        self._turn = threading.Condition()  # the next ticket to write; FIFO order
        self._tickets = itertools.count()
        self._next_ticket = 0

    def save_entry(self, entry: Entry) -> bool:
        """Add or update now; on failure say why and keep the entry (and the form) as
        they are. For the forms, whose next step needs the outcome at once."""
        try:
            self._store(entry)
        except JournalError as err:
            self.notify(str(err), severity="error", timeout=10, markup=False)
            return False
        return True

    def _store(self, entry: Entry) -> Entry:
        if entry.id is None:
            self.journal.add(entry)
        else:
            self.journal.update(entry)
        return entry

    def save_later(
        self,
        entry: Entry,
        then: Callable[[Entry], None] | None = None,
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Add or update `entry` in a worker; `then(entry)` on the event loop once it
        is saved. A failure goes to `failed`, else is told as save_entry tells it."""
        self.write_later(lambda: self._store(entry), then, failed)

    def delete_later(self, entry_id: int, then: Callable[[int], None] | None = None) -> None:
        """Delete an entry in a worker; `then(entry_id)` on the event loop once done."""

        def delete() -> int:
            self.journal.delete(entry_id)
            return entry_id

        self.write_later(delete, then)

    def export_later(
        self,
        entries: Sequence[Entry],
        fmt: str,
        path: Path,
        overwrite: bool,
        then: Callable[[Path], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """Write an export in a worker; `failed` gets TargetExists for a file the user
        must agree to replace, and every other refusal."""

        def write() -> Path:
            whole = self.journal.full(entries)  # the runs from their logs, off the UI thread
            return write_entries(whole, fmt, path, journal=self.journal.path, overwrite=overwrite)

        self.write_later(write, then, failed)

    def write_later(
        self,
        write: Callable[[], T],
        then: Callable[[T], None] | None = None,
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run `write` in a thread worker after the writes asked before it."""
        self._write_in_turn(next(self._tickets), write, then, failed)

    @work(thread=True, group="journal-write", exit_on_error=False)
    def _write_in_turn(
        self,
        ticket: int,
        write: Callable[[], Any],
        then: Callable[[Any], None] | None,
        failed: Callable[[Exception], None] | None,
    ) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._next_ticket == ticket)
        try:
            try:
                result = write()
            except (JournalError, SpecError) as err:  # said to the user, never lost in a log
                self._report(failed or self._tell_failure, err)
                return
            if then is not None:
                self._report(then, result)
        finally:
            with self._turn:
                self._next_ticket += 1
                self._turn.notify_all()

    @property
    def quitting(self) -> bool:
        """Whether the app is closing: asked to exit, or taking its screens down.

        Reports and messages can still arrive then; the screens they would update may
        already be gone, and nothing new (a launch) may start.
        """
        return self.return_code is not None or not self.is_running

    def _report(self, callback: Callable[[Any], None], value: Any) -> None:
        def deliver() -> None:
            # Checked on the event loop, where quitting happens: not racing it.
            if not self.quitting:
                callback(value)

        try:
            self.call_from_thread(deliver)
        except RuntimeError:  # the app has closed: the write is done, no one to tell
            pass

    def _tell_failure(self, err: Exception) -> None:
        self.notify(str(err), severity="error", timeout=10, markup=False)

    def reproduction_note(self, entry_id: int) -> str:
        """For a rerun: whether it matched the original (checked and stored on finishing)."""
        try:
            entry = self.journal.get(entry_id)
        except JournalError:
            return ""
        note = describe(entry.reproduction)
        return f" {note}" if note else ""
