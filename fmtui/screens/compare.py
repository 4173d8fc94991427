"""Provides the compare view: two entries' differences, scores, curves and a verdict."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from fmtui.core.entry_view import entry_bands, runs_summary
from fmtui.core.journal import Entry
from fmtui.core.plateau import compare_entries
from fmtui.core.stats import format_comparison
from fmtui.screens import FmtuiAppGetter
from fmtui.widgets.charts import LinePlot
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.literal import literal, literal_line


class CompareScreen(Screen[None]):
    """Side by side: only the spec fields that differ, the scores, the curves, the verdict."""

    CSS_PATH = "compare.tcss"
    BINDINGS = [Binding("escape,j", "back", "Journal")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    app = FmtuiAppGetter()

    def __init__(self, first: Entry, second: Entry) -> None:
        super().__init__()
        self.first, self.second = first, second

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(self._report(), id="report")
            with Horizontal(id="plots"):
                yield LinePlot(id="loss-curves")
                yield LinePlot(id="curves")
        yield QuietFooter()

    def on_mount(self) -> None:
        for selector, metric, title in (
            ("#loss-curves", "val_loss", "Validation loss"),
            ("#curves", "val_acc", "Validation accuracy"),
        ):
            bands = {
                f"entry {entry.id} {arm}": band
                for entry in (self.first, self.second)
                for arm, band in entry_bands(entry, metric).items()
            }
            plot = self.query_one(selector, LinePlot)
            plot.draw({}, f"{title} per epoch (mean ± 1 sd over seeds)", bands=bands)

    def _report(self) -> Table:
        result = compare_entries(self.first, self.second)
        # Every cell is Text: a Rich table parses plain strings as markup, and the
        # titles, verdicts and arm names come from the journal.
        first, second = self.first, self.second
        table = Table(box=None, show_header=True, title="Compare entries", expand=True)
        table.add_column("", style="bold")
        table.add_column(literal_line(f"entry {first.id}: {first.title}"), ratio=1)
        table.add_column(literal_line(f"entry {second.id}: {second.title}"), ratio=1)
        table.add_row("created", literal_line(first.created), literal_line(second.created))
        table.add_row("runs", literal_line(runs_summary(first)), literal_line(runs_summary(second)))
        table.add_row(
            "verdict", literal_line(first.verdict or "—"), literal_line(second.verdict or "—")
        )
        if result.spec_diff:
            for name, a, b in result.spec_diff:
                table.add_row(literal_line(name, style="yellow"), literal_line(a), literal_line(b))
        else:
            table.add_row("spec", "the same set-up", "the same set-up")
        outer = Table.grid()
        outer.add_row(table)
        if result.comparison is not None:
            outer.add_row(
                literal(
                    "\nDifference of the best arms (second − first): "
                    + format_comparison(result.comparison)
                )
            )
        for warning in result.warnings:
            outer.add_row(literal(f"⚠ {warning}", style="bold yellow"))
        return outer

    def action_back(self) -> None:
        self.app.back_to_browser(self.second.id)
