"""Seed bands: mean ± 1 sd per epoch over the seeds that reached it."""

from __future__ import annotations

import statistics

import pytest

from fmtui.core.bands import run_bands, seed_bands


def test_bands_over_seeds_of_different_lengths() -> None:
    bands = seed_bands([[0.5, 0.4, 0.3], [0.7, 0.6], [0.6, float("nan"), 0.2]])
    assert [b.epoch for b in bands] == [1, 2, 3]
    assert bands[0].mean == pytest.approx(0.6) and bands[0].n == 3
    assert bands[0].sd == pytest.approx(statistics.stdev([0.5, 0.7, 0.6]))
    assert bands[1].n == 2  # the NaN is left out, not averaged in
    assert bands[2].n == 2 and bands[2].mean == pytest.approx(0.25)
    assert (bands[0].low, bands[0].high) == (
        pytest.approx(0.6 - bands[0].sd),
        pytest.approx(0.6 + bands[0].sd),
    )
    single = seed_bands([[0.9]])
    assert single[0].sd is None and single[0].low == single[0].high == 0.9
    assert seed_bands([]) == []


def test_run_bands_by_arm() -> None:
    runs = [
        {"arm": "a", "epochs": [{"val_acc": 0.80}, {"val_acc": 0.85}]},
        {"arm": "a", "epochs": [{"val_acc": 0.82}]},
        {"arm": "b", "epochs": [{"val_acc": 0.70}]},
        {"arm": "c", "epochs": []},
    ]
    bands = run_bands(runs, "val_acc")
    assert list(bands) == ["a", "b"]
    assert bands["a"][0].mean == pytest.approx(0.81) and bands["a"][1].n == 1
    with pytest.raises(ValueError, match="metric must be one of"):
        run_bands(runs, "test_acc")
