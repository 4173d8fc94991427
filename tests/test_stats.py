"""Verdicts: Welch's test, confidence intervals, effect sizes and every verdict branch."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats as st

from fmtui.cli import main
from fmtui.core.journal import Claim, Journal
from fmtui.core.runs import as_results, completed_values
from fmtui.core.stats import compare, draft_evaluation, entry_verdict
from fmtui.core.verdicts import judge
from tests.run_fixtures import stored_run

BASE = [0.8945, 0.8921, 0.8950]
BETTER = [0.9010, 0.9032, 0.9025]


def test_numbers_match_scipy() -> None:
    c = compare(BASE, BETTER, direction="higher")
    welch = st.ttest_ind(BETTER, BASE, equal_var=False)
    assert c.p_value == pytest.approx(welch.pvalue)
    assert c.difference == pytest.approx(sum(BETTER) / 3 - sum(BASE) / 3)
    ci = welch.confidence_interval(0.95)
    assert (c.ci_low, c.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    s1, s2 = st.tstd(BETTER), st.tstd(BASE)
    pooled = math.sqrt((s1**2 + s2**2) / 2)
    assert c.cohens_d == pytest.approx(c.difference / pooled)
    assert c.verdict == "supported"


def test_verdict_branches() -> None:
    assert compare(BASE, BETTER, direction="lower").verdict == "contradicted"
    noisy = compare(BASE, [0.8960, 0.8935, 0.8975], direction="higher")
    assert noisy.verdict == "inconclusive"
    assert noisy.seeds_needed and noisy.seeds_needed > 3
    assert "seeds per arm would detect" in noisy.reason
    tiny = compare(BASE, [0.8950, 0.8930, 0.8941], direction="higher")
    assert tiny.seeds_needed is None and "more than 100 seeds" in tiny.reason
    one = compare([0.8945], [0.8943], direction="higher")
    assert one.verdict == "not tested" and "one seed per arm" in one.reason
    assert one.p_value is None
    empty = compare(BASE, [], direction="higher", names=("diverged", "base"))
    assert empty.verdict == "not tested" and "arm diverged has no completed run" in empty.reason


def test_zero_variance_in_both_arms() -> None:
    same = compare([0.9, 0.9, 0.9], [0.9, 0.9, 0.9])
    assert same.p_value == 1.0 and same.verdict == "inconclusive" and same.cohens_d is None
    apart = compare([0.9, 0.9, 0.9], [0.95, 0.95, 0.95])
    assert apart.p_value == 0.0 and apart.verdict == "supported"


def test_equivalence_claims() -> None:
    close = compare(
        [0.890, 0.891, 0.8905, 0.8902],
        [0.8903, 0.8908, 0.8901, 0.8906],
        direction="same",
        margin=0.005,
    )
    assert close.verdict == "supported"
    far = compare(BASE, BETTER, direction="same", margin=0.001)
    assert far.verdict == "contradicted"
    wide = compare([0.85, 0.90, 0.88], [0.86, 0.91, 0.87], direction="same", margin=0.005)
    assert wide.verdict == "inconclusive"


def _runs(arm: str, accs: list[float], status: str = "completed") -> list[dict]:
    # One seed for all: these runs were written without specs, read as seed 0.
    return [
        stored_run(
            arm, a, repeat=i, status=status, duration_s=10.0 + i, val_accs=[a - 0.01, a - 0.005]
        )
        for i, a in enumerate(accs)
    ]


def test_judge_and_entry_verdict() -> None:
    runs = _runs("b64", BASE) + _runs("b32", BETTER) + _runs("x", [0.5, 0.5], "diverged")
    comps = judge(runs, ["b64", "b32", "x"], Claim(baseline="b64"))
    assert [c.verdict for c in comps] == ["supported", "not tested"]
    assert entry_verdict(comps) == "inconclusive"
    assert entry_verdict(comps[:1]) == "supported"
    assert completed_values(as_results(runs), "val_acc", "b32") == pytest.approx(
        [a - 0.005 for a in BETTER]
    )
    text = draft_evaluation(comps[:1])
    assert text.startswith("The results support the hypothesis.") and "Welch t p =" in text


def test_cli_prints_verdicts_and_records_them(fixture_dir, tmp_path, capsys) -> None:
    journal = tmp_path / "j.json"
    code = main(
        [
            "run",
            "--data-dir",
            str(fixture_dir),
            "--allow-subset",
            "--journal",
            str(journal),
            "--layers",
            "16",
            "--variant",
            "wide: layers=64",
            "--epochs",
            "1",
            "--seeds",
            "2",
            "--device",
            "cpu",
            "--direction",
            "higher",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["verdict"] in ("supported", "contradicted", "inconclusive")
    comparison = summary["comparisons"][0]
    assert comparison["variant"] == "wide" and comparison["baseline"] == "baseline"
    assert comparison["p_value"] is not None and comparison["ci_low"] is not None
    with Journal(journal, read_only=True) as reader:
        entry = reader.get(1)
    assert entry.verdict == summary["verdict"]
    assert entry.stats["comparisons"][0]["variant"] == "wide"
    assert entry.evaluation.startswith("No hypothesis text was written. The claim")


def test_one_arm_with_a_claim_is_not_tested(fixture_dir, tmp_path) -> None:
    journal = tmp_path / "j.json"
    args = ["run", "--data-dir", str(fixture_dir), "--allow-subset", "--journal", str(journal)]
    args += ["--layers", "16", "--epochs", "1", "--device", "cpu", "--direction", "higher"]
    assert main(args) == 0
    with Journal(journal, read_only=True) as reader:
        entry = reader.get(1)
    assert entry.verdict == "not tested"
    assert entry.evaluation.startswith("The hypothesis was not tested against a baseline")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--direction", "up"], "--direction: expected one of higher, lower, same"),
        (["--alpha", "0"], "--alpha: expected a finite number in (0, 0.5]"),
        (["--baseline", "nope"], "--baseline: no arm named 'nope'"),
        (["--variant", "b: batch=3"], "--variant: line 1: unknown field 'batch'"),
    ],
)
def test_bad_claim_flags(fixture_dir, capsys, args, needle) -> None:
    code = main(["run", "--data-dir", str(fixture_dir), "--allow-subset", "--no-journal", *args])
    assert code == 2
    assert needle in capsys.readouterr().err
