"""Provides the seeds-per-arm advice: a power calculation on the noncentral t distribution.

A normal approximation understates the seeds needed at the small sample sizes fmtui
works with (it ignores that the standard deviation is itself estimated), so it could
advise fewer seeds than had just failed to resolve a difference. Here n is raised one
at a time until a two-sample t-test with n seeds per arm (df = 2n − 2, the Welch df
for equal arms of equal spread) reaches the wanted power.
"""

from __future__ import annotations

import math

MAX_SEEDS = 100
POWER = 0.8


def _nct_cdf(x: float, df: int, nc: float) -> float:
    """The noncentral t CDF; scipy returns NaN at some large noncentralities, where the
    normal limit (the t's spread ignored, off by far less than the answer needs) stands in."""
    from scipy import stats as st

    value = float(st.nct.cdf(x, df, nc))
    if math.isfinite(value):
        return value
    return float(st.norm.cdf(x - nc))


def _difference_power(effect: float, n: int, alpha: float) -> float:
    """Power of the two-sided two-sample t-test with n per arm at standardised effect d."""
    from scipy import stats as st

    df = 2 * n - 2
    crit = float(st.t.ppf(1 - alpha / 2, df))
    nc = abs(effect) * math.sqrt(n / 2)
    return 1.0 - _nct_cdf(crit, df, nc) + _nct_cdf(-crit, df, nc)


def _equivalence_power(effect: float, margin: float, n: int, alpha: float) -> float:
    """Power of TOST (two one-sided tests at α) to show |difference| < margin.

    Both quantities are in units of the standard deviation. The power of the pair is at
    least 1 − (miss of the lower test) − (miss of the upper test), the usual bound.
    """
    from scipy import stats as st

    df = 2 * n - 2
    crit = float(st.t.ppf(1 - alpha, df))
    scale = math.sqrt(n / 2)
    miss_low = _nct_cdf(crit, df, (margin + effect) * scale)
    miss_high = _nct_cdf(crit, df, (margin - effect) * scale)
    return max(0.0, 1.0 - miss_low - miss_high)


def seeds_needed(
    difference: float,
    sd: float,
    alpha: float,
    already: int,
    *,
    margin: float | None = None,
    power: float = POWER,
    limit: int = MAX_SEEDS,
) -> int | None:
    """Seeds per arm for `power` at this difference and spread; None when over `limit`.

    `margin` set means the claim is equivalence (TOST within ±margin); otherwise a
    two-sided difference test, as the verdict uses. The answer is never below
    `already` + 1: the seeds already run did not resolve the difference.
    """
    if sd <= 0 or not math.isfinite(sd) or not math.isfinite(difference):
        return None
    effect = difference / sd
    if margin is None and effect == 0:
        return None
    if margin is not None and abs(difference) >= margin:
        return None  # the true difference is outside the margin: equivalence never shows
    for n in range(max(2, already + 1), limit + 1):
        reached = (
            _difference_power(effect, n, alpha)
            if margin is None
            else _equivalence_power(effect, margin / sd, n, alpha)
        )
        if reached >= power:
            return n
    return None


def advice(needed: int | None, *, equivalence: bool = False, limit: int = MAX_SEEDS) -> str:
    """The clause the verdict's reason ends with."""
    if needed is None:
        return f"more than {limit} seeds — the difference is too small to resolve here"
    goal = "show the arms equivalent" if equivalence else "detect this difference"
    return f"about {needed} seeds per arm would {goal} (80% power)"
