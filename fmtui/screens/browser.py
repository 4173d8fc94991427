"""Provides the journal browser, the home screen: entries, details and actions.

The table, search, sort and live updates are in browser_table.py; this screen adds
the keys that act on the selected or marked entries. Saves, deletes and export
files are written by the app's thread workers (app_journal.py), never on the event
loop; the outcome is shown when the worker reports back.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.binding import Binding
from textual.widgets import DataTable, Input

from fmtui.core.export_target import TargetExists
from fmtui.core.journal import Entry, JournalError
from fmtui.core.present import format_duration, rerun_question
from fmtui.core.spec import ExperimentSpec
from fmtui.core.words import count
from fmtui.messages import ExportRequest
from fmtui.screens import closing
from fmtui.screens.browser_table import COLUMNS, JournalTable
from fmtui.screens.dialogs import ConfirmDialog, ExportDialog, TagDialog

__all__ = ["BrowserScreen", "COLUMNS"]


class BrowserScreen(JournalTable):
    """The journal: a sortable, searchable table of entries and the selected one in full."""

    CSS_PATH = "browser.tcss"
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("f2", "writeup", "Write-up"),
        Binding("l", "design", "Design/launch"),
        Binding("d", "duplicate", "Duplicate"),
        Binding("r", "rerun", "Rerun"),
        Binding("t", "tag", "Tag"),
        Binding("x", "export", "Export"),
        Binding("w", "watch", "Watch training"),
        Binding("k", "cancel_training", "Cancel training"),
        Binding("m", "mark", "Mark"),
        Binding("c", "compare", "Compare"),
        Binding("R", "report", "Report"),
        Binding("delete", "delete", "Delete"),
        Binding("slash", "search", "Search"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("escape", "clear_search", "Clear search", show=False),
    ]

    @on(DataTable.RowSelected, "#entries")
    def row_selected(self) -> None:
        self.action_edit()

    # -- actions

    def action_new(self) -> None:
        self.app.open_hypothesis(None)

    def action_edit(self) -> None:
        if self.focused is self.query_one("#search", Input):
            return
        entry = self.selected()
        if entry is not None:
            self.app.open_hypothesis(entry)

    def action_writeup(self) -> None:
        entry = self.selected()
        if entry is None:
            self.notify("Select an entry first.", severity="warning")
            return
        self.app.open_hypothesis(entry, writeup=True)

    def action_design(self) -> None:
        entry = self.selected()
        if entry is None:
            self.notify("Select an entry first, or press n for a new one.", severity="warning")
            return
        self.app.open_designer(entry)

    def action_duplicate(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        from fmtui.core.record import copy_entry

        copy = copy_entry(entry, f"{entry.title} (rerun)")

        def saved(copy: Entry) -> None:
            self.refresh_entry(copy.id or 0, select=True)
            self.notify(f"Entry {copy.id} is a new draft copied from entry {entry.id}.")

        self.app.save_later(copy, saved)

    def action_rerun(self) -> None:
        """Repeat the selected entry exactly (same specs and seeds) as a new entry."""
        from fmtui.core.record import rerun_copy

        entry = self.selected()
        if entry is None:
            return
        try:
            copy, experiment = rerun_copy(entry)
        except JournalError as err:
            self.notify(str(err), severity="warning", markup=False)
            return
        self._status(f"Estimating the time of a rerun of entry {entry.id}…")
        self._ask_rerun(entry, copy, experiment)

    @work(thread=True, exclusive=True, group="rerun-estimate", exit_on_error=False)
    def _ask_rerun(self, entry: Entry, copy: Entry, experiment: ExperimentSpec) -> None:
        """Measure a few steps (off the UI thread), then ask, as k and delete do."""
        device = experiment.arms[0].spec.device
        try:
            seconds, label = self.app.estimator(experiment, device)
            estimate: float | None = seconds
            note = f"Estimated time on {label}: up to {format_duration(seconds)}."
        except Exception as err:  # noqa: BLE001 - the question still comes, without a time
            estimate, note = None, f"The time could not be estimated: {err}"
        question = rerun_question(entry.id or 0, len(experiment.runs()), note, estimate)
        self.app.call_from_thread(self._confirm_rerun, question, copy, experiment)

    def _confirm_rerun(self, question: str, copy: Entry, experiment: ExperimentSpec) -> None:
        if closing(self):  # the app quit while the time was measured: ask nothing
            return
        self._status("")

        def done(yes: bool | None) -> None:
            if yes:
                self.app.save_later(copy, lambda saved: self.app.launch(saved, experiment))

        self.app.push_screen(ConfirmDialog(question, "Rerun", "Don't rerun"), done)

    def action_tag(self) -> None:
        entry = self.selected()
        if entry is None:
            return

        def done(tags: list[str] | None) -> None:
            if tags is None:
                return
            entry.tags = tags
            self.app.save_later(entry, lambda saved: self.refresh_entry(saved.id or 0))

        self.app.push_screen(TagDialog(entry.tags), done)

    def action_delete(self) -> None:
        entry = self.selected()
        if entry is None:
            self._delete_damaged()
            return
        if entry.status == "running" and self.app.is_training(entry.id):
            self.notify("This entry is training; cancel it first.", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.app.delete_later(entry.id or 0, self._deleted)

        question = (
            f"Delete entry {entry.id}, “{entry.title}”, and its {count(len(entry.runs), 'run')}?"
        )
        self.app.push_screen(ConfirmDialog(question + " This cannot be undone.", "Delete"), done)

    def _delete_damaged(self) -> None:
        damaged = self.selected_damaged()
        if damaged is None:
            return
        entry_id = damaged[0]

        def done(yes: bool | None) -> None:
            if yes:
                self.app.delete_later(entry_id, self._deleted_damaged)

        question = f"Delete the damaged entry {entry_id}? This cannot be undone."
        self.app.push_screen(ConfirmDialog(question, "Delete"), done)

    def _deleted(self, entry_id: int) -> None:
        self.notify(f"Deleted entry {entry_id}.")
        self.reload()

    def _deleted_damaged(self, entry_id: int) -> None:
        self.notify(f"Deleted damaged entry {entry_id}.")
        self.reload()

    def action_watch(self) -> None:
        entry = self.selected()
        if entry is not None and entry.id in self.app.live:
            self.app.open_training(entry.id)
        else:
            self.app.open_training(None)

    def action_mark(self) -> None:
        """Mark entries to compare (at most two; the oldest mark makes way)."""
        entry = self.selected()
        if entry is None or entry.id is None:
            return
        if entry.id in self.marked:
            self.marked.remove(entry.id)
        else:
            self.marked.append(entry.id)
            del self.marked[:-2]
        self.notify(f"Marked: {', '.join(map(str, self.marked)) or 'none'}", timeout=2)
        self.redraw()  # only the mark changed: no need to read the journal

    def action_compare(self) -> None:
        from fmtui.screens.compare import CompareScreen

        if len(self.marked) != 2:
            self.notify(
                "Mark two entries with m, then press c to compare them.", severity="warning"
            )
            return
        try:
            first, second = (self.app.journal.get(i) for i in self.marked)
        except JournalError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        self.app.push_screen(CompareScreen(first, second))

    def action_report(self) -> None:
        from fmtui.screens.report import open_report

        open_report(self.app, entry_ids=list(self.marked))

    def action_cancel_training(self) -> None:
        entry = self.selected()
        if entry is None or not self.app.is_training(entry.id):
            self.notify("The selected entry is not training or queued.", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes and self.app.cancel_experiment(entry.id or 0):
                self.notify(f"Cancelling entry {entry.id}; finished epochs are kept.")

        self.app.push_screen(
            ConfirmDialog(
                f"Cancel the training of entry {entry.id}, “{entry.title}”?",
                "Cancel training",
                "Keep training",
            ),
            done,
        )

    def action_export(self) -> None:
        dialog = ExportDialog(
            self.app.export_dir,
            self.selected() is not None,
            len(self.entries),
            len(self.app.journal),
            fmt=self.export_format,
        )
        self.app.push_screen(dialog, self.do_export)

    def do_export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        self.export_format = request.fmt
        selected = self.selected() if request.scope == "selected" else None
        entries: list[Entry]
        if selected is not None:
            entries = [selected]
        elif request.scope == "all":
            entries = self.app.journal.query(sort="date", reverse=False)
        else:
            entries = sorted(self.entries, key=lambda e: (e.created, e.id or 0))
        self._write_export(entries, request.fmt, Path(request.path), overwrite=False)

    def _write_export(self, entries: list[Entry], fmt: str, path: Path, overwrite: bool) -> None:
        """Write in a worker (a FIFO may wait for its reader), first asking before an
        existing file is replaced."""
        noun = "entry" if len(entries) == 1 else "entries"
        self._status(f"Writing {len(entries)} {noun} as {fmt} to {path}…")

        def written(target: Path) -> None:
            message = f"Wrote {len(entries)} {noun} as {fmt} to {target}"
            self._status(message)
            self.notify(message, markup=False, timeout=8)

        def failed(err: Exception) -> None:
            self._status("")
            if not isinstance(err, TargetExists):
                self.notify(str(err), severity="error", markup=False, timeout=8)
                return

            def done(replace: bool | None) -> None:
                if replace:
                    self._write_export(entries, fmt, path, overwrite=True)

            question = f"{err.path} already exists. Replace it? (its mode is kept)"
            self.app.push_screen(ConfirmDialog(question, "Replace", "Keep it"), done)

        self.app.export_later(entries, fmt, path, overwrite, written, failed)
