"""Training in a child process: events relayed, cancel and skip mirrored, failures told."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from fmtui.core import train
from fmtui.core.spec import ExperimentSpec, RunSpec, layer_arms
from fmtui.core.subprocess_trainer import run_in_subprocess


def _experiment(epochs: int = 2, seeds: int = 1) -> ExperimentSpec:
    base = RunSpec(layers=(16,), epochs=epochs, patience=0, device="cpu", batch_size=32)
    return ExperimentSpec(arms=layer_arms([(16,), (8,)], base), seeds=seeds)


def test_events_arrive_in_order_and_results_come_back(fixture_dir: Path) -> None:
    events: list[train.Event] = []
    results = run_in_subprocess(
        _experiment(),
        events.append,
        threading.Event(),
        threading.Event(),
        data_dir=fixture_dir,
        require_full=False,
    )
    assert [r.status for r in results] == ["completed", "completed"]
    assert results[0].test_acc > 0.5
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStarted" and kinds.count("EpochEnd") == 4
    assert kinds.count("RunFinished") == 2


def test_skip_cancels_one_run_and_cancel_stops_all(fixture_dir: Path) -> None:
    cancel, skip = threading.Event(), threading.Event()
    seen: list[train.Event] = []

    def on_event(event: train.Event) -> None:
        seen.append(event)
        if isinstance(event, train.RunStarted) and event.arm == "16":
            skip.set()
        if isinstance(event, train.RunStarted) and event.arm == "8":
            cancel.set()

    results = run_in_subprocess(
        _experiment(epochs=200),
        on_event,
        cancel,
        skip,
        data_dir=fixture_dir,
        require_full=False,
        poll_s=0.01,
    )
    assert [r.arm for r in results] == ["16", "8"]
    assert [r.status for r in results] == ["cancelled", "cancelled"]


def test_a_failure_in_the_child_is_an_error_here(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="DataError: .*does not exist"):
        run_in_subprocess(
            _experiment(),
            lambda e: None,
            threading.Event(),
            threading.Event(),
            data_dir=tmp_path / "missing",
            require_full=False,
        )


def test_a_failing_run_is_a_result(tmp_path: Path) -> None:
    results = run_in_subprocess(
        _experiment(),
        lambda e: None,
        threading.Event(),
        threading.Event(),
        data_dir=tmp_path,
        require_full=False,
    )
    assert [r.status for r in results] == ["failed", "failed"]
    assert "missing" in (results[0].error or "")
