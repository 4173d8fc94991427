"""Provides the plateau of a width grid and the comparison of two journal entries.

Both build on the per-arm tests of `stats` and the adjusted family of `verdicts`: the
plateau tests every arm against the best one; two entries are compared on their best
arms, with what differs between their specs and environments.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fmtui.core.events import RunResult
from fmtui.core.multiplicity import ADJUSTMENT_NAMES
from fmtui.core.runs import HasRuns, as_results, completed_values, entry_runs
from fmtui.core.stats import Comparison, compare
from fmtui.core.verdicts import judge, metric_label
from fmtui.core.words import count


@dataclass(frozen=True)
class Plateau:
    """The best arm and the arms not significantly worse than it."""

    metric: str
    best: str
    best_mean: float
    plateau: tuple[str, ...]
    tested: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "plateau": list(self.plateau)}


def plateau(
    runs: Sequence[RunResult | Mapping[str, Any]],
    arms: Sequence[str],
    metric: str = "test_acc",
    alpha: float = 0.05,
    adjustment: str = "holm",
) -> Plateau | None:
    """The best region: the best arm and the arms not significantly worse than it.

    The best arm is chosen on validation accuracy where runs have it (choosing on the
    test set would favour the luckiest draw); every other arm is tested against it,
    paired on shared seeds, and the family adjusted (Holm by default).
    """
    from types import SimpleNamespace

    runs = as_results(runs)
    values = {arm: completed_values(runs, metric, arm) for arm in arms}
    values = {arm: v for arm, v in values.items() if v}
    if not values:
        return None
    chooser = {arm: completed_values(runs, "val_acc", arm) for arm in values}
    if not all(chooser.values()):
        chooser = values
    best = max(values, key=lambda a: statistics.fmean(chooser[a]))
    best_mean = statistics.fmean(values[best])
    if any(len(v) < 2 for v in values.values()):
        return Plateau(
            metric,
            best,
            best_mean,
            (best,),
            False,
            "one seed per arm: the tool cannot say which arms tie with the best",
        )
    claim = SimpleNamespace(
        metric=metric, baseline=best, direction="higher", alpha=alpha, adjustment=adjustment
    )
    comparisons = judge(runs, [best, *(a for a in values if a != best)], claim)
    # "contradicted" here: the arm is significantly below the best after adjustment.
    same = [best, *(c.variant for c in comparisons if c.verdict != "contradicted")]
    named = ADJUSTMENT_NAMES.get(adjustment, adjustment)
    level = f"α = {alpha:g}" + (f", {named}-adjusted" if len(comparisons) > 1 else "")
    reason = (
        f"{count(len(same), 'arm')} are not significantly worse than {best} at {level}"
        if len(same) > 1
        else f"{best} is significantly better than every other arm at {level}"
    )
    return Plateau(metric, best, best_mean, tuple(same), True, reason)


@dataclass(frozen=True)
class EntryComparison:
    """Two journal entries side by side: what differs, how they scored, whether it is real."""

    spec_diff: list[tuple[str, str, str]]  # field, first entry, second entry
    comparison: Comparison | None
    warnings: list[str]


def best_arm_values(runs: Sequence[RunResult], metric: str) -> list[float]:
    """The metric's values for the best arm, chosen on validation, not on test."""
    arms = list(dict.fromkeys(r.arm for r in runs))
    chosen, best_val = "", -math.inf
    for arm in arms:
        val = completed_values(runs, "val_acc", arm) or completed_values(runs, metric, arm)
        if val and statistics.fmean(val) > best_val:
            chosen, best_val = arm, statistics.fmean(val)
    return completed_values(runs, metric, chosen) if chosen else []


def compare_entries(
    first: HasRuns, second: HasRuns, metric: str = "test_acc", alpha: float = 0.05
) -> EntryComparison:
    """Spec differences of the two baselines, and the best arms' metric compared (Welch)."""

    def spec(entry: object) -> dict:
        experiment = getattr(entry, "experiment", None) or {}
        arms = experiment.get("arms") or []
        out = dict(arms[0]["spec"]) if arms else {}
        out["arms"] = ", ".join(a["name"] for a in arms) if arms else "—"
        out["seeds"] = experiment.get("seeds", "—")
        return out

    a, b = spec(first), spec(second)
    diff = [
        (k, str(a.get(k, "—")), str(b.get(k, "—")))
        for k in dict.fromkeys([*a, *b])
        if k != "seed" and a.get(k) != b.get(k)
    ]
    runs_a, runs_b = entry_runs(first), entry_runs(second)
    values_a, values_b = best_arm_values(runs_a, metric), best_arm_values(runs_b, metric)
    comparison = None
    if values_a or values_b:
        comparison = compare(
            values_a,
            values_b,
            direction="higher",
            alpha=alpha,
            metric=metric,
            names=(f"entry {getattr(second, 'id', 2)}", f"entry {getattr(first, 'id', 1)}"),
        )
    warnings = []
    for name, label in (("device", "devices"), ("torch", "torch versions"), ("data", "data")):
        seen_a = {r.environment.get(name) for r in runs_a} - {None}
        seen_b = {r.environment.get(name) for r in runs_b} - {None}
        if seen_a and seen_b and seen_a != seen_b:
            warnings.append(
                f"The runs used different {label}: {', '.join(map(str, seen_a))} vs "
                f"{', '.join(map(str, seen_b))}."
            )
    from fmtui.core.hardware import kernel_difference

    env_a = next((r.environment for r in runs_a), {})
    env_b = next((r.environment for r in runs_b), {})
    if note := kernel_difference(env_a, env_b):
        warnings.append(f"The runs used {note}.")
    if comparison is not None:
        comparison = dataclasses.replace(
            comparison, metric_label=metric_label(metric, [*runs_a, *runs_b])
        )
    return EntryComparison(diff, comparison, warnings)
