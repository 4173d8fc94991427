"""Provides the live state of a training experiment, built from engine events.

The training screen draws from this on a timer; applying an event is cheap (a few
appends) so the UI thread can take every event as it arrives. `version` changes
whenever something visible changed, so charts redraw only then.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from fmtui.core import events as train
from fmtui.core.bands import Band, seed_bands
from fmtui.core.runs import completed_values
from fmtui.core.spec import ExperimentSpec
from fmtui.core.status import EntryStatus, RunStatus


@dataclass
class RunView:
    """One run as the screen shows it."""

    arm: str
    repeat: int
    seed: int
    max_epochs: int
    patience: int
    status: RunStatus = RunStatus.QUEUED
    epochs: list[train.EpochMetrics] = field(default_factory=list)
    best_val_acc: float | None = None
    patience_left: int | None = None
    test_acc: float | None = None
    per_class_acc: tuple[float, ...] | None = None
    confusion: tuple[tuple[int, ...], ...] | None = None
    misclassified: tuple[tuple[int, int, int], ...] = ()
    images: tuple[bytes, ...] = ()
    error: str | None = None
    started: float | None = None
    duration_s: float | None = None
    device: str | None = None  # as the training process reported it
    host: str | None = None  # the machine it trains on (a cluster worker's, or this one)

    @property
    def key(self) -> tuple[str, int]:
        return (self.arm, self.repeat)

    def elapsed(self) -> float | None:
        if self.duration_s is not None:
            return self.duration_s
        if self.started is not None:
            return time.monotonic() - self.started
        return None


@dataclass
class LiveState:
    """Everything the training screen shows for one experiment."""

    entry_id: int
    title: str
    experiment: ExperimentSpec
    runs: list[RunView] = field(default_factory=list)
    current: RunView | None = None
    epoch: int = 0
    step: int = 0
    steps_per_epoch: int = 0
    step_losses: list[float] = field(default_factory=list)
    loss_epoch: int = 0
    progress_every: int = 1
    samples_per_s: float = 0.0
    status: str = RunStatus.QUEUED
    error: str | None = None  # why the experiment ended early (a cluster out of reach)
    version: int = 0  # changes with every event
    epoch_version: int = 0  # changes when runs start, epochs end and runs finish

    @classmethod
    def for_experiment(cls, entry_id: int, title: str, experiment: ExperimentSpec) -> LiveState:
        runs = [
            RunView(p.arm, p.repeat, p.spec.seed, p.spec.epochs, p.spec.patience)
            for p in experiment.runs()
        ]
        return cls(entry_id, title, experiment, runs)

    def _run(self, arm: str, repeat: int) -> RunView:
        for run in self.runs:
            if run.key == (arm, repeat):
                return run
        run = RunView(arm, repeat, 0, 0, 0)
        self.runs.append(run)
        return run

    def apply(self, event: train.Event) -> None:
        """Fold one engine event into the state."""
        self.version += 1
        if not isinstance(event, train.Progress):
            self.epoch_version += 1
        if isinstance(event, train.RunStarted):
            run = self._run(event.arm, event.repeat)
            run.status, run.started = RunStatus.RUNNING, time.monotonic()
            run.epochs, run.best_val_acc, run.test_acc, run.error = [], None, None, None
            run.seed, run.max_epochs = event.spec.seed, event.spec.epochs
            host = event.environment.get("host")
            run.device, run.host = str(event.device), str(host) if host else None
            self.current, self.status = run, RunStatus.RUNNING
            self.epoch, self.step, self.steps_per_epoch = 1, 0, event.steps_per_epoch
            self.step_losses, self.loss_epoch = [], 0
        elif isinstance(event, train.Progress):
            if event.epoch != self.loss_epoch:
                self.step_losses, self.loss_epoch = [], event.epoch
                self.progress_every = max(event.step, 1)
            self.epoch, self.step = event.epoch, event.step
            self.steps_per_epoch = event.steps_per_epoch
            self.step_losses.append(event.running_loss)
            self.samples_per_s = event.samples_per_s
        elif isinstance(event, train.EpochEnd):
            run = self._run(event.arm, event.repeat)
            run.epochs.append(event.metrics)
            acc = event.metrics.val_acc
            run.best_val_acc = acc if run.best_val_acc is None else max(run.best_val_acc, acc)
            run.patience_left = event.patience_left
            self.epoch = event.metrics.epoch + 1
            self.step = 0
        elif isinstance(event, train.RunFinished):
            result = event.result
            run = self._run(result.arm, result.repeat)
            run.status, run.error = result.status, result.error
            run.test_acc, run.per_class_acc = result.test_acc, result.per_class_acc
            run.confusion, run.misclassified = result.confusion, result.misclassified
            run.images, run.duration_s = event.images, result.duration_s
            if len(run.epochs) < len(result.epochs):
                run.epochs = list(result.epochs)

    def finish(self, status: str, error: str | None = None) -> None:
        self.status, self.error = status, error
        self.current = None
        for run in self.runs:
            if run.status == RunStatus.QUEUED and status in (
                EntryStatus.CANCELLED,
                EntryStatus.FAILED,
            ):
                run.status = RunStatus.NOT_STARTED  # never ran: not to be read as cancelled midway
            elif run.status == RunStatus.RUNNING:
                run.status = RunStatus.CANCELLED if status == EntryStatus.CANCELLED else run.status
        self.version += 1
        self.epoch_version += 1

    # -- what the charts need

    @property
    def done_runs(self) -> int:
        return sum(r.status not in (RunStatus.QUEUED, RunStatus.RUNNING) for r in self.runs)

    def last_finished(self) -> RunView | None:
        finished = [r for r in self.runs if r.per_class_acc is not None]
        return finished[-1] if finished else None

    def arm_bands(self, metric: str) -> dict[str, list[Band]]:
        """Per arm, `metric`'s mean ± sd over its seeds at each epoch (seed bands)."""
        by_arm: dict[str, list[list[float]]] = {}
        for run in self.runs:
            values = [float(getattr(e, metric)) for e in run.epochs]
            if values:
                by_arm.setdefault(run.arm, []).append(values)
        return {arm: seed_bands(series) for arm, series in by_arm.items()}

    def arm_curves(self, metric: str) -> dict[str, list[float]]:
        """Per arm, the mean over its seeds of `metric` at each epoch any of them reached."""
        return {arm: [b.mean for b in bands] for arm, bands in self.arm_bands(metric).items()}

    def curve_arms(self, limit: int) -> list[str]:
        """The arms worth a curve: all, or the `limit` best by mean test accuracy."""
        arms = list(dict.fromkeys(r.arm for r in self.runs if r.epochs))
        if len(arms) > limit:
            accuracy = self.arm_accuracy()
            arms.sort(key=lambda a: -(accuracy.get(a, (0.0, None, 0))[0]))
            arms = arms[:limit]
        return arms

    def results(self) -> list[train.RunResult]:
        """The runs as records, for the statistics; each spec is its arm's with its seed."""
        specs = {a.name: a.spec for a in self.experiment.arms}
        base = self.experiment.baseline.spec
        return [
            train.RunResult(
                r.arm,
                r.repeat,
                specs.get(r.arm, base).with_changes(seed=r.seed),
                r.status,
                error=r.error,
                epochs=tuple(r.epochs),
                test_acc=r.test_acc,
                per_class_acc=r.per_class_acc,
                confusion=r.confusion,
                misclassified=r.misclassified,
                duration_s=r.duration_s or 0.0,
            )
            for r in self.runs
        ]

    def arm_accuracy(self) -> dict[str, tuple[float, float | None, int]]:
        """Per arm: mean test accuracy, sd (None for one seed), completed runs."""
        out = {}
        results = self.results()
        for arm in dict.fromkeys(r.arm for r in self.runs):
            accs = completed_values(results, "test_acc", arm)
            if accs:
                sd = statistics.stdev(accs) if len(accs) > 1 else None
                out[arm] = (statistics.fmean(accs), sd, len(accs))
        return out

    def grid_axes(self) -> tuple[list[int], list[int]] | None:
        """For a two-layer width grid: the widths of each layer; else None."""
        layers = [a.spec.layers for a in self.experiment.arms]
        if len(layers) < 4 or any(len(w) != 2 for w in layers):
            return None
        rows = sorted({w[0] for w in layers})
        cols = sorted({w[1] for w in layers})
        if len(rows) * len(cols) != len(set(layers)) or len(rows) < 2 or len(cols) < 2:
            return None
        return rows, cols


def downsample(values: Sequence[float], points: int) -> list[float]:
    """Bin means so a long series draws as about `points` points."""
    if points <= 0 or len(values) <= points:
        return list(values)
    size = len(values) / points
    out = []
    for i in range(points):
        chunk = values[
            math.floor(i * size) : max(math.floor((i + 1) * size), math.floor(i * size) + 1)
        ]
        out.append(statistics.fmean(chunk))
    return out


def smooth(values: Sequence[float], alpha: float = 0.3) -> list[float]:
    """Exponential moving average, for the per-step loss."""
    out: list[float] = []
    for value in values:
        out.append(value if not out else alpha * value + (1 - alpha) * out[-1])
    return out


def half_block_rows(pixels: bytes, width: int = 28) -> list[list[tuple[int, int]]]:
    """28×28 grey pixels as 14 rows of (top, bottom) pairs for '▀' characters."""
    rows = []
    for y in range(0, len(pixels) // width, 2):
        top = pixels[y * width : (y + 1) * width]
        bottom = pixels[(y + 1) * width : (y + 2) * width] or bytes(width)
        rows.append(list(zip(top, bottom, strict=True)))
    return rows
