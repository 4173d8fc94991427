"""Provides the report screen: pick and order entries, write the prose, save and export.

The generated parts (Results, the experiments table, figures, the appendix) are shown
in the Preview tab exactly as `fmtui report export` writes them; only the prose and the
choice of entries are edited here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    Markdown,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from fmtui.core.errors import FieldError
from fmtui.core.journal import Entry, JournalError, Search
from fmtui.core.report import PROSE_FIELDS, Report, Reports, export_report, figures
from fmtui.core.report.analysis import arm_stats, best_of, learning_curves
from fmtui.core.report.build import markdown
from fmtui.screens import FmtuiAppGetter, closing
from fmtui.widgets.charts import BarPlot, LinePlot
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.table import show_rows

PROSE_LABELS = {
    "preamble": "Preamble — before the first section (links, notes)",
    "introduction": "Introduction",
    "method": "Method",
    "results": "Results — your text; the best configuration, table and figures follow it",
    "discussion": "Discussion",
    "conclusion": "Conclusion",
}


def _title(entry: Entry) -> str:
    return entry.title.replace("\n", " ").replace("\r", " ") or "(untitled)"


class ReportScreen(Screen[None]):
    """Edit one report; `ctrl+s` saves it to the journal's reports."""

    CSS_PATH = "report.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+e", "export", "Export", priority=True),
        Binding("space", "toggle_entry", "Add/remove"),
        Binding("a", "add_shown", "Add shown", show=False),
        Binding("K", "move(-1)", "Move up", show=False),
        Binding("J", "move(1)", "Move down (K up)"),
        Binding("slash", "search", "Search", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report
        self.chosen: list[int] = list(report.entry_ids)
        self.shown: list[Entry] = []
        self._initial: dict[str, Any] = {}

    app = FmtuiAppGetter()

    def compose(self) -> ComposeResult:
        report = self.report
        yield Header()
        yield Static(self._heading(), id="report-heading", markup=False)
        with TabbedContent(id="report-tabs"):
            with TabPane("Entries", id="tab-entries"), Horizontal(id="report-pick"):
                with Vertical(id="report-journal"):
                    yield Label("Journal: space adds/removes · a adds all shown · / search")
                    yield Input(placeholder="search: words, status:, tag:, verdict:", id="find")
                    yield DataTable(id="journal-entries", cursor_type="row", zebra_stripes=True)
                with Vertical(id="report-order"):
                    yield Label("In the report, in order: J/K move")
                    yield DataTable(id="report-entries", cursor_type="row", zebra_stripes=True)
            with TabPane("Prose", id="tab-prose"), VerticalScroll(id="report-prose"):
                yield Label("Title")
                yield Input(report.title, id="report-title", placeholder="Neural Networks Report")
                for name in PROSE_FIELDS:
                    yield Label(PROSE_LABELS[name])
                    yield TextArea(getattr(report, name), id=f"prose-{name}", soft_wrap=True)
                with Horizontal(id="report-front"):
                    yield Checkbox("Front matter", report.front_matter, id="front-matter")
                    yield Input(report.layout, id="layout", placeholder="layout (post)")
                    yield Input(" ".join(report.tags), id="report-tags", placeholder="tags")
            with TabPane("Preview", id="tab-preview"), VerticalScroll(id="report-preview"):
                yield Markdown("", id="preview")
            with TabPane("Figures", id="tab-figures"), Vertical(id="report-figures"):
                yield Static("", id="figures-note", markup=False)
                yield BarPlot(id="preview-bars")
                yield LinePlot(id="preview-curves")
        yield Static("", id="report-error", markup=False)
        yield QuietFooter()

    def on_mount(self) -> None:
        self.app.apply_blink(self)
        journal_table = self.query_one("#journal-entries", DataTable)
        # The title last: a narrow terminal cuts titles, never the other columns.
        for key, label in (("in", " "), ("id", "id"), ("status", "status"), ("title", "title")):
            journal_table.add_column(label, key=key)
        order = self.query_one("#report-entries", DataTable)
        for key, label in (("n", "#"), ("id", "id"), ("title", "title")):
            order.add_column(label, key=key)
        self.query_one("#find", Input).display = False
        self.query_one("#report-error", Static).display = False
        self.refresh_tables()
        self._initial = self.values()
        journal_table.focus()

    # -- the two lists

    def _heading(self) -> str:
        which = f"Report {self.report.id}" if self.report.id else "New report"
        return f"{which} — {len(self.chosen)} entries"

    def refresh_tables(self) -> None:
        search = Search.parse(self.query_one("#find", Input).value)
        try:
            self.shown = self.app.journal.query(sort="date", reverse=False, **search.query_args())
        except (JournalError, FieldError) as err:
            self._error(str(err))
            self.shown = []
        rows = [
            (
                str(e.id),
                (
                    Text("✓" if e.id in self.chosen else ""),
                    Text(str(e.id)),
                    Text(e.status),
                    Text(_title(e)),
                ),
            )
            for e in self.shown
        ]
        show_rows(self.query_one("#journal-entries", DataTable), rows)
        titles = {e.id: _title(e) for e in self.app.journal.summaries()}
        order_rows = [
            (str(i), (Text(str(n)), Text(str(i)), Text(titles.get(i, "(deleted)"))))
            for n, i in enumerate(self.chosen, start=1)
        ]
        show_rows(self.query_one("#report-entries", DataTable), order_rows)
        self.query_one("#report-heading", Static).update(self._heading())

    def _cursor_id(self, table_id: str) -> int | None:
        table = self.query_one(f"#{table_id}", DataTable)
        ids = [e.id for e in self.shown] if table_id == "journal-entries" else self.chosen
        if 0 <= table.cursor_row < len(ids):
            return ids[table.cursor_row]
        return None

    def action_toggle_entry(self) -> None:
        focused = self.focused
        table_id = focused.id if isinstance(focused, DataTable) else None
        if table_id not in ("journal-entries", "report-entries"):
            return
        entry_id = self._cursor_id(table_id)
        if entry_id is None:
            return
        if entry_id in self.chosen:
            self.chosen.remove(entry_id)
        else:
            self.chosen.append(entry_id)
        self.refresh_tables()

    def action_add_shown(self) -> None:
        if isinstance(self.focused, TextArea | Input):
            return
        self.chosen += [e.id for e in self.shown if e.id is not None and e.id not in self.chosen]
        self.refresh_tables()

    def action_move(self, step: int) -> None:
        table = self.query_one("#report-entries", DataTable)
        if self.focused is not table:
            return
        row = table.cursor_row
        target = row + step
        if not (0 <= row < len(self.chosen) and 0 <= target < len(self.chosen)):
            return
        self.chosen[row], self.chosen[target] = self.chosen[target], self.chosen[row]
        self.refresh_tables()
        table.move_cursor(row=target)

    def action_search(self) -> None:
        find = self.query_one("#find", Input)
        find.display = True
        find.focus()

    @on(Input.Changed, "#find")
    def search_changed(self) -> None:
        self.refresh_tables()

    @on(Input.Submitted, "#find")
    def search_done(self) -> None:
        self.query_one("#journal-entries", DataTable).focus()

    @on(TabbedContent.TabActivated, "#report-tabs")
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-preview":
            self.show_preview()
        elif event.pane.id == "tab-figures":
            self.show_figures()

    # -- the record

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.query_one("#report-title", Input).value,
            "entry_ids": list(self.chosen),
            "front_matter": self.query_one("#front-matter", Checkbox).value,
            "layout": self.query_one("#layout", Input).value.strip(),
            "tags": self.query_one("#report-tags", Input).value,
        }
        for name in PROSE_FIELDS:
            out[name] = self.query_one(f"#prose-{name}", TextArea).text
        return out

    def unsaved_changes(self) -> bool:
        return bool(self._initial) and self.values() != self._initial

    def candidate(self) -> Report | None:
        """The form as a validated report, or None with the field named in red."""
        try:
            return Report.from_dict(self.report.to_dict() | self.values(), self.report.id)
        except FieldError as err:
            self._error(f"{err.field}: {err.message}")
            return None

    def _error(self, message: str) -> None:
        if closing(self):  # a save or export that ended after the user left: nothing to mark
            if message:
                self.app.notify(message, severity="error", timeout=10)
            return
        error = self.query_one("#report-error", Static)
        error.update(Text(message))
        error.display = bool(message)

    def show_preview(self) -> None:
        report = self.candidate()
        if report is None:
            return
        text, _planned, _drawn = markdown(report, self._entries())
        self.query_one("#preview", Markdown).update(text)

    def _entries(self) -> list[Entry]:
        entries = []
        for entry_id in self.chosen:
            try:
                entries.append(self.app.journal.get(entry_id))
            except JournalError:
                continue
        return entries

    def show_figures(self) -> None:
        """Terminal previews: accuracy by architecture and the best entry's curves."""
        entries = self._entries()
        planned = figures.plan(entries)
        arms = figures.architecture_arms(entries)
        labelled = zip(figures.arm_labels(arms), arms, strict=True)
        ranked = sorted(labelled, key=lambda p: p[1].mean or 0.0)
        ranked = ranked[-figures.MAX_BARS :]
        self.query_one("#preview-bars", BarPlot).draw(
            [label for label, _arm in ranked],
            [arm.mean or 0.0 for _label, arm in ranked],
            "Test accuracy by architecture (mean over seeds)",
        )
        best = best_of(a for e in entries for a in arm_stats(e))
        best_entry = next((e for e in entries if best and e.id == best.entry_id), None)
        curves = learning_curves(best_entry) if best_entry else []
        self.query_one("#preview-curves", LinePlot).draw(
            {c.arm: c.mean for c in curves[: figures.MAX_CURVES]},
            f"Entry {best_entry.id}: validation accuracy per epoch" if best_entry else "Curves",
        )
        names = ", ".join(f.name for f in planned) or "none"
        extra = "" if figures.matplotlib_available() else f" — install {figures.INSTALL_HINT}"
        self.query_one("#figures-note", Static).update(f"Figures on export: {names}{extra}")

    def action_save(self) -> None:
        self._save(then=None)

    def _save(self, then: Callable[[Report], None] | None) -> None:
        """Save in the app's write worker (never on the event loop); `then(report)`
        once saved. The form's values are taken now: edits typed meanwhile stay unsaved."""
        report = self.candidate()
        if report is None:
            return
        values = self.values()
        reports = Reports(self.app.journal)

        def write() -> Report:
            if report.id is None:
                reports.add(report)
            else:
                reports.update(report)
            return report

        def saved(report: Report) -> None:
            self.report = report
            self._initial = values
            if closing(self):  # left while it was saved: say so wherever the user is
                self.app.notify(f"Saved report {report.id}.", timeout=3)
                return
            self._error("")
            self.query_one("#report-heading", Static).update(self._heading() + " — saved")
            self.notify(f"Saved report {report.id}.", timeout=3)
            if then is not None:
                then(report)

        self.query_one("#report-heading", Static).update(self._heading() + " — saving…")
        self.app.write_later(write, saved, lambda err: self._error(str(err)))

    def action_export(self) -> None:
        """Save, then write report.md and figures/ under the app's export folder."""
        self._save(then=self._export_saved)

    def _export_saved(self, report: Report) -> None:
        folder = Path(self.app.export_dir) / f"report-{report.id}"
        self.notify(f"Exporting report {report.id} to {folder}…", timeout=3, markup=False)
        self._export(report, folder)

    @work(thread=True, exclusive=True, group="report-export")
    def _export(self, report: Report, folder: Path) -> None:
        """Reading the entries and drawing figures take seconds: off the event loop,
        reporting back on it."""
        try:
            entries = [self.app.journal.get(i) for i in report.entry_ids]
            result = export_report(report, entries, folder)
        except JournalError as err:
            self.app.call_from_thread(self._error, str(err))
            return
        figures = len([p for p in result.figures if p.suffix == ".png"])
        notes = f" ({'; '.join(result.notes)})" if result.notes else ""
        self.app.call_from_thread(
            self.notify,
            f"Wrote {result.document} and {figures} figure(s){notes}.",
            timeout=8,
            markup=False,
        )

    def action_back(self) -> None:
        self.app.leave(
            self.unsaved_changes(), "Discard the unsaved changes to this report?", "Discard", None
        )


def open_report(app: Any, report_id: int | None = None, entry_ids: list[int] | None = None) -> None:
    """Open a report: the given one, else the last one saved, else a new one of `entry_ids`."""
    reports = Reports(app.journal)
    try:
        if report_id is not None:
            report = reports.get(report_id)
        else:
            saved = sorted(reports.all(), key=lambda r: (r.updated, r.id or 0))
            report = saved[-1] if saved else Report(title="Report", entry_ids=entry_ids or [])
    except JournalError as err:
        app.notify(str(err), severity="error", markup=False)
        return
    app.push_screen(ReportScreen(report))
