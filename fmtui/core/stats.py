"""Provides per-arm summaries (mean ± sd over seeds) and verdicts on a hypothesis's claim."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fmtui.core.events import RunResult
from fmtui.core.words import count


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

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def metric_values(runs: Iterable[dict], arm: str, metric: str) -> list[float]:
    """The per-seed values of `metric` for an arm's completed runs (stored run dicts)."""
    values = []
    for run in runs:
        if run.get("arm") != arm or run.get("status") != "completed":
            continue
        if metric == "val_acc":
            accs = [e.get("val_acc") for e in run.get("epochs") or []]
            value = max((a for a in accs if isinstance(a, int | float)), default=None)
        else:
            value = run.get(metric)
        if isinstance(value, int | float) and math.isfinite(value):
            values.append(float(value))
    return values


def compare(
    baseline: Sequence[float],
    variant: Sequence[float],
    *,
    direction: str = "higher",
    alpha: float = 0.05,
    margin: float = 0.005,
    metric: str = "test_acc",
    names: tuple[str, str] = ("variant", "baseline"),
) -> Comparison:
    """Welch's t-test, a confidence interval and Cohen's d, and what they say of the claim.

    `direction` is the claim: the variant is `higher`, `lower` or the `same` (within
    ±margin) as the baseline. One seed per arm gives no verdict.
    """
    from scipy import stats as st

    n_v, n_b = len(variant), len(baseline)
    mean_v = statistics.fmean(variant) if variant else None
    mean_b = statistics.fmean(baseline) if baseline else None
    sd_v = statistics.stdev(variant) if n_v > 1 else None
    sd_b = statistics.stdev(baseline) if n_b > 1 else None
    base = dict(
        variant=names[0],
        baseline=names[1],
        metric=metric,
        direction=direction,
        n_variant=n_v,
        n_baseline=n_b,
        mean_variant=mean_v,
        mean_baseline=mean_b,
        sd_variant=sd_v,
        sd_baseline=sd_b,
    )
    empty = dict(
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
    se = math.sqrt(var_v / n_v + var_b / n_b)
    pooled = math.sqrt(((n_v - 1) * var_v + (n_b - 1) * var_b) / (n_v + n_b - 2))
    cohens_d = diff / pooled if pooled > 0 else None
    if se == 0:
        p_value = 1.0 if diff == 0 else 0.0
        ci_low = ci_high = diff
        ci90 = (diff, diff)
    else:
        df = (var_v / n_v + var_b / n_b) ** 2 / (
            (var_v / n_v) ** 2 / (n_v - 1) + (var_b / n_b) ** 2 / (n_b - 1)
        )
        p_value = float(st.ttest_ind(variant, baseline, equal_var=False).pvalue)
        half = float(st.t.ppf(1 - alpha / 2, df)) * se
        ci_low, ci_high = diff - half, diff + half
        half90 = float(st.t.ppf(1 - alpha, df)) * se
        ci90 = (diff - half90, diff + half90)
    significant = p_value < alpha
    if direction == "same":
        if -margin <= ci90[0] and ci90[1] <= margin:
            verdict, reason = "supported", f"the difference is within ±{margin:g} (TOST)"
        elif ci_low > margin or ci_high < -margin:
            verdict, reason = "contradicted", f"the difference lies beyond ±{margin:g}"
        else:
            verdict, reason = "inconclusive", f"cannot tell whether it is within ±{margin:g}"
    else:
        wanted = diff > 0 if direction == "higher" else diff < 0
        if significant and wanted:
            verdict, reason = "supported", f"significant at α = {alpha:g} in the claimed direction"
        elif significant:
            verdict, reason = "contradicted", f"significant at α = {alpha:g} the other way"
        else:
            verdict, reason = "inconclusive", f"not significant at α = {alpha:g}"
    seeds_needed = None
    if verdict == "inconclusive" and pooled > 0:
        from fmtui.core.power import advice
        from fmtui.core.power import seeds_needed as power_seeds

        equivalence = direction == "same"
        seeds_needed = power_seeds(
            diff, pooled, alpha, max(n_v, n_b), margin=margin if equivalence else None
        )
        reason += "; " + advice(seeds_needed, equivalence=equivalence)
    return Comparison(
        **base,
        difference=diff,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        cohens_d=cohens_d,
        seeds_needed=seeds_needed,
        verdict=verdict,
        reason=reason,
    )


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


def judge(runs: Sequence[dict], arms: Sequence[str], claim: object) -> list[Comparison]:
    """Every variant arm against the claim's baseline arm (stored run dicts)."""
    metric = getattr(claim, "metric", "test_acc")
    baseline = getattr(claim, "baseline", "") or (arms[0] if arms else "")
    if baseline not in arms:
        baseline = arms[0] if arms else baseline
    base_values = metric_values(runs, baseline, metric)
    return [
        compare(
            base_values,
            metric_values(runs, arm, metric),
            direction=getattr(claim, "direction", "higher"),
            alpha=getattr(claim, "alpha", 0.05),
            margin=getattr(claim, "margin", 0.005),
            metric=metric,
            names=(arm, baseline),
        )
        for arm in arms
        if arm != baseline
    ]


def format_comparison(c: Comparison) -> str:
    """One line a person can read: the numbers and the verdict."""
    if c.difference is None or c.p_value is None:
        return f"{c.variant} vs {c.baseline}: {c.verdict} — {c.reason}"
    d = f", d = {c.cohens_d:.2f}" if c.cohens_d is not None else ""
    return (
        f"{c.variant} vs {c.baseline}: {c.metric} "
        f"{format_mean_sd(c.mean_variant, c.sd_variant)} vs "
        f"{format_mean_sd(c.mean_baseline, c.sd_baseline)}, difference {c.difference:+.4f} "
        f"(95% CI {c.ci_low:+.4f} to {c.ci_high:+.4f}), Welch p = {c.p_value:.3g}{d}: "
        f"{c.verdict.upper()} — {c.reason}"
    )


def draft_evaluation(comparisons: Sequence[Comparison], has_hypothesis: bool = True) -> str:
    """A plain-language Evaluation: the verdict, then the numbers (a line per variant).

    Without hypothesis text there is nothing to "support": the lead names the claim.
    """
    if not comparisons:
        return ""
    verdict = entry_verdict(comparisons) or "inconclusive"
    if has_hypothesis:
        lead = {
            "supported": "The results support the hypothesis.",
            "contradicted": "The results contradict the hypothesis.",
            "inconclusive": "The results neither support nor contradict the hypothesis.",
            "not tested": "The hypothesis was not tested: each arm needs several seeds.",
        }[verdict]
    else:
        first = comparisons[0]
        lead = (
            f"No hypothesis text was written. The claim (variants {first.direction} than "
            f"{first.baseline} on {first.metric}) is {verdict}."
        )
    if len(comparisons) == 1:
        return " ".join([lead, format_comparison(comparisons[0]) + "."])
    return "\n".join([lead, *(verdict_line(c) for c in comparisons)])


def verdict_line(c: Comparison) -> str:
    """One variant's result for a list: the verdict first, then the numbers and why."""
    head = f"- {c.verdict.upper()}: {c.variant} vs {c.baseline}"
    if c.difference is None or c.p_value is None:
        return f"{head} — {c.reason}."
    d = f", d = {c.cohens_d:.2f}" if c.cohens_d is not None else ""
    return (
        f"{head}, {c.metric} {format_mean_sd(c.mean_variant, c.sd_variant)} vs "
        f"{format_mean_sd(c.mean_baseline, c.sd_baseline)}, difference {c.difference:+.4f} "
        f"(95% CI {c.ci_low:+.4f} to {c.ci_high:+.4f}), Welch p = {c.p_value:.3g}{d} — "
        f"{c.reason}."
    )


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
    runs: Sequence[dict], arms: Sequence[str], metric: str = "test_acc", alpha: float = 0.05
) -> Plateau | None:
    """Which arms are statistically indistinguishable from the best (Welch, one seed refuses)."""
    values = {arm: metric_values(runs, arm, metric) for arm in arms}
    values = {arm: v for arm, v in values.items() if v}
    if not values:
        return None
    best = max(values, key=lambda a: statistics.fmean(values[a]))
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
    same = [best]
    for arm, vals in values.items():
        if arm == best:
            continue
        c = compare(values[best], vals, direction="lower", alpha=alpha, metric=metric)
        if c.verdict != "supported":  # not significantly lower than the best
            same.append(arm)
    reason = (
        f"{count(len(same), 'arm')} are not significantly worse than {best} at α = {alpha:g}"
        if len(same) > 1
        else f"{best} is significantly better than every other arm"
    )
    return Plateau(metric, best, best_mean, tuple(same), True, reason)


