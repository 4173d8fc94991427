"""Provides group-sequential boundaries: seeds added in planned looks until decided.

Looking at the p-value after every few seeds and stopping at the first p < α makes a
false "significant" far likelier than α (four looks at 0.05 give about 0.12). A group-
sequential design spends α over the planned looks instead: here the Lan–DeMets
O'Brien–Fleming-type spending function, α/2 on each side spent as 2 − 2Φ(z₁₋α/₄ / √t)
(as R's gsDesign sfLDOF and ldbounds do), where t is the share of the largest planned
seed count run so far. It spends almost nothing at the first
looks (stopping early only on a very clear difference) and keeps the last look's level
close to α, so a design that runs to the end loses little power.

The boundaries are computed on the z-scale by numerical integration over the
standardized score's path (Armitage–McPherson–Rowe recursion), two-sided and symmetric.
A look's t-test then rejects when its p-value is below the look's nominal level
2(1 − Φ(c_k)). Futility (non-binding, so α is not affected): stop when the interval
at the look's nominal level excludes the smallest effect worth detecting in the claimed
direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

LOOK_SCHEDULE = (3, 5, 8, 12, 18, 27, 40, 60, 90)
_GRID = 801  # points per look in the integration grid: boundaries to about 1e-4


def planned_looks(max_seeds: int, first: int = 3) -> tuple[int, ...]:
    """Seeds per arm at each look: 3, 5, 8, 12, … up to `max_seeds` (always the last)."""
    if max_seeds < 2:
        raise ValueError("seeds until decided needs at least 2 seeds per arm")
    looks = [n for n in LOOK_SCHEDULE if first <= n < max_seeds]
    return (*looks, max_seeds) if looks or max_seeds >= 2 else (max_seeds,)


def obrien_fleming_spending(t: float, alpha: float) -> float:
    """Lan–DeMets O'Brien–Fleming-type α spent by information fraction t (two-sided)."""
    from scipy.stats import norm

    if t <= 0:
        return 0.0
    # α/2 on each side, each spent by the one-sided Lan–DeMets function 2 − 2Φ(z/√t).
    return float(4 - 4 * norm.cdf(norm.ppf(1 - alpha / 4) / math.sqrt(min(t, 1.0))))


def _grid(c: float, t: float) -> tuple[np.ndarray, float]:
    """Grid over the continuation region of B(t) = Z√t, |Z| < c, with its weight."""
    half = c * math.sqrt(t)
    xs = np.linspace(-half, half, _GRID)
    return xs, float(xs[1] - xs[0])


def _crossing(
    xs: np.ndarray | None,
    density: np.ndarray | None,
    t_prev: float,
    t: float,
    c: float,
    drift: float,
) -> tuple[float, float]:
    """P(first crossing up) and P(first crossing down) at t, from the sub-density at t_prev."""
    from scipy.stats import norm

    sd = math.sqrt(t - t_prev)
    bound = c * math.sqrt(t)
    if xs is None or density is None:
        start = drift * t
        return float(norm.sf((bound - start) / sd)), float(norm.cdf((-bound - start) / sd))
    mass = _trapezoid_weights(xs) * density
    means = xs + drift * (t - t_prev)
    up = float(np.sum(mass * norm.sf((bound - means) / sd)))
    down = float(np.sum(mass * norm.cdf((-bound - means) / sd)))
    return up, down


