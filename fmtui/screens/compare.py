"""Provides the compare view: two entries' differences, scores, curves and a verdict."""

from __future__ import annotations

import statistics

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from fmtui.core.journal import Entry
from fmtui.core.stats import compare_entries, format_comparison, format_mean_sd
from fmtui.core.words import count
from fmtui.screens import FmtuiAppGetter
from fmtui.widgets.charts import LinePlot
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.literal import literal, literal_line


def mean_curve(entry: Entry, metric: str = "val_acc") -> list[float]:
    """The mean over all of an entry's runs of `metric` per epoch."""
    series = [[e.get(metric) for e in r.get("epochs") or []] for r in entry.runs]
    series = [[v for v in s if isinstance(v, int | float)] for s in series]
    series = [s for s in series if s]
    if not series:
        return []
    length = max(len(s) for s in series)
    return [statistics.fmean(s[i] for s in series if len(s) > i) for i in range(length)]


def _summary(entry: Entry) -> str:
    values = [r.get("test_acc") for r in entry.runs if r.get("status") == "completed"]
    accs: list[float] = [a for a in values if isinstance(a, int | float)]
    sd = statistics.stdev(accs) if len(accs) > 1 else None
    mean = statistics.fmean(accs) if accs else None
    return f"{count(len(entry.runs), 'run')}, test accuracy {format_mean_sd(mean, sd)}"


class CompareScreen(Screen[None]):
    """Side by side: only the spec fields that differ, the scores, the curves, the verdict."""

    CSS_PATH = "compare.tcss"
    BINDINGS = [Binding("escape,j", "back", "Journal")]
    app = FmtuiAppGetter()

    def __init__(self, first: Entry, second: Entry) -> None:
        super().__init__()
        self.first, self.second = first, second

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(self._report(), id="report")
            yield LinePlot(id="curves")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one("#curves", LinePlot).draw(
            {
                f"entry {self.first.id} val acc": mean_curve(self.first),
                f"entry {self.second.id} val acc": mean_curve(self.second),
            },
            "Validation accuracy per epoch (mean over runs)",
        )

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
        table.add_row("runs", literal_line(_summary(first)), literal_line(_summary(second)))
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
