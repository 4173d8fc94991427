"""The batched engine on fixture data: agreement with the sequential engine, padding,
per-run hyperparameters, early stopping, divergence, cancel and the order of events."""

from __future__ import annotations

import statistics
import threading
import time

import pytest
import torch

from fmtui.core import data, train
from fmtui.core.batched import GroupTrainer, train_group
from fmtui.core.model import build_model
from fmtui.core.spec import Arm, ExperimentSpec, PlannedRun, RunSpec
from fmtui.core.stacked_model import StackedMLP
from fmtui.core.stacked_optim import FusedStacked, PerRunStacked, TorchStacked

SMALL = dict(layers=(32, 16), epochs=3, patience=0, batch_size=32, device="cpu")


def _spec(**kw) -> RunSpec:
    return RunSpec(**{**SMALL, **kw})


def _planned(*specs: RunSpec) -> list[PlannedRun]:
    return [PlannedRun(f"arm{i}", 0, s) for i, s in enumerate(specs)]


def _sequential(spec: RunSpec, ds) -> train.RunResult:
    return train.train_run(spec, ds, require_full=False, progress_every=5)


def _losses(result: train.RunResult) -> list[float]:
    return [e.train_loss for e in result.epochs]


@pytest.fixture
def ds(fixture_source) -> data.Dataset:
    return data.load(fixture_source, require_full=False)


def test_one_run_group_reproduces_the_sequential_run(ds) -> None:
    spec = _spec(seed=7)
    alone = _sequential(spec, ds)
    (grouped,) = train_group(_planned(spec), ds, require_full=False, progress_every=5)
    assert grouped.status == "completed", grouped.error
    assert _losses(grouped) == pytest.approx(_losses(alone), rel=1e-5)
    assert grouped.test_acc == pytest.approx(alone.test_acc, abs=1e-9)
    assert grouped.best_epoch == alone.best_epoch == 3


def test_padded_run_starts_from_its_own_init_and_its_padding_stays_zero(ds) -> None:
    wide, narrow = _spec(seed=1), _spec(seed=2, layers=(16, 8), lr=3e-3)
    stack = StackedMLP([wide, narrow], (32, 16), torch.device("cpu"), [torch.Generator()] * 2)
    own = build_model(narrow, torch.Generator().manual_seed(2))
    expected = [t.detach() for t in own.parameters()]
    got = stack.run_state(1)
    assert [tuple(t.shape) for t in got[::2]] == [(16, 784), (8, 16), (10, 8)]
    assert all(torch.equal(a, b) for a, b in zip(got[::2], expected[::2], strict=True))
    assert all(torch.equal(a, b) for a, b in zip(got[1::2], expected[1::2], strict=True))

    trainer = GroupTrainer(_planned(wide, narrow), ds, (32, 16), require_full=False)
    results = trainer.run()
    assert [r.status for r in results] == ["completed", "completed"]
    w0, w1, w2 = (w.detach() for w in trainer.model.weights)
    b0, b1 = (b.detach() for b in trainer.model.biases[:2])
    assert not w0[1, :, 16:].any() and not b0[1, 0, 16:].any()
    assert not w1[1, 16:, :].any() and not w1[1, :, 8:].any() and not b1[1, 0, 8:].any()
    assert not w2[1, 8:, :].any()
    # Padding changes nothing the run computes: it trains as it would alone.
    assert _losses(results[1]) == pytest.approx(_losses(_sequential(narrow, ds)), rel=1e-4)


def test_per_run_hyperparameters_match_each_run_alone(ds) -> None:
    specs = [
        _spec(seed=3, lr=1e-3),
        _spec(seed=4, lr=5e-3, weight_decay=1e-3),
        _spec(seed=5, dropout=0.3),
    ]
    results = train_group(_planned(*specs), ds, require_full=False)
    for spec, result in zip(specs, results, strict=True):
        assert _losses(result) == pytest.approx(_losses(_sequential(spec, ds)), rel=1e-4)