def _continue(
    xs: np.ndarray | None,
    density: np.ndarray | None,
    t_prev: float,
    t: float,
    c: float,
    drift: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The sub-density of B(t) over the continuation region |B(t)| < c√t."""
    from scipy.stats import norm

    sd = math.sqrt(t - t_prev)
    nxt, _ = _grid(c, t)
    if xs is None or density is None:
        return nxt, norm.pdf((nxt - drift * t) / sd) / sd
    mean = xs + drift * (t - t_prev)
    kernel = norm.pdf((nxt[:, None] - mean[None, :]) / sd) / sd
    return nxt, kernel @ (_trapezoid_weights(xs) * density)


def _trapezoid_weights(xs: np.ndarray) -> np.ndarray:
    step = float(xs[1] - xs[0])
    w = np.full(len(xs), step)
    w[0] = w[-1] = step / 2
    return w


@dataclass(frozen=True)
class Design:
    """A planned group-sequential design: looks, z-boundaries and nominal p-levels."""

    looks: tuple[int, ...]
    alpha: float
    boundaries: tuple[float, ...]  # |z| ≥ c_k stops for efficacy at look k
    nominal: tuple[float, ...]  # two-sided p-value threshold at each look
    spent: tuple[float, ...]  # cumulative α spent by each look

    @property
    def fractions(self) -> tuple[float, ...]:
        return tuple(n / self.looks[-1] for n in self.looks)

    def to_dict(self) -> dict[str, object]:
        return {
            "looks": list(self.looks),
            "alpha": self.alpha,
            "spending": "Lan–DeMets O'Brien–Fleming",
            "boundaries": list(self.boundaries),
            "nominal": list(self.nominal),
            "spent": list(self.spent),
        }


def design(looks: Sequence[int], alpha: float) -> Design:
    """Boundaries that spend α by the O'Brien–Fleming-type function over `looks`."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    if not looks or list(looks) != sorted(set(looks)):
        raise ValueError("looks must be increasing seed counts")
    fractions = [n / looks[-1] for n in looks]
    xs: np.ndarray | None = None
    density: np.ndarray | None = None
    t_prev, spent_before = 0.0, 0.0
    bounds, spent = [], []
    for t in fractions:
        target = obrien_fleming_spending(t, alpha) - spent_before

        def excess(c: float, *at: Any) -> float:
            up, down = _crossing(at[0], at[1], at[2], at[3], c, 0.0)
            return up + down - at[4]

        at = (xs, density, t_prev, t, target)
        c = brentq(excess, 0.5, 12.0, args=at, xtol=1e-7) if target > 1e-15 else 12.0
        up, down = _crossing(xs, density, t_prev, t, c, 0.0)
        xs, density = _continue(xs, density, t_prev, t, c, 0.0)
        spent_before += up + down
        bounds.append(c)
        spent.append(spent_before)
        t_prev = t
    nominal = tuple(float(2 * norm.sf(c)) for c in bounds)
    return Design(tuple(looks), alpha, tuple(bounds), nominal, tuple(spent))


def power(d: Design, effect_size: float, t_tests: bool = True) -> float:
    """Planned power: P(crossing the boundary in the claimed direction at some look).

    `effect_size` is the difference over the per-arm standard deviation (two arms of
    equal size, independent runs); the drift of B(t) is δ/σ · √(n_max / 2). With
    `t_tests`, each look's boundary is the t quantile of its nominal level at 2n − 2
    degrees of freedom: the looks run t-tests on few seeds, which reject less often
    than z-tests would, and a z-scale power would promise about 4 points too much.
    """
    from scipy.stats import t as t_dist

    drift = effect_size * math.sqrt(d.looks[-1] / 2)
    xs: np.ndarray | None = None
    density: np.ndarray | None = None
    t_prev, total = 0.0, 0.0
    for n, t, c, nominal in zip(d.looks, d.fractions, d.boundaries, d.nominal, strict=True):
        if t_tests:
            c = float(t_dist.isf(nominal / 2, 2 * n - 2))
        up, _ = _crossing(xs, density, t_prev, t, c, drift)
        xs, density = _continue(xs, density, t_prev, t, c, drift)
        total += up
        t_prev = t
    return total


@dataclass(frozen=True)
class LookDecision:
    """What a look says: stop for efficacy, stop for futility, or run more seeds."""

    look: int  # 1-based
    seeds: int
    nominal: float
    stop: bool
    why: str  # "boundary", "futility", "last look" or "continue"


def decide_look(
    d: Design,
    look: int,
    p_value: float | None,
    difference: float | None,
    ci_toward: float | None,
    smallest_effect: float,
) -> LookDecision:
    """Decide at look `look` (1-based) from the look's two-sided p and interval.

    `ci_toward` is the interval's end on the claimed side (the upper end for a
    `higher` claim, the lower end's negative for `lower`), at the look's nominal level.
    """
    nominal = d.nominal[look - 1]
    seeds = d.looks[look - 1]
    if p_value is not None and p_value < nominal:
        return LookDecision(look, seeds, nominal, True, "boundary")
    if look == len(d.looks):
        return LookDecision(look, seeds, nominal, True, "last look")
    if smallest_effect > 0 and ci_toward is not None and ci_toward < smallest_effect:
        return LookDecision(look, seeds, nominal, True, "futility")
    return LookDecision(look, seeds, nominal, False, "continue")