@dataclass(frozen=True)
class EntryComparison:
    """Two journal entries side by side: what differs, how they scored, whether it is real."""

    spec_diff: list[tuple[str, str, str]]  # field, first entry, second entry
    comparison: Comparison | None
    warnings: list[str]


def _runs_values(entry_runs: Sequence[dict], metric: str) -> list[float]:
    arms = list(dict.fromkeys(r.get("arm", "") for r in entry_runs))
    best: list[float] = []
    for arm in arms:
        values = metric_values(entry_runs, arm, metric)
        if values and (not best or statistics.fmean(values) > statistics.fmean(best)):
            best = values
    return best


def compare_entries(
    first: object, second: object, metric: str = "test_acc", alpha: float = 0.05
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
    runs_a, runs_b = getattr(first, "runs", []), getattr(second, "runs", [])
    values_a, values_b = _runs_values(runs_a, metric), _runs_values(runs_b, metric)
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
        seen_a = {(r.get("environment") or {}).get(name) for r in runs_a} - {None}
        seen_b = {(r.get("environment") or {}).get(name) for r in runs_b} - {None}
        if seen_a and seen_b and seen_a != seen_b:
            warnings.append(
                f"The runs used different {label}: {', '.join(map(str, seen_a))} vs "
                f"{', '.join(map(str, seen_b))}."
            )
    return EntryComparison(diff, comparison, warnings)