@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_per_run_optimizer_step_matches_torch(ds, optimizer: str) -> None:
    specs = [
        _spec(optimizer=optimizer, seed=1, lr=0.01, weight_decay=0.01, momentum=0.5),
        _spec(optimizer=optimizer, seed=2, lr=0.03, momentum=0.9),
    ]
    trainer = GroupTrainer(_planned(*specs), ds, (32, 16), require_full=False)
    results = trainer.run()
    for spec, result in zip(specs, results, strict=True):
        assert _losses(result) == pytest.approx(_losses(_sequential(spec, ds)), rel=1e-4)


def test_shared_hyperparameters_use_torchs_optimizer(ds) -> None:
    stack = StackedMLP([_spec(), _spec(seed=1)], (32, 16), torch.device("cpu"), [])
    from fmtui.core.stacked_optim import make_stacked_optimizer

    same = make_stacked_optimizer(stack.parameters(), [_spec(), _spec(seed=1)])
    mixed = make_stacked_optimizer(stack.parameters(), [_spec(), _spec(lr=0.1)])
    sgd = make_stacked_optimizer(stack.parameters(), [_spec(optimizer="sgd")] * 2)
    captured = make_stacked_optimizer(stack.parameters(), [_spec()], capturable=True)
    assert isinstance(same, FusedStacked) and isinstance(mixed, PerRunStacked)
    assert isinstance(sgd, TorchStacked) and isinstance(captured, TorchStacked)


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_direct_fused_step_gives_torchs_numbers_exactly(optimizer: str) -> None:
    spec = _spec(optimizer=optimizer, lr=0.01, weight_decay=0.05)
    make = torch.Generator().manual_seed(3)
    start = [torch.randn(3, 20, 7, generator=make), torch.randn(3, 1, 7, generator=make)]
    grads = [[torch.randn(t.shape, generator=make) for t in start] for _ in range(5)]
    ours = [t.clone().requires_grad_(True) for t in start]
    theirs = [t.clone().requires_grad_(True) for t in start]
    fused = FusedStacked(ours, spec)
    torch_opt = TorchStacked(theirs, spec)
    for step in range(5):
        step_grads = grads[step]
        fused.apply(step_grads)
        for p, g in zip(theirs, step_grads, strict=True):
            p.grad = g.clone()
        torch_opt.step()
        if step == 2:  # run 1 leaves the group: both keep runs 0 and 2 alike
            keep = torch.tensor([0, 2])
            ours = [p[keep].detach().clone().requires_grad_(True) for p in ours]
            theirs = [p[keep].detach().clone().requires_grad_(True) for p in theirs]
            fused.compact(keep, ours)
            torch_opt.compact(keep, theirs)
            grads = [[g[keep] for g in later] for later in grads]
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_batched_and_sequential_agree_statistically(fixture_source) -> None:
    """3 seeds × 3 epochs through run_experiment: means within 0.005, run by run close."""
    arms = (Arm("base", _spec(seed=11)),)
    sequential = train.run_experiment(
        ExperimentSpec(arms, seeds=3), fixture_source, require_full=False
    )
    batched = train.run_experiment(
        ExperimentSpec(arms, seeds=3, batch_models="3"), fixture_source, require_full=False
    )
    assert [r.environment["engine"] for r in sequential] == ["sequential"] * 3
    assert [r.environment["engine"] for r in batched] == ["batched"] * 3
    assert [r.environment["group_size"] for r in batched] == [3, 3, 3]
    seq_accs = [r.test_acc for r in sequential]
    bat_accs = [r.test_acc for r in batched]
    assert abs(statistics.fmean(seq_accs) - statistics.fmean(bat_accs)) <= 0.005
    for one, other in zip(sequential, batched, strict=True):
        assert _losses(one) == pytest.approx(_losses(other), rel=1e-4)


