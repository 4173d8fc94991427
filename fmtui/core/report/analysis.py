"""Provides the numbers a report is built from: per-arm seeds, the best arm, grids, curves.

Everything here reads the journal's runs as typed records (`entry_runs`) and returns plain values
in a fixed order, so the same journal always gives the same report text.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fmtui.core.events import RunResult
from fmtui.core.journal import Entry
from fmtui.core.runs import completed_runs, completed_values, entry_runs, metric_value
from fmtui.core.spec import format_layers
from fmtui.core.status import RunStatus


@dataclass(frozen=True)
class ArmStats:
    """One arm of one entry: its spec and the test accuracy of each completed seed."""

    entry_id: int
    arm: str
    spec: dict[str, Any]
    values: tuple[float, ...]
    seeds: tuple[int, ...]
    runs: int

    @property
    def layers(self) -> tuple[int, ...]:
        return tuple(self.spec.get("layers") or ())

    @property
    def architecture(self) -> str:
        return format_layers(self.layers)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def sd(self) -> float | None:
        return statistics.stdev(self.values) if len(self.values) > 1 else None


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def arm_stats(entry: Entry) -> list[ArmStats]:
    """The entry's arms in the order they first ran, with completed seeds' accuracies."""
    by_arm: dict[str, list[RunResult]] = {}
    for run in entry_runs(entry):
        by_arm.setdefault(run.arm, []).append(run)
    out = []
    for arm, runs in by_arm.items():
        done = [r for r in completed_runs(runs) if metric_value(r, "test_acc") is not None]
        out.append(
            ArmStats(
                entry_id=entry.id or 0,
                arm=arm,
                spec=runs[0].spec.to_dict(),
                values=tuple(completed_values(done, "test_acc")),
                seeds=tuple(r.spec.seed for r in done),
                runs=len(runs),
            )
        )
    return out


def best_of(arms: Iterable[ArmStats]) -> ArmStats | None:
    """The arm with the highest mean test accuracy; the first listed wins a tie."""
    best: ArmStats | None = None
    for arm in arms:
        if arm.mean is not None and (best is None or arm.mean > (best.mean or 0.0)):
            best = arm
    return best


def seeds_text(seeds: Sequence[int]) -> str:
    """'3 (0, 1, 2)', '1 (0)' or '—'."""
    if not seeds:
        return "—"
    return f"{len(seeds)} ({', '.join(str(s) for s in sorted(seeds))})"


def architecture_only(entry: Entry) -> bool:
    """Whether the entry's arms differ in their hidden layers and nothing else."""
    specs = [a.spec for a in arm_stats(entry)]
    if len(specs) < 2:
        return False
    rest = [{k: v for k, v in s.items() if k not in ("layers", "seed")} for s in specs]
    return all(r == rest[0] for r in rest) and len({tuple(s["layers"]) for s in specs}) > 1


@dataclass(frozen=True)
class Grid:
    """Mean test accuracy over a two-layer width grid: rows are layer 1, columns layer 2."""

    rows: tuple[int, ...]
    cols: tuple[int, ...]
    means: tuple[tuple[float | None, ...], ...]


def width_grid(entry: Entry) -> Grid | None:
    """A grid when the entry's arms are two-layer networks over at least 2 × 2 widths."""
    arms = arm_stats(entry)
    if not architecture_only(entry) or any(len(a.layers) != 2 for a in arms):
        return None
    rows = tuple(sorted({a.layers[0] for a in arms}))
    cols = tuple(sorted({a.layers[1] for a in arms}))
    if len(rows) < 2 or len(cols) < 2:
        return None
    cell = {a.layers: a.mean for a in arms}
    means = tuple(tuple(cell.get((r, c)) for c in cols) for r in rows)
    return Grid(rows, cols, means)


@dataclass(frozen=True)
class Curve:
    """Validation accuracy per epoch of one arm: mean and sd over the seeds that got there."""

    arm: str
    epochs: tuple[int, ...]
    mean: tuple[float, ...]
    sd: tuple[float, ...]
    seeds: int


def learning_curves(entry: Entry) -> list[Curve]:
    """One curve per arm that has per-epoch validation accuracy, in arm order."""
    by_arm: dict[str, dict[int, list[float]]] = {}
    seeds: dict[str, int] = {}
    for run in entry_runs(entry):
        if run.status not in (RunStatus.COMPLETED, RunStatus.CANCELLED, RunStatus.DIVERGED):
            continue
        points = by_arm.setdefault(run.arm, {})
        counted = False
        for epoch in run.epochs:
            if _finite(epoch.val_acc):
                points.setdefault(epoch.epoch, []).append(epoch.val_acc)
                counted = True
        seeds[run.arm] = seeds.get(run.arm, 0) + int(counted)
    out = []
    for arm, points in by_arm.items():
        if not points:
            continue
        epochs = tuple(sorted(points))
        means = tuple(statistics.fmean(points[e]) for e in epochs)
        sds = tuple(statistics.stdev(points[e]) if len(points[e]) > 1 else 0.0 for e in epochs)
        out.append(Curve(arm, epochs, means, sds, seeds[arm]))
    return out


def claim_text(entry: Entry, limit: int = 80) -> str:
    """The specific claim when there is one, else the first line of the hypothesis."""
    claim = entry.claim
    if claim is not None:
        metric = {"test_acc": "test accuracy", "val_acc": "validation accuracy"}.get(
            claim.metric, "training time"
        )
        against = f" than {claim.baseline}" if claim.baseline else " than the baseline"
        if claim.direction == "same":
            return f"{metric} within ±{claim.margin:g} of {claim.baseline or 'the baseline'}"
        return f"{metric} {claim.direction}{against}"
    first = entry.hypothesis.strip().split("\n", 1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
