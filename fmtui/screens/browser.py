"""Provides the journal browser, the home screen: entries, details and actions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Markdown, Static

from fmtui.core import events as train
from fmtui.core import export
from fmtui.core.export_target import TargetExists
from fmtui.core.journal import Entry, JournalError, Search, epoch_count
from fmtui.core.present import ellipsize, format_duration, journal_widths, rerun_question
from fmtui.core.safe_text import one_line, terminal_safe
from fmtui.core.spec import ExperimentSpec, SpecError
from fmtui.core.words import count
from fmtui.messages import ExperimentDone, ExportRequest, JournalChanged, TrainingEvent
from fmtui.screens import on_top
from fmtui.screens.dialogs import ConfirmDialog, ExportDialog, TagDialog
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.inputs import SafeInput
from fmtui.widgets.literal import literal_line
from fmtui.widgets.table import show_rows

if TYPE_CHECKING:
    from fmtui.app import FmtuiApp

COLUMNS = (
    ("id", "Id", None),
    ("created", "Created", "date"),
    ("title", "Title", "title"),
    ("status", "Status", "status"),
    ("verdict", "Verdict", None),
    ("best", "Best acc", "best"),
    ("runs", "Runs", None),
)
SCROLLBAR = 2
SORT_ORDER = ("date", "title", "best", "status")

# Paragraphs on one line each: the terminal wraps them to its width.
EMPTY = """\
[b]Your journal is empty.[/b]

fmtui keeps one entry per experiment: a specific hypothesis, the design that tests it, \
every run's metrics, and your conclusion.

Press [b]n[/b] to draft your first hypothesis, [b]?[/b] for every key, or [b]ctrl+p[/b] \
for the command palette.

Past notes in the report's journal format can be brought in with \
[b]fmtui import FILE.md[/b] from the shell.
"""


def runs_markdown(entry: Entry) -> str:
    """The detail pane's table of runs."""
    if not entry.runs:
        return ""
    rows = []
    for run in entry.runs:
        acc = run.get("test_acc")
        rows.append(
            [
                run.get("arm", ""),
                run.get("spec", {}).get("seed", ""),
                run.get("status", ""),
                epoch_count(run),
                f"{acc:.4f}" if isinstance(acc, int | float) else "—",
                f"{run['duration_s']:.0f} s" if run.get("duration_s") else "—",
                run.get("device", "") or "",
                run.get("error") or "",
            ]
        )
    headers = ["Arm", "Seed", "Status", "Epochs", "Test acc", "Time", "Device", "Note"]
    return "\n\n**Runs:**\n\n" + export.markdown_table(headers, rows)


def _damaged_row(entry_id: int, reason: str) -> tuple[Text, ...]:
    first = reason.splitlines()[0] if reason else ""
    return (
        Text(str(entry_id), justify="right"),
        Text("—"),
        literal_line(first),
        Text("damaged"),
        Text("—"),
        Text("—"),
        Text("—"),
    )


