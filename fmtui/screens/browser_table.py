"""Provides the journal browser's table: entries listed, searched, sorted and kept current.

The browser screen (browser.py) adds the keys that act on entries. While training,
the row of the entry that changed is updated from that one entry, never by reading
the whole journal again after each epoch.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Markdown, Static

from fmtui.core import events as train
from fmtui.core import export
from fmtui.core.entry_order import with_changed
from fmtui.core.entry_view import runs_markdown
from fmtui.core.journal import Entry, JournalError, Search
from fmtui.core.present import ellipsize, journal_widths
from fmtui.core.safe_text import one_line, terminal_safe
from fmtui.core.spec import SpecError
from fmtui.messages import ExperimentDone, JournalChanged, TrainingEvent
from fmtui.screens import FmtuiAppGetter, on_top
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.inputs import SafeInput
from fmtui.widgets.literal import literal_line
from fmtui.widgets.row_fill import FilledTable, RowFill

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


class JournalTable(Screen[None]):
    """The journal as a sortable, searchable table and the selected entry in full."""

    app = FmtuiAppGetter()

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
        self._row_fill: RowFill | None = None

    app = FmtuiAppGetter()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="panes"):
            with Vertical(id="left"):
                yield SafeInput(placeholder="search: words, status:draft, tag:batch", id="search")
                yield FilledTable(id="entries", cursor_type="row", zebra_stripes=True)
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
            self.redraw()

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

    @property
    def fill(self) -> RowFill:
        """Fills the table: a long journal's first screenful at once, the rest in chunks."""
        if self._row_fill is None:
            table = self.query_one("#entries", FilledTable)
            self._row_fill = table.fill = RowFill(table)
        return self._row_fill

    # -- data

    def _search(self) -> Search:
        return Search.parse(self.query_one("#search", Input).value)

    def reload(self, select: int | None = None) -> None:
        """Re-read the journal and redraw the table, keeping or moving the cursor."""
        current = select if select is not None else self.selected_id()
        search = self._search()
        try:
            self.entries = self.app.journal.query(
                sort=self.sort, reverse=self.reverse, **search.query_args()
            )
            self.damaged = [] if search != Search() else self.app.journal.damaged()
        except (JournalError, SpecError) as err:
            self.notify(str(err), severity="error", markup=False)
            self.entries, self.damaged = [], []
        self.redraw(current)

    def refresh_entry(self, entry_id: int, select: bool = False) -> None:
        """One entry changed: read only it, and list it where a fresh query would.

        While training this runs after every epoch; reading and parsing the whole
        journal each time grew with the journal and stalled the keys.
        """
        current = entry_id if select else self.selected_id()
        try:  # the index's record: a row needs no run log (the preview loads it if shown)
            entry = self.app.journal.summary(entry_id)
        except JournalError:  # deleted or damaged meanwhile: the whole picture again
            self.reload(current)
            return
        self.entries = with_changed(self.entries, entry, self._search(), self.sort, self.reverse)
        self.redraw(current)

    def redraw(self, select: int | None = None) -> None:
        """Show the entries in hand, without reading the journal; the cursor stays on
        `select` (else the selected entry), or goes to the first row."""
        current = select if select is not None else self.selected_id()
        table = self.query_one("#entries", DataTable)
        entries, damaged = self.entries, self.damaged  # the rows a later chunk is made from

        def cells(index: int) -> tuple[Text, ...]:
            if index < len(entries):
                return self._row(entries[index])
            return _damaged_row(*damaged[index - len(entries)])

        ids = [e.id for e in entries] + [i for i, _ in damaged]
        row = ids.index(current) if current in ids else 0
        self.fill.show([str(i) for i in ids], cells, through=row)
        self._note_search(self._search(), bool(ids))
        empty = not ids and len(self.app.journal) == 0
        self.query_one("#empty", Static).display = empty
        table.display = not empty
        self.query_one("#right").display = not empty  # the welcome text gets the screen
        if ids:
            table.move_cursor(row=row)
        self.show_detail()

    def _row(self, entry: Entry) -> tuple[Text, ...]:
        best = entry.best_accuracy
        waiting = entry.id in self.app.queue and entry.status != "running"
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
            Text(str(entry.run_count), justify="right"),
        )

    def selected_id(self) -> int | None:
        table = self.query_one("#entries", DataTable)
        if not self.entries or table.cursor_row < 0 or table.cursor_row >= len(self.entries):
            return None
        return self.entries[table.cursor_row].id

    def selected(self) -> Entry | None:
        """The entry under the cursor, its runs read from its log (the list has summaries)."""
        entry_id = self.selected_id()
        entry = next((e for e in self.entries if e.id == entry_id), None)
        if entry is not None and entry.runs_are_summaries:
            try:
                self.app.journal.load_runs(entry)  # in place: read once per listing
            except JournalError:
                pass  # damaged meanwhile: the next reload lists it so
        return entry

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

    # -- app-wide messages

    def on_journal_changed(self, message: JournalChanged) -> None:
        if self._hidden():
            return
        if message.entry_id is None:
            self.reload()
        else:
            self.refresh_entry(message.entry_id, select=True)

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
            )
            self.refresh_entry(message.entry_id)
        elif isinstance(event, train.RunStarted | train.RunFinished):
            self.refresh_entry(message.entry_id)

    def on_experiment_done(self, message: ExperimentDone) -> None:
        text = f"Entry {message.entry_id} {message.status}."
        if message.error:
            text += f" {message.error}"
        self._status(text)
        if not self._hidden():
            self.reload()
