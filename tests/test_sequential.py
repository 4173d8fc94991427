"""Seeds until decided: group-sequential boundaries, their error rates by simulation, wiring."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import t as t_dist

from fmtui.cli import main
from fmtui.core.journal import Claim, Journal
from fmtui.core.sequential import (
    decide_look,
    design,
    obrien_fleming_spending,
    planned_looks,
    power,
)
from fmtui.core.until_decided import judge_look
from tests.run_fixtures import stored_run


def test_planned_looks() -> None:
    assert planned_looks(12) == (3, 5, 8, 12)
    assert planned_looks(10) == (3, 5, 8, 10)
    assert planned_looks(3) == (3,)
    assert planned_looks(20) == (3, 5, 8, 12, 18, 20)


def test_boundaries_match_published_values() -> None:
    # Lan–DeMets O'Brien–Fleming, 4 equally spaced looks, two-sided α = 0.05
    # (Jennison & Turnbull; R ldbounds/gsDesign): 4.3326, 2.9631, 2.3590, 2.0141.
    d = design((1, 2, 3, 4), 0.05)
    assert d.boundaries == pytest.approx((4.3326, 2.9631, 2.3590, 2.0141), abs=2e-3)
    assert d.spent[-1] == pytest.approx(0.05, abs=1e-6)
    assert obrien_fleming_spending(1.0, 0.05) == pytest.approx(0.05)
    assert design((12,), 0.05).boundaries[0] == pytest.approx(1.959964, abs=1e-5)


def _simulate(looks: tuple[int, ...], effect: float, naive: bool = False, smallest: float = 0):
    """2,000 experiments of two arms (sd 1) run look by look with Welch t-tests."""
    d = design(looks, 0.05)
    rng = np.random.default_rng(20261128)
    sims, n_max = 2000, looks[-1]
    base = rng.normal(0.0, 1.0, (sims, n_max))
    variant = rng.normal(effect, 1.0, (sims, n_max))
    decided = np.zeros(sims, bool)
    significant, higher, futile = decided.copy(), decided.copy(), decided.copy()
    for k, n in enumerate(looks):
        b, v = base[:, :n], variant[:, :n]
        diff = v.mean(1) - b.mean(1)
        vb, vv = b.var(1, ddof=1) / n, v.var(1, ddof=1) / n
        se = np.sqrt(vb + vv)
        df = (vb + vv) ** 2 / ((vb**2 + vv**2) / (n - 1))
        p = 2 * t_dist.sf(np.abs(diff) / se, df)
        hit = (p < (0.05 if naive else d.nominal[k])) & ~decided
        significant |= hit
        higher |= hit & (diff > 0)
        decided |= hit
        if smallest and k < len(looks) - 1:
            upper = diff + t_dist.isf(0.025, df) * se
            stop = (upper < smallest) & ~decided
            futile |= stop
            decided |= stop
    return d, significant.mean(), higher.mean(), futile.mean()


def test_null_experiments_keep_alpha_where_peeking_does_not() -> None:
    _, false_positive, _, _ = _simulate((3, 5, 8, 12), 0.0)
    _, naive, _, _ = _simulate((3, 5, 8, 12), 0.0, naive=True)
    assert false_positive <= 0.05 + 0.01
    assert naive > 0.09  # about 0.12: four uncorrected looks


def test_power_under_a_planted_effect_matches_the_plan() -> None:
    d, _, simulated, _ = _simulate((3, 5, 8, 12), 1.2)
    planned = power(d, 1.2)
    assert 0.7 < planned < 0.9
    assert abs(simulated - planned) <= 0.05
    assert power(d, 1.2, t_tests=False) > planned  # z-scale power promises too much


def test_futility_stops_early_without_spending_alpha() -> None:
    _, false_positive, _, futile = _simulate((3, 5, 8, 12), 0.0, smallest=0.5)
    assert futile > 0.1 and false_positive <= 0.05 + 0.01


def test_decide_look() -> None:
    d = design((3, 5, 8, 12), 0.05)
    assert decide_look(d, 1, 0.01, 0.1, 0.2, 0.0).why == "continue"  # 0.01 > 0.0001
    assert decide_look(d, 1, 1e-5, 0.1, 0.2, 0.0).why == "boundary"
    assert decide_look(d, 2, 0.5, -0.01, -0.001, 0.002).why == "futility"
    assert decide_look(d, 4, 0.5, 0.0, 0.01, 0.0).why == "last look"


def _runs(arm: str, accs: list[float]) -> list[dict]:
    return [stored_run(arm, a, seed=i, repeat=i) for i, a in enumerate(accs)]


def test_judge_look_stops_on_a_clear_difference() -> None:
    claim = Claim(baseline="a", max_seeds=12)
    base = [0.8900, 0.8850, 0.8950]
    clear = _runs("a", base) + _runs("b", [v + 0.0100 for v in base])
    comps, state = judge_look(clear, ["a", "b"], claim)
    assert state["look"] == 1 and state["stop"] and state["stopped_by"] == "boundary"
    assert comps[0].verdict == "supported" and "O'Brien–Fleming boundary" in comps[0].reason
    assert comps[0].paired
    noisy = _runs("a", base) + _runs("b", [0.8920, 0.8840, 0.8950])
    comps, state = judge_look(noisy, ["a", "b"], claim)
    assert not state["stop"] and comps[0].verdict == "inconclusive"
    assert state["alpha_spent"] == pytest.approx(design((3, 5, 8, 12), 0.05).spent[0])


def test_cli_until_decided(fixture_dir, tmp_path, capsys) -> None:
    journal = tmp_path / "j.json"
    args = ["run", "--data-dir", str(fixture_dir), "--allow-subset", "--journal", str(journal)]
    args += ["--layers", "16", "--variant", "w: layers=32", "--epochs", "1", "--device", "cpu"]
    args += ["--until-decided", "--max-seeds", "4", "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.splitlines()[-1])
    assert "look 1 of 2: 3 seeds per arm" in captured.err
    state = summary["sequential"]
    assert state["looks"] == [3, 4] and state["stop"]
    ran = 3 if state["look"] == 1 else 4
    assert len(summary["runs"]) == 2 * ran
    with Journal(journal, read_only=True) as reader:
        entry = reader.get(1)
    assert entry.experiment["seeds"] == ran and entry.claim.max_seeds == 4
    assert entry.stats["sequential"]["look"] == state["look"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--max-seeds", "5"], "--max-seeds: --max-seeds and --smallest-effect need"),
        (["--until-decided", "--direction", "same"], "--direction: --until-decided needs"),
        (["--until-decided", "--max-seeds", "2"], "--max-seeds: expected a whole number from 3"),
        (["--adjust", "sidak"], "--adjust: expected one of auto, holm, bh, dunnett, none"),
    ],
)
def test_bad_sequential_flags(fixture_dir, capsys, args, needle) -> None:
    base = ["run", "--data-dir", str(fixture_dir), "--allow-subset", "--no-journal"]
    base += ["--layers", "16", "--variant", "w: layers=32"]
    assert main([*base, *args]) == 2
    assert needle in capsys.readouterr().err


def test_looks_are_exported(fixture_dir, tmp_path, capsys) -> None:
    import csv
    import io
    import shlex

    from fmtui.cli import build_parser
    from fmtui.cli_run import build_claim, build_experiment
    from fmtui.core.export import to_csv, to_markdown
    from fmtui.core.run_command import run_command

    journal = tmp_path / "j.json"
    args = ["run", "--data-dir", str(fixture_dir), "--allow-subset", "--journal", str(journal)]
    args += ["--layers", "16", "--variant", "w: layers=32", "--epochs", "1", "--device", "cpu"]
    args += ["--until-decided", "--max-seeds", "3", "--smallest-effect", "0.01"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "run 1/6 at most:" in out
    with Journal(journal, read_only=True) as reader:
        entry = reader.get(1)
    assert entry.claim.smallest_effect == 0.01
    text = "Seeds until decided: planned looks at 3 seeds per arm"
    assert text in entry.evaluation and text in to_markdown([entry])
    assert "α spent 0.0500 of 0.05" in entry.evaluation
    rows = list(csv.DictReader(io.StringIO(to_csv([entry]))))
    assert {row["looks"] for row in rows} == {"look 1 of 3"}
    command = run_command(entry)
    assert "--until-decided --max-seeds 3 --smallest-effect 0.01" in command
    parsed = build_parser().parse_args(shlex.split(command)[1:])
    rebuilt = build_claim(parsed, build_experiment(parsed))
    assert rebuilt == entry.claim
