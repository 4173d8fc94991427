"""Provides per-arm summaries (mean ± sd over seeds) and verdicts on a hypothesis's claim."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fmtui.core.events import RunResult
from fmtui.core.multiplicity import ADJUSTMENT_NAMES
from fmtui.core.runs import completed_runs, completed_values


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
        accs = completed_values(runs, "test_acc")
        epochs = [len(r.epochs) for r in completed_runs(runs)]
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


# ---------------------------------------------------------------- verdicts

VERDICTS = ("supported", "contradicted", "inconclusive", "not tested")


@dataclass(frozen=True)
class Comparison:
    """A variant arm against the baseline on one metric, with the verdict on the claim."""

    variant: str
    baseline: str
    metric: str
    direction: str
    n_variant: int
    n_baseline: int
    mean_variant: float | None
    mean_baseline: float | None
    sd_variant: float | None
    sd_baseline: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    cohens_d: float | None
    seeds_needed: int | None
    verdict: str
    reason: str
    # What was tested and how: added later, so stored entries without them still load.
    test: str = "Welch t"
    paired: bool = False
    hedges_g: float | None = None
    alpha: float = 0.05
    margin: float = 0.005
    p_adjusted: float | None = None
    adjustment: str = "none"
    p_beyond: float | None = None  # "same" claims: p that the difference exceeds ±margin
    metric_label: str = ""
    per_seed: tuple[dict[str, object], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "per_seed": [dict(row) for row in self.per_seed]}


def compare(
    baseline: Sequence[float],
    variant: Sequence[float],
    *,
    direction: str = "higher",
    alpha: float = 0.05,
    margin: float = 0.005,
    metric: str = "test_acc",
    names: tuple[str, str] = ("variant", "baseline"),
    paired: bool = False,
) -> Comparison:
    """A t-test, a confidence interval and Cohen's d / Hedges' g, and what they say of the claim.

    `direction` is the claim: the variant is `higher`, `lower` or the `same` (within
    ±margin) as the baseline. `paired`: the two lists are aligned by seed, and the
    per-seed differences are tested (paired t); otherwise Welch's t. One seed per arm
    gives no verdict.
    """
    from fmtui.core.ttest import cohens_d as effect_d
    from fmtui.core.ttest import hedges_g, t_test

    base = _described(baseline, variant, names, metric, direction, paired, alpha, margin)
    n_v, n_b = base["n_variant"], base["n_baseline"]
    mean_v, mean_b = base["mean_variant"], base["mean_baseline"]
    sd_v, sd_b = base["sd_variant"], base["sd_baseline"]
    empty: dict[str, Any] = dict(
        difference=None, ci_low=None, ci_high=None, p_value=None, cohens_d=None, seeds_needed=None
    )
    if n_v == 0 or n_b == 0:
        arm = names[0] if n_v == 0 else names[1]
        return Comparison(
            **base, **empty, verdict="not tested", reason=f"arm {arm} has no completed run"
        )
    diff = mean_v - mean_b  # type: ignore[operator]
    if n_v < 2 or n_b < 2:
        return Comparison(
            **base,
            **{**empty, "difference": diff},
            verdict="not tested",
            reason="one seed per arm cannot separate a difference from seed "
            "noise; run 3 or more seeds",
        )
    var_v, var_b = sd_v**2, sd_b**2  # type: ignore[operator]
    pooled = math.sqrt(((n_v - 1) * var_v + (n_b - 1) * var_b) / (n_v + n_b - 2))
    cohens_d = effect_d(baseline, variant)
    result = t_test(baseline, variant, alpha=alpha, paired=paired)
    p_value = result.p_value
    p_beyond = None
    if direction == "same":
        p_value, p_beyond = result.p_equivalent(margin), result.p_beyond(margin)
    verdict, reason = decide(direction, diff, p_value, p_beyond, alpha, margin)
    seeds_needed = None
    if verdict == "inconclusive" and pooled > 0:
        seeds_needed, advice = _power_advice(diff, pooled, alpha, max(n_v, n_b), direction, margin)
        reason += "; " + advice
    return Comparison(
        **base,
        difference=diff,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        p_value=p_value,
        cohens_d=cohens_d,
        hedges_g=hedges_g(cohens_d, n_v, n_b),
        p_beyond=p_beyond,
        seeds_needed=seeds_needed,
        verdict=verdict,
        reason=reason,
    )


def _described(
    baseline: Sequence[float],
    variant: Sequence[float],
    names: tuple[str, str],
    metric: str,
    direction: str,
    paired: bool,
    alpha: float,
    margin: float,
) -> dict[str, Any]:
    """The fields of a comparison that describe its inputs: names, sizes, means and sds."""
    n_v, n_b = len(variant), len(baseline)
    return dict(
        variant=names[0],
        baseline=names[1],
        metric=metric,
        direction=direction,
        n_variant=n_v,
        n_baseline=n_b,
        mean_variant=statistics.fmean(variant) if variant else None,
        mean_baseline=statistics.fmean(baseline) if baseline else None,
        sd_variant=statistics.stdev(variant) if n_v > 1 else None,
        sd_baseline=statistics.stdev(baseline) if n_b > 1 else None,
        alpha=alpha,
        margin=margin,
        paired=paired,
        test="paired t" if paired else "Welch t",
    )


def _power_advice(
    diff: float, pooled: float, alpha: float, seeds: int, direction: str, margin: float
) -> tuple[int | None, str]:
    """For an inconclusive verdict: the seeds per arm that would likely decide it, and
    the sentence that says so."""
    from fmtui.core.power import advice
    from fmtui.core.power import seeds_needed as power_seeds

    equivalence = direction == "same"
    needed = power_seeds(diff, pooled, alpha, seeds, margin=margin if equivalence else None)
    return needed, advice(needed, equivalence=equivalence)


def decide(
    direction: str,
    diff: float,
    p_value: float,
    p_beyond: float | None,
    alpha: float,
    margin: float,
    adjustment: str = "",
) -> tuple[str, str]:
    """The verdict and its reason from the deciding (possibly adjusted) p-values.

    For `same`, `p_value` is the TOST p (within ±margin) and `p_beyond` the one-sided
    p of lying beyond the margin, which contradicts at α/2 (a 95% interval outside it).
    """
    level = f"α = {alpha:g}" + (f" after {adjustment} adjustment" if adjustment else "")
    if direction == "same":
        if p_value < alpha:
            return "supported", f"the difference is within ±{margin:g} (TOST, {level})"
        if p_beyond is not None and p_beyond < alpha / 2:
            return "contradicted", f"the difference lies beyond ±{margin:g} ({level})"
        return "inconclusive", f"cannot tell whether it is within ±{margin:g} ({level})"
    significant = p_value < alpha
    wanted = diff > 0 if direction == "higher" else diff < 0
    if significant and wanted:
        return "supported", f"significant at {level} in the claimed direction"
    if significant:
        return "contradicted", f"significant at {level} the other way"
    return "inconclusive", f"not significant at {level}"


def entry_verdict(comparisons: Sequence[Comparison]) -> str | None:
    """One word for the entry: every variant supported, any contradicted, or neither."""
    if not comparisons:
        return None
    words = {c.verdict for c in comparisons}
    if words == {"supported"}:
        return "supported"
    if "contradicted" in words:
        return "contradicted"
    if words == {"not tested"}:
        return "not tested"
    return "inconclusive"


def _numbers(c: Comparison) -> str | None:
    """The comparison's numbers in words: means, difference, interval, test, effect sizes."""
    if c.difference is None or c.p_value is None:
        return None
    d = f", d = {c.cohens_d:.2f}" if c.cohens_d is not None else ""
    d += f", g = {c.hedges_g:.2f}" if c.hedges_g is not None else ""
    adjusted = ""
    if c.p_adjusted is not None and c.adjustment not in ("", "none"):
        adjusted = (
            f", {ADJUSTMENT_NAMES.get(c.adjustment, c.adjustment)}-adjusted p = {c.p_adjusted:.3g}"
        )
    kind = "TOST " if c.direction == "same" else ""
    level = round((1 - c.alpha) * 100, 1)
    return (
        f"{c.metric_label or c.metric} "
        f"{format_mean_sd(c.mean_variant, c.sd_variant)} vs "
        f"{format_mean_sd(c.mean_baseline, c.sd_baseline)}, difference {c.difference:+.4f} "
        f"({level:g}% CI {c.ci_low:+.4f} to {c.ci_high:+.4f}), "
        f"{c.test} {kind}p = {c.p_value:.3g}{adjusted}{d}"
    )


