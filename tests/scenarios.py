"""Provides the screens as a user sees them, for snapshot tests and screenshots/."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Select, Switch

from fmtui.app import FmtuiApp
from fmtui.core.journal import Claim
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec, grid_arms, parse_grid
from tests.tui_helpers import build_app, seed_journal, training_ended

SIZE = (120, 40)
SMALL = (80, 24)  # the default terminal: every screen must be usable there too
SIZES = {"": SIZE, "-80x24": SMALL}  # screenshot file suffix → terminal size


async def _nothing(pilot: Pilot) -> None:
    await pilot.pause()


async def _hypothesis(pilot: Pilot) -> None:
    await pilot.press("down", "e")
    await pilot.pause()


async def _hypothesis_claim(pilot: Pilot) -> None:
    """The claim's numbers, the last fields of the form: scrolled to on a short screen."""
    await pilot.press("down", "e")
    pilot.app.screen.query_one("#margin", Input).focus()
    await pilot.pause()


async def _planned(pilot: Pilot) -> None:
    """Wait for the designer's plan of the groups, worked out in a thread."""
    await pilot.pause()
    for worker in list(pilot.app.workers):
        if worker.group == "plan":
            await worker.wait()
    await pilot.pause()


async def _designer_grid(pilot: Pilot) -> None:
    await pilot.press("down", "l")
    screen = pilot.app.screen
    screen.query_one("#mode", Select).value = "grid"
    screen.query_one("#grid", Input).value = "64,128x64,128"
    screen.query_one("#grid_baseline", Input).value = "128x64"
    screen.query_one("#until_decided", Switch).value = True  # its fields show with it
    screen.query_one("#max_seeds", Input).value = "8"
    await pilot.pause()
    screen.query_one("#grid_baseline", Input).focus()
    await _planned(pilot)


async def _designer_error(pilot: Pilot) -> None:
    await pilot.press("down", "l")
    pilot.app.screen.query_one("#layers", Input).value = "128,,64"
    pilot.app.screen.query_one("#batch_size", Input).value = "1.5"
    await _planned(pilot)


async def _export(pilot: Pilot) -> None:
    await pilot.press("x")
    pilot.app.screen.query_one("#path", Input).value = "/home/me/fmtui-journal.md"
    await pilot.pause()


async def _help(pilot: Pilot) -> None:
    await pilot.press("question_mark")
    await pilot.pause()


async def _launch(
    pilot: Pilot, experiment: ExperimentSpec, epochs_done: int | None, claim: Claim | None = None
) -> None:
    app = pilot.app
    trainer = app.trainer
    if epochs_done is not None:
        trainer.gate = threading.Semaphore(epochs_done)
    entry = app.journal.get(3)
    entry.claim = claim
    app.launch(entry, experiment)
    for _ in range(400):
        state = app.live[entry.id]
        done = sum(len(r.epochs) for r in state.runs)
        if (epochs_done is None and state.status != "running" and state.status != "queued") or (
            epochs_done is not None and done >= epochs_done
        ):
            break
        await asyncio.sleep(0.02)
    await pilot.pause()
    screen = app.screen
    screen.refresh_view()
    screen.refresh_charts()
    await pilot.pause()


def _batch_experiment() -> ExperimentSpec:
    base = RunSpec(epochs=3, patience=2, device="cpu")
    arms = (Arm("b64", base), Arm("b32", base.with_changes(batch_size=32)))
    return ExperimentSpec(arms=arms, seeds=2)


async def _training_mid_run(pilot: Pilot) -> None:
    await _launch(pilot, _batch_experiment(), epochs_done=4)


async def _training_finished(pilot: Pilot) -> None:
    claim = Claim(metric="test_acc", direction="higher", baseline="b64")
    await _launch(pilot, _batch_experiment(), epochs_done=None, claim=claim)


async def _training_grid(pilot: Pilot) -> None:
    base = RunSpec(epochs=2, patience=0, device="cpu")
    experiment = ExperimentSpec(arms=grid_arms(parse_grid("64,128,256x64,128,256"), base))
    await _launch(pilot, experiment, epochs_done=None)
    pilot.app.screen.query_one("#charts").active = "tab-arms"
    await pilot.pause(0.3)
    pilot.app.screen.refresh_charts()
    await pilot.pause(0.3)


async def _training_cancelled(pilot: Pilot) -> None:
    """Cancelled after three epochs: one run complete, one cut short, two never started."""
    await _launch(pilot, _batch_experiment(), epochs_done=3)
    pilot.app.cancel_experiment(3)
    await training_ended(pilot)
    pilot.app.screen.refresh_view()
    pilot.app.screen.refresh_charts()
    await pilot.pause()


async def _compare(pilot: Pilot) -> None:
    await pilot.press("down", "m", "down", "m", "c")
    await pilot.pause(0.2)


async def _report(pilot: Pilot) -> None:
    await pilot.press("down", "m", "R")
    await pilot.pause()
    screen = pilot.app.screen
    screen.query_one("#report-title", Input).value = "Batch size and widths"
    await pilot.press("space")  # entry 1 joins after entry 2
    pilot.app.clear_notifications()  # "Marked: 2" would stay or not by timing
    await pilot.pause()


# name → (whether the journal has entries, what to do before the picture)
SCENARIOS: dict[str, tuple[bool, Callable[[Pilot], Awaitable[None]]]] = {
    "browser": (True, _nothing),
    "browser-empty": (False, _nothing),
    "hypothesis-form": (True, _hypothesis),
    "hypothesis-claim": (True, _hypothesis_claim),
    "designer-grid": (True, _designer_grid),
    "designer-validation-error": (True, _designer_error),
    "export-dialog": (True, _export),
    "help": (True, _help),
    "training-mid-run": (True, _training_mid_run),
    "training-finished": (True, _training_finished),
    "training-grid": (True, _training_grid),
    "training-cancelled": (True, _training_cancelled),
    "compare": (True, _compare),
    "report": (True, _report),
}


async def prepare(pilot: Pilot, name: str) -> None:
    """Bring the app to the scenario's screen, then drop every notification.

    Toasts expire on a timer: whether one is still up when the picture is taken
    would depend on the machine's speed.
    """
    _with_entries, run_before = SCENARIOS[name]
    await run_before(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def scenario_app(name: str, folder: Path) -> FmtuiApp:
    with_entries, _ = SCENARIOS[name]
    path = folder / f"{name}.json"
    if with_entries:
        seed_journal(path)
    return build_app(path, export_dir=Path("/home/me"))
