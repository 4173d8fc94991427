"""Training on a real Dask cluster: two worker processes with one thread each, here."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")

from fmtui import cli  # noqa: E402
from fmtui.core import cluster as cluster_mod  # noqa: E402
from fmtui.core import events  # noqa: E402
from fmtui.core.cluster import ClusterError, connect, run_on_cluster  # noqa: E402
from fmtui.core.journal import Journal  # noqa: E402
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec  # noqa: E402
from tests.idx_fixtures import write_dataset  # noqa: E402


def _local_cluster() -> Any:
    return distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with _local_cluster() as local:
        yield local


@pytest.fixture(scope="module")
def cluster_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("cluster") / "fmnist")


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    client = connect(cluster.scheduler_address)
    yield client
    client.close()


def _experiment(epochs: int = 3, seeds: int = 2) -> ExperimentSpec:
    base = RunSpec(layers=(32,), epochs=epochs, patience=0, device="cpu")
    return ExperimentSpec(
        arms=(Arm("w32", base), Arm("w64", base.with_changes(layers=(64,)))), seeds=seeds
    )


def _train(client: Any, data: Path, experiment: ExperimentSpec, **kwargs: Any) -> tuple:
    seen: list[events.Event] = []
    cancel = kwargs.pop("cancel", threading.Event())
    skip = kwargs.pop("cancel_current", threading.Event())
    results = run_on_cluster(
        experiment,
        kwargs.pop("on_event", seen.append),
        cancel,
        skip,
        client=client,
        data_dir=str(data),
        require_full=False,
        **kwargs,
    )
    return results, seen


def test_cluster_results_match_a_local_one_thread_run(client: Any, cluster_data: Path) -> None:
    import torch

    from fmtui.core import data, train

    experiment = _experiment()
    results, _ = _train(client, cluster_data, experiment)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = train.run_experiment(
            experiment, data.DataSource("explicit", cluster_data), require_full=False
        )
    finally:
        torch.set_num_threads(threads)
    assert [r.status for r in results] == ["completed"] * 4
    assert [(r.arm, r.repeat) for r in results] == [(r.arm, r.repeat) for r in local]
    for remote, here in zip(results, local, strict=True):
        assert remote.test_acc == here.test_acc
        assert [e.train_loss for e in remote.epochs] == [e.train_loss for e in here.epochs]
        assert remote.environment["worker"].startswith("tcp://")
        assert remote.environment["host"]


def test_events_arrive_in_order_for_each_run(client: Any, cluster_data: Path) -> None:
    _results, seen = _train(client, cluster_data, _experiment(epochs=3))
    per_run: dict[tuple[str, int], list[events.Event]] = defaultdict(list)
    for event in seen:
        if isinstance(event, events.RunFinished):
            per_run[(event.result.arm, event.result.repeat)].append(event)
        else:
            per_run[(event.arm, event.repeat)].append(event)  # type: ignore[union-attr]
    assert len(per_run) == 4
    for stream in per_run.values():
        assert isinstance(stream[0], events.RunStarted)
        assert isinstance(stream[-1], events.RunFinished)
        epochs = [e.metrics.epoch for e in stream if isinstance(e, events.EpochEnd)]
        assert epochs == [1, 2, 3]


def test_cancel_reaches_the_workers_within_seconds(client: Any, cluster_data: Path) -> None:
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def on_event(event: events.Event) -> None:
        if isinstance(event, events.EpochEnd) and not cancel.is_set():
            cancelled_at.append(time.monotonic())
            cancel.set()

    results, _ = _train(
        client, cluster_data, _experiment(epochs=400, seeds=3), on_event=on_event, cancel=cancel
    )
    assert time.monotonic() - cancelled_at[0] < 10
    assert results and all(r.status == "cancelled" for r in results)
    assert len(results) < 6  # the queued runs never started


def test_skip_stops_the_runs_in_progress_and_the_rest_go_on(
    client: Any, cluster_data: Path
) -> None:
    skip = threading.Event()
    base = RunSpec(layers=(32,), epochs=400, patience=0, device="cpu")
    quick = base.with_changes(epochs=1)
    experiment = ExperimentSpec(arms=(Arm("long", base), Arm("quick", quick)), seeds=1)
    fired: list[bool] = []

    def on_event(event: events.Event) -> None:
        if isinstance(event, events.EpochEnd) and event.arm == "long" and not fired:
            fired.append(True)
            skip.set()

    results, _ = _train(client, cluster_data, experiment, on_event=on_event, cancel_current=skip)
    by_arm = {r.arm: r.status for r in results}
    assert by_arm["long"] == "cancelled"
    assert by_arm["quick"] == "completed"


def test_missing_data_on_a_worker_fails_the_run_with_its_message(
    client: Any, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    results, _ = _train(client, missing, _experiment(epochs=1, seeds=1))
    assert [r.status for r in results] == ["failed", "failed"]
    assert all(str(missing) in (r.error or "") for r in results)


def test_a_worker_with_other_versions_is_refused_with_both_named(
    cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_mod, "versions", lambda: {"fmtui": "0.0.0", "torch": "1.0"})
    with pytest.raises(ClusterError, match=r"fmtui .* \(this machine: 0\.0\.0\)"):
        connect(cluster.scheduler_address)


def test_an_unreachable_scheduler_is_a_message_at_launch(fixture_dir: Path) -> None:
    err = io.StringIO()
    args = ["run", "--cluster", "tcp://127.0.0.1:9", "--data-dir", str(fixture_dir)]
    parsed = cli.build_parser().parse_args([*args, "--allow-subset", "--epochs", "1"])
    assert cli.cmd_run(parsed, io.StringIO(), err) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err.getvalue()


def test_retries_out_of_range_are_refused(fixture_dir: Path) -> None:
    err = io.StringIO()
    parsed = cli.build_parser().parse_args(["run", "--cluster", "tcp://x:1", "--retries", "11"])
    assert cli.cmd_run(parsed, io.StringIO(), err) == 2
    assert "--retries" in err.getvalue() and "10" in err.getvalue()


def test_without_dask_the_cluster_flag_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ClusterError, match=r"pip install 'fmtui\[cluster\]'"):
        connect("tcp://127.0.0.1:9")


def test_fmtui_run_on_the_cluster_records_one_consistent_entry(
    cluster: Any, cluster_data: Path, journal_path: Path
) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "run",
        "--cluster",
        cluster.scheduler_address,
        "--data-dir",
        str(cluster_data),
        "--allow-subset",
        "--layers",
        "32",
        "--layers",
        "64",
        "--seeds",
        "2",
        "--epochs",
        "2",
        "--patience",
        "0",
        "--journal",
        str(journal_path),
    ]
    parsed = cli.build_parser().parse_args(argv)
    assert cli.cmd_run(parsed, out, err) == 0, err.getvalue()
    with Journal(journal_path, read_only=True) as journal:
        (entry,) = journal.all()
    assert entry.status == "completed"
    assert sorted((r["arm"], r["repeat"]) for r in entry.runs) == [
        ("32", 0),
        ("32", 1),
        ("64", 0),
        ("64", 1),
    ]
    assert all(len(r["epochs"]) == 2 and r["status"] == "completed" for r in entry.runs)


@pytest.mark.parametrize(("retries", "status"), [(1, "completed"), (0, "failed")])
def test_a_worker_killed_mid_run_restarts_the_run_or_fails_it(
    cluster_data: Path, journal_path: Path, retries: int, status: str
) -> None:
    from fmtui.core.record import ExperimentRecorder, new_entry

    experiment = ExperimentSpec(
        arms=(Arm("w32", RunSpec(layers=(32,), epochs=60, patience=0, device="cpu")),), seeds=1
    )
    with _local_cluster() as local, Journal(journal_path) as journal:
        client = connect(local.scheduler_address)
        recorder = ExperimentRecorder(journal, new_entry(title="kill"), experiment)
        recorder.start()
        killed: list[str] = []

        def on_event(event: events.Event) -> None:
            recorder.on_event(event)
            if isinstance(event, events.EpochEnd) and event.metrics.epoch == 2 and not killed:
                worker = next(
                    r["environment"]["worker"] for r in recorder.entry.runs if r["arm"] == "w32"
                )
                killed.append(worker)
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)

        try:
            results, _ = _train(
                client, cluster_data, experiment, on_event=on_event, retries=retries
            )
        finally:
            client.close()
        entry = recorder.finish()
    assert killed
    (result,) = results
    assert result.status == status
    if status == "failed":
        assert "worker lost" in (result.error or "")
    else:
        assert len(result.epochs) == 60
    assert [r["status"] for r in entry.runs] == [status]
    assert entry.status in ("completed", "failed") and entry.status != "running"
