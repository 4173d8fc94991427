"""The journal's run logs: per-epoch appends, torn and damaged lines, full disks, kill -9,
migration from schema 1, lazy whole entries and `fmtui journal check`."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from fmtui.core import events
from fmtui.core.export import export_text
from fmtui.core.journal import Entry, Journal, JournalWriteError
from fmtui.core.journal import runlog as runlog_mod
from fmtui.core.record import ExperimentRecorder
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec

ROOT = Path(__file__).resolve().parents[1]


def _epoch(n: int) -> dict[str, Any]:
    return {
        "epoch": n,
        "train_loss": 1 / n,
        "train_acc": 0.8,
        "val_loss": 0.4,
        "val_acc": 0.85 + n / 1000,
        "seconds": 1.5,
    }


def _run(arm: str = "a", seed: int = 0, epochs: int = 3, acc: float = 0.88) -> dict[str, Any]:
    return {
        "arm": arm,
        "repeat": seed,
        "spec": RunSpec(seed=seed).to_dict(),
        "status": "completed",
        "device": "cpu",
        "parameters": 1234,
        "environment": {"torch": "2.0", "device": "cpu"},
        "epochs": [_epoch(n) for n in range(1, epochs + 1)],
        "best_epoch": epochs,
        "test_loss": 0.3,
        "test_acc": acc,
        "per_class_acc": [0.9] * 10,
        "confusion": [[100 if i == j else 1 for j in range(10)] for i in range(10)],
        "misclassified": [[5, 1, 2], [9, 3, 4]],
        "duration_s": 12.0,
    }


def _entry(title: str = "Widths", runs: int = 2) -> Entry:
    return Entry(title=title, status="completed", runs=[_run(seed=i) for i in range(runs)])


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.json"


def _log(path: Path, entry_id: int) -> Path:
    return path.with_name(path.name + ".runs") / f"{entry_id}.jsonl"


def test_index_keeps_summaries_and_get_gives_whole_runs(path: Path) -> None:
    entry = _entry()
    with Journal(path) as j:
        entry_id = j.add(entry)
        listed = j.summaries()[0]
        whole = j.get(entry_id)
    stored = json.loads(path.read_text())["entries"][str(entry_id)]
    assert "runs" not in stored  # the runs live in the log alone
    summary = stored["run_summary"]
    assert summary["count"] == 2 and summary["best"] == 0.88
    assert [(a["arm"], a["runs"], a["completed"], a["epochs"]) for a in summary["arms"]] == [
        ("a", 2, 2, 3)
    ]
    assert listed.runs_are_summaries and listed.best_accuracy == 0.88
    assert listed.runs == [] and listed.run_count == 2
    assert not whole.runs_are_summaries
    assert whole.to_dict() == entry.to_dict()  # nothing lost, no index-only key added


def test_small_new_run_fields_stay_in_the_summary() -> None:
    run = _run() | {"seed": 7}
    summary = runlog_mod.summary_of(run)
    assert summary["seed"] == 7 and "environment" not in summary
    assert runlog_mod.full_run(summary, runlog_mod.bulky_of(run)) == run


def test_saving_a_summary_entry_keeps_the_run_log(path: Path) -> None:
    with Journal(path) as j:
        entry_id = j.add(_entry())
        listed = j.summaries()[0]
        listed.title = "Renamed"
        j.update(listed)
        # A whole entry whose runs lost their bulky fields does not drop them either.
        whole = j.get(entry_id)
        for run in whole.runs:
            del run["confusion"]
        j.update(whole)
        again = j.get(entry_id)
    assert again.title == "Renamed"
    assert [len(r["epochs"]) for r in again.runs] == [3, 3]
    assert again.runs[0]["confusion"][0][0] == 100


def _recorder(j: Journal) -> tuple[ExperimentRecorder, ExperimentSpec]:
    experiment = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=20)),), seeds=1)
    recorder = ExperimentRecorder(j, Entry(title="Live"), experiment)
    recorder.start()
    spec = experiment.runs()[0].spec
    recorder.on_event(events.RunStarted("a", 0, spec, "cpu", 10, {"torch": "x"}, 5))
    return recorder, experiment


def _epoch_event(n: int) -> events.EpochEnd:
    metrics = events.EpochMetrics(n, 0.5, 0.8, 0.4, 0.85, 1.0)
    return events.EpochEnd("a", 0, metrics, best_epoch=n, patience_left=None)


def test_an_epoch_appends_one_line_and_leaves_the_index_alone(path: Path) -> None:
    with Journal(path) as j:
        recorder, _ = _recorder(j)
        index_before = path.read_bytes()
        log = _log(path, recorder.entry.id or 0)
        lines_before = log.read_bytes().count(b"\n")
        for n in range(1, 4):
            recorder.on_event(_epoch_event(n))
        assert recorder.write_error is None
        assert path.read_bytes() == index_before
        assert log.read_bytes().count(b"\n") == lines_before + 3
        got = j.get(recorder.entry.id or 0)
    assert [e["epoch"] for e in got.runs[0]["epochs"]] == [1, 2, 3]
    assert got.runs[0]["best_epoch"] == 3


def test_a_torn_last_line_is_ignored_and_cut_on_the_next_append(path: Path) -> None:
    with Journal(path) as j:
        recorder, _ = _recorder(j)
        recorder.on_event(_epoch_event(1))
        entry_id = recorder.entry.id or 0
    log = _log(path, entry_id)
    with log.open("ab") as f:
        f.write(b'0badc0de {"k":"epoch","i":0,"ep')  # a write cut by a crash
    with Journal(path) as j:
        got = j.get(entry_id)
        assert [e["epoch"] for e in got.runs[0]["epochs"]] == [1]
        got.runs[0]["epochs"].append(_epoch(2))
        j.record_epoch(got, 0)
    assert b"0badc0de" not in log.read_bytes()
    assert all(runlog_mod.decode(line) for line in log.read_bytes().splitlines(keepends=True))
    with Journal(path, read_only=True) as j:
        assert [e["epoch"] for e in j.get(entry_id).runs[0]["epochs"]] == [1, 2]


def test_a_bad_middle_line_quarantines_only_that_entrys_log(path: Path) -> None:
    with Journal(path) as j:
        first = j.add(_entry("first"))
        second = j.add(_entry("second"))
        whole = j.get(first)
        whole.runs[0]["epochs"].append(_epoch(4))
        j.record_epoch(whole, 0)
    log = _log(path, first)
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"epoch":4', b'"epoch":7')  # checksum no longer matches
    log.write_bytes(b"".join(lines) + lines[1])  # a middle line, not a torn last one
    damaged_bytes = log.read_bytes()
    with Journal(path) as j:
        got = j.get(first)
        other = j.get(second)
    moved = list(log.parent.glob(f"{first}.jsonl.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == damaged_bytes
    assert str(moved[0]) in got.runs_note
    assert got.title == "first" and got.runs[0]["test_acc"] == 0.88  # lines before kept
    assert len(got.runs[0]["epochs"]) == 3  # the damaged line's epoch is not
    assert len(other.runs[0]["epochs"]) == 3 and other.runs_note == ""


def test_a_full_disk_on_append_loses_nothing_and_the_next_save_catches_up(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    with Journal(path) as j:
        recorder, _ = _recorder(j)
        recorder.on_event(_epoch_event(1))
        entry_id = recorder.entry.id or 0
        log_before = _log(path, entry_id).read_bytes()

        def full(fd: int, data: Any) -> int:
            real_write(fd, bytes(data[:7]))  # part of the line reaches the disk
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(runlog_mod.os, "write", full)
        recorder.on_event(_epoch_event(2))
        assert recorder.write_error is not None and "No space left" in recorder.write_error
        with pytest.raises(JournalWriteError):
            j.record_epoch(recorder.entry, 0)
        monkeypatch.setattr(runlog_mod.os, "write", real_write)
        with Journal(path, read_only=True) as reader:  # what is on disk reads as before
            assert len(reader.get(entry_id).runs[0]["epochs"]) == 1
        assert _log(path, entry_id).read_bytes().startswith(log_before)
        recorder.on_event(_epoch_event(3))
        assert recorder.write_error is None
    with Journal(path, read_only=True) as j:
        assert [e["epoch"] for e in j.get(entry_id).runs[0]["epochs"]] == [1, 2, 3]


CHILD = textwrap.dedent(
    """
    import sys
    from fmtui.core import events
    from fmtui.core.journal import Entry, Journal
    from fmtui.core.record import ExperimentRecorder
    from fmtui.core.spec import Arm, ExperimentSpec, RunSpec

    j = Journal(sys.argv[1])
    experiment = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=100)),), seeds=1)
    rec = ExperimentRecorder(j, Entry(title="killed"), experiment)
    rec.start()
    rec.on_event(events.RunStarted("a", 0, experiment.runs()[0].spec, "cpu", 10, {}, 5))
    n = 0
    while True:
        n += 1
        m = events.EpochMetrics(min(n, 100), 0.5, 0.8, 0.4, 0.85, 1.0)
        rec.on_event(events.EpochEnd("a", 0, m, best_epoch=1, patience_left=None))
        assert rec.write_error is None, rec.write_error
        print(n, flush=True)  # saved: the append was fsynced before this line
    """
)


def test_kill_9_during_epoch_appends_loses_at_most_the_epoch_in_progress(path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    saved = 0
    for line in child.stdout:
        saved = int(line)
        if saved >= 40:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    saved = max(saved, *(int(x) for x in child.stdout.read().split() or ["0"]))
    with Journal(path) as j:  # the writer died: its entry is interrupted
        entry = j.get(j.summaries()[0].id or 0)
    assert entry.status == "interrupted"
    run = entry.runs[0]
    assert run["status"] == "interrupted"
    assert saved <= len(run["epochs"]) <= saved + 1


def _schema_1_journal(path: Path, entries: list[Entry]) -> None:
    """A journal file exactly as fmtui wrote it before run logs: runs inline, schema 1."""
    table = {}
    for i, entry in enumerate(entries, 1):
        data = entry.to_dict()
        data.pop("id")
        table[str(i)] = data
    doc = {"_meta": {"1": {"schema_version": 1}}, "entries": table}
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), "utf-8")


def _export(entries: list[Entry], fmt: str) -> str:
    text = export_text(entries, fmt)  # the JSON export's own time stamp aside
    return re.sub(r'"exported": "[^"]*"', "", text) if fmt == "json" else text


def test_migration_from_schema_1_moves_runs_to_logs_with_a_backup(path: Path) -> None:
    entries = [_entry("one"), Entry(title="draft"), _entry("three", runs=3)]
    _schema_1_journal(path, entries)
    original = path.read_bytes()
    for i, e in enumerate(entries, 1):
        e.id = i
    expected = {fmt: _export(entries, fmt) for fmt in ("md", "json", "csv")}
    with Journal(path) as j:
        assert j.migrated_from == 1 and j.backup is not None
        assert j.backup.read_bytes() == original
        migrated = j.full(j.query(sort="date", reverse=False))
    assert {fmt: _export(migrated, fmt) for fmt in expected} == expected
    stored = json.loads(path.read_text())
    assert stored["_meta"]["1"]["schema_version"] == 3
    assert not any("runs" in e for e in stored["entries"].values())
    assert [e["run_summary"]["count"] for e in stored["entries"].values()] == [2, 0, 3]
    assert _log(path, 1).exists() and not _log(path, 2).exists()


def _schema_2_journal(path: Path, entries: list[Entry]) -> None:
    """A journal as fmtui wrote it with schema 2: run summaries in the index, bulky
    parts (and each run's key order) in the run logs."""
    table = {}
    for i, entry in enumerate(entries, 1):
        data = entry.to_dict()
        data.pop("id")
        runs = data["runs"]
        data["runs"] = [runlog_mod.summary_of(r) for r in runs]
        table[str(i)] = data
        if runs:
            _log(path, i).parent.mkdir(exist_ok=True)
            record = {"k": "runs", "runs": [runlog_mod.bulky_of(r) for r in runs]}
            _log(path, i).write_bytes(runlog_mod.encode(record))
    doc = {"_meta": {"1": {"schema_version": 2}}, "entries": table}
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), "utf-8")


