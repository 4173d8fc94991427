"""Provides seed bands: per arm and epoch, the mean ± 1 sd of a curve over its seeds.

A run stopped early has no value at later epochs: the band there is over the seeds
that reached it, and `n` says how many, so a narrowing band is not mistaken for
agreement. One seed gives a mean with no band (sd None).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CURVES = ("train_loss", "train_acc", "val_loss", "val_acc")


@dataclass(frozen=True)
class Band:
    epoch: int  # 1-based
    mean: float
    sd: float | None
    n: int

    @property
    def low(self) -> float:
        return self.mean - (self.sd or 0.0)

    @property
    def high(self) -> float:
        return self.mean + (self.sd or 0.0)


def seed_bands(series: Sequence[Sequence[float]]) -> list[Band]:
    """Mean ± sd at each epoch over the seeds' curves that reached it (finite values)."""
    length = max((len(s) for s in series), default=0)
    bands = []
    for i in range(length):
        values = [s[i] for s in series if len(s) > i and math.isfinite(s[i])]
        if not values:
            continue
        sd = statistics.stdev(values) if len(values) > 1 else None
        bands.append(Band(i + 1, statistics.fmean(values), sd, len(values)))
    return bands


def run_bands(runs: Sequence[Mapping[str, Any]], metric: str) -> dict[str, list[Band]]:
    """Per arm (in first-seen order), the seed bands of `metric` from stored runs."""
    if metric not in CURVES:
        raise ValueError(f"metric must be one of {', '.join(CURVES)}, got {metric!r}")
    by_arm: dict[str, list[list[float]]] = {}
    for run in runs:
        curve = [
            float(e[metric])
            for e in run.get("epochs") or []
            if isinstance(e, Mapping) and isinstance(e.get(metric), int | float)
        ]
        if curve:
            by_arm.setdefault(str(run.get("arm", "")), []).append(curve)
    return {arm: seed_bands(series) for arm, series in by_arm.items()}
