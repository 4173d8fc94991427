"""Provides a fake trainer with fixed metrics and an app factory for UI tests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from fmtui.app import FmtuiApp, make_app
from fmtui.core import train
from fmtui.core.journal import Entry, Journal
from fmtui.core.model import parameter_count
from fmtui.core.spec import ExperimentSpec, RunSpec

ENV = {"torch": "test", "device": "cpu", "device_name": "test CPU", "threads": 1}


class FakeTrainer:
    """Emits two epochs per run with fixed metrics; records what it was asked to run."""

    def __init__(self, epochs: int = 2, outcomes: dict[int, tuple[str, str]] | None = None) -> None:
        self.calls: list[ExperimentSpec] = []
        self.epochs = epochs
        self.release = threading.Event()
        self.release.set()
        self.outcomes = outcomes or {}  # run number → (status, error)
        self.gate: threading.Semaphore | None = None  # when set: one permit per epoch

    def __call__(
        self,
        experiment: ExperimentSpec,
        on_event: train.EventCallback,
        cancel: threading.Event,
        cancel_current: threading.Event | None = None,
    ) -> list[train.RunResult]:
        self.calls.append(experiment)
        cancel_current = cancel_current or threading.Event()
        results = []
        for number, planned in enumerate(experiment.runs()):
            if cancel.is_set():
                break
            cancel_current.clear()
            stop = train.AnySet(cancel, cancel_current)
            spec = planned.spec
            on_event(
                train.RunStarted(
                    planned.arm, planned.repeat, spec, "cpu", parameter_count(spec), ENV, 10
                )
            )
            epochs = []
            forced = self.outcomes.get(number)
            for epoch in range(1, self.epochs + 1):
                held = time.monotonic() + 10  # held back by the test, but a cancel is heard
                while not self.release.wait(0.05) and not stop.is_set():
                    if time.monotonic() > held:
                        break
                while self.gate is not None and not self.gate.acquire(timeout=0.05):
                    if stop.is_set():
                        break
                if stop.is_set() or (forced and epoch > 1):
                    break
                on_event(train.Progress(planned.arm, planned.repeat, epoch, 10, 10, 0.5, 1000.0))
                metrics = train.EpochMetrics(
                    epoch, 0.6 / epoch, 0.8, 0.5 / epoch, 0.82 + epoch / 100, 1.0
                )
                epochs.append(metrics)
                on_event(train.EpochEnd(planned.arm, planned.repeat, metrics, epoch, None))
            status = "cancelled" if stop.is_set() else "completed"
            error = None
            if forced:
                status, error = forced
            result = train.RunResult(
                arm=planned.arm,
                repeat=planned.repeat,
                spec=spec,
                status=status,
                parameters=parameter_count(spec),
                environment=ENV,
                epochs=tuple(epochs),
                best_epoch=len(epochs) or None,
                duration_s=2.0,
                error=error,
                test_acc=0.85 + number / 1000 if status == "completed" else None,
                per_class_acc=tuple(0.7 + i / 40 for i in range(10))
                if status == "completed"
                else None,
                confusion=tuple(tuple(90 if i == j else 1 for j in range(10)) for i in range(10))
                if status == "completed"
                else None,
                misclassified=((3, 0, 6), (7, 4, 2)) if status == "completed" else (),
            )
            images = (bytes(range(0, 252, 9)) * 28, bytes(reversed(range(0, 252, 9))) * 28)
            on_event(train.RunFinished(result, images if status == "completed" else ()))
            results.append(result)
        return results


def fixed_estimator(experiment: ExperimentSpec, device: str) -> tuple[float, str]:
    return 95.0, "cpu (test CPU)"


def build_app(
    journal_path: Path | None = None,
    trainer: FakeTrainer | None = None,
    export_dir: Path | None = None,
    **kwargs: Any,
) -> FmtuiApp:
    """The app as the tests drive it: a fake trainer and estimator, one CPU, no blink.

    `kwargs` go to `make_app` (an open `journal`, a `cluster`, a `data_dir`, …).
    """
    if export_dir is None and journal_path is not None:
        export_dir = journal_path.parent
    app = make_app(
        journal_path,
        trainer=trainer or FakeTrainer(),
        estimator=fixed_estimator,
        devices=[("cpu", "CPU (test)")],
        export_dir=export_dir,
        blink=False,
        live_clock=False,
        **kwargs,
    )
    app.animation_level = "none"  # no sliding tab underlines mid-snapshot
    return app


def seed_journal(path: Path) -> None:
    """A few fixed entries, one with runs, for browser tests and snapshots."""
    spec = RunSpec(epochs=20, patience=3)
    runs = [
        {
            "arm": arm,
            "repeat": i,
            "spec": spec.with_changes(batch_size=bs, seed=i).to_dict(),
            "status": "completed",
            "test_acc": acc,
            "epochs": [  # curves that settle by epoch 13: seed bands for the compare view
                {
                    "epoch": e,
                    "val_acc": acc - 0.06 / e - (i - 1) * 0.006,
                    "val_loss": 0.28 + 0.25 / e + (i - 1) / 40 + (0.9 - acc) * 4,
                }
                for e in range(1, 17)
            ],
            "best_epoch": 13,
            "duration_s": 61.0,
            "device": "cpu",
        }
        for arm, bs, accs in (
            ("b64", 64, (0.8945, 0.8921, 0.8950)),
            ("b32", 32, (0.8943, 0.8930, 0.8911)),
        )
        for i, acc in enumerate(accs)
    ]
    with Journal(path) as journal:
        journal.add(
            Entry(
                title="Effect of Hidden Units on Accuracy",
                status="completed",
                created="2025-10-07 15:00:51",
                updated="2025-10-07 15:00:51",
                origin="imported",
                objective="Test whether increasing the number of hidden units increases accuracy.",
                hypothesis="More hidden units will increase accuracy.",
                results="Combination of 512 x 512 units achieved 0.8708 accuracy.",
                conclusion="There is an optimal range for the number of hidden units.",
            )
        )
        journal.add(
            Entry(
                title="Effect of Batch Size (32 vs 64) on Accuracy",
                status="completed",
                created="2025-10-07 16:30:14",
                updated="2025-10-07 16:30:14",
                tags=["batch"],
                objective="Test whether using a batch size of 32 instead of 64 increases accuracy.",
                hypothesis="Batch size of 32 will achieve higher accuracy than batch size of 64.",
                methodology="Two arms, three seeds each.",
                runs=runs,
                results="Arm b64 achieved the highest test accuracy, 0.8939 (mean of 3 seeds).",
                claim={"metric": "test_acc", "direction": "higher", "baseline": "b64"},
            )
        )
        journal.add(
            Entry(
                title="Title with [/bold] markup | pipes `ticks`",
                created="2025-10-08 09:00:00",
                updated="2025-10-08 09:00:00",
                hypothesis="[red]not red[/red]",
            )
        )


async def wait_until(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `predicate` holds (timers, workers); fail after `timeout`.

    `timeout` counts rounds of 50 ms and a pause, so a loaded machine gets more time.
    """
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
        await settle_messages(pilot)
    if predicate():
        return
    raise AssertionError("condition not reached")


async def settle_messages(pilot: Pilot) -> None:
    """`pilot.pause()`, except that a busy machine is no failure.

    Textual gives its widgets 30 s to handle what is pending and raises after that;
    on a machine busy with other work a screen's mount alone can take longer. The
    caller waits for the condition it needs, with its own deadline.
    """
    from textual.pilot import WaitForScreenTimeout

    try:
        await pilot.pause()
    except WaitForScreenTimeout:
        pass


async def settle(pilot: Pilot) -> None:
    """Wait for every worker, also those a finishing one started (a save, then its export)."""
    from textual.worker import WorkerState

    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return


async def training_ended(pilot: Pilot, timeout: float = 60.0) -> None:
    """Wait until every launched experiment has ended and the app has taken its end.

    The training worker finishes before the app has handled the last messages it
    posted (the runs' ends, the experiment's status): on a busy machine, well after.
    """
    from fmtui.core.status import EntryStatus, RunStatus

    app = pilot.app
    assert isinstance(app, FmtuiApp)
    await app.workers.wait_for_complete()

    def ended() -> bool:
        going = (RunStatus.QUEUED, EntryStatus.RUNNING)
        return not app.is_training() and all(s.status not in going for s in app.live.values())

    await wait_until(pilot, ended, timeout)
