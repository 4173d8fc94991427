"""Provides multiplicity adjustment of a family of p-values (Holm, Benjamini–Hochberg).

A claim with several variants tests each against the baseline; at α = 0.05 each, a
49-arm grid on pure noise would call about 2.4 variants "supported". Holm keeps the
chance of any false call at α (family-wise error, for confirmatory claims); Benjamini–
Hochberg keeps the expected share of false calls among the calls at α (false discovery
rate, for exploratory grids). Dunnett is offered for many-to-one comparisons of equal
variance; it is a test of its own, so its p-values come from scipy, not from here.
"""

from __future__ import annotations

from collections.abc import Sequence

ADJUSTMENTS = ("holm", "bh", "dunnett", "none")
ADJUSTMENT_NAMES = {
    "holm": "Holm",
    "bh": "Benjamini–Hochberg",
    "dunnett": "Dunnett",
    "none": "none",
}


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input's order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        # Monotone: an adjusted p never falls below the one of a smaller raw p.
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input's order."""
    if not p_values:
        return []
    from scipy.stats import false_discovery_control

    return [float(p) for p in false_discovery_control(list(p_values), method="bh")]


def adjust(p_values: Sequence[float], method: str) -> list[float]:
    """Adjusted p-values by `method` (holm, bh or none)."""
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    if method == "none":
        return [float(p) for p in p_values]
    raise ValueError(f"unknown adjustment {method!r}; expected holm, bh or none")


def default_adjustment(exploratory: bool) -> str:
    """Holm for a confirmatory claim, Benjamini–Hochberg for an exploratory one."""
    return "bh" if exploratory else "holm"


def dunnett_p_values(baseline: Sequence[float], variants: Sequence[Sequence[float]]) -> list[float]:
    """Two-sided Dunnett p-values of each variant against the baseline (already adjusted)."""
    from scipy.stats import dunnett

    # Its p-values come from a quasi-Monte Carlo integral: a fixed seed keeps a verdict stable.
    result = dunnett(*[list(v) for v in variants], control=list(baseline), random_state=0)
    return [float(p) for p in result.pvalue]
