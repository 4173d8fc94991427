"""An entry's status and the exit status agree with its runs; unknown versions are refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fmtui.cli import main
from fmtui.core import single_run
from fmtui.core.journal import Journal, JournalError


def _run_args(fixture_dir: Path, journal_path: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--data-dir",
        str(fixture_dir),
        "--allow-subset",
        "--device",
        "cpu",
        "--layers",
        "16",
        "--journal",
        str(journal_path),
        *extra,
    ]


def test_ctrl_c_during_the_final_test_evaluation_leaves_a_completed_entry(
    fixture_dir: Path, journal_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = single_run.evaluate

    def evaluate(model: Any, x: Any, y: Any, idx: Any = None) -> Any:
        if idx is None:  # the test-set evaluation, after the last epoch
            os.kill(os.getpid(), signal.SIGINT)
        return original(model, x, y) if idx is None else original(model, x, y, idx)

    monkeypatch.setattr(single_run, "evaluate", evaluate)
    code = main(_run_args(fixture_dir, journal_path, "--epochs", "2"))
    out = capsys.readouterr().out
    assert code == 0
    assert "all runs completed" in out and "cancelled by the user" not in out
    with Journal(journal_path, read_only=True) as j:
        entry = j.all()[0]
    assert [r["status"] for r in entry.runs] == ["completed"]
    assert entry.status == "completed"


def test_ctrl_c_that_stops_a_run_still_cancels(
    fixture_dir: Path, journal_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = single_run.evaluate

    def evaluate(model: Any, x: Any, y: Any, idx: Any = None) -> Any:
        if idx is not None:  # validation after epoch 1 of 5
            os.kill(os.getpid(), signal.SIGINT)
        return original(model, x, y) if idx is None else original(model, x, y, idx)

    monkeypatch.setattr(single_run, "evaluate", evaluate)
    assert main(_run_args(fixture_dir, journal_path, "--epochs", "5", "--patience", "0")) == 130
    with Journal(journal_path, read_only=True) as j:
        entry = j.all()[0]
    assert entry.status == "cancelled" and entry.runs[0]["status"] == "cancelled"
    assert len(entry.runs[0]["epochs"]) == 1


def test_sigterm_stops_after_the_step_keeps_epochs_and_exits_143(
    fixture_dir: Path, journal_path: Path
) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    argv = _run_args(fixture_dir, journal_path, "--epochs", "1000", "--patience", "0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fmtui", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait for the first finished epoch
        if line.strip().startswith("epoch"):
            break
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 143, err
    assert "SIGTERM: stopping after this step" in err and "Traceback" not in err
    with Journal(journal_path, read_only=True) as j:
        entry = j.all()[0]
    assert entry.status == "cancelled"
    assert entry.runs[0]["status"] == "cancelled" and 1 <= len(entry.runs[0]["epochs"]) < 1000
    assert entry.pid is None
    assert not journal_path.with_name(journal_path.name + ".lock").exists()


@pytest.mark.parametrize("version", ["99", 2.0, 1.0, True, -1, None, [1]])
def test_odd_schema_versions_are_refused_not_migrated(
    journal_path: Path, capsys, version: object
) -> None:
    doc = {"_meta": {"1": {"schema_version": version}}, "entries": {"1": {"title": "kept"}}}
    journal_path.write_text(json.dumps(doc))
    before = journal_path.read_bytes()
    for read_only in (True, False):
        with pytest.raises(JournalError, match="unknown schema version"):
            Journal(journal_path, read_only=read_only)
    assert main(["journal", "list", "--journal", str(journal_path)]) == 2
    assert "unknown schema version" in capsys.readouterr().err
    assert journal_path.read_bytes() == before
    assert sorted(p.name for p in journal_path.parent.iterdir()) == [journal_path.name]


def test_sigterm_stops_a_rerun_too(fixture_dir: Path, journal_path: Path) -> None:
    from fmtui.core.journal import Entry
    from fmtui.core.spec import ExperimentSpec, RunSpec

    spec = RunSpec(layers=(16,), epochs=1000, patience=0, device="cpu")
    experiment = ExperimentSpec.from_dict({"arms": [{"name": "a", "spec": spec.to_dict()}]})
    with Journal(journal_path) as j:
        original = j.add(Entry(title="long", status="completed", experiment=experiment.to_dict()))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    argv = ["rerun", str(original), "--data-dir", str(fixture_dir), "--allow-subset"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fmtui", "--journal", str(journal_path), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("rerunning entry")
    for _ in range(6000):  # until the rerun has saved an epoch (or the process ended)
        with Journal(journal_path, read_only=True) as j:
            rerun = [e for e in j.all() if e.id != original]
        if rerun and rerun[0].runs and rerun[0].runs[0]["epochs"] or proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    with Journal(journal_path, read_only=True) as j:
        entry = j.get(rerun[0].id or 0)
    assert entry.status == "cancelled" and entry.runs[0]["status"] == "cancelled"
    assert 1 <= len(entry.runs[0]["epochs"]) < 1000
