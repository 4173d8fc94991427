"""The batching planner and the --batch-models option: grouping, sizing, auto, validation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fmtui.core import batch_plan
from fmtui.core.batch_plan import parse_batch_models, plan
from fmtui.core.spec import ExperimentSpec, PlannedRun, RunSpec, SpecError, grid_arms, parse_grid


def _runs(*specs: RunSpec) -> list[PlannedRun]:
    return [PlannedRun(f"a{i}", 0, s) for i, s in enumerate(specs)]


@pytest.mark.parametrize("value", ["auto", "off", "1", "16", " 512 ", "AUTO", 7])
def test_batch_models_accepts(value) -> None:
    assert parse_batch_models(value) in ("auto", "off", "1", "16", "512", "7")


@pytest.mark.parametrize("value", ["", "0", "513", "-2", "yes", "2.5", True, None])
def test_batch_models_rejects_with_the_range(value) -> None:
    with pytest.raises(SpecError) as err:
        parse_batch_models(value)
    assert err.value.field == "batch_models"
    assert "auto, off or a group size from 1 to 512" in str(err.value)


def test_groups_only_runs_that_can_share_a_loop() -> None:
    base = RunSpec(layers=(64, 64), epochs=2)
    runs = _runs(
        base,
        base.with_changes(seed=1, lr=0.01, dropout=0.2, patience=0),  # may differ inside
        base.with_changes(batch_size=32),
        base.with_changes(epochs=3),
        base.with_changes(activation="tanh"),
        base.with_changes(layers=(64,)),
        base.with_changes(optimizer="sgd"),
    )
    groups = plan(runs, "8")
    assert [len(g.runs) for g in groups] == [2, 1, 1, 1, 1, 1]
    assert groups[0].engine == "batched" and {r.arm for r in groups[0].runs} == {"a0", "a1"}
    assert all(g.engine == "sequential" for g in groups[1:])
    assert sorted(r.arm for g in groups for r in g.runs) == sorted(r.arm for r in runs)


def test_a_number_caps_the_group_and_off_trains_alone() -> None:
    runs = _runs(*(RunSpec(seed=i) for i in range(5)))
    assert [len(g.runs) for g in plan(runs, "2")] == [2, 2, 1]
    assert [g.engine for g in plan(runs, "off")] == ["sequential"] * 5
    assert [g.engine for g in plan(runs, "1")] == ["sequential"] * 5


def test_memory_splits_groups() -> None:
    runs = _runs(*(RunSpec(layers=(1024, 1024), seed=i) for i in range(6)))
    one = batch_plan.run_bytes(runs[0].spec, (1024, 1024), 2048)
    groups = plan(runs, "8", memory_bytes=int(one * 2.5))
    assert [len(g.runs) for g in groups] == [2, 2, 2]


def test_padded_groups_carry_the_widest_widths() -> None:
    experiment = ExperimentSpec(grid_arms(parse_grid("16,32x16,32"), RunSpec()))
    (group,) = plan(experiment.runs(), "4")
    assert group.widths == (32, 32) and group.padded


def test_auto_on_cpu_batches_seeds_and_small_grids_but_not_mixed_large_widths() -> None:
    seeds = ExperimentSpec(seeds=3).runs()
    assert [g.engine for g in plan(seeds, "auto")] == ["batched"]
    small = ExperimentSpec(grid_arms(parse_grid("16..128x16..128"), RunSpec())).runs()
    groups = plan(small, "auto")
    assert {g.engine for g in groups} == {"batched"} and len(groups) < 4
    # small arms are kept with small ones rather than padded to the widest
    assert min(w for g in groups for w in g.stacked_widths()) < (128, 128)
    mixed = _runs(RunSpec(layers=(16, 16)), RunSpec(layers=(2048, 2048)))
    assert [g.engine for g in plan(mixed, "auto")] == ["sequential", "sequential"]
    on_gpu = plan(mixed + small, "auto", device_type="cuda", memory_bytes=2**34)
    assert [g.engine for g in on_gpu] == ["batched"]


def test_experiment_keeps_its_mode_and_old_entries_train_alone() -> None:
    experiment = ExperimentSpec(seeds=2, batch_models="auto")
    assert ExperimentSpec.from_dict(experiment.to_dict()) == experiment
    old = {"arms": [{"name": "b", "spec": RunSpec().to_dict()}], "seeds": 2}
    assert ExperimentSpec.from_dict(old).batch_models == "off"
    assert "batch_models" not in ExperimentSpec(seeds=2).to_dict()


def test_planner_does_not_load_torch() -> None:
    code = (
        "import sys; from fmtui.core import batch_plan; from fmtui.core.spec import *; "
        "ExperimentSpec(seeds=3, batch_models='auto'); "
        "batch_plan.plan(ExperimentSpec(seeds=3).runs(), 'auto'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "runs",
    [
        _runs(RunSpec(layers=(16, 16)), RunSpec(layers=(2048, 2048))),
        _runs(RunSpec(layers=(16,)), RunSpec(layers=(1024,)), RunSpec(layers=(4096,))),
        _runs(RunSpec(layers=(512, 512), batch_size=64), RunSpec(layers=(512, 512), batch_size=32)),
        _runs(RunSpec(layers=(384, 512))),
    ],
    ids=["tiny-with-huge", "widths-apart", "batch-sizes-differ", "one-run"],
)
def test_auto_on_cpu_trains_alone_where_stacking_would_not_be_faster(runs) -> None:
    groups = plan(runs, "auto")
    assert [g.engine for g in groups] == ["sequential"] * len(runs)
    assert batch_plan.predicted_speedup(groups, "cpu") == 1.0


@pytest.mark.parametrize(
    "grid",
    ["16..128x16..128", "16..1024x16..1024", "64,2048x64,2048", "16,4096"],
)
def test_auto_never_plans_a_group_slower_than_its_runs_alone(grid) -> None:
    arms = grid_arms(parse_grid(grid), RunSpec())
    for seeds in (1, 3):
        groups = plan(ExperimentSpec(arms, seeds=seeds).runs(), "auto")
        for group in groups:
            if group.engine == "batched":
                gain = batch_plan.group_gain(group, "cpu")
                assert gain >= batch_plan._min_gain([r.spec for r in group.runs])
        assert batch_plan.predicted_speedup(groups, "cpu") >= 1.0
