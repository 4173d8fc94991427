"""A batched group stacked in blocks: each run padded only within its block, trained as
it would be alone, blocks leaving as their runs finish, and the plan that picks them."""

from __future__ import annotations

import threading

import pytest
import torch

from fmtui.core import batch_plan, data, executor, train
from fmtui.core.batched import GroupTrainer, train_group
from fmtui.core.blocked_model import BlockedMLP, build_stack
from fmtui.core.runner.reuse import ReuseBasis, key_of_result, predicted_keys
from fmtui.core.spec import ExperimentSpec, PlannedRun, RunSpec, grid_arms, parse_grid

SMALL = dict(layers=(32, 16), epochs=3, patience=0, batch_size=32, device="cpu")


def _spec(**kw) -> RunSpec:
    return RunSpec(**{**SMALL, **kw})


def _planned(*specs: RunSpec) -> list[PlannedRun]:
    return [PlannedRun(f"arm{i}", 0, s) for i, s in enumerate(specs)]


def _losses(result: train.RunResult) -> list[float]:
    return [e.train_loss for e in result.epochs]


def _alone(spec: RunSpec, ds) -> train.RunResult:
    return train.train_run(spec, ds, require_full=False, progress_every=5)


@pytest.fixture
def ds(fixture_source) -> data.Dataset:
    return data.load(fixture_source, require_full=False)


def test_each_run_is_padded_only_to_its_blocks_widths_and_trains_as_alone(ds) -> None:
    # Launch order wide, narrow, mid; blocks: {wide, mid} at 32x16 and {narrow} at 8x8.
    wide, narrow, mid = _spec(seed=1), _spec(seed=2, layers=(8, 8)), _spec(seed=3, layers=(32, 8))
    events: list[train.Event] = []
    engine = {"engine": "batched", "group_size": 3, "padded_to": [32, 16]}
    trainer = GroupTrainer(
        _planned(wide, narrow, mid),
        ds,
        (32, 16),
        block_widths=[(32, 16), (8, 8), (32, 16)],
        on_event=events.append,
        engine=engine,
        require_full=False,
        progress_every=5,
    )
    results = trainer.run()
    assert isinstance(trainer.model, BlockedMLP)
    assert [b.widths for b in trainer.model.blocks] == [(32, 16), (8, 8)]
    assert [r.status for r in results] == ["completed"] * 3
    for spec, result in zip((wide, narrow, mid), results, strict=True):
        alone = _alone(spec, ds)
        assert _losses(result) == pytest.approx(_losses(alone), rel=1e-4)
        assert result.test_acc == pytest.approx(alone.test_acc, abs=0.01)
    # The mid run's padded units (its second layer beyond 8) stay exactly zero.
    block = trainer.model.blocks[0]
    assert not block.weights[1].detach()[1, :, 8:].any()
    assert not block.weights[2].detach()[1, 8:, :].any()
    # Events still come run by run in launch order, whatever the stack order.
    finished = [e.result.arm for e in events if isinstance(e, train.RunFinished)]
    assert finished == ["arm0", "arm1", "arm2"]
    # Each run records the widths of its own block; the narrow block pads nothing.
    assert [r.environment["padded_to"] for r in results] == [[32, 16], None, [32, 16]]


@pytest.mark.parametrize(
    "extra",
    [{}, {"optimizer": "sgd", "momentum": 0.9, "lr": 0.05}, {"lr": "per run"}],
    ids=["fused-adam", "torch-sgd", "per-run-adam"],
)
def test_a_block_whose_runs_all_leave_is_dropped_and_the_others_go_on(ds, extra) -> None:
    per_run = extra.get("lr") == "per run"
    shared = {k: v for k, v in extra.items() if k != "lr" or not per_run}
    specs = [
        _spec(seed=1, **shared, **({"lr": 2e-3} if per_run else {})),
        _spec(seed=2, layers=(8, 8), **shared),
        _spec(seed=3, layers=(16, 16), **shared),
    ]
    leave = threading.Event()

    def on_event(event: train.Event) -> None:
        if isinstance(event, train.EpochEnd) and event.arm == "arm0" and event.metrics.epoch == 1:
            leave.set()  # the middle block's only run is cancelled after its first epoch

    results = train_group(
        _planned(*specs),
        ds,
        block_widths=[(32, 16), (8, 8), (32, 16)],
        on_event=on_event,
        run_cancels=[None, leave, None],
        require_full=False,
    )
    assert [r.status for r in results] == ["completed", "cancelled", "completed"]
    assert len(results[1].epochs) == 1
    for index in (0, 2):  # the optimizer kept their state when the block left
        expected = _losses(_alone(specs[index], ds))
        assert _losses(results[index]) == pytest.approx(expected, rel=1e-4)


