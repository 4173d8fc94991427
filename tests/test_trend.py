"""Claims about shape: a rank trend across ordered arms, and the best region."""

from __future__ import annotations

import json

import pytest
from scipy import stats as st

from fmtui.cli import main
from fmtui.core.journal import Claim, Journal
from fmtui.core.plateau import plateau
from fmtui.core.runs import as_results
from fmtui.core.trend import arm_order, format_trend, trend
from tests.run_fixtures import stored_run


def _runs(arm: str, accs: list[float], layers: list[int], val: list[float] | None = None) -> list:
    val = val or accs
    return [
        stored_run(arm, a, seed=i, repeat=i, val_accs=[v], layers=layers, lr=0.001, patience=3)
        for i, (a, v) in enumerate(zip(accs, val, strict=True))
    ]


WIDTHS = {"w16": [16], "w64": [64], "w256": [256], "w32x32": [32, 32]}


def _width_runs() -> list[dict]:
    accs = {
        "w16": [0.850, 0.852, 0.848],
        "w64": [0.870, 0.868, 0.873],
        "w256": [0.886, 0.884, 0.889],
        "w32x32": [0.865, 0.869, 0.866],
    }
    return [r for arm, a in accs.items() for r in _runs(arm, a, WIDTHS[arm])]


def test_order_is_total_width_for_width_arms() -> None:
    runs = _width_runs()
    order, by = arm_order(as_results(runs), list(WIDTHS))
    assert by == "total hidden width"
    assert dict(order) == {"w16": 16.0, "w64": 64.0, "w256": 256.0, "w32x32": 64.0}
    mixed = runs + [{**runs[0], "arm": "lr", "spec": {**runs[0]["spec"], "lr": 0.1}}]
    order, by = arm_order(as_results(mixed), [*WIDTHS, "lr"])
    assert by == "the order the arms were designed in" and order[-1] == ("lr", 4.0)


def test_trend_matches_scipy_and_decides() -> None:
    runs = _width_runs()
    found = trend(runs, list(WIDTHS), Claim(direction="increasing"))
    xs = [WIDTHS[r["arm"]] for r in runs]
    expected = st.spearmanr([sum(x) for x in xs], [r["test_acc"] for r in runs])
    assert found.rho == pytest.approx(expected.statistic)
    assert found.p_value == pytest.approx(expected.pvalue)
    assert found.verdict == "supported" and found.n == 12
    assert trend(runs, list(WIDTHS), Claim(direction="decreasing")).verdict == "contradicted"
    assert "Spearman ρ = +" in format_trend(found)
    flat = [r for arm in ("a", "b", "c") for r in _runs(arm, [0.8, 0.81, 0.79], [8])]
    for i, r in enumerate(flat):
        r["spec"] = {**r["spec"], "layers": [8 * (1 + i // 3)]}
    assert trend(flat, ["a", "b", "c"], Claim(direction="increasing")).verdict == "inconclusive"
    two = trend(runs, ["w16", "w64"], Claim(direction="increasing"))
    assert two.verdict == "not tested" and "3 or more arms" in two.reason


def test_best_region_chooses_on_validation_and_adjusts() -> None:
    # "lucky" has the best test mean but a poor validation score: not chosen as best.
    runs = (
        _runs("a", [0.8900, 0.8910, 0.8905], [64], val=[0.900, 0.901, 0.900])
        + _runs("lucky", [0.8915, 0.8920, 0.8912], [64], val=[0.880, 0.881, 0.880])
        + _runs("b", [0.8880, 0.8890, 0.8885], [64], val=[0.895, 0.896, 0.895])
        + _runs("c", [0.8700, 0.8690, 0.8710], [64], val=[0.870, 0.871, 0.870])
    )
    arms = ["a", "lucky", "b", "c"]
    region = plateau(runs, arms)
    assert region.best == "a"
    assert "c" not in region.plateau and "lucky" in region.plateau
    assert "Holm-adjusted" in region.reason
    raw = plateau(runs, arms, adjustment="none")
    assert set(raw.plateau) <= set(region.plateau)


def test_cli_trend_claim(fixture_dir, tmp_path, capsys) -> None:
    journal = tmp_path / "j.json"
    args = ["run", "--data-dir", str(fixture_dir), "--allow-subset", "--journal", str(journal)]
    args += ["--layers", "8", "--layers", "16", "--layers", "32", "--epochs", "1"]
    args += ["--seeds", "2", "--device", "cpu", "--direction", "increasing", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["comparisons"] == []
    assert summary["trend"]["order_by"] == "total hidden width" and summary["trend"]["n"] == 6
    with Journal(journal, read_only=True) as reader:
        entry = reader.get(1)
    assert entry.verdict == summary["verdict"] == summary["trend"]["verdict"]
    assert entry.stats["trend"]["test"] == "Spearman rank correlation"
    assert "plateau" in entry.stats
    assert "along total hidden width" in entry.evaluation
