"""Verdicts over many variants and paired seeds: adjustment, paired t, Hedges' g, the metric."""

from __future__ import annotations

import math

import pytest
from scipy import stats as st

from fmtui.core.journal import Claim, Entry
from fmtui.core.multiplicity import adjust, benjamini_hochberg, holm
from fmtui.core.runs import as_results
from fmtui.core.stats import compare, draft_evaluation, format_comparison
from fmtui.core.ttest import hedges_correction, hedges_g, paired_seeds
from fmtui.core.verdicts import judge, metric_label
from tests.run_fixtures import stored_run

BASE = [0.8945, 0.8921, 0.8950]
BETTER = [0.9010, 0.9032, 0.9025]


def _runs(arm: str, accs: list[float], seeds: list[int] | None = None, **spec: object) -> list:
    seeds = seeds if seeds is not None else list(range(len(accs)))
    return [
        stored_run(
            arm, a, seed=s, val_accs=[a - 0.01], **{"patience": 3, "monitor": "val_acc", **spec}
        )
        for a, s in zip(accs, seeds, strict=True)
    ]


# ---------------------------------------------------------------- multiplicity


def test_holm_by_hand() -> None:
    raw = [0.01, 0.04, 0.03, 0.005]
    # Sorted: 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 → max(0.06, 0.04).
    assert holm(raw) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_bh_matches_scipy() -> None:
    raw = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]
    expected = st.false_discovery_control(raw, method="bh")
    assert benjamini_hochberg(raw) == pytest.approx(list(expected))
    assert adjust(raw, "none") == raw


def _grid_runs(n_arms: int, rng_seed: int) -> tuple[list[dict], list[str]]:
    import random

    rng = random.Random(rng_seed)
    arms = [f"a{i}" for i in range(n_arms)]
    runs = [r for arm in arms for r in _runs(arm, [rng.gauss(0.89, 0.002) for _ in range(3)])]
    return runs, arms


def test_many_noise_variants_stay_honest() -> None:
    # 48 variants of pure noise, 20 times: unadjusted calls about 2.4 per grid "significant".
    raw_calls = holm_calls = 0
    for k in range(20):
        runs, arms = _grid_runs(49, k)
        raw = judge(runs, arms, Claim(baseline="a0", adjust="none"))
        adjusted = judge(runs, arms, Claim(baseline="a0"))
        raw_calls += sum(c.verdict != "inconclusive" for c in raw)
        holm_calls += sum(c.verdict != "inconclusive" for c in adjusted)
        assert all(c.adjustment == "holm" and c.p_adjusted >= c.p_value for c in adjusted)
    assert raw_calls >= 20  # the problem is real
    assert holm_calls <= 2  # family-wise error ≤ α: at most one grid in 20 by chance


def test_adjusted_p_decides_and_both_are_shown() -> None:
    runs = (
        _runs("base", BASE, seeds=[0, 1, 2])
        + _runs("v1", [0.8960, 0.8931, 0.8968], seeds=[3, 4, 5])
        + _runs("v2", [0.8950, 0.8930, 0.8958], seeds=[3, 4, 5])
        + _runs("v3", BETTER, seeds=[3, 4, 5])
    )
    arms = ["base", "v1", "v2", "v3"]
    raw = judge(runs, arms, Claim(baseline="base", adjust="none"))
    holm_ = judge(runs, arms, Claim(baseline="base"))
    bh = judge(runs, arms, Claim(baseline="base", exploratory=True))
    assert [c.p_adjusted for c in holm_] == pytest.approx(holm([c.p_value for c in raw]))
    assert [c.p_adjusted for c in bh] == pytest.approx(
        list(st.false_discovery_control([c.p_value for c in raw]))
    )
    assert bh[0].adjustment == "bh" and holm_[0].adjustment == "holm"
    line = format_comparison(holm_[2])
    assert "Welch t p = " in line and "Holm-adjusted p = " in line and "g = " in line
    text = draft_evaluation(holm_)
    assert "Holm-adjusted for 3 comparisons" in text
    assert "test accuracy at the best-validation-accuracy epoch" in text