def test_one_runs_early_stop_freezes_it_and_keeps_its_best_state(ds) -> None:
    stopper = _spec(seed=1, epochs=10, patience=2, lr=0.05)
    steady = _spec(seed=2, epochs=10)
    alone = _sequential(stopper, ds)
    assert alone.stopped_early and len(alone.epochs) < 10  # the fixture makes it stop early
    first, second = train_group(_planned(stopper, steady), ds, require_full=False)
    assert first.stopped_early and first.best_epoch == alone.best_epoch
    assert len(first.epochs) == len(alone.epochs)
    assert first.test_acc == pytest.approx(alone.test_acc, abs=1e-9)
    assert not second.stopped_early and len(second.epochs) == 10
    assert _losses(second) == pytest.approx(_losses(_sequential(steady, ds)), rel=1e-4)


def test_nan_in_one_run_marks_it_diverged_and_the_others_go_on(ds) -> None:
    calls = {"n": 0}
    real_apply = FusedStacked.apply

    def poisoned_apply(self, grads) -> None:  # noqa: ANN001
        calls["n"] += 1
        real_apply(self, grads)
        if calls["n"] == 20:  # second epoch (17 steps per epoch): poison run 1 only
            with torch.no_grad():
                for p in self.params:
                    p[1].fill_(float("nan"))

    specs = [_spec(seed=1), _spec(seed=2), _spec(seed=3)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FusedStacked, "apply", poisoned_apply)
        results = train_group(_planned(*specs), ds, require_full=False, progress_every=5)
    assert [r.status for r in results] == ["completed", "diverged", "completed"]
    assert "loss became nan" in results[1].error and len(results[1].epochs) == 1
    for spec, result in zip(specs[::2], results[::2], strict=True):
        assert _losses(result) == pytest.approx(_losses(_sequential(spec, ds)), rel=1e-4)


def test_cancelling_one_run_leaves_the_others_running(ds) -> None:
    specs = [_spec(seed=1), _spec(seed=2), _spec(seed=3)]
    second = threading.Event()

    def on_event(event: train.Event) -> None:
        if isinstance(event, train.EpochEnd) and event.arm == "arm0" and event.metrics.epoch == 1:
            second.set()

    results = train_group(
        _planned(*specs),
        ds,
        on_event=on_event,
        run_cancels=[None, second, None],
        require_full=False,
    )
    assert [r.status for r in results] == ["completed", "cancelled", "completed"]
    assert len(results[1].epochs) == 1 and len(results[2].epochs) == 3


def test_cancel_and_skip(ds) -> None:
    cancel, skip = threading.Event(), threading.Event()
    skip.set()  # the shown run (the first) is skipped at once
    skipped = train_group(
        _planned(_spec(seed=1), _spec(seed=2)), ds, cancel_current=skip, require_full=False
    )
    assert [r.status for r in skipped] == ["cancelled", "completed"]
    assert not skip.is_set()

    def stop(event: train.Event) -> None:
        if isinstance(event, train.Progress):
            cancel.set()

    stopped = train_group(
        _planned(_spec(seed=1), _spec(seed=2)),
        ds,
        on_event=stop,
        cancel=cancel,
        require_full=False,
        progress_every=5,
    )
    assert [r.status for r in stopped] == ["cancelled", "cancelled"]


def test_events_come_run_by_run_in_launch_order(ds) -> None:
    events: list[train.Event] = []
    specs = [
        _spec(seed=1, epochs=2),
        _spec(seed=2, epochs=2, layers=(8, 8)),
        _spec(seed=3, epochs=2),
    ]
    train_group(_planned(*specs), ds, on_event=events.append, require_full=False, progress_every=5)

    def arm(event: train.Event) -> str:
        return event.result.arm if isinstance(event, train.RunFinished) else event.arm

    arms = [arm(e) for e in events]
    assert arms == sorted(arms)  # one run's whole stream, then the next
    for name in ("arm0", "arm1", "arm2"):
        mine = [e for e in events if arm(e) == name]
        assert isinstance(mine[0], train.RunStarted) and isinstance(mine[-1], train.RunFinished)
        assert [e.metrics.epoch for e in mine if isinstance(e, train.EpochEnd)] == [1, 2]
        steps = [(e.epoch, e.step) for e in mine if isinstance(e, train.Progress)]
        assert steps == sorted(steps) and steps[-1] == (2, 17)


