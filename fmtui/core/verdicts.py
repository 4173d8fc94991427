"""Provides a claim's verdicts: per-seed values, pairing, t-tests and multiplicity adjustment.

Every variant arm is tested against the claim's baseline arm on the claim's metric,
paired on shared seeds where every seed pairs (Welch otherwise); the family of p-values
is then adjusted (Holm, Benjamini–Hochberg or Dunnett) and each verdict decided on the
adjusted p. The raw p stays beside it so a reader sees what the adjustment did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from fmtui.core.events import RunResult
from fmtui.core.multiplicity import ADJUSTMENT_NAMES, adjust, dunnett_p_values
from fmtui.core.runs import as_results, seed_values
from fmtui.core.stats import Comparison, compare, decide
from fmtui.core.ttest import paired_seeds


def _selection(spec: Mapping[str, Any]) -> str:
    """How the run's reported epoch is chosen: on validation, never on the test set."""
    if int(spec.get("patience", 3) or 0) <= 0:
        return "after the last epoch (no early stopping)"
    if spec.get("monitor") == "val_loss":
        return "at the lowest-validation-loss epoch"
    return "at the best-validation-accuracy epoch"


def metric_label(metric: str, runs: Sequence[RunResult] = ()) -> str:
    """What is compared, in words: "test accuracy at the best-validation-accuracy epoch"."""
    if metric == "val_acc":
        return "best validation accuracy over the epochs"
    if metric == "duration_s":
        return "training time in seconds"
    ways = list(dict.fromkeys(_selection(r.spec.to_dict()) for r in runs))
    if not ways:
        ways = [_selection({"patience": 3})]
    return "test accuracy " + " or ".join(ways)


def run_id(arm: str, seed: object, entry_id: object = None) -> str:
    """A run's name within the journal: entry, arm and seed (one run per arm and seed)."""
    prefix = f"{entry_id}:" if entry_id is not None else ""
    return f"{prefix}{arm}:{seed}"


def _rows(arm: str, values: Mapping[int, Sequence[float]]) -> list[dict[str, object]]:
    return [
        {"arm": arm, "seed": seed, "run_id": run_id(arm, seed), "value": value}
        for seed in sorted(values)
        for value in values[seed]
    ]


def compare_arms(
    runs: Sequence[RunResult], variant: str, baseline: str, claim: object
) -> Comparison:
    """One variant against the baseline, paired when every seed pairs, unadjusted."""
    metric = getattr(claim, "metric", "test_acc")
    base, var = seed_values(runs, baseline, metric), seed_values(runs, variant, metric)
    seeds = paired_seeds(base, var)
    if seeds is not None:
        base_list = [base[s][0] for s in seeds]
        var_list = [var[s][0] for s in seeds]
    else:
        base_list = [v for s in sorted(base) for v in base[s]]
        var_list = [v for s in sorted(var) for v in var[s]]
    result = compare(
        base_list,
        var_list,
        direction=getattr(claim, "direction", "higher"),
        alpha=getattr(claim, "alpha", 0.05),
        margin=getattr(claim, "margin", 0.005),
        metric=metric,
        names=(variant, baseline),
        paired=seeds is not None,
    )
    arm_runs = [r for r in runs if r.arm in (variant, baseline)]
    return dataclasses.replace(
        result,
        metric_label=metric_label(metric, arm_runs),
        per_seed=tuple(_rows(baseline, base) + _rows(variant, var)),
    )


def adjust_family(
    comparisons: Sequence[Comparison],
    method: str,
    dunnett_groups: tuple[Sequence[float], Sequence[Sequence[float]]] | None = None,
) -> list[Comparison]:
    """The comparisons with adjusted p-values and verdicts decided on them."""
    tested = [i for i, c in enumerate(comparisons) if c.p_value is not None]
    out = [dataclasses.replace(c, adjustment=method) for c in comparisons]
    if not tested:
        return out
    raw = [comparisons[i].p_value or 0.0 for i in tested]
    if method == "dunnett" and dunnett_groups is not None:
        adjusted = dunnett_p_values(*dunnett_groups)
    else:
        adjusted = adjust(raw, "holm" if method == "dunnett" else method)
    beyond_raw = [comparisons[i].p_beyond for i in tested]
    beyond = (
        adjust([p if p is not None else 1.0 for p in beyond_raw], method)
        if method in ("holm", "bh") and any(p is not None for p in beyond_raw)
        else beyond_raw
    )
    # One comparison is its own family: the adjustment changes nothing worth a word.
    name = ADJUSTMENT_NAMES[method] if method != "none" and len(tested) > 1 else ""
    for k, i in enumerate(tested):
        c = comparisons[i]
        verdict, reason = decide(
            c.direction, c.difference or 0.0, adjusted[k], beyond[k], c.alpha, c.margin, name
        )
        if verdict == "inconclusive" and c.seeds_needed:
            reason += f"; about {c.seeds_needed} seeds per arm would detect this difference"
        out[i] = dataclasses.replace(
            out[i], p_adjusted=adjusted[k], p_beyond=beyond[k], verdict=verdict, reason=reason
        )
    return out


def judge(
    runs: Sequence[RunResult | Mapping[str, Any]], arms: Sequence[str], claim: object
) -> list[Comparison]:
    """Every variant arm against the claim's baseline arm, adjusted as the claim says.

    A trend claim (increasing/decreasing) has no per-variant comparisons: see trend.py.
    Runs are records or their stored dicts.
    """
    runs = as_results(runs)
    if getattr(claim, "direction", "higher") in ("increasing", "decreasing"):
        return []
    baseline = getattr(claim, "baseline", "") or (arms[0] if arms else "")
    if baseline not in arms:
        baseline = arms[0] if arms else baseline
    variants = [arm for arm in arms if arm != baseline]
    comparisons = [compare_arms(runs, arm, baseline, claim) for arm in variants]
    method = getattr(claim, "adjustment", "none")
    groups = None
    if method == "dunnett":
        metric = getattr(claim, "metric", "test_acc")
        tested = [c.variant for c in comparisons if c.p_value is not None]
        base = [v for vs in seed_values(runs, baseline, metric).values() for v in vs]
        var = [[v for vs in seed_values(runs, a, metric).values() for v in vs] for a in tested]
        # Dunnett tests "no difference" two-sided; an equivalence claim keeps Holm.
        if getattr(claim, "direction", "higher") in ("higher", "lower") and tested:
            groups = (base, var)
        else:
            method = "holm"
    return adjust_family(comparisons, method, groups)
