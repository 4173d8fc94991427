"""Provides per-arm summaries of run results (mean ± sd over seeds)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from fmtui.core.train import RunResult


@dataclass(frozen=True)
class ArmSummary:
    arm: str
    runs: int
    completed: int
    mean_acc: float | None
    sd_acc: float | None
    best_acc: float | None
    mean_epochs: float | None

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def summarize_arms(results: Iterable[RunResult]) -> list[ArmSummary]:
    """One summary per arm, in the order arms first appear."""
    by_arm: dict[str, list[RunResult]] = {}
    for result in results:
        by_arm.setdefault(result.arm, []).append(result)
    summaries = []
    for arm, runs in by_arm.items():
        accs = [r.test_acc for r in runs if r.status == "completed" and r.test_acc is not None]
        epochs = [len(r.epochs) for r in runs if r.status == "completed"]
        summaries.append(
            ArmSummary(
                arm=arm,
                runs=len(runs),
                completed=len(accs),
                mean_acc=statistics.fmean(accs) if accs else None,
                sd_acc=statistics.stdev(accs) if len(accs) > 1 else None,
                best_acc=max(accs) if accs else None,
                mean_epochs=statistics.fmean(epochs) if epochs else None,
            )
        )
    return summaries


def format_mean_sd(mean: float | None, sd: float | None) -> str:
    """'0.8945' for one value, '0.8945 ± 0.0012' for several, '—' for none."""
    if mean is None:
        return "—"
    return f"{mean:.4f}" if sd is None else f"{mean:.4f} ± {sd:.4f}"
