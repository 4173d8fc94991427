"""Provides the training screen: progress, live curves, results, and the write-up."""

from __future__ import annotations

import time

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Header,
    Label,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from fmtui.core.journal import Entry, JournalError
from fmtui.core.live import LiveState, RunView
from fmtui.core.present import (
    ellipsize,
    experiment_progress,
    name_width,
    short_verdict,
    verdict_lines,
)
from fmtui.core.safe_text import one_line
from fmtui.core.status import EntryStatus, RunStatus
from fmtui.core.training_view import (
    arm_labels,
    current_run,
    progress_labels,
    queue_note,
    run_cells,
)
from fmtui.screens import FmtuiAppGetter, on_top
from fmtui.widgets.charts import (
    BarPlot,
    LinePlot,
    class_bars,
    confusion_table,
    curve_series,
    heatmap,
    misclassified_text,
    step_series,
)
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.inputs import SafeTextArea
from fmtui.widgets.literal import literal, literal_line
from fmtui.widgets.table import show_rows

REFRESH_S = 0.5  # progress and table
# Status last and as wide as it needs: a failure's reason is never cut.
COLUMNS = ("arm", "seed", "epoch", "best", "test", "time", "where", "status")
COLUMN_LABELS = (
    ("Arm", 0),  # sized to the experiment's longest arm name (ARM_WIDTH)
    ("Seed", 4),
    ("Epoch", 5),
    ("Best val", 8),
    ("Test acc", 8),
    ("Time", 6),
    ("Where", None),  # device · host, as wide as its longest cell up to WHERE_WIDTH
    ("Status", None),
)
ARM_WIDTH = (6, 18)  # what the runs table can give the arm name beside the bars at 120 columns
WHERE_WIDTH = 20  # a long host name is cut (marked …) rather than push the status away
NARROW = 100  # columns below which the runs table moves into a tab
VERDICT_LINES = 3  # variants shown under the headline; all of them are in the Write-up tab
CHART_S = 1.0  # plotext renders cost 15–80 ms each: at most once a second, only on change
STEP_CHART_S = 2.0


