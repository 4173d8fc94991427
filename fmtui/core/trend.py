"""Provides claims about shape: a rank trend across ordered arms, and the best region.

Trend ("accuracy rises with width"): Spearman's rank correlation between each run's
position along the arms' order and its value, over every seed's value (so seed noise
counts against the trend). The order is the total hidden width when the arms differ
only in their layers (a width range or a grid: 16x64 and 64x16 tie), else the order the
arms were designed in. One test per claim, so no adjustment is needed.

Best region ("the best lies here"): the best arm is chosen on validation accuracy (never
on the test set), every other arm is tested against it (paired on shared seeds), the
family is adjusted, and the region is the best plus every arm not significantly worse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fmtui.core.events import RunResult
from fmtui.core.runs import as_results, seed_values
from fmtui.core.verdicts import metric_label, run_id

TREND_DIRECTIONS = ("increasing", "decreasing")


@dataclass(frozen=True)
class Trend:
    """A rank-trend test across ordered arms and its verdict on the claim."""

    metric: str
    metric_label: str
    direction: str
    order_by: str
    order: tuple[tuple[str, float], ...]  # arm, its position (total width or design order)
    n: int
    rho: float | None
    p_value: float | None
    alpha: float
    verdict: str
    reason: str
    test: str = "Spearman rank correlation"
    per_seed: tuple[dict[str, object], ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            **self.__dict__,
            "order": [list(pair) for pair in self.order],
            "per_seed": [dict(row) for row in self.per_seed],
        }


def arm_order(runs: Sequence[RunResult], arms: Sequence[str]) -> tuple[list, str]:
    """Each arm's position, and what the positions mean."""
    specs: dict[str, dict[str, Any]] = {}
    for run in runs:
        specs.setdefault(run.arm, run.spec.to_dict())
    known = [specs.get(arm) for arm in arms]
    ignored = {"layers": None, "seed": None}
    if all(s and s.get("layers") for s in known) and all(
        s | ignored == known[0] | ignored  # type: ignore[operator]
        for s in known
    ):
        widths = [float(sum(s["layers"])) for s in known]  # type: ignore[index]
        return list(zip(arms, widths, strict=True)), "total hidden width"
    return [(arm, float(i)) for i, arm in enumerate(arms)], "the order the arms were designed in"


def trend(
    runs: Sequence[RunResult | Mapping[str, Any]], arms: Sequence[str], claim: object
) -> Trend:
    """Whether the metric rises (`increasing`) or falls (`decreasing`) along the arms."""
    from scipy.stats import spearmanr

    runs = as_results(runs)
    metric = getattr(claim, "metric", "test_acc")
    direction = getattr(claim, "direction", "increasing")
    alpha = getattr(claim, "alpha", 0.05)
    order, order_by = arm_order(runs, arms)
    xs: list[float] = []
    ys: list[float] = []
    rows: list[dict[str, object]] = []
    for arm, position in order:
        for seed, values in sorted(seed_values(runs, arm, metric).items()):
            for value in values:
                xs.append(position)
                ys.append(value)
                rows.append({"arm": arm, "seed": seed, "run_id": run_id(arm, seed), "value": value})
    base: dict[str, Any] = dict(
        metric=metric,
        metric_label=metric_label(metric, runs),
        direction=direction,
        order_by=order_by,
        order=tuple(order),
        n=len(ys),
        alpha=alpha,
        per_seed=tuple(rows),
    )
    tested_arms = len({x for x in xs})
    if tested_arms < 3 or len(ys) < 4:
        return Trend(
            **base,
            rho=None,
            p_value=None,
            verdict="not tested",
            reason="a trend needs 3 or more arms at different positions with results",
        )
    result = spearmanr(xs, ys)
    rho, p = float(result.statistic), float(result.pvalue)
    if not math.isfinite(rho) or not math.isfinite(p):
        return Trend(
            **base, rho=None, p_value=None, verdict="inconclusive", reason="every value is equal"
        )
    wanted = rho > 0 if direction == "increasing" else rho < 0
    if p < alpha and wanted:
        verdict, reason = "supported", f"significant at α = {alpha:g} in the claimed direction"
    elif p < alpha:
        verdict, reason = "contradicted", f"significant at α = {alpha:g} the other way"
    else:
        verdict, reason = "inconclusive", f"no significant trend at α = {alpha:g}"
    return Trend(**base, rho=rho, p_value=p, verdict=verdict, reason=reason)


def format_trend(t: Trend) -> str:
    """One line a person can read."""
    if t.rho is None or t.p_value is None:
        return f"trend ({t.direction}) along {t.order_by}: {t.verdict} — {t.reason}"
    return (
        f"trend ({t.direction}) of {t.metric_label} along {t.order_by}, {len(t.order)} arms, "
        f"{t.n} runs: Spearman ρ = {t.rho:+.2f}, p = {t.p_value:.3g}: "
        f"{t.verdict.upper()} — {t.reason}"
    )


def draft_trend_evaluation(t: Trend) -> str:
    lead = {
        "supported": "The results support the hypothesis.",
        "contradicted": "The results contradict the hypothesis.",
        "inconclusive": "The results neither support nor contradict the hypothesis.",
        "not tested": "The hypothesis was not tested.",
    }[t.verdict]
    return f"{lead} {format_trend(t)}."