def test_migration_from_schema_2_moves_run_summaries_to_logs_with_a_backup(path: Path) -> None:
    entries = [_entry("one"), Entry(title="draft"), _entry("three", runs=3)]
    _schema_2_journal(path, entries)
    original = path.read_bytes()
    for i, e in enumerate(entries, 1):
        e.id = i
    expected = {fmt: _export(entries, fmt) for fmt in ("md", "json", "csv")}
    with Journal(path, read_only=True) as j:  # read-only: migrated in memory, files kept
        assert j.migrated_from == 2
        assert [e.run_count for e in j.query(sort="date", reverse=False)] == [2, 0, 3]
        assert {fmt: _export(j.all(), fmt) for fmt in expected} == expected
    assert path.read_bytes() == original
    with Journal(path) as j:
        assert j.migrated_from == 2 and j.backup is not None
        assert j.backup.read_bytes() == original
        listed = j.query(sort="date", reverse=False)
        assert [e.best_accuracy for e in listed] == [0.88, None, 0.88]
        migrated = j.full(listed)
    assert {fmt: _export(migrated, fmt) for fmt in expected} == expected
    stored = json.loads(path.read_text())
    assert stored["_meta"]["1"]["schema_version"] == 3
    assert not any("runs" in e for e in stored["entries"].values())
    # The log now holds whole runs: it reads back alone, without the index.
    found = runlog_mod.read_log(_log(path, 3))
    assert found is not None and found.runs == [r for r in entries[2].to_dict()["runs"]]


