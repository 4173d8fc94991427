"""Seeds-needed advice: a noncentral-t power calculation, never below the seeds already run."""

from __future__ import annotations

import math

import pytest
from scipy import stats as st

from fmtui.core.power import MAX_SEEDS, advice, seeds_needed
from fmtui.core.stats import compare


def _power_by_hand(d: float, n: int, alpha: float) -> float:
    """The two-sided two-sample t-test's power, written out from its definition."""
    df = 2 * n - 2
    crit = st.t.ppf(1 - alpha / 2, df)
    delta = d * math.sqrt(n / 2)
    return 1 - st.nct.cdf(crit, df, delta) + st.nct.cdf(-crit, df, delta)


@pytest.mark.parametrize(
    ("d", "alpha", "table"),
    # Cohen (1988), Table 2.4.1: n per group for power 0.80, two-sided.
    [(0.5, 0.05, 64), (0.8, 0.05, 26), (1.0, 0.05, 17), (0.5, 0.01, 96), (1.2, 0.05, 12)],
)
def test_matches_the_standard_power_table(d: float, alpha: float, table: int) -> None:
    assert seeds_needed(d * 0.002, 0.002, alpha, already=2) == table


@pytest.mark.parametrize("d", [0.6, 0.9, 1.5, 2.5])
def test_answer_is_the_smallest_n_with_80_percent_power(d: float) -> None:
    n = seeds_needed(d, 1.0, 0.05, already=1)
    assert n is not None
    assert _power_by_hand(d, n, 0.05) >= 0.8
    if n > 2:
        assert _power_by_hand(d, n - 1, 0.05) < 0.8


def test_never_below_the_seeds_already_run_plus_one() -> None:
    # A huge effect needs 3 seeds by the table, but 5 seeds already failed to resolve it.
    assert seeds_needed(5.0, 1.0, 0.05, already=1) == 3
    assert seeds_needed(5.0, 1.0, 0.05, already=5) == 6


def test_past_the_seed_limit_says_so() -> None:
    assert seeds_needed(0.2, 1.0, 0.05, already=3) is None  # the table says 394
    assert advice(None) == (
        f"more than {MAX_SEEDS} seeds — the difference is too small to resolve here"
    )


def test_equivalence_power_and_an_impossible_margin() -> None:
    n = seeds_needed(0.0, 1.0, 0.05, already=2, margin=1.0)
    assert n is not None and 10 <= n <= 25  # TOST, d-margin 1, α 0.05: about 18
    assert seeds_needed(0.01, 0.005, 0.05, already=2, margin=0.005) is None


def test_two_seed_verdict_never_advises_two_seeds() -> None:
    # The case: 2 seeds per arm, p ≈ 0.16, advice was "about 2 seeds per arm".
    c = compare([0.8400, 0.8401], [0.8470, 0.8520], direction="higher")
    assert c.verdict == "inconclusive" and 0.15 < c.p_value < 0.18
    assert c.seeds_needed is not None and c.seeds_needed >= 3
    assert f"about {c.seeds_needed} seeds per arm would detect" in c.reason


def test_tiny_difference_says_more_than_the_limit() -> None:
    c = compare([0.8945, 0.8921, 0.8950], [0.8950, 0.8930, 0.8941], direction="higher")
    assert c.seeds_needed is None
    assert "more than 100 seeds — the difference is too small to resolve here" in c.reason
    assert "8071" not in c.reason