def test_runs_of_one_block_must_be_adjacent_in_the_stack() -> None:
    with pytest.raises(ValueError, match="adjacent"):
        build_stack(
            [_spec(), _spec(layers=(8, 8)), _spec(seed=2)],
            [(32, 16), (8, 8), (32, 16)],
            torch.device("cpu"),
            [torch.Generator() for _ in range(3)],
        )


def test_auto_stacks_a_small_grid_in_blocks_padded_within_each() -> None:
    runs = ExperimentSpec(grid_arms(parse_grid("16..128x16..128"), RunSpec())).runs()
    (group,) = batch_plan.plan(runs, "auto")
    stacked = group.stacked_widths()
    assert group.engine == "batched" and len(set(stacked)) > 1
    # No first layer is padded more than twofold (all to 128 would be eightfold).
    for run, widths in zip(group.runs, stacked, strict=True):
        assert widths[0] <= 2 * run.spec.layers[0]
    single = batch_plan.Group(group.runs, "batched", group.widths)
    assert batch_plan.group_gain(group, "cpu") > batch_plan.group_gain(single, "cpu")
    # Runs of a block that pads nothing are recorded as unpadded.
    for run, widths in zip(group.runs, stacked, strict=True):
        block = [r for r, w in zip(group.runs, stacked, strict=True) if w == widths]
        expected = widths if any(r.spec.layers != widths for r in block) else None
        assert group.padded_to(run) == expected


def test_the_recorded_mode_of_a_blocked_run_matches_the_reuse_key(fixture_source) -> None:
    base = RunSpec(epochs=1, patience=0, batch_size=32, device="cpu")
    experiment = ExperimentSpec(
        grid_arms(parse_grid("16..128x16..128"), base), seeds=1, batch_models="auto"
    )
    groups = batch_plan.plan(experiment.runs(), "auto")
    assert any(len(set(g.stacked_widths())) > 1 for g in groups)  # the plan has blocks
    results = executor.run_planned(experiment, fixture_source, require_full=False)
    assert all(r.status == "completed" for r in results)
    basis = ReuseBasis(
        data="sha256:" + "0" * 64,
        device_type="cpu",
        fmtui=results[0].environment["fmtui"],
        torch=results[0].environment["torch"],
        memory_bytes=executor.memory_budget(torch.device("cpu")),
    )
    expected = predicted_keys(experiment.runs(), "auto", basis)
    assert [key_of_result(r, basis.data) for r in results] == expected


def test_blocks_that_pay_only_without_the_groups_fixed_cost_train_alone() -> None:
    # As a block, 16 padded to 300 pays; as a group of its own (the whole fixed cost)
    # it would be slower than the two runs alone, so auto falls back to training alone.
    runs = [PlannedRun("a", 0, RunSpec(layers=(16,))), PlannedRun("b", 0, RunSpec(layers=(300,)))]
    ordered = sorted(runs, key=lambda r: r.spec.layers)
    chunks = batch_plan._cheapest_chunks(ordered, 512, 2**31, 2048, "cpu", blocks=True)
    assert [stacked for _chunk, stacked in chunks] == [True]
    groups = batch_plan.plan(runs, "auto")
    assert [g.engine for g in groups] == ["sequential", "sequential"]
    assert batch_plan.predicted_speedup(groups, "cpu") == 1.0