class BrowserScreen(Screen[None]):
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

    def __init__(self) -> None:
        super().__init__()
        self.sort = "date"
        self.reverse: bool | None = None
        self.entries: list[Entry] = []
        # Stored entries that fail the schema: listed after the others, deletable.
        self.damaged: list[tuple[int, str]] = []
        self._last_progress = 0.0
        self._stale = False
        self._detail_source: str | None = None
        self.marked: list[int] = []
        self.export_format = "md"  # the dialog opens with the format used last
        self._widths: dict[str, int] = {}
        self._search_noted = False  # the status line says a search matched nothing

    @property
    def fm(self) -> FmtuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="panes"):
            with Vertical(id="left"):
                yield SafeInput(placeholder="search: words, status:draft, tag:batch", id="search")
                yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
                yield Static(EMPTY, id="empty")
            with VerticalScroll(id="right"):
                yield Markdown("", id="detail")
        yield Static("", id="status-line")
        yield QuietFooter()

    def on_mount(self) -> None:
        table = self.query_one("#entries", DataTable)
        self._set_columns(self.app.size.width)
        self.query_one("#search", Input).display = False
        self.reload()
        table.focus()

    def on_resize(self, event: events.Resize) -> None:
        if self._set_columns(event.size.width):
            self.reload()

    def _set_columns(self, width: int) -> bool:
        """Fit the columns to `width`: the title takes what the others leave.

        True when the widths changed (the table was rebuilt and needs its rows).
        """
        widths = journal_widths(width - SCROLLBAR)
        if widths == self._widths:
            return False
        self._widths = widths
        table = self.query_one("#entries", DataTable)
        table.clear(columns=True)
        for key, label, _sort in COLUMNS:
            table.add_column(label, key=key, width=widths[key])
        return True

    # -- data

    def reload(self, select: int | None = None) -> None:
        """Re-read the journal and redraw the table, keeping or moving the cursor."""
        table = self.query_one("#entries", DataTable)
        current = select if select is not None else self.selected_id()
        search = Search.parse(self.query_one("#search", Input).value)
        try:
            self.entries = self.fm.journal.query(
                sort=self.sort, reverse=self.reverse, **search.query_args()
            )
            self.damaged = [] if search != Search() else self.fm.journal.damaged()
        except (JournalError, SpecError) as err:
            self.notify(str(err), severity="error", markup=False)
            self.entries, self.damaged = [], []
        rows = [(str(entry.id), self._row(entry)) for entry in self.entries]
        rows += [(str(i), _damaged_row(i, reason)) for i, reason in self.damaged]
        show_rows(table, rows)
        self._note_search(search, bool(rows))
        empty = len(self.fm.journal) == 0
        self.query_one("#empty", Static).display = empty
        table.display = not empty
        self.query_one("#right").display = not empty  # the welcome text gets the screen
        if rows:
            ids = [e.id for e in self.entries] + [i for i, _ in self.damaged]
            row = ids.index(current) if current in ids else 0
            table.move_cursor(row=row)
        self.show_detail()

    def _row(self, entry: Entry) -> tuple[Text, ...]:
        best = entry.best_accuracy
        waiting = entry.id in self.fm.queue and entry.status != "running"
        title = ("● " if entry.id in self.marked else "") + (
            entry.title.replace("\n", " ") or "(untitled)"
        )
        return (
            Text(str(entry.id), justify="right"),
            literal_line(entry.created[: self._widths.get("created", len(entry.created))]),
            literal_line(ellipsize(one_line(title), self._widths.get("title", len(title)))),
            literal_line("queued" if waiting else entry.status),
            literal_line(entry.verdict or "—"),
            Text(f"{best:.4f}" if best is not None else "—", justify="right"),
            Text(str(len(entry.runs)), justify="right"),
        )

    def selected_id(self) -> int | None:
        table = self.query_one("#entries", DataTable)
        if not self.entries or table.cursor_row < 0 or table.cursor_row >= len(self.entries):
            return None
        return self.entries[table.cursor_row].id

    def selected(self) -> Entry | None:
        entry_id = self.selected_id()
        return next((e for e in self.entries if e.id == entry_id), None)

    def selected_damaged(self) -> tuple[int, str] | None:
        """The damaged entry under the cursor, if the cursor is on one."""
        row = self.query_one("#entries", DataTable).cursor_row - len(self.entries)
        return self.damaged[row] if 0 <= row < len(self.damaged) else None

    def show_detail(self) -> None:
        entry = self.selected()
        detail = self.query_one("#detail", Markdown)
        source = "" if entry is None else export.entry_markdown(entry) + runs_markdown(entry)
        damaged = self.selected_damaged()
        if damaged is not None:  # the reason as an indented code block: shown literally
            source = (
                f"**Entry {damaged[0]} is damaged** and cannot be shown. Fix the journal "
                "file by hand, or press Delete to remove it.\n\n"
                + "\n".join("    " + line for line in damaged[1].splitlines())
            )
        source = terminal_safe(source)
        if source != self._detail_source:  # a Markdown update rebuilds its widget tree
            self._detail_source = source
            detail.update(source)

    def _note_search(self, search: Search, found: bool) -> None:
        """Say so when a search matches nothing, instead of showing an empty table."""
        text = self.query_one("#search", Input).value.strip()
        if search != Search() and not found:
            self._status(f"No entry matches “{text}” — escape clears the search")
            self._search_noted = True
        elif self._search_noted:
            self._status("")
            self._search_noted = False

    def _status(self, text: str) -> None:
        """The one-line status bar; its size is fixed, so no layout pass is needed
        (one per progress report would lay out the whole journal while training)."""
        self.query_one("#status-line", Static).update(literal_line(text), layout=False)

    def _hidden(self) -> bool:
        """Under another screen: remember to reload instead of redrawing unseen."""
        if not on_top(self):
            self._stale = True
            return True
        return False

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.reload()

    @on(DataTable.RowHighlighted, "#entries")
    def row_highlighted(self) -> None:
        self.show_detail()

    @on(DataTable.RowSelected, "#entries")
    def row_selected(self) -> None:
        self.action_edit()

    @on(DataTable.HeaderSelected, "#entries")
    def header_selected(self, event: DataTable.HeaderSelected) -> None:
        sort = dict((k, s) for k, _l, s in COLUMNS).get(str(event.column_key.value))
        if sort is None:
            return
        if sort == self.sort:
            current = self.reverse if self.reverse is not None else sort in ("date", "best")
            self.reverse = not current
        else:
            self.sort, self.reverse = sort, None
        self.reload()

    # -- search and sort

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#search")
    def search_changed(self) -> None:
        self.reload()

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.query_one("#entries", DataTable).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        search.display = False
        self.query_one("#entries", DataTable).focus()

    def action_cycle_sort(self) -> None:
        self.sort = SORT_ORDER[(SORT_ORDER.index(self.sort) + 1) % len(SORT_ORDER)]
        self.reverse = None
        self.notify(f"Sorted by {self.sort}", timeout=2)
        self.reload()

    # -- actions

    def action_new(self) -> None:
        self.fm.open_hypothesis(None)

    def action_edit(self) -> None:
        if self.focused is self.query_one("#search", Input):
            return
        entry = self.selected()
        if entry is not None:
            self.fm.open_hypothesis(entry)

    def action_writeup(self) -> None:
        entry = self.selected()
        if entry is None:
            self.notify("Select an entry first.", severity="warning")
            return
        self.fm.open_hypothesis(entry, writeup=True)

    def action_design(self) -> None:
        entry = self.selected()
        if entry is None:
            self.notify("Select an entry first, or press n for a new one.", severity="warning")
            return
        self.fm.open_designer(entry)

    def action_duplicate(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        from fmtui.core.record import copy_entry

        copy = copy_entry(entry, f"{entry.title} (rerun)")
        if self.fm.save_entry(copy):
            self.reload(select=copy.id)
            self.notify(f"Entry {copy.id} is a new draft copied from entry {entry.id}.")

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
            seconds, label = self.fm.estimator(experiment, device)
            estimate: float | None = seconds
            note = f"Estimated time on {label}: up to {format_duration(seconds)}."
        except Exception as err:  # noqa: BLE001 - the question still comes, without a time
            estimate, note = None, f"The time could not be estimated: {err}"
        question = rerun_question(entry.id or 0, len(experiment.runs()), note, estimate)
        self.app.call_from_thread(self._confirm_rerun, question, copy, experiment)

    def _confirm_rerun(self, question: str, copy: Entry, experiment: ExperimentSpec) -> None:
        self._status("")

        def done(yes: bool | None) -> None:
            if yes and self.fm.save_entry(copy):
                self.fm.launch(copy, experiment)

        self.app.push_screen(ConfirmDialog(question, "Rerun", "Don't rerun"), done)

    def action_tag(self) -> None:
        entry = self.selected()
        if entry is None:
            return

        def done(tags: list[str] | None) -> None:
            if tags is None:
                return
            entry.tags = tags
            if self.fm.save_entry(entry):
                self.reload()

        self.app.push_screen(TagDialog(entry.tags), done)

    def action_delete(self) -> None:
        entry = self.selected()
        if entry is None:
            self._delete_damaged()
            return
        if entry.status == "running" and self.fm.is_training(entry.id):
            self.notify("This entry is training; cancel it first.", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.fm.journal.delete(entry.id or 0)
            except JournalError as err:
                self.notify(str(err), severity="error", markup=False)
                return
            self.notify(f"Deleted entry {entry.id}.")
            self.reload()

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
            if not yes:
                return
            try:
                self.fm.journal.delete(entry_id)
            except JournalError as err:
                self.notify(str(err), severity="error", markup=False)
                return
            self.notify(f"Deleted damaged entry {entry_id}.")
            self.reload()

        question = f"Delete the damaged entry {entry_id}? This cannot be undone."
        self.app.push_screen(ConfirmDialog(question, "Delete"), done)

    def action_watch(self) -> None:
        entry = self.selected()
        if entry is not None and entry.id in self.fm.live:
            self.fm.open_training(entry.id)
        else:
            self.fm.open_training(None)

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
        self.reload()

    def action_compare(self) -> None:
        from fmtui.screens.compare import CompareScreen

        if len(self.marked) != 2:
            self.notify(
                "Mark two entries with m, then press c to compare them.", severity="warning"
            )
            return
        try:
            first, second = (self.fm.journal.get(i) for i in self.marked)
        except JournalError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        self.app.push_screen(CompareScreen(first, second))

    def action_report(self) -> None:
        from fmtui.screens.report import open_report

        open_report(self.app, entry_ids=list(self.marked))

    def action_cancel_training(self) -> None:
        entry = self.selected()
        if entry is None or not self.fm.is_training(entry.id):
            self.notify("The selected entry is not training or queued.", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes and self.fm.cancel_experiment(entry.id or 0):
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
            self.fm.export_dir,
            self.selected() is not None,
            len(self.entries),
            len(self.fm.journal),
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
            entries = self.fm.journal.query(sort="date", reverse=False)
        else:
            entries = sorted(self.entries, key=lambda e: (e.created, e.id or 0))
        self._write_export(entries, request.fmt, Path(request.path), overwrite=False)

    def _write_export(self, entries: list[Entry], fmt: str, path: Path, overwrite: bool) -> None:
        """Write, first asking before an existing file is replaced."""
        try:
            written = self.fm.export(entries, fmt, path, overwrite)
        except TargetExists as exists:

            def done(replace: bool | None) -> None:
                if replace:
                    self._write_export(entries, fmt, path, overwrite=True)

            question = f"{exists.path} already exists. Replace it? (its mode is kept)"
            self.app.push_screen(ConfirmDialog(question, "Replace", "Keep it"), done)
            return
        except JournalError as err:
            self.notify(str(err), severity="error", markup=False, timeout=8)
            return
        noun = "entry" if len(entries) == 1 else "entries"
        message = f"Wrote {len(entries)} {noun} as {fmt} to {written}"
        self._status(message)
        self.notify(message, markup=False, timeout=8)

    # -- app-wide messages

    def on_journal_changed(self, message: JournalChanged) -> None:
        if not self._hidden():
            self.reload(select=message.entry_id)

    def on_training_event(self, message: TrainingEvent) -> None:
        if self._hidden():
            return
        event = message.event
        if isinstance(event, train.Progress):
            now = time.monotonic()
            if now - self._last_progress < 0.5:
                return
            self._last_progress = now
            self._status(
                f"Training entry {message.entry_id}: arm {event.arm}, epoch {event.epoch}, "
                f"step {event.step}/{event.steps_per_epoch}, loss {event.running_loss:.4f}"
            )
        elif isinstance(event, train.EpochEnd):
            m = event.metrics
            self._status(
                f"Training entry {message.entry_id}: arm {event.arm}, epoch {m.epoch} done, "
                f"val acc {m.val_acc:.4f}"
            )  # an epoch is saved to its run log only: the index, and so the list, is as it was
        elif isinstance(event, train.RunStarted | train.RunFinished):
            self.reload()

    def on_experiment_done(self, message: ExperimentDone) -> None:
        text = f"Entry {message.entry_id} {message.status}."
        if message.error:
            text += f" {message.error}"
        self._status(text)
        if not self._hidden():
            self.reload()
