"""Provides the experiment designer: arms, training set-up, seeds, device, then launch."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Header, Input, Label, Select, Static, TextArea

from fmtui.core.design import build_design, variants_text
from fmtui.core.journal import Entry
from fmtui.core.present import format_duration, long_run_warning, spec_differences
from fmtui.core.spec import (
    ACTIVATIONS,
    MAX_LAYERS,
    MONITORS,
    OPTIMIZERS,
    ExperimentSpec,
    RunSpec,
    SpecError,
    format_layers,
    parameter_count,
)
from fmtui.screens.dialogs import ConfirmDialog
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.inputs import SafeInput, SafeTextArea
from fmtui.widgets.literal import literal, literal_line

if TYPE_CHECKING:
    from fmtui.app import FmtuiApp

# (field, label, hint) for text inputs; Selects are listed separately.
INPUTS = (
    ("baseline_name", "Baseline arm", "the arm the claim compares against"),
    ("layers", "Hidden layers", "1–8 widths of 1–4096, e.g. 384x512"),
    ("dropout", "Dropout", "0 ≤ p < 1"),
    ("lr", "Learning rate", "> 0, at most 10"),
    ("momentum", "Momentum (SGD)", "0 ≤ m < 1"),
    ("weight_decay", "Weight decay", "0 to 1"),
    ("batch_size", "Batch size", "1 to 60000"),
    ("epochs", "Max epochs", "1 to 1000"),
    ("patience", "Early-stop patience", "epochs without improvement; 0 = off"),
    ("min_delta", "Min improvement", "0 to 1"),
    ("seeds", "Seeds per arm", "1 to 100; 3 or more to judge noise"),
    ("seed", "First seed", "0 to 2147483647"),
    ("grid", "Grid of widths", "per-layer lists: 16,32,64x16,32,64 or 16..1024x16..1024"),
    ("grid_baseline", "Baseline arm", "the grid arm the claim compares against; empty: the first"),
)
GRID_FIELDS = ("grid", "grid_baseline")
VARIANTS_DEBOUNCE_S = 0.3  # the variants are checked once typing pauses, not per key
SELECTS = {
    "activation": ("Activation", ACTIVATIONS),
    "optimizer": ("Optimizer", OPTIMIZERS),
    "monitor": ("Early stopping watches", MONITORS),
}
ORDER = (
    "baseline_name",
    "layers",
    "activation",
    "dropout",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "batch_size",
    "epochs",
    "patience",
    "min_delta",
    "monitor",
    "seeds",
    "seed",
)
VARIANTS_HINT = (
    "Variants, one per line — name: field=value, … (fields: layers, activation, dropout, "
    "optimizer, lr, momentum, weight_decay, batch_size, epochs, patience, min_delta, monitor)"
)
DEFAULT_SEEDS = 3


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

    @property
    def fm(self) -> FmtuiApp:
        return self.app  # type: ignore[return-value]

    def initial_values(self) -> dict[str, Any]:
        spec = RunSpec(epochs=20, patience=3)
        base_name = (self.entry.claim.baseline if self.entry.claim else "") or "baseline"
        variants, seeds, mode, grid = "", DEFAULT_SEEDS, "variants", "16..1024x16..1024"
        if self.entry.experiment:
            try:
                experiment = ExperimentSpec.from_dict(self.entry.experiment)
            except SpecError:
                experiment = None
            if experiment is not None:
                spec = experiment.baseline.spec
                base_name = experiment.baseline.name
                variants = variants_text(experiment)
                seeds = experiment.seeds
        values: dict[str, Any] = {
            k: ("x".join(map(str, v)) if k == "layers" else v) for k, v in spec.to_dict().items()
        }
        values.update(baseline_name=base_name, seeds=seeds, variants=variants, mode=mode, grid=grid)
        claimed = self.entry.claim.baseline if self.entry.claim else ""
        # a claim against an arm named by its widths (64x64) is a grid's baseline
        values["grid_baseline"] = claimed if re.fullmatch(r"\d+(x\d+)*", claimed) else ""
        return values

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
            for name in ORDER:
                yield from self._field(name, values)
            with Horizontal(classes="row"):
                yield Label("Device", classes="field-label")
                devices = [
                    ("auto (best available)", "auto"),
                    *[(label, value) for value, label in self.fm.devices],
                ]
                current = (
                    values["device"]
                    if values["device"] in dict((v, 1) for _l, v in devices)
                    else "auto"
                )
                yield Select(devices, value=current, allow_blank=False, id="device", compact=True)
            with Horizontal(classes="row", id="row-reuse"):
                yield Label("Reuse finished runs", classes="field-label")
                yield Checkbox(
                    "link runs already trained",
                    value=True,
                    id="reuse",
                    compact=True,
                )
            for name in GRID_FIELDS:
                yield from self._field(name, values)
            yield Label(VARIANTS_HINT, id="variants-label")
            yield SafeTextArea(values["variants"], id="variants", soft_wrap=True)
            yield Static("", id="variants-error", classes="error")
            yield Static("", id="summary")
            yield Static("", id="estimate")
            with Horizontal(id="buttons"):
                yield Button("Estimate time (ctrl+t)", id="estimate-button", compact=True)
                yield Button("Save design (ctrl+s)", id="save-button", compact=True)
                yield Button(
                    "Launch (ctrl+l)", id="launch", variant="success", disabled=True, compact=True
                )
        yield QuietFooter()

    def _field(self, name: str, values: dict[str, Any]) -> ComposeResult:
        if name in SELECTS:
            label, options = SELECTS[name]
            with Horizontal(classes="row", id=f"row-{name}"):
                yield Label(label, classes="field-label")
                yield Select(
                    [(o, o) for o in options],
                    value=values[name],
                    allow_blank=False,
                    id=name,
                    compact=True,
                )
            return
        label, hint = next((lbl, h) for n, lbl, h in INPUTS if n == name)
        with Horizontal(classes="row", id=f"row-{name}"):
            yield Label(label, classes="field-label")
            yield SafeInput(str(values[name]), id=name, placeholder=hint, compact=True)
            if name == "layers":
                yield Button("+ layer", id="add-layer", classes="small", compact=True)
                yield Button("− layer", id="remove-layer", classes="small", compact=True)
            else:
                yield Static(hint, classes="hint")
        yield Static("", id=f"{name}-error", classes="error")

    def on_mount(self) -> None:
        self.fm.apply_blink(self)
        self.validate()
        self._initial = self.values()
        self.query_one("#layers", Input).focus()

    # -- values and validation

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for widget in self.query("#form Input, #form Select, #form TextArea"):
            if not widget.id:
                continue
            if isinstance(widget, Input):
                out[widget.id] = widget.value
            elif isinstance(widget, Select):
                out[widget.id] = widget.value
            elif isinstance(widget, TextArea):
                out[widget.id] = widget.text
        mode = out.get("mode", "variants")
        if mode == "grid":
            out.pop("variants", None)
            out.pop("baseline_name", None)
            out.pop("layers", None)
        else:
            for name in GRID_FIELDS:
                out.pop(name, None)
        return out

    def unsaved_changes(self) -> bool:
        return bool(self._initial) and self.values() != self._initial

    @on(Input.Changed)
    @on(Select.Changed)
    def changed(self) -> None:
        self.validate()

    @on(TextArea.Changed, "#variants")
    def variants_changed(self) -> None:
        """Parsing every variant and redrawing the summary per key made typing lag."""
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(VARIANTS_DEBOUNCE_S, self.validate)

    def flush(self) -> None:
        """Validate now what typing left pending (before saving or launching)."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
            self.validate()

    def validate(self) -> None:
        values = self.values()
        grid = values.get("mode") == "grid"
        for name in ("baseline_name", "layers", "add-layer", "remove-layer"):
            for widget in self.query(f"#row-{name}, #{name}-error"):
                widget.display = not grid
        for widget in self.query("#variants, #variants-label, #variants-error"):
            widget.display = not grid
        for widget in self.query(
            "#row-grid, #grid-error, #row-grid_baseline, #grid_baseline-error"
        ):
            widget.display = grid
        result = build_design(values)
        if result.experiment != self.experiment:  # a time measured for another design
            self._estimate = None
            self.query_one("#estimate", Static).update("")
        self.errors = result.errors
        self.experiment = result.experiment
        for name in (*ORDER, *GRID_FIELDS, "variants"):
            message = self.errors.get(name, "")
            for error in self.query(f"#{name}-error"):
                assert isinstance(error, Static)
                error.update(literal(message))
                error.display = bool(message) and (
                    (name in GRID_FIELDS) == grid
                    or name not in (*GRID_FIELDS, "variants", "layers", "baseline_name")
                )
            for widget in self.query(f"#{name}"):
                widget.set_class(bool(message), "-invalid")
        launch = self.query_one("#launch", Button)
        launch.disabled = self.experiment is None
        self.query_one("#summary", Static).update(self.summary())

    def summary(self) -> Text:
        experiment = self.experiment
        if experiment is None:
            count = len(self.errors)
            return Text(
                f"Fix {count} field{'s' if count != 1 else ''} in red to launch.", style="bold red"
            )
        arms = experiment.arms
        runs = len(experiment.runs())
        text = Text()
        text.append(
            f"{len(arms)} arm{'s' if len(arms) != 1 else ''} × {experiment.seeds} "
            f"seed{'s' if experiment.seeds != 1 else ''} = {runs} runs",
            style="bold",
        )
        if experiment.seeds == 1:
            text.append(
                "  (one seed per arm cannot tell a difference from seed noise)", style="yellow"
            )
        text.append("\n")
        base = experiment.baseline.spec.to_dict()
        for arm in arms[:6]:
            # what sets each arm apart, so b32 and b64 never read the same
            changes = spec_differences(base, arm.spec.to_dict()) or "the baseline"
            if arm is experiment.baseline:
                changes = f"baseline, {format_layers(arm.spec.layers)}"
            text.append(literal_line(f"  {arm.name}: {changes}, "))
            text.append(f"{parameter_count(arm.spec):,} parameters\n")
        if len(arms) > 6:
            text.append(f"  … and {len(arms) - 6} more arms\n")
        return text

    # -- layer editor

    @on(Button.Pressed, "#add-layer")
    def add_layer(self) -> None:
        widget = self.query_one("#layers", Input)
        parts = [p.strip() for p in widget.value.replace(",", "x").split("x") if p.strip()]
        if len(parts) >= MAX_LAYERS:
            self.notify(f"At most {MAX_LAYERS} hidden layers.", severity="warning")
            return
        widget.value = "x".join([*parts, parts[-1] if parts else "128"])

    @on(Button.Pressed, "#remove-layer")
    def remove_layer(self) -> None:
        widget = self.query_one("#layers", Input)
        parts = [p.strip() for p in widget.value.replace(",", "x").split("x") if p.strip()]
        if len(parts) > 1:
            widget.value = "x".join(parts[:-1])

    # -- actions

    @on(Button.Pressed, "#estimate-button")
    def action_estimate(self, then_launch: bool = False) -> None:
        self.flush()
        if self.experiment is None:
            self.notify("Fix the fields in red first.", severity="warning")
            return
        self.query_one("#estimate", Static).update("Measuring a few steps on the device…")
        self._measure(self.experiment, str(self.query_one("#device", Select).value), then_launch)

    @work(thread=True, exclusive=True, group="estimate", exit_on_error=False)
    def _measure(self, experiment: ExperimentSpec, device: str, then_launch: bool) -> None:
        seconds: float | None = None
        try:
            seconds, label = self.fm.estimator(experiment, device)
            text = (
                f"Estimated time on {label}: up to {format_duration(seconds)} "
                "(early stopping usually ends sooner)."
            )
        except Exception as err:  # noqa: BLE001 - shown to the user, never a crash
            text = f"Could not estimate: {err}"
        self.app.call_from_thread(self._measured, experiment, seconds, text, then_launch)

    def _measured(
        self, experiment: ExperimentSpec, seconds: float | None, text: str, then_launch: bool
    ) -> None:
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
        experiment = self.experiment
        device = str(self.query_one("#device", Select).value)
        if device != "auto" or any(a.spec.device != device for a in experiment.arms):
            experiment = ExperimentSpec(
                arms=tuple(
                    type(a)(a.name, a.spec.with_changes(device=device)) for a in experiment.arms
                ),
                seeds=experiment.seeds,
            )
            self.experiment = experiment
        self.entry.experiment = experiment.to_dict()
        if self.entry.claim is not None and experiment.baseline.name != self.entry.claim.baseline:
            self.entry.claim.baseline = experiment.baseline.name
        return self.fm.save_entry(self.entry)

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
        if self.entry.status == "running" and self.fm.is_training(self.entry.id):
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
        self.fm.launch(self.entry, self.experiment, reuse=self.query_one("#reuse", Checkbox).value)

    def action_back(self) -> None:
        self.fm.leave(
            self.unsaved_changes(),
            "Leave the designer without saving the design?",
            "Leave",
            self.entry.id,
        )
