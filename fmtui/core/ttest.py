"""Provides the t-tests a verdict uses (paired on shared seeds, else Welch) and effect sizes.

Arms that share their seed list also share, through the seed, the initial weights'
generator, the validation split and the data order; a seed's two runs are then a pair,
and testing the per-seed differences removes the seed-to-seed noise both arms share.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TTest:
    """One t-test of variant − baseline: the difference, its intervals and p-values."""

    test: str  # "paired t" or "Welch t"
    paired: bool
    difference: float
    se: float
    df: float
    p_value: float  # two-sided, H0: no difference
    ci_low: float  # (1 − α) interval
    ci_high: float
    ci90_low: float  # (1 − 2α) interval, the one TOST uses
    ci90_high: float

    def p_equivalent(self, margin: float) -> float:
        """TOST p-value for "the difference lies within ±margin"."""
        if self.se == 0:
            return 0.0 if abs(self.difference) < margin else 1.0
        from scipy import stats as st

        upper = float(st.t.cdf((self.difference - margin) / self.se, self.df))
        lower = float(st.t.sf((self.difference + margin) / self.se, self.df))
        return max(upper, lower)

    def p_beyond(self, margin: float) -> float:
        """One-sided p-value for "the difference lies beyond ±margin" on the observed side."""
        if self.se == 0:
            return 0.0 if abs(self.difference) > margin else 1.0
        from scipy import stats as st

        return float(st.t.sf((abs(self.difference) - margin) / self.se, self.df))


def paired_seeds(
    baseline: Mapping[int, Sequence[float]], variant: Mapping[int, Sequence[float]]
) -> list[int] | None:
    """The shared seeds, sorted, when every seed appears exactly once in both arms."""
    if set(baseline) != set(variant) or len(baseline) < 2:
        return None
    if any(len(v) != 1 for v in (*baseline.values(), *variant.values())):
        return None
    return sorted(baseline)


def t_test(
    baseline: Sequence[float], variant: Sequence[float], *, alpha: float, paired: bool
) -> TTest:
    """Paired t on per-seed differences (lists aligned by seed) or Welch's t; n ≥ 2 each."""
    from scipy import stats as st

    if paired:
        diffs = [v - b for v, b in zip(variant, baseline, strict=True)]
        n = len(diffs)
        diff = statistics.fmean(diffs)
        se = statistics.stdev(diffs) / math.sqrt(n)
        df = float(n - 1)
        name = "paired t"
    else:
        n_v, n_b = len(variant), len(baseline)
        var_v, var_b = statistics.variance(variant), statistics.variance(baseline)
        diff = statistics.fmean(variant) - statistics.fmean(baseline)
        se = math.sqrt(var_v / n_v + var_b / n_b)
        df = (
            (var_v / n_v + var_b / n_b) ** 2
            / ((var_v / n_v) ** 2 / (n_v - 1) + (var_b / n_b) ** 2 / (n_b - 1))
            if se > 0
            else float(n_v + n_b - 2)
        )
        name = "Welch t"
    if se == 0:
        p = 1.0 if diff == 0 else 0.0
        return TTest(name, paired, diff, 0.0, df, p, diff, diff, diff, diff)
    p = float(2 * st.t.sf(abs(diff) / se, df))
    half = float(st.t.ppf(1 - alpha / 2, df)) * se
    half90 = float(st.t.ppf(1 - alpha, df)) * se
    return TTest(
        name, paired, diff, se, df, p, diff - half, diff + half, diff - half90, diff + half90
    )


def cohens_d(baseline: Sequence[float], variant: Sequence[float]) -> float | None:
    """Mean difference over the pooled standard deviation; None when that is zero."""
    n_v, n_b = len(variant), len(baseline)
    pooled = math.sqrt(
        ((n_v - 1) * statistics.variance(variant) + (n_b - 1) * statistics.variance(baseline))
        / (n_v + n_b - 2)
    )
    if pooled == 0:
        return None
    return (statistics.fmean(variant) - statistics.fmean(baseline)) / pooled


def hedges_correction(df: float) -> float:
    """The exact small-sample factor J(df) = Γ(df/2) / (√(df/2) Γ((df−1)/2))."""
    return math.exp(math.lgamma(df / 2) - math.lgamma((df - 1) / 2)) / math.sqrt(df / 2)


def hedges_g(d: float | None, n_variant: int, n_baseline: int) -> float | None:
    """Cohen's d shrunk for small samples: with 3 seeds per arm d overstates by a quarter."""
    df = n_variant + n_baseline - 2
    if d is None or df < 2:
        return None
    return d * hedges_correction(df)
