"""`--batch-models` on `fmtui run`, the child-process trainer and reruns in the same mode."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from fmtui.cli import main
from fmtui.core import train
from fmtui.core.journal import Entry
from fmtui.core.reproduce import reproduction_report
from fmtui.core.run_command import run_command
from fmtui.core.spec import ExperimentSpec, RunSpec, layer_arms
from fmtui.core.subprocess_trainer import run_in_subprocess

RUN = ["run", "--allow-subset", "--layers", "32,16", "--epochs", "2", "--device", "cpu"]


def test_bad_batch_models_exits_2_naming_the_flag(fixture_dir: Path, capsys) -> None:
    code = main([*RUN, "--data-dir", str(fixture_dir), "--batch-models", "many"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--batch-models: expected auto, off or a group size from 1 to 512, got 'many'" in err


def test_run_records_how_each_run_was_trained(fixture_dir: Path, capsys) -> None:
    args = [*RUN, "--data-dir", str(fixture_dir), "--seeds", "3", "--json"]
    assert main([*args, "--batch-models", "2"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    envs = [r["environment"] for r in summary["runs"]]
    assert [e["engine"] for e in envs] == ["batched", "batched", "sequential"]
    assert [e["group_size"] for e in envs] == [2, 2, 1]
    assert all(e["precision"] == "fp32" and e["padded_to"] is None for e in envs)
    assert summary["experiment"]["batch_models"] == "2"
    assert [r["seed"] for r in summary["runs"]] == [0, 1, 2]

    assert main([*args, "--batch-models", "off"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [r["environment"]["engine"] for r in summary["runs"]] == ["sequential"] * 3


def test_rerun_command_and_check_keep_the_mode() -> None:
    experiment = ExperimentSpec(seeds=3, batch_models="auto")
    command = run_command(Entry(title="t", experiment=experiment.to_dict()))
    assert "--batch-models auto" in command
    old = Entry(title="t", experiment=ExperimentSpec(seeds=3).to_dict())
    assert "--batch-models off" in run_command(old)

    run = {"arm": "a", "spec": {"seed": 0}, "status": "completed", "test_acc": 0.9}
    before = Entry(runs=[{**run, "environment": {"device": "cpu"}}])
    same_mode = Entry(runs=[{**run, "environment": {"device": "cpu", "engine": "sequential"}}])
    assert reproduction_report(before, same_mode) == (True, [])
    batched = Entry(runs=[{**run, "environment": {"device": "cpu", "engine": "batched"}}])
    ok, differences = reproduction_report(before, batched)
    assert not ok and any("engine differs" in d and "training mode" in d for d in differences)


def test_child_process_trainer_trains_in_groups(fixture_dir: Path) -> None:
    base = RunSpec(layers=(16,), epochs=2, patience=0, device="cpu", batch_size=32)
    experiment = ExperimentSpec(layer_arms([(16,), (8,)], base), seeds=2, batch_models="4")
    events: list[train.Event] = []
    results = run_in_subprocess(
        experiment,
        events.append,
        threading.Event(),
        threading.Event(),
        data_dir=fixture_dir,
        require_full=False,
    )
    assert [r.status for r in results] == ["completed"] * 4
    assert {r.environment["engine"] for r in results} == {"batched"}
    assert results[0].environment["padded_to"] == [16]
    started = [(e.arm, e.repeat) for e in events if isinstance(e, train.RunStarted)]
    assert started == [("16", 0), ("16", 1), ("8", 0), ("8", 1)]
