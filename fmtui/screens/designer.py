"""Provides the experiment designer: arms, training set-up, seeds, device, then launch."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    Checkbox,
    Header,
    Input,
    Label,
    Select,
    Static,
    Switch,
    TextArea,
)

from fmtui.core import design_form
from fmtui.core.design import Estimator, build_design
from fmtui.core.journal import Entry
from fmtui.core.present import format_duration, long_run_warning
from fmtui.core.spec import MAX_LAYERS, ExperimentSpec
from fmtui.core.spec_fields import BY_NAME, DESIGNER_FIELDS, TABLE
from fmtui.core.status import EntryStatus
from fmtui.core.train_on import THIS_MACHINE
from fmtui.screens import FmtuiAppGetter, closing
from fmtui.screens.dialogs import ConfirmDialog
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.inputs import SafeInput, SafeTextArea
from fmtui.widgets.literal import literal, literal_line
from fmtui.widgets.train_on import FIELD as TRAIN_ON
from fmtui.widgets.train_on import chosen_place, train_on_row

# (label, hint) of the form's own fields; the spec's come from core/spec_fields.py.
FORM_INPUTS = {
    "baseline_name": ("Baseline arm", "the arm the claim compares against"),
    "grid": ("Grid of widths", "per-layer lists: 16,32,64x16,32,64 or 16..1024x16..1024"),
    "grid_baseline": ("Baseline arm", "the grid arm the claim compares against; empty: the first"),
    "max_seeds": ("Max seeds", "3 to 100 seeds per arm at the last look"),
    "smallest_effect": ("Smallest effect", "0 to 1; stop for futility below it; 0 = never"),
}
ORDER = ("baseline_name", *DESIGNER_FIELDS)
GRID_FIELDS = ("grid", "grid_baseline")
UNTIL_FIELDS = ("max_seeds", "smallest_effect")
VARIANTS_DEBOUNCE_S = 0.3  # the variants are checked once typing pauses, not per key
# Every field of an arm's spec; the seed comes from the seeds, the device from the form.
VARIANT_FIELDS = tuple(
    i.name for i in TABLE if i.owner == "run" and i.name not in ("seed", "device")
)
VARIANTS_HINT = (
    f"Variants, one per line — name: field=value, … (fields: {', '.join(VARIANT_FIELDS)})"
)
UNTIL_HINT = "run seeds in looks (3, 5, 8, 12, …) and stop once the claim is decided"


class DesignerScreen(Screen[None]):
    """Design the experiment that tests an entry's hypothesis; invalid designs can't launch."""

    CSS_PATH = "designer.tcss"
    BINDINGS = [
        Binding("ctrl+l", "launch", "Launch", priority=True),
        Binding("ctrl+s", "save", "Save design", priority=True),
        Binding("ctrl+t", "estimate", "Estimate", priority=True),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.entry = entry
        self.experiment: ExperimentSpec | None = None
        self.errors: dict[str, str] = {}
        self._initial: dict[str, Any] = {}
        self._estimate: float | None = None  # seconds, for the design as it is now
        self._pending: Timer | None = None
        self.settings = design_form.ClaimSettings(0, 0.0, {})

    app = FmtuiAppGetter()

    def initial_values(self) -> dict[str, Any]:
        return design_form.initial_values(self.entry.experiment, self.entry.claim)

    def compose(self) -> ComposeResult:
        values = self.initial_values()
        yield Header()
        yield Static(literal_line(f"Design: {self.entry.title or '(untitled)'}"), id="design-title")
        with VerticalScroll(id="form"):
            with Horizontal(classes="row"):
                yield Label("Arms", classes="field-label")
                yield Select(
                    [("Baseline + variants", "variants"), ("Grid over widths", "grid")],
                    value=values["mode"],
                    compact=True,
                    allow_blank=False,
                    id="mode",
                )
            for name in (*ORDER, *GRID_FIELDS):
                yield from self._field(name, values)
            yield from train_on_row(self.app.cluster_address)
            with Horizontal(classes="row", id="row-reuse"):
                yield Label("Reuse finished runs", classes="field-label")
                yield Checkbox(
                    "link runs already trained",
                    value=True,
                    id="reuse",
                    compact=True,
                )
            with Horizontal(classes="row", id="row-until_decided"):
                yield Label("Until decided", classes="field-label")
                yield Switch(values["until_decided"], id="until_decided", animate=False)
                yield Static(UNTIL_HINT, classes="hint")
            yield Static("", id="until_decided-error", classes="error")
            for name in UNTIL_FIELDS:
                yield from self._field(name, values)
            yield Label(VARIANTS_HINT, id="variants-label")
            yield SafeTextArea(values["variants"], id="variants", soft_wrap=True)
            yield Static("", id="variants-error", classes="error")
            yield Static("", id="summary")
            yield Static("", id="plan")
            yield Static("", id="estimate")
            with Horizontal(id="buttons"):
                yield Button("Estimate time (ctrl+t)", id="estimate-button", compact=True)
                yield Button("Save design (ctrl+s)", id="save-button", compact=True)
                yield Button(
                    "Launch (ctrl+l)", id="launch", variant="success", disabled=True, compact=True
                )
        yield QuietFooter()

    def _field(self, name: str, values: dict[str, Any]) -> ComposeResult:
        info = BY_NAME.get(name)
        label, hint = (info.label, info.range) if info else FORM_INPUTS[name]
        with Horizontal(classes="row", id=f"row-{name}"):
            yield Label(label, classes="field-label")
            if info is not None and info.widget == "device":
                devices = [
                    ("auto (best available)", "auto"),
                    *[(t, v) for v, t in self.app.devices],
                ]
                known = {value for _label, value in devices}
                current = values[name] if values[name] in known else "auto"
                yield Select(devices, value=current, allow_blank=False, id=name, compact=True)
                return
            if info is not None and info.widget == "select":
                options = [(o, o) for o in info.choices]
                yield Select(options, value=values[name], allow_blank=False, id=name, compact=True)
                return
            yield SafeInput(str(values[name]), id=name, placeholder=hint, compact=True)
            if name == "layers":
                yield Button("+ layer", id="add-layer", classes="small", compact=True)
                yield Button("− layer", id="remove-layer", classes="small", compact=True)
            else:
                yield Static(hint, classes="hint")
        yield Static("", id=f"{name}-error", classes="error")

    def on_mount(self) -> None:
        self.app.apply_blink(self)
        self.validate()
        self._initial = self.values()
        self.query_one("#layers", Input).focus()

    # -- values and validation

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for widget in self.query("#form Input, #form Select, #form TextArea, #form Switch"):
            if not widget.id:
                continue
            if isinstance(widget, Input | Select | Switch):
                out[widget.id] = widget.value
            elif isinstance(widget, TextArea):
                out[widget.id] = widget.text
        out.pop(TRAIN_ON, None)  # where to train is chosen per launch, not part of the design
        mode = out.get("mode", "variants")
        if mode == "grid":
            out.pop("variants", None)
            out.pop("baseline_name", None)
            out.pop("layers", None)
        else:
            for name in GRID_FIELDS:
                out.pop(name, None)
        if not out.get("until_decided"):
            for name in UNTIL_FIELDS:
                out.pop(name, None)
        return out

    def unsaved_changes(self) -> bool:
        return bool(self._initial) and self.values() != self._initial

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def changed(self) -> None:
        self.validate()

    @on(TextArea.Changed, "#variants")
    def variants_changed(self) -> None:
        """Parsing every variant and redrawing the summary per key made typing lag."""
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(VARIANTS_DEBOUNCE_S, self.validate)

    def flush(self) -> None:
        """Validate the fields as they are now (before saving or launching): typing may
        have left the variants' timer pending, or a field's change still in the queue."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        self.validate()

    def _show_rows(self, grid: bool, until: bool) -> None:
        """Grid mode swaps the layers and variants for the grid; the switch shows its fields."""
        for name in ("baseline_name", "layers"):
            for widget in self.query(f"#row-{name}, #{name}-error"):
                widget.display = not grid
        for widget in self.query("#variants, #variants-label, #variants-error"):
            widget.display = not grid
        for name in GRID_FIELDS:
            for widget in self.query(f"#row-{name}, #{name}-error"):
                widget.display = grid
        for name in UNTIL_FIELDS:
            for widget in self.query(f"#row-{name}, #{name}-error"):
                widget.display = until

    def validate(self) -> None:
        values = self.values()
        grid, until = values.get("mode") == "grid", bool(values.get("until_decided"))
        self._show_rows(grid, until)
        result = build_design(values)
        settings = design_form.claim_settings(values, self.entry.claim, result.experiment)
        experiment = result.experiment if not settings.errors else None
        if (experiment, settings.max_seeds) != (self.experiment, self.settings.max_seeds):
            self._estimate = None  # a time measured for another design
            self.query_one("#estimate", Static).update("")
            self._plan_design(experiment, values.get("device", "auto"), settings.max_seeds)
        self.errors = result.errors | settings.errors
        self.experiment, self.settings = experiment, settings
        hidden = {*GRID_FIELDS} if not grid else {"variants", "layers", "baseline_name"}
        if not until:
            hidden.update(UNTIL_FIELDS)
        for name in (*ORDER, *GRID_FIELDS, "until_decided", *UNTIL_FIELDS, "variants"):
            message = self.errors.get(name, "")
            for error in self.query(f"#{name}-error"):
                assert isinstance(error, Static)
                error.update(literal(message))
                error.display = bool(message) and name not in hidden
            for widget in self.query(f"#{name}"):
                widget.set_class(bool(message), "-invalid")
        self.query_one("#launch", Button).disabled = self.experiment is None
        self.query_one("#summary", Static).update(self.summary())

    def summary(self) -> Text:
        lines = design_form.summary_lines(self.experiment, self.errors, self.settings.max_seeds)
        text = Text()
        for number, line in enumerate(lines):
            if number:
                text.append("\n")
            for piece, style in line:  # arm names are the user's text: drawn literally
                text.append_text(literal_line(piece, style))
        return text

    def _plan_design(self, experiment: ExperimentSpec | None, device: str, max_seeds: int) -> None:
        """Show how the runs will train together, planned off the UI thread."""
        plan = self.query_one("#plan", Static)
        plan.update("")
        if experiment is None:
            return
        kind = design_form.device_type(str(device), self.app.devices)
        self._plan(experiment, kind, max_seeds, self.app.call_from_thread)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _plan(
        self, experiment: ExperimentSpec, kind: str, max_seeds: int, post: Callable[..., Any]
    ) -> None:
        # Everything from the screen arrived as arguments: no DOM access in this thread.
        try:
            text = design_form.plan_text(experiment, kind, max_seeds)
        except Exception as err:  # noqa: BLE001 - shown to the user, never a crash
            text = f"Could not plan the groups: {err}"
        post(self._planned, experiment, max_seeds, text)

    def _planned(self, experiment: ExperimentSpec, max_seeds: int, text: str) -> None:
        if closing(self):  # the user left the designer while the plan was made
            return
        if (experiment, max_seeds) == (self.experiment, self.settings.max_seeds):
            self.query_one("#plan", Static).update(literal(f"Batch models: {text}"))

    # -- layer editor

    @on(Button.Pressed, "#add-layer")
    def add_layer(self) -> None:
        widget = self.query_one("#layers", Input)
        more = design_form.add_layer(widget.value)
        if more is None:
            self.notify(f"At most {MAX_LAYERS} hidden layers.", severity="warning")
            return
        widget.value = more

    @on(Button.Pressed, "#remove-layer")
    def remove_layer(self) -> None:
        widget = self.query_one("#layers", Input)
        widget.value = design_form.remove_layer(widget.value)

    # -- actions

    @on(Button.Pressed, "#estimate-button")
    def action_estimate(self, then_launch: bool = False) -> None:
        self.flush()
        if self.experiment is None:
            self.notify("Fix the fields in red first.", severity="warning")
            return
        self.query_one("#estimate", Static).update("Measuring a few steps on the device…")
        device = str(self.query_one("#device", Select).value)
        # The steps are measured here: a cluster's workers may be faster or slower.
        where = "" if chosen_place(self) == THIS_MACHINE else " of this machine"
        # The estimator and the way back are looked up here, on the UI thread.
        self._measure(
            self.experiment,
            device,
            then_launch,
            self.app.estimator,
            self.app.call_from_thread,
            where,
        )

    @work(thread=True, exclusive=True, group="estimate", exit_on_error=False)
    def _measure(
        self,
        experiment: ExperimentSpec,
        device: str,
        then_launch: bool,
        estimator: Estimator,
        post: Callable[..., Any],
        where: str = "",
    ) -> None:
        seconds: float | None = None
        try:
            seconds, label = estimator(experiment, device)
            text = (
                f"Estimated time on {label}{where}: up to {format_duration(seconds)} "
                "(early stopping usually ends sooner)."
            )
        except Exception as err:  # noqa: BLE001 - shown to the user, never a crash
            text = f"Could not estimate: {err}"
        post(self._measured, experiment, seconds, text, then_launch)

    def _measured(
        self, experiment: ExperimentSpec, seconds: float | None, text: str, then_launch: bool
    ) -> None:
        if closing(self):  # left (or quit) while measuring: nothing to show, no launch
            return
        if experiment != self.experiment:
            return  # the design changed while measuring: this time is for another one
        self._estimate = seconds
        warning = long_run_warning(seconds)
        estimate = self.query_one("#estimate", Static)
        estimate.update(
            literal(text + (f"\n{warning}" if warning else ""), style="yellow" if warning else "")
        )
        estimate.scroll_visible()  # below the fold on a 24-line terminal
        if then_launch:  # without a time (it could not be measured) the launch goes on
            self.action_launch() if seconds is not None else self._launch_now()

    def _store(self) -> bool:
        if self.experiment is None:
            self.notify("The design has errors; fix the fields in red.", severity="error")
            return False
        experiment = self.experiment  # its device is the form's (a spec field like any)
        self.entry.experiment = experiment.to_dict()
        claim = self.entry.claim
        if claim is not None:
            self.entry.claim = dataclasses.replace(
                claim,
                baseline=experiment.baseline.name,
                max_seeds=self.settings.max_seeds,
                smallest_effect=self.settings.smallest_effect,
            )
        return self.app.save_entry(self.entry)

    @on(Button.Pressed, "#save-button")
    def action_save(self) -> None:
        self.flush()
        if self._store():
            self._initial = self.values()
            self.notify(f"Saved the design of entry {self.entry.id}.", timeout=3)

    @on(Button.Pressed, "#launch")
    def action_launch(self) -> None:
        self.flush()
        if self.experiment is None:
            self.notify("The design has errors; nothing was launched.", severity="error")
            return
        if self.entry.status == EntryStatus.RUNNING and self.app.is_training(self.entry.id):
            self.notify("This entry is already training.", severity="warning")
            return
        if self.entry.runs:
            self.notify(
                "This entry already has runs; launching a duplicate (d) keeps both.",
                severity="warning",
            )
            return
        if self._estimate is None:  # measure first: a long design asks before it starts
            self.action_estimate(then_launch=True)
            return
        warning = long_run_warning(self._estimate)
        if warning:

            def done(yes: bool | None) -> None:
                if yes:
                    self._launch_now()

            self.app.push_screen(ConfirmDialog(f"{warning} Launch it?", "Launch", "Not now"), done)
            return
        self._launch_now()

    def _launch_now(self) -> None:
        if not self._store():
            return
        assert self.experiment is not None
        self._initial = self.values()
        reuse = self.query_one("#reuse", Checkbox).value
        self.app.launch(self.entry, self.experiment, chosen_place(self), reuse=reuse)

    def action_back(self) -> None:
        self.app.leave(
            self.unsaved_changes(),
            "Leave the designer without saving the design?",
            "Leave",
            self.entry.id,
        )