def test_failure_is_a_result_for_every_run(tmp_path) -> None:
    source = data.DataSource("explicit", tmp_path)
    results = train_group(_planned(_spec(), _spec(seed=1)), source, require_full=False)
    assert [r.status for r in results] == ["failed", "failed"]
    assert all("missing" in r.error for r in results)


def test_runs_that_cannot_share_a_loop_are_refused(ds) -> None:
    with pytest.raises(ValueError, match="epochs"):
        train_group(_planned(_spec(), _spec(epochs=4)), ds, require_full=False)


def test_cuda_graphs_are_used_only_where_they_can_be_captured() -> None:
    from fmtui.core.graphed_step import graphs_unsupported

    plain = StackedMLP([_spec(), _spec(seed=1)], (32, 16), torch.device("cpu"), [])
    dropped = StackedMLP([_spec(dropout=0.2)], (32, 16), torch.device("cpu"), [torch.Generator()])
    cuda = torch.device("cuda")
    assert graphs_unsupported(torch.device("cpu"), plain, True) == "not a CUDA device"
    assert "dropout" in graphs_unsupported(cuda, dropped, True)
    assert "per-run hyperparameters" in graphs_unsupported(cuda, plain, False)
    assert graphs_unsupported(cuda, plain, True) is None


def test_environment_says_how_the_group_trained(ds) -> None:
    engine = {"engine": "batched", "group_size": 2, "padded_to": [32, 16]}
    results = train_group(
        _planned(_spec(), _spec(seed=1, layers=(8, 8))), ds, engine=engine, require_full=False
    )
    for result in results:
        env = result.environment
        assert env["engine"] == "batched" and env["padded_to"] == [32, 16]
        assert env["graphs"] is False and env["torch"] == torch.__version__


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_padding_stays_zero_for_activations_nonzero_or_steep_at_zero(ds, activation) -> None:
    specs = [
        _spec(seed=1, epochs=1, activation=activation, optimizer="sgd", weight_decay=0.01),
        _spec(seed=2, epochs=1, activation=activation, optimizer="sgd", layers=(8, 4), lr=0.1),
    ]
    trainer = GroupTrainer(_planned(*specs), ds, (32, 16), require_full=False)
    assert [r.status for r in trainer.run()] == ["completed", "completed"]
    w0, w1, w2 = (w.detach() for w in trainer.model.weights)
    assert not w0[1, :, 8:].any() and not w1[1, 8:, :].any() and not w1[1, :, 4:].any()
    assert not w2[1, 4:, :].any() and not trainer.model.biases[1].detach()[1, 0, 4:].any()


def test_each_run_records_its_share_of_the_group_time_not_the_whole(ds) -> None:
    stopper = _spec(seed=1, epochs=10, patience=2, lr=0.05)  # stops early on the fixture
    steady, third = _spec(seed=2, epochs=10), _spec(seed=3, epochs=10)
    start = time.perf_counter()
    results = train_group(_planned(stopper, steady, third), ds, require_full=False)
    elapsed = time.perf_counter() - start
    assert [r.status for r in results] == ["completed"] * 3 and results[0].stopped_early
    assert all(r.environment["duration_basis"] == "group share" for r in results)
    assert all(r.duration_s > 0 for r in results)
    # Shares add up to at most the group's wall time (the old way counted it 3-fold) …
    assert sum(r.duration_s for r in results) <= elapsed
    # … and a run that left the group early was charged only for its own stretch.
    assert results[0].duration_s < results[1].duration_s
