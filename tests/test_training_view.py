"""The training screen's words, without a terminal."""

from __future__ import annotations

from fmtui.core import events as train
from fmtui.core.live import LiveState, RunView
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.core.training_view import (
    arm_labels,
    current_run,
    progress_labels,
    queue_note,
    run_cells,
)


def test_queue_note() -> None:
    assert queue_note(3, "queued", [1, 2, 3]) == " · waits for entry 1, 2"
    assert queue_note(1, "queued", [1]) == ""
    assert queue_note(1, "running", [1, 4, 5]) == " · queued next: entry 4, 5"
    assert queue_note(4, "completed", [1, 4]) == ""
    assert queue_note(9, "completed", [1, 4]) == " · queued next: entry 4"


def test_current_run_and_progress_labels() -> None:
    spec = RunSpec(epochs=5, patience=2)
    state = LiveState.for_experiment(1, "t", ExperimentSpec(arms=(Arm("b32", spec),), seeds=2))
    assert current_run(state) == "" and progress_labels(state) == ("Epoch", "Run")
    state.apply(train.RunStarted("b32", 0, spec, "cpu", 10, {}, 100))
    state.apply(train.EpochEnd("b32", 0, train.EpochMetrics(1, 0.5, 0.8, 0.4, 0.8, 1.0), 1, 2))
    state.apply(train.Progress("b32", 0, 2, 40, 100, 0.4, 1000.0))
    assert current_run(state) == " · run 1/2: arm b32, seed 0"
    assert progress_labels(state) == ("Epoch 2: step 40/100", "Run: epoch 1/5, patience left 2")


def test_run_cells() -> None:
    run = RunView("a", 0, 7, 5, 2, status="failed", error="x" * 200, duration_s=61.4)
    run.best_val_acc, run.test_acc = 0.81234, None
    cells = run_cells(run, live_clock=False)
    assert cells[:5] == ["7", "0", "0.8123", "—", "61 s"]
    assert cells[5].startswith("failed: xxx") and len(cells[5]) == 80
    assert run_cells(RunView("a", 0, 1, 5, 2), live_clock=False)[4] == "—"


def test_arm_labels() -> None:
    labels = arm_labels({"a": (0.8912, 0.0021, 3), "b": (0.9, None, 1)})
    assert labels == ["a 0.8912 ± 0.0021 n=3", "b 0.9000 n=1"]
