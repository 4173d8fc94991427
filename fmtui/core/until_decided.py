"""Provides seeds-until-decided verdicts: the claim judged at each planned look.

Each look judges every variant as usual (paired or Welch, adjusted across variants)
and compares the adjusted p with the look's nominal level from the group-sequential
design (sequential.py), so neither the looks nor the variants inflate α. Runs stop
when every variant has crossed a boundary or stopped for futility, or at the last look.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fmtui.core.events import RunResult
from fmtui.core.multiplicity import ADJUSTMENT_NAMES
from fmtui.core.runs import as_results, seed_values
from fmtui.core.sequential import Design, decide_look, design, planned_looks
from fmtui.core.stats import Comparison
from fmtui.core.verdicts import judge


def plan(claim: Any) -> Design:
    """The claim's design: looks up to its max_seeds, α spent O'Brien–Fleming-style."""
    return design(planned_looks(claim.max_seeds), claim.alpha)


def current_look(d: Design, seeds_run: int) -> int:
    """The 1-based look the completed seeds reach (0 before the first look)."""
    return sum(1 for n in d.looks if n <= seeds_run)


def seeds_run(runs: Sequence[RunResult], arms: Sequence[str], metric: str) -> int:
    """Seeds completed in every arm (the fewest over the arms)."""
    return min((len(seed_values(runs, arm, metric)) for arm in arms), default=0)


def judge_look(
    runs: Sequence[RunResult | Mapping[str, Any]], arms: Sequence[str], claim: Any
) -> tuple[list[Comparison], dict[str, Any]]:
    """The verdicts at the look the runs reach, and whether to run more seeds.

    Returns the comparisons (decided at the look's nominal level) and a record of the
    design, the look, the α spent so far and whether to stop.
    """
    runs = as_results(runs)
    d = plan(claim)
    look = current_look(d, seeds_run(runs, arms, claim.metric))
    comparisons = judge(runs, arms, claim)
    state: dict[str, Any] = {
        **d.to_dict(),
        "look": look,
        "seeds": d.looks[look - 1] if look else 0,
        "alpha_spent": d.spent[look - 1] if look else 0.0,
        "smallest_effect": claim.smallest_effect,
        "stop": False,
        "stopped_by": "",
    }
    if look == 0:
        return comparisons, state
    out, reasons = [], []
    for c in comparisons:
        decided = _decide(d, look, c, claim.smallest_effect)
        out.append(decided[0])
        reasons.append(decided[1])
    tested = [r for r, c in zip(reasons, out, strict=True) if c.p_value is not None]
    state["stop"] = look == len(d.looks) or (bool(tested) and all(r != "continue" for r in tested))
    state["stopped_by"] = ", ".join(sorted(set(tested))) if state["stop"] else ""
    return out, state


def _decide(d: Design, look: int, c: Comparison, smallest: float) -> tuple[Comparison, str]:
    if c.p_value is None or c.difference is None:
        return c, "not tested"
    p = c.p_adjusted if c.p_adjusted is not None else c.p_value
    toward = c.ci_high if c.direction == "higher" else -c.ci_low if c.ci_low is not None else None
    step = decide_look(d, look, p, c.difference, toward, smallest)
    where = f"look {look} of {len(d.looks)} ({step.seeds} seeds per arm)"
    named = ADJUSTMENT_NAMES.get(c.adjustment, c.adjustment)
    adjusted = f"{named}-adjusted " if c.adjustment != "none" and c.p_adjusted is not None else ""
    if step.why == "boundary":
        wanted = c.difference > 0 if c.direction == "higher" else c.difference < 0
        verdict = "supported" if wanted else "contradicted"
        side = "in the claimed direction" if wanted else "the other way"
        reason = (
            f"{adjusted}p {p:.3g} crossed the O'Brien–Fleming boundary {step.nominal:.3g} "
            f"at {where}, {side}"
        )
    elif step.why == "futility":
        verdict = "inconclusive"
        reason = (
            f"stopped for futility at {where}: the interval lies below the smallest effect "
            f"worth detecting ({smallest:g})"
        )
    else:
        verdict = "inconclusive"
        reason = f"{adjusted}p {p:.3g} has not crossed the boundary {step.nominal:.3g} at {where}"
    return dataclasses.replace(c, verdict=verdict, reason=reason), step.why


def run_until_decided(
    experiment: Any,
    claim: Any,
    run: Callable[[Any], list[Any]],
    *,
    cancelled: Callable[[], bool] = lambda: False,
    on_look: Callable[[list[Comparison], dict[str, Any]], None] | None = None,
) -> tuple[list[Any], Any, dict[str, Any]]:
    """Run the looks' seeds until the claim is decided; returns results, the spec run, state.

    `run` trains an object with a `runs()` method (as `train.run_experiment` does) and
    returns its results; the spec returned holds the seeds actually run.
    """
    from fmtui.core.runner.subset import PlannedSubset

    d = plan(claim)
    arms = [a.name for a in experiment.arms]
    results: list[Any] = []
    state: dict[str, Any] = {}
    done = 0
    for n in d.looks:
        # A look trains the seeds the looks before it did not: repeats done … n-1 of
        # the experiment grown to n seeds, grouped as the whole experiment would be.
        grown = dataclasses.replace(experiment, seeds=n)
        results += run(
            PlannedSubset(grown, ((r.arm, r.repeat) for r in grown.runs() if r.repeat >= done))
        )
        done = n
        if cancelled():
            break
        comparisons, state = judge_look(results, arms, claim)
        if on_look is not None:
            on_look(comparisons, state)
        if state["stop"]:
            break
    # Every field but the seeds as launched (the batch mode above all): a rerun of the
    # entry trains as this one did.
    return results, dataclasses.replace(experiment, seeds=done), state