class TrainingScreen(Screen[None]):
    """Watch an experiment train; cancel a run or all of it; write the conclusion."""

    CSS_PATH = "training.tcss"
    # Narrow terminals move the runs table into a tab; short ones scroll the curves.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        Binding("c", "cancel_run", "Cancel run"),
        Binding("C", "cancel_experiment", "Cancel experiment"),
        Binding("j,escape", "journal", "Journal"),
        Binding("ctrl+s", "save", "Save write-up", priority=True),
    ]

    def __init__(self, entry_id: int) -> None:
        super().__init__()
        self.entry_id = entry_id
        self._chart_version = -1
        self._writeup_loaded = False
        self._shown: dict[str, object] = {}
        self._step_drawn = 0.0
        self._step_version = -1  # the state's version the step chart shows
        self._verdict: tuple[str | None, dict | None] = (None, None)
        self._arm_width = 0

    app = FmtuiAppGetter()

    @property
    def state(self) -> LiveState | None:
        return self.app.live.get(self.entry_id)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="headline")
        yield Static("", id="verdict")
        with Horizontal(id="top"):
            with Vertical(id="bars"):
                yield Label("Epoch", id="epoch-label")
                yield ProgressBar(id="epoch-bar", show_eta=self.app.live_clock)
                yield Label("Run", id="run-label")
                yield ProgressBar(id="run-bar", show_eta=False)
                yield Label("Experiment", id="experiment-label")
                yield ProgressBar(id="experiment-bar", show_eta=self.app.live_clock)
            yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        with TabbedContent(id="charts"):
            with TabPane("Curves", id="tab-curves"), VerticalScroll(id="curves"):
                with Horizontal(classes="plots"):
                    yield LinePlot(id="loss-plot")
                    yield LinePlot(id="acc-plot")
                yield LinePlot(id="step-plot", classes="short")
            with TabPane("Runs", id="tab-runs"):  # the runs table where the screen is narrow
                yield DataTable(id="runs-tab", cursor_type="row", zebra_stripes=True)
            with TabPane("Arms", id="tab-arms"), VerticalScroll():
                yield Static("", id="heatmap")
                yield BarPlot(id="arm-plot")
            with TabPane("Last run", id="tab-last"), VerticalScroll():
                with Horizontal(id="last-top"):
                    yield Static("", id="class-bars")
                    yield Static("", id="confusion")
                yield Static("", id="samples")
            with TabPane("Write-up", id="tab-writeup"), VerticalScroll(id="writeup"):
                yield Static("", id="writeup-verdict")
                yield Label("Results (drafted by fmtui when the runs end; edit freely)")
                yield SafeTextArea("", id="results", soft_wrap=True)
                yield Label("Conclusion")
                yield SafeTextArea("", id="conclusion", soft_wrap=True)
                yield Static("", id="writeup-status")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.app.apply_blink(self)
        self._add_columns()
        self._place_runs_table(self.app.size.width)
        self.refresh_view()
        self.refresh_charts()
        self.set_interval(REFRESH_S, self.refresh_view)
        self.set_interval(CHART_S, self.refresh_charts)

    def show_entry(self, entry_id: int) -> None:
        """Switch this screen to another experiment."""
        if entry_id == self.entry_id:
            return  # the same one: on_screen_resume redraws only what changed
        self.entry_id = entry_id
        self._chart_version = self._step_version = -1
        self._writeup_loaded = False
        self._shown.clear()
        self._verdict = (None, None)
        if not self.is_mounted:
            return  # on_mount draws it
        self._add_columns()
        for selector in ("#verdict", "#writeup-verdict"):
            self.query_one(selector, Static).update("")
        self.query_one("#verdict", Static).display = False
        self.refresh_view()
        self.refresh_charts()

    # -- layout

    def _add_columns(self) -> None:
        """(Re)build the runs tables' columns, the arm column as wide as the longest name."""
        state = self.state
        names = [a.name for a in state.experiment.arms] if state is not None else []
        self._arm_width = name_width(names, *ARM_WIDTH)
        for table in self.query("#runs, #runs-tab").results(DataTable):
            table.clear(columns=True)
            for key, (label, width) in zip(COLUMNS, COLUMN_LABELS, strict=True):
                table.add_column(label, key=key, width=self._arm_width if width == 0 else width)

    def on_resize(self, event: events.Resize) -> None:
        self._place_runs_table(event.size.width)

    def _place_runs_table(self, width: int) -> None:
        """Beside the bars where there is room; in its own tab on a narrow terminal."""
        tabs = self.query_one("#charts", TabbedContent)
        if width < NARROW:
            tabs.show_tab("tab-runs")
        else:
            if tabs.active == "tab-runs":
                tabs.active = "tab-curves"
            tabs.hide_tab("tab-runs")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The cancel keys only while something of this experiment trains or waits."""
        if action in ("cancel_run", "cancel_experiment"):
            return self.app.is_training(self.entry_id)
        return True

    # -- drawing

    def _set(self, selector: str, content: str | Text) -> None:
        """Update one of the one-line labels, only when its content changed.

        Their size is fixed in the stylesheet, so no layout pass is needed: a layout
        of the whole screen is the most costly redraw, and the UI shares the cores
        with training.
        """
        key = str(content) if isinstance(content, str) else content.markup
        if self._shown.get(selector) != key:
            self._shown[selector] = key
            self.query_one(selector, Static).update(content, layout=False)

    def _bar(self, selector: str, total: float, progress: float) -> None:
        if self._shown.get(selector) != (total, progress):
            self._shown[selector] = (total, progress)
            self.query_one(selector, ProgressBar).update(total=total, progress=progress)

    def on_screen_resume(self) -> None:
        self.refresh_view()
        self.refresh_charts()  # only what changed while the journal was shown

    def refresh_view(self) -> None:
        if not on_top(self):  # kept installed while the journal shows: idle
            return
        state = self.state
        if state is None:
            self._set("#headline", "Nothing is training.")
            return
        current = state.current
        if state.status not in (RunStatus.QUEUED, EntryStatus.RUNNING) and not self._writeup_loaded:
            self._load_writeup()  # first: the headline below shows its verdict
        head = Text()
        head.append(f"Entry {state.entry_id}: ", style="bold")
        head.append(literal_line(state.title))
        head.append(f" — {state.status}", style="bold")
        if state.error and state.status == EntryStatus.FAILED:  # the notification fades; this stays
            head.append(literal_line(f": {state.error}", style="red"))
        verdict = short_verdict(*self._verdict)
        if verdict:
            head.append(f" · {verdict}", style="bold")
        head.append(literal_line(current_run(state)))
        if current is not None and state.samples_per_s and self.app.live_clock:
            head.append(f" · {state.samples_per_s:,.0f} samples/s", style="dim")
        head.append(queue_note(state.entry_id, state.status, self.app.queue), style="dim")
        self._set("#headline", head)
        training = self.app.is_training(self.entry_id)
        if self._shown.get("training") != training:
            self._shown["training"] = training
            self.refresh_bindings()  # the footer drops the cancel keys once nothing runs
        if current is not None:
            self._bar("#epoch-bar", max(state.steps_per_epoch, 1), state.step)
            self._bar("#run-bar", current.max_epochs, len(current.epochs))
        else:  # queued or finished: definite bars, never the animated indeterminate kind
            finished = 1 if state.status == EntryStatus.COMPLETED else 0
            self._bar("#epoch-bar", 1, finished)
            self._bar("#run-bar", 1, finished)
        epoch_label, run_label = progress_labels(state)
        self._set("#epoch-label", epoch_label)
        self._set("#run-label", run_label)
        label, done = experiment_progress(state.status, [r.status for r in state.runs])
        self._bar("#experiment-bar", max(len(state.runs), 1), done)
        self._set("#experiment-label", label)
        self._fill_table(state)

    def _fill_table(self, state: LiveState) -> None:
        rows = []
        for run in state.runs:
            *numbers, status = run_cells(run, self.app.live_clock)
            cells = [
                literal_line(ellipsize(one_line(run.arm), self._arm_width)),
                *(Text(n) for n in numbers),
                literal_line(ellipsize(where(run), WHERE_WIDTH)),
                literal_line(status, style="red" if run.error else ""),
            ]
            rows.append((f"{run.arm}#{run.repeat}", cells))
        for table in self.query("#runs, #runs-tab").results(DataTable):
            show_rows(table, rows)

    def refresh_charts(self, force: bool = False) -> None:
        """Redraw the visible charts whose data changed.

        Epoch curves change only when an epoch ends; the per-step loss is redrawn at
        most every STEP_CHART_S. Each plotext render costs tens of milliseconds of UI
        thread time that training would otherwise have.
        """
        state = self.state
        if state is None or not on_top(self):
            return
        active = self.query_one("#charts", TabbedContent).active
        epochs_changed = force or state.epoch_version != self._chart_version
        self._chart_version = state.epoch_version
        if active == "tab-curves":
            if epochs_changed:
                lines, bands = curve_series(state, "train_loss", "val_loss")
                self.query_one("#loss-plot", LinePlot).draw(lines, "Loss", bands=bands)
                lines, bands = curve_series(state, "train_acc", "val_acc")
                self.query_one("#acc-plot", LinePlot).draw(lines, "Accuracy", bands=bands)
            now = time.monotonic()
            # Not on a clock alone: coming back to a finished run must not redraw it.
            stepped = state.version != self._step_version
            if force or (stepped and (epochs_changed or now - self._step_drawn >= STEP_CHART_S)):
                self._step_drawn, self._step_version = now, state.version
                self.query_one("#step-plot", LinePlot).draw(
                    step_series(state),
                    "Smoothed training loss this epoch",
                    xlabel="step",
                    x_start=state.progress_every,
                    x_step=state.progress_every,
                )
        elif not epochs_changed:
            return
        elif active == "tab-arms":
            accuracy = state.arm_accuracy()
            self.query_one("#heatmap", Static).update(heatmap(state))
            labels = arm_labels(accuracy)  # mean ± sd: the error bar, in words
            plot = self.query_one("#arm-plot", BarPlot)
            # two rows per bar, so every arm keeps its label; the tab scrolls when short
            plot.styles.height = max(10, 2 * len(labels) + 5)
            plot.draw(labels, [m for m, _s, _n in accuracy.values()], "Mean test accuracy per arm")
        elif active == "tab-last":
            run = state.last_finished()
            if run is None:
                self.query_one("#samples", Static).update("No run has finished yet.")
                return
            self.query_one("#class-bars", Static).update(class_bars(run))
            self.query_one("#confusion", Static).update(confusion_table(run))
            self.query_one("#samples", Static).update(misclassified_text(run))

    @on(TabbedContent.TabActivated, "#charts")
    def tab_changed(self) -> None:
        self.refresh_charts(force=True)

    # -- write-up

    def _load_writeup(self) -> None:
        try:
            entry = self.app.journal.get(self.entry_id)
        except JournalError:
            return
        self._writeup_loaded = True
        self.query_one("#results", TextArea).text = entry.results
        self.query_one("#conclusion", TextArea).text = entry.conclusion
        self._show_verdict(entry.verdict, entry.stats)

    def _show_verdict(self, verdict: str | None, stats: dict | None) -> None:
        """Where the user looks when training ends: the headline and the Write-up tab."""
        self._verdict = (verdict, stats)
        lines = verdict_lines(verdict, stats)
        shown = lines[: VERDICT_LINES + 1]
        if len(lines) > len(shown):
            shown.append(f"… and {len(lines) - len(shown)} more variants in the Write-up tab")
        self.query_one("#verdict", Static).update(Text("\n".join(shown[1:])))
        self.query_one("#verdict", Static).display = len(shown) > 1
        self.query_one("#writeup-verdict", Static).update(Text("\n".join(lines)))
        self._shown.pop("#headline", None)

    def action_save(self) -> None:
        if self.app.is_training(self.entry_id):
            self.notify("Save the write-up when the runs have finished.", severity="warning")
            return
        try:
            entry = self.app.journal.get(self.entry_id)
        except JournalError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        entry.results = self.query_one("#results", TextArea).text
        entry.conclusion = self.query_one("#conclusion", TextArea).text
        self.query_one("#writeup-status", Static).update("Saving…")
        self.app.save_later(entry, self._saved, self._not_saved)

    def _not_saved(self, err: Exception) -> None:
        self.query_one("#writeup-status", Static).update(literal(f"Not saved: {err}"))
        self.notify(str(err), severity="error", timeout=10, markup=False)

    def _saved(self, entry: Entry) -> None:
        self.query_one("#writeup-status", Static).update(
            literal(f"Saved; entry {entry.id} is {entry.status}.")
        )
        self.notify(f"Saved the write-up of entry {entry.id}.", timeout=3)

    # -- actions

    def action_cancel_run(self) -> None:
        if self.app.cancel_run(self.entry_id):
            self.notify("Cancelling the current run; the next one will start.", timeout=3)

    def action_cancel_experiment(self) -> None:
        if self.app.cancel_experiment(self.entry_id):
            self.notify("Cancelling the experiment; finished epochs are kept.", timeout=3)

    def action_journal(self) -> None:
        self.app.back_to_browser(self.entry_id)


def where(run: RunView) -> str:
    """Device and host of a run, one terminal-safe line ("—" until it starts).

    The host is what a cluster worker reported: text from another machine.
    """
    if run.device is None:
        return "—"
    return one_line(f"{run.device} · {run.host}" if run.host else run.device)
