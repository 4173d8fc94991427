"""The journal's index keeps one run summary per entry (schema 3), never the runs: list,
search, sort, reuse and check read it; whole entries come from the run logs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fmtui.core.journal import Entry, Journal
from fmtui.core.journal.arms import run_summary
from fmtui.core.journal.runlog import RunLogs
from fmtui.core.journal.storage import AtomicJSONStorage
from fmtui.core.spec import RunSpec

ROOT = Path(__file__).resolve().parents[1]


def _key(arm: str, seed: int) -> str:
    return "sha256:" + hashlib.sha256(f"{arm}-{seed}".encode()).hexdigest()


def _run(arm: str, seed: int, acc: float | None, status: str = "completed") -> dict[str, Any]:
    return {
        "arm": arm,
        "repeat": seed,
        "spec": RunSpec(seed=seed).to_dict(),
        "status": status,
        "test_acc": acc,
        "reuse_key": _key(arm, seed),
        "epochs": [{"epoch": n, "val_acc": 0.8} for n in range(1, 4)],
        "confusion": [[1] * 10 for _ in range(10)],
    }


def _grid() -> Entry:
    runs = [_run("wide", s, 0.88 + s / 100) for s in range(3)]
    runs += [_run("narrow", 0, 0.85), _run("narrow", 1, None, status="failed")]
    return Entry(title="Grid", status="completed", runs=runs)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.json"


def test_the_summary_holds_per_arm_counts_accuracy_and_reuse_keys() -> None:
    summary = run_summary(_grid().to_dict()["runs"])
    assert summary["count"] == 5 and summary["best"] == pytest.approx(0.90)
    wide, narrow = summary["arms"]
    assert (wide["arm"], wide["runs"], wide["completed"]) == ("wide", 3, 3)
    assert wide["mean"] == pytest.approx(0.89) and wide["sd"] == pytest.approx(0.01)
    assert narrow["statuses"] == {"completed": 1, "failed": 1} and narrow["sd"] is None
    assert narrow["epochs"] == 3
    # Only completed runs can be reused.
    assert _key("narrow", 1) not in summary["reuse_keys"] and len(summary["reuse_keys"]) == 4


def test_listing_reads_the_summary_and_the_preview_loads_one_entry(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Journal(path) as j:
        entry_id = j.add(_grid())
        j.add(Entry(title="Draft"))
    index = path.read_text()
    assert '"confusion"' not in index and '"repeat"' not in index  # no run in the index
    with Journal(path, read_only=True) as j:
        listed = {e.title: e for e in j.query(sort="best")}
        grid = listed["Grid"]
        assert grid.runs == [] and grid.runs_are_summaries
        assert (grid.run_count, grid.best_accuracy) == (5, pytest.approx(0.90))
        assert listed["Draft"].run_count == 0
        assert [e.title for e in j.query(text="narrow")] == ["Grid"]  # arm names searched
        assert grid.reuse_keys == {_key("wide", s) for s in range(3)} | {_key("narrow", 0)}
        # The preview's runs come from the entry's log: the index is not parsed again.
        parses: list[str] = []
        peek = AtomicJSONStorage.peek
        monkeypatch.setattr(
            AtomicJSONStorage, "peek", lambda self: parses.append("index") or peek(self)
        )
        monkeypatch.setattr(AtomicJSONStorage, "read", lambda self: parses.append("index") or {})
        j.load_runs(grid)
        monkeypatch.undo()
        assert parses == []
        assert len(grid.runs) == 5 and grid.runs[0]["confusion"][0][0] == 1
        assert grid.to_dict() == j.get(entry_id).to_dict()


def test_summary_reads_one_entry_from_the_index_alone(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Journal(path) as j:
        entry_id = j.add(_grid())
        monkeypatch.setattr(RunLogs, "load", lambda *_a, **_k: pytest.fail("log read"))
        row = j.summary(entry_id)
        monkeypatch.undo()
        assert row.runs_are_summaries and row.runs == []
        assert (row.run_count, row.best_accuracy) == (5, pytest.approx(0.90))
        j.load_runs(row)
        assert row.to_dict() == j.get(entry_id).to_dict()


def test_a_hand_edited_run_summary_is_refused_with_its_field(path: Path) -> None:
    with Journal(path) as j:
        j.add(_grid())
        j.add(Entry(title="Other"))
    doc = json.loads(path.read_text())
    doc["entries"]["1"]["run_summary"]["arms"][0]["runs"] = "many"  # the seal breaks too
    path.write_text(json.dumps(doc))
    with Journal(path, read_only=True) as j:
        assert [e.title for e in j.summaries()] == ["Other"]
        [(entry_id, reason)] = j.damaged()
    assert entry_id == 1 and reason.startswith("run_summary.arms[0].runs: expected a whole")


def test_a_dead_writers_running_runs_count_as_interrupted(path: Path) -> None:
    dead = int(
        subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        ).stdout
    )
    with Journal(path) as j:
        runs = [_run("a", 0, 0.9), _run("a", 1, None, status="running")]
        entry_id = j.add(Entry(title="t", status="running", pid=dead, runs=runs))
    with Journal(path, read_only=True) as j:
        [listed] = j.summaries()
        assert listed.status == "interrupted"
        assert listed.run_summary is not None
        assert listed.run_summary["arms"][0]["statuses"] == {"completed": 1, "interrupted": 1}
        whole = j.get(entry_id)
    assert [r["status"] for r in whole.runs] == ["completed", "interrupted"]
    assert whole.runs[1]["error"] == "the fmtui process running it ended"


def test_check_reports_a_missing_or_short_run_log(path: Path) -> None:
    with Journal(path) as j:
        gone = j.add(_grid())
        short = j.add(_grid())
    logs = path.with_name(path.name + ".runs")
    (logs / f"{gone}.jsonl").unlink()
    with Journal(path) as j:  # a log of 1 run where the index counts 5
        one = j.get(short)
        one.runs = one.runs[:1]
        j._logs.rewrite(short, one.to_dict()["runs"])
    proc = subprocess.run(
        [sys.executable, "-m", "fmtui", "--journal", str(path), "journal", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 1, proc.stdout
    assert f"entry {gone}: 5 run(s) but the run log" in proc.stdout
    assert f"entry {short}: 5 run(s), 1 log line(s) verified; the log has only 1" in proc.stdout
