"""The designer's logic without a screen: first values, summary, layers, claim settings, plan."""

from __future__ import annotations

from fmtui.core import design_form
from fmtui.core.design import build_design
from fmtui.core.journal import Claim
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec


def _experiment(arms: int = 2, seeds: int = 3, batch_models: str = "off") -> ExperimentSpec:
    base = RunSpec(layers=(64, 32), lr=3e-4, epochs=4)
    variants = [
        Arm(f"b{16 * (i + 1)}", base.with_changes(batch_size=16 * (i + 1))) for i in range(arms - 1)
    ]
    return ExperimentSpec(
        arms=(Arm("base", base), *variants), seeds=seeds, batch_models=batch_models
    )


def test_a_new_design_starts_from_the_claims_arm_with_three_seeds_and_auto_batching() -> None:
    values = design_form.initial_values(None, Claim(baseline="b64"))
    assert values["baseline_name"] == "b64" and values["seeds"] == "3"
    assert values["epochs"] == "20" and values["layers"] == "384x512" and values["lr"] == "0.001"
    assert values["batch_models"] == "auto" and values["until_decided"] is False
    assert values["max_seeds"] == "12" and values["grid_baseline"] == ""


def test_a_stored_design_comes_back_as_it_was_saved() -> None:
    experiment = _experiment(batch_models="4")
    claim = Claim(baseline="base", max_seeds=8, smallest_effect=0.01)
    values = design_form.initial_values(experiment.to_dict(), claim)
    assert values["layers"] == "64x32" and values["lr"] == "0.0003"
    assert values["variants"] == "b16: batch_size=16"
    assert values["batch_models"] == "4" and values["until_decided"] is True
    assert values["max_seeds"] == "8" and values["smallest_effect"] == "0.01"
    rebuilt = build_design(values | {"mode": "variants"}).experiment
    assert rebuilt == experiment


def test_a_damaged_stored_design_opens_as_a_new_one() -> None:
    values = design_form.initial_values({"arms": [{"name": "x", "spec": {"lr": -1}}]}, None)
    assert values["baseline_name"] == "baseline" and values["epochs"] == "20"


def test_a_claim_against_a_width_arm_names_the_grid_baseline() -> None:
    assert design_form.initial_values(None, Claim(baseline="64x64"))["grid_baseline"] == "64x64"


def test_layer_editor_adds_the_last_width_and_keeps_one_layer() -> None:
    assert design_form.add_layer("384, 512") == "384x512x512"
    assert design_form.add_layer("") == "128"
    assert design_form.add_layer("x".join(["8"] * 8)) is None
    assert design_form.remove_layer("384x512") == "384"
    assert design_form.remove_layer("384") == "384"


def test_the_summary_names_each_arm_and_warns_about_one_seed() -> None:
    lines = design_form.summary_lines(_experiment(seeds=1), {})
    text = ["".join(piece for piece, _style in line) for line in lines]
    assert text[0].startswith("2 arms × 1 seed = 2 runs")
    assert "seed noise" in text[0]
    assert text[1].startswith("base: baseline, 64 x 32, ")
    assert text[2].startswith("b16: batch_size=16, ")


def test_the_summary_with_errors_counts_them() -> None:
    lines = design_form.summary_lines(None, {"lr": "x", "epochs": "y"})
    assert lines == [[("Fix 2 fields in red to launch.", "bold red")]]


def test_until_decided_is_checked_against_the_claim_and_arms() -> None:
    on = {"until_decided": True, "max_seeds": "2", "smallest_effect": "-1"}
    settings = design_form.claim_settings(on, Claim(direction="same"), _experiment())
    assert settings.errors["max_seeds"].startswith(
        "max_seeds: expected a whole number from 3 to 100"
    )
    assert settings.errors["smallest_effect"].startswith("smallest_effect: expected a finite")
    assert "needs a higher or lower claim" in settings.errors["until_decided"]
    one_arm = design_form.claim_settings(on | {"max_seeds": "8"}, Claim(), _experiment(arms=1))
    assert "at least one variant" in one_arm.errors["until_decided"]
    good = {"until_decided": True, "max_seeds": "8", "smallest_effect": "0.01"}
    assert design_form.claim_settings(good, Claim(), _experiment()) == design_form.ClaimSettings(
        8, 0.01, {}
    )
    assert design_form.claim_settings({"until_decided": False}, None, None).max_seeds == 0


def test_the_summary_with_looks_says_the_most_runs() -> None:
    text = "".join(p for p, _s in design_form.summary_lines(_experiment(), {}, max_seeds=8)[0])
    assert text == "2 arms × up to 8 seeds = at most 16 runs, in looks of 3, 5, 8 seeds per arm"


def test_the_plan_says_how_runs_train_together() -> None:
    assert design_form.plan_text(_experiment(), "cpu") == "6 runs on cpu, each trained alone"
    stacked = design_form.plan_text(_experiment(batch_models="3"), "cpu")
    assert stacked == "6 runs → 2 groups on cpu (all stacked)"
    looks = design_form.plan_text(_experiment(batch_models="3"), "cpu", max_seeds=8)
    assert looks == "6 runs → 2 groups on cpu at the first look (all stacked)"


def test_auto_device_plans_for_the_first_accelerator() -> None:
    devices = [("cpu", "CPU"), ("cuda", "CUDA: H200")]
    assert design_form.device_type("auto", devices) == "cuda"
    assert design_form.device_type("auto", devices[:1]) == "cpu"
    assert design_form.device_type("cuda:1", devices) == "cuda"