def test_delete_removes_the_entrys_log(path: Path) -> None:
    with Journal(path) as j:
        entry_id = j.add(_entry())
        assert _log(path, entry_id).exists()
        j.delete(entry_id)
    assert not _log(path, entry_id).exists()


def test_a_new_entry_never_inherits_a_stray_log(path: Path) -> None:
    stray = _log(path, 1)
    stray.parent.mkdir()
    stray.write_bytes(runlog_mod.encode({"k": "runs", "runs": [{"epochs": [_epoch(1)]}]}))
    with Journal(path) as j:
        entry_id = j.add(Entry(title="fresh", runs=[_run() | {"epochs": [], "best_epoch": None}]))
        assert entry_id == 1
        assert j.get(entry_id).runs[0]["epochs"] == []


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "fmtui", "--journal", str(path), "journal", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_journal_check_reports_per_entry_and_fails_on_damage(path: Path) -> None:
    with Journal(path) as j:
        first = j.add(_entry("first"))
        j.add(Entry(title="draft"))
    proc = _check(path)
    assert proc.returncode == 0, proc.stderr
    assert f"entry {first}: 2 run(s), 1 log line(s) verified" in proc.stdout
    assert "No problems found." in proc.stdout
    log = _log(path, first)
    log.write_bytes(b"00000000 {}\n" + log.read_bytes())  # a bad line before a good one
    orphan = _log(path, 99)
    orphan.write_bytes(log.read_bytes()[12:])
    before = log.read_bytes()
    proc = _check(path)
    assert proc.returncode == 1
    assert f"{log} is damaged at line 1" in proc.stdout
    assert f"run log {orphan} belongs to no entry" in proc.stdout
    assert log.read_bytes() == before  # checking changes nothing
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    show = subprocess.run(
        [sys.executable, "-m", "fmtui", "--journal", str(path), "journal", "show", str(first)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert show.returncode == 0 and f"warning: The run log of entry {first}" in show.stderr


def test_a_hand_edited_index_is_checked_again_not_trusted(path: Path) -> None:
    with Journal(path) as j:
        j.add(_entry("first"))
        j.add(_entry("second"))
        j.summaries()  # every entry checked: the next write seals the index
        j.add(Entry(title="third"))
    doc = json.loads(path.read_text())
    assert doc["_seal"]["1"]["damaged"] == []
    doc["entries"]["2"]["status"] = "bogus"  # the seal no longer matches
    path.write_text(json.dumps(doc))
    with Journal(path, read_only=True) as j:
        assert [e.title for e in j.summaries()] == ["first", "third"]
        assert [i for i, _ in j.damaged()] == [2]
    with Journal(path) as j:  # sealed again, the damaged entry stays damaged
        j.add(Entry(title="fourth"))
    with Journal(path, read_only=True) as j:
        assert json.loads(path.read_text())["_seal"]["1"]["damaged"] == [2]
        assert [i for i, _ in j.damaged()] == [2]
        assert len(j.summaries()) == 3