def test_adjustment_changes_a_verdict() -> None:
    # One variant just significant alone (p ≈ 0.03); among three, Holm lifts it over α.
    base = [0.890, 0.892, 0.891]
    runs = (
        _runs("base", base)
        + _runs("v1", [0.8925, 0.8935, 0.8930])
        + _runs("v2", [0.891, 0.889, 0.892])
        + _runs("v3", [0.890, 0.893, 0.891])
    )
    arms = ["base", "v1", "v2", "v3"]
    raw = judge(runs, arms, Claim(baseline="base", adjust="none"))[0]
    adjusted = judge(runs, arms, Claim(baseline="base"))[0]
    assert raw.p_value < 0.05 and raw.verdict == "supported"
    assert adjusted.p_adjusted >= 0.05 and adjusted.verdict == "inconclusive"
    assert "after Holm adjustment" in adjusted.reason


def test_dunnett_option_matches_scipy() -> None:
    groups = {"base": BASE, "v1": [0.8960, 0.8931, 0.8968], "v2": BETTER}
    runs = [r for arm, accs in groups.items() for r in _runs(arm, accs, seeds=[9, 8, 7])]
    comps = judge(runs, list(groups), Claim(baseline="base", adjust="dunnett"))
    expected = st.dunnett(groups["v1"], groups["v2"], control=BASE, random_state=0).pvalue
    assert [c.p_adjusted for c in comps] == pytest.approx(list(expected))
    assert comps[0].adjustment == "dunnett"


def test_old_claims_load_with_defaults() -> None:
    old = {"metric": "test_acc", "direction": "higher", "baseline": "b", "alpha": 0.05}
    claim = Claim.from_dict(old)
    assert claim is not None
    assert (claim.adjust, claim.exploratory, claim.adjustment) == ("auto", False, "holm")
    entry = Entry.from_dict({"title": "t", "claim": old})
    assert entry.claim is not None and entry.claim.max_seeds == 0
    with pytest.raises(Exception, match="adjust"):
        Claim(adjust="sidak")
    with pytest.raises(Exception, match="exploratory"):
        Claim(exploratory="yes")  # type: ignore[arg-type]


# ---------------------------------------------------------------- paired seeds


