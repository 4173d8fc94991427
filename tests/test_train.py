"""The training engine on fixture data: learning, cancel, divergence, failure, devices."""

from __future__ import annotations

import threading

import pytest
import torch

from fmtui.core import data, single_run, train
from fmtui.core.spec import ExperimentSpec, RunSpec, layer_arms

SMALL = dict(layers=(32, 16), epochs=3, patience=0, batch_size=32, device="cpu")


def _run(source, **kw) -> train.RunResult:
    events: list[train.Event] = []
    result = train.train_run(
        RunSpec(**{**SMALL, **kw}),
        source,
        on_event=events.append,
        require_full=False,
        progress_every=5,
    )
    _run.events = events  # type: ignore[attr-defined]
    return result


def test_learns_above_chance_and_reports_everything(fixture_source) -> None:
    result = _run(fixture_source)
    assert result.status == "completed", result.error
    assert result.test_acc is not None and result.test_acc > 0.5
    assert len(result.epochs) == 3 and result.best_epoch == 3
    assert len(result.per_class_acc) == 10
    assert sum(map(sum, result.confusion)) == 200
    assert result.environment["torch"] == torch.__version__
    assert result.environment["threads"] >= 1
    kinds = [type(e).__name__ for e in _run.events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert kinds.count("EpochEnd") == 3 and "Progress" in kinds
    started = _run.events[0]
    assert started.parameters == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10


def test_same_seed_same_metrics_different_seed_differs(fixture_source) -> None:
    a = _run(fixture_source, seed=3, dropout=0.2)
    b = _run(fixture_source, seed=3, dropout=0.2)
    c = _run(fixture_source, seed=4, dropout=0.2)
    assert [e.train_loss for e in a.epochs] == [e.train_loss for e in b.epochs]
    assert a.test_acc == b.test_acc and a.confusion == b.confusion
    assert [e.train_loss for e in a.epochs] != [e.train_loss for e in c.epochs]


def test_parallel_runs_do_not_share_rng(fixture_source) -> None:
    alone = _run(fixture_source, seed=5, dropout=0.3)
    results: list[train.RunResult] = []

    def go(seed: int) -> None:
        results.append(
            train.train_run(
                RunSpec(**{**SMALL, "seed": seed, "dropout": 0.3}),
                fixture_source,
                require_full=False,
            )
        )

    threads = [threading.Thread(target=go, args=(s,)) for s in (5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    five = next(r for r in results if r.spec.seed == 5)
    assert [e.train_loss for e in five.epochs] == [e.train_loss for e in alone.epochs]


def test_cancel_keeps_completed_epochs(fixture_source) -> None:
    cancel = threading.Event()

    def on_event(event: train.Event) -> None:
        if isinstance(event, train.EpochEnd) and event.metrics.epoch == 2:
            cancel.set()

    result = train.train_run(
        RunSpec(**{**SMALL, "epochs": 10}),
        fixture_source,
        on_event=on_event,
        cancel=cancel,
        require_full=False,
    )
    assert result.status == "cancelled"
    assert len(result.epochs) == 2 and result.test_acc is None


def test_forced_nan_diverges_and_keeps_last_finite_metrics(fixture_source) -> None:
    ds = data.load(fixture_source, require_full=False)
    calls = {"n": 0}
    real_step = torch.optim.Adam.step

    def poisoned_step(self, *a, **kw):  # noqa: ANN001
        calls["n"] += 1
        out = real_step(self, *a, **kw)
        if calls["n"] == 20:  # second epoch (17 steps per epoch)
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.fill_(float("nan"))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.optim.Adam, "step", poisoned_step)
        result = train.train_run(RunSpec(**SMALL), ds, require_full=False, progress_every=5)
    assert result.status == "diverged"
    assert "loss became nan" in result.error
    assert len(result.epochs) == 1
    assert all(e.train_loss == e.train_loss for e in result.epochs)


def test_failure_is_a_result_not_a_crash(fixture_source) -> None:
    ds = data.load(fixture_source, require_full=False)
    bad = data.Dataset(ds.train_x, ds.train_y + 20, ds.test_x, ds.test_y, ds.source, ds.device)
    result = train.train_run(RunSpec(**SMALL), bad, require_full=False)
    assert result.status == "failed"
    assert result.error and "Error" in result.error


def test_data_error_is_a_failed_run(tmp_path) -> None:
    source = data.DataSource("explicit", tmp_path)
    result = train.train_run(RunSpec(**SMALL), source, require_full=False)
    assert result.status == "failed" and "missing" in result.error


def test_early_stopping_restores_best_weights(fixture_source) -> None:
    ds = data.load(fixture_source, require_full=False)
    seen = []
    spec = RunSpec(**{**SMALL, "epochs": 30, "patience": 2, "lr": 0.05})
    result = train.train_run(spec, ds, on_event=seen.append, require_full=False)
    assert result.status == "completed"
    assert result.stopped_early
    assert len(result.epochs) == result.best_epoch + 2
    best = max(result.epochs, key=lambda e: e.val_acc)
    assert best.val_acc == result.epochs[result.best_epoch - 1].val_acc
    by_loss = train.train_run(spec.with_changes(monitor="val_loss"), ds, require_full=False)
    best = min(by_loss.epochs, key=lambda e: e.val_loss)
    assert best.epoch == by_loss.best_epoch
    ends = [e for e in seen if isinstance(e, train.EpochEnd)]
    assert ends[-1].patience_left == 0


def test_auto_device_falls_back_with_reason(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setitem(single_run._probe_cache, "cuda", "RuntimeError: no kernel image")
    device, note = train.resolve_device("auto")
    assert device.type == "cpu"
    assert "cuda failed a probe" in note and "no kernel image" in note
    with pytest.raises(train.DeviceError, match="failed a test computation"):
        train.resolve_device("cuda")


def test_missing_device_is_a_clear_error(monkeypatch, fixture_source) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(train.DeviceError, match="no usable CUDA device"):
        train.resolve_device("cuda")
    result = train.train_run(
        RunSpec(**{**SMALL, "device": "cuda"}), fixture_source, require_full=False
    )
    assert result.status == "failed" and "CUDA" in result.error
    assert train.resolve_device("auto")[1].startswith("auto chose CPU")
    assert train.available_devices()[0][0] == "cpu"


def test_run_experiment_runs_every_arm_and_seed(fixture_source) -> None:
    exp = ExperimentSpec(
        arms=layer_arms([(16,), (8, 8)], RunSpec(**{**SMALL, "epochs": 1})), seeds=2
    )
    results = train.run_experiment(exp, fixture_source, require_full=False)
    assert [(r.arm, r.spec.seed) for r in results] == [("16", 0), ("16", 1), ("8x8", 0), ("8x8", 1)]
