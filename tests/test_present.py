"""Unit tests for what the screens show: verdict lines, progress, names, widths, ranges."""

from __future__ import annotations

import pytest

from fmtui.core.design import baseline_first
from fmtui.core.live import LiveState
from fmtui.core.present import (
    claim_field_error,
    ellipsize,
    experiment_progress,
    journal_widths,
    long_run_warning,
    name_width,
    rerun_question,
    short_verdict,
    spec_differences,
    title_width,
    verdict_lines,
    zoom_range,
)
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec, SpecError, grid_arms

COMPARISON = {
    "variant": "b32",
    "baseline": "b64",
    "verdict": "supported",
    "difference": 0.0021,
    "ci_low": 0.0004,
    "ci_high": 0.0038,
    "p_value": 0.0123,
    "reason": "significant at α = 0.05 in the claimed direction",
}


def test_a_cut_name_ends_in_an_ellipsis_so_it_never_reads_as_another() -> None:
    assert ellipsize("512x256x128", 11) == "512x256x128"
    assert ellipsize("512x256x128", 10) == "512x256x1…"
    assert ellipsize("512x256x128", 10) != "512x256x12"


def test_the_arm_column_fits_the_longest_name_within_its_bounds() -> None:
    assert name_width(["b64", "512x256x128"], 6, 18) == 11
    assert name_width(["a"], 6, 18) == 6
    assert name_width(["x" * 40], 6, 18) == 18


def test_verdict_lines_give_the_verdict_then_each_variant_with_its_numbers() -> None:
    lines = verdict_lines("supported", {"comparisons": [COMPARISON]})
    assert lines[0] == "Verdict on the claim: SUPPORTED"
    assert lines[1] == (
        "b32 vs b64: SUPPORTED — difference +0.0021, 95% CI +0.0004 to +0.0038, p = 0.0123"
    )
    assert verdict_lines(None, None) == []


def test_the_headline_verdict_is_short_and_names_each_variant() -> None:
    assert short_verdict("supported", {"comparisons": [COMPARISON]}) == (
        "SUPPORTED (b32 +0.0021, p = 0.012)"
    )
    assert short_verdict(None, {"comparisons": [COMPARISON]}) == ""


def test_a_cancelled_experiment_counts_only_its_completed_runs() -> None:
    statuses = ["completed", "cancelled", "not started", "not started"]
    assert experiment_progress("cancelled", statuses) == ("Cancelled: 1 of 4 runs completed", 1)
    assert experiment_progress("running", ["completed", "running", "queued"]) == (
        "Experiment: run 1/3 done",
        1,
    )
    assert experiment_progress("completed", ["completed"] * 2)[1] == 2


def test_runs_that_never_started_are_marked_so_when_cancelled() -> None:
    experiment = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=1)),), seeds=3)
    state = LiveState.for_experiment(1, "t", experiment)
    state.runs[0].status = "completed"
    state.runs[1].status = "running"
    state.finish("cancelled")
    assert [r.status for r in state.runs] == ["completed", "cancelled", "not started"]


def test_spec_differences_name_what_an_arm_changes_from_the_baseline() -> None:
    base = RunSpec().to_dict()
    assert spec_differences(base, RunSpec(batch_size=32).to_dict()) == "batch_size=32"
    assert spec_differences(base, RunSpec(layers=(64, 64)).to_dict()) == "layers=64x64"
    assert spec_differences(base, RunSpec(seed=4).to_dict()) == ""


def test_the_title_takes_what_the_other_columns_leave() -> None:
    assert title_width(120, [4, 19, 9, 12, 8, 4]) == 120 - 56 - 14
    assert title_width(40, [4, 19, 9, 12, 8, 4]) == 12
    assert journal_widths(118)["title"] == 118 - 56 - 14


def test_a_narrow_journal_shortens_the_date_before_losing_a_column() -> None:
    widths = journal_widths(78)
    assert widths["created"] == 10 and sum(widths.values()) + 2 * 7 <= 78


def test_bars_zoom_to_the_data_so_close_accuracies_look_different() -> None:
    lo, hi = zoom_range([0.808, 0.829])
    assert 0.79 < lo < 0.808 and 0.829 < hi < 0.85
    assert zoom_range([]) == (0.0, 1.0)
    assert zoom_range([0.5, 0.5]) == pytest.approx((0.495, 0.505))


def test_claim_fields_are_checked_with_their_name_and_range() -> None:
    assert claim_field_error("alpha", "0.05") is None
    assert "alpha" in (claim_field_error("alpha", "0.9") or "")
    assert "margin" in (claim_field_error("margin", "abc") or "")
    assert claim_field_error("margin", "0.01") is None


def test_only_an_estimate_past_an_hour_warns() -> None:
    assert long_run_warning(3599) == ""
    assert long_run_warning(None) == ""
    assert "more than an hour" in long_run_warning(46 * 3600)
    assert "46.0 h" in long_run_warning(46 * 3600)


def test_the_rerun_question_shows_runs_and_time() -> None:
    question = rerun_question(7, 6, "Estimated time on cpu: up to 2 min.", 120)
    assert "Rerun entry 7 exactly (6 runs" in question and "up to 2 min" in question


def test_a_grid_baseline_is_moved_first_and_an_unknown_one_is_refused() -> None:
    arms = grid_arms([[64, 128], [64, 128]], RunSpec())
    assert [a.name for a in baseline_first(arms, "128x64")][:2] == ["128x64", "64x64"]
    assert baseline_first(arms, "") == arms
    with pytest.raises(SpecError, match="grid_baseline: '32x32' is not an arm of the grid"):
        baseline_first(arms, "32x32")