def format_comparison(c: Comparison) -> str:
    """One line a person can read: the numbers and the verdict."""
    numbers = _numbers(c)
    if numbers is None:
        return f"{c.variant} vs {c.baseline}: {c.verdict} — {c.reason}"
    return f"{c.variant} vs {c.baseline}: {numbers}: {c.verdict.upper()} — {c.reason}"


def draft_evaluation(comparisons: Sequence[Comparison], has_hypothesis: bool = True) -> str:
    """A plain-language Evaluation: the verdict, then the numbers (a line per variant).

    Without hypothesis text there is nothing to "support": the lead names the claim.
    """
    if not comparisons:
        return ""
    verdict = entry_verdict(comparisons) or "inconclusive"
    first = comparisons[0]
    if has_hypothesis:
        lead = {
            "supported": "The results support the hypothesis.",
            "contradicted": "The results contradict the hypothesis.",
            "inconclusive": "The results neither support nor contradict the hypothesis.",
            "not tested": "The hypothesis was not tested: each arm needs several seeds.",
        }[verdict]
    else:
        lead = (
            f"No hypothesis text was written. The claim (variants {first.direction} than "
            f"{first.baseline} on {first.metric}) is {verdict}."
        )
    how = (
        f"Compared: {first.metric_label or first.metric}, each variant against "
        f"{first.baseline} at α = {first.alpha:g}"
    )
    if len(comparisons) > 1 and first.adjustment not in ("", "none"):
        name = ADJUSTMENT_NAMES.get(first.adjustment, first.adjustment)
        how += f", {name}-adjusted for {len(comparisons)} comparisons"
    if len(comparisons) == 1:
        return " ".join([lead, how + ".", format_comparison(first) + "."])
    return "\n".join([lead, *(verdict_line(c) for c in comparisons), how + "."])


def verdict_line(c: Comparison) -> str:
    """One variant's result for a list: the verdict first, then the numbers and why."""
    head = f"- {c.verdict.upper()}: {c.variant} vs {c.baseline}"
    numbers = _numbers(c)
    return f"{head} — {c.reason}." if numbers is None else f"{head}, {numbers} — {c.reason}."