def test_paired_when_every_seed_pairs() -> None:
    base = [0.8900, 0.8850, 0.8950, 0.8870]
    var = [0.8912, 0.8861, 0.8963, 0.8880]  # each seed a little higher: seed noise shared
    runs = _runs("base", base) + _runs("v", var)
    (c,) = judge(runs, ["base", "v"], Claim(baseline="base", adjust="none"))
    expected = st.ttest_rel(var, base)
    assert c.paired and c.test == "paired t"
    assert c.p_value == pytest.approx(expected.pvalue)
    ci = expected.confidence_interval(0.95)
    assert (c.ci_low, c.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert c.verdict == "supported"
    welch = compare(base, var)  # unpaired, the shared noise hides it
    assert welch.test == "Welch t" and welch.verdict == "inconclusive"
    assert "paired t p = " in format_comparison(c)
    assert [row["run_id"] for row in c.per_seed][:2] == ["base:0", "base:1"]


def test_welch_when_seeds_do_not_pair() -> None:
    assert paired_seeds({0: [1.0], 1: [1.0]}, {0: [1.0], 2: [1.0]}) is None
    assert paired_seeds({0: [1.0, 1.0], 1: [1.0]}, {0: [1.0], 1: [1.0]}) is None
    assert paired_seeds({0: [1.0]}, {0: [1.0]}) is None
    assert paired_seeds({1: [1.0], 0: [2.0]}, {0: [1.0], 1: [1.0]}) == [0, 1]
    runs = _runs("base", BASE) + _runs("v", BETTER, seeds=[0, 1, 5])
    (c,) = judge(runs, ["base", "v"], Claim(baseline="base"))
    assert not c.paired and c.p_value == pytest.approx(
        st.ttest_ind(BETTER, BASE, equal_var=False).pvalue
    )


def test_hedges_g_known_values() -> None:
    # J(4) = Γ(2) / (√2 Γ(1.5)) = 2 / (√2 √π) ≈ 0.797885; approx. 1 − 3/(4·4 − 1) = 0.8.
    assert hedges_correction(4) == pytest.approx(2 / math.sqrt(2 * math.pi))
    assert hedges_correction(38) == pytest.approx(1 - 3 / (4 * 38 - 1), abs=1e-4)
    assert hedges_g(1.0, 3, 3) == pytest.approx(0.797885, abs=1e-6)
    c = compare(BASE, BETTER)
    assert c.hedges_g == pytest.approx(c.cohens_d * 0.797885, rel=1e-5)
    assert hedges_g(None, 3, 3) is None


# ---------------------------------------------------------------- the metric is named


def test_metric_label_names_the_epoch_choice() -> None:
    assert metric_label("test_acc", as_results(_runs("a", [0.9]))) == (
        "test accuracy at the best-validation-accuracy epoch"
    )
    assert metric_label("test_acc", as_results(_runs("a", [0.9], monitor="val_loss"))) == (
        "test accuracy at the lowest-validation-loss epoch"
    )
    assert metric_label("test_acc", as_results(_runs("a", [0.9], patience=0))) == (
        "test accuracy after the last epoch (no early stopping)"
    )
    assert metric_label("val_acc") == "best validation accuracy over the epochs"


# ---------------------------------------------------------------- exports


def _judged_entry() -> Entry:
    runs = (
        _runs("base", [0.8900, 0.8850, 0.8950])
        + _runs("v1", [0.8912, 0.8861, 0.8963])
        + _runs("v2", [0.8890, 0.8860, 0.8940], seeds=[0, 1, 7])
    )
    claim = Claim(baseline="base")
    comps = judge(runs, ["base", "v1", "v2"], claim)
    return Entry(
        id=4,
        title="t",
        runs=runs,
        claim=claim,
        stats={"claim": {}, "comparisons": [c.to_dict() for c in comps]},
    )


def test_exports_carry_the_test_and_every_seed() -> None:
    import csv
    import io
    import json

    from fmtui.core.export import to_csv, to_json, to_markdown

    entry = _judged_entry()
    md = to_markdown([entry])
    assert "Compared: test accuracy at the best-validation-accuracy epoch; α = 0.05" in md
    assert "adjustment: Holm over 2 comparisons" in md
    assert "| paired t " in md and "| Welch t " in md
    assert "| 4:v2:7 " in md and "| 4:base:0 " in md
    rows = list(csv.DictReader(io.StringIO(to_csv([entry]))))
    by_id = {row["run_id"]: row for row in rows}
    assert by_id["4:v1:1"]["test"] == "paired t" and by_id["4:v1:1"]["paired"] == "True"
    assert by_id["4:v2:7"]["test"] == "Welch t" and by_id["4:v2:7"]["compared_with"] == "base"
    assert float(by_id["4:v2:7"]["p_adjusted"]) >= float(by_id["4:v2:7"]["p_raw"])
    assert by_id["4:base:2"]["verdict"] == "baseline"
    assert float(by_id["4:v1:0"]["compared_value"]) == 0.8912
    assert {row["adjustment"] for row in rows} == {"holm"} and rows[0]["alpha"] == "0.05"
    doc = json.loads(to_json([entry]))["entries"][0]["stats"]["comparisons"]
    assert doc[0]["paired"] is True and doc[0]["adjustment"] == "holm"
    assert doc[0]["per_seed"][0] == {"arm": "base", "seed": 0, "run_id": "base:0", "value": 0.89}


# ---------------------------------------------------------------- the hypothesis form


async def test_form_keeps_claim_settings_it_does_not_show(tmp_path) -> None:
    from textual.widgets import Input

    from fmtui.core.journal import Journal
    from fmtui.screens.hypothesis import HypothesisScreen
    from tests.tui_helpers import build_app

    path = tmp_path / "journal.json"
    claim = Claim(
        direction="increasing", adjust="bh", exploratory=True, max_seeds=8, smallest_effect=0.002
    )
    with Journal(path) as writer:
        writer.add(Entry(title="trend", claim=claim))
    app = build_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, HypothesisScreen)
        app.screen.query_one("#alpha", Input).value = "0.01"
        await pilot.press("ctrl+s")
    with Journal(path, read_only=True) as reader:
        saved = reader.get(1).claim
    assert saved.alpha == 0.01 and saved.direction == "increasing"
    assert (saved.adjust, saved.exploratory, saved.max_seeds) == ("bh", True, 8)
    assert saved.smallest_effect == 0.002
