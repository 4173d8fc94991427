"""The journal store: atomic writes, recovery, locking, migration, queries."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from fmtui.core import journal as jmod
from fmtui.core.journal import Entry, Journal, JournalError, JournalLocked, JournalWriteError
from fmtui.core.spec import RunSpec


def _run(status: str = "completed", acc: float | None = 0.88, arm: str = "384x512") -> dict:
    return {
        "arm": arm,
        "repeat": 0,
        "spec": RunSpec().to_dict(),
        "status": status,
        "test_acc": acc,
        "epochs": [{"epoch": 1, "train_loss": 0.5}],
    }


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "journal.json"


def test_creates_folder_and_round_trips(path: Path) -> None:
    with Journal(path) as j:
        entry = Entry(
            title="Batch size",
            hypothesis="32 beats 64",
            tags=["batch"],
            runs=[_run()],
            claim={"metric": "test_acc", "direction": "higher", "baseline": "b64"},
        )
        entry_id = j.add(entry)
        got = j.get(entry_id)
    assert got.title == "Batch size" and got.claim.baseline == "b64"
    assert got.best_accuracy == 0.88
    doc = json.loads(path.read_text())
    assert doc["_meta"]["1"]["schema_version"] == jmod.SCHEMA_VERSION
    with Journal(path, read_only=True) as j:
        assert [e.title for e in j] == ["Batch size"]
        with pytest.raises(JournalError, match="read-only"):
            j.add(Entry(title="x"))


def test_update_and_delete(path: Path) -> None:
    with Journal(path) as j:
        entry_id = j.add(Entry(title="a"))
        entry = j.get(entry_id)
        entry.conclusion = "done"
        j.update(entry)
        assert j.get(entry_id).conclusion == "done"
        j.delete(entry_id)
        assert len(j) == 0
        with pytest.raises(JournalError, match="No entry"):
            j.get(entry_id)


CRASH_SCRIPT = textwrap.dedent("""
    import os, sys
    from fmtui.core import atomic
    from fmtui.core import journal as jmod
    j = jmod.Journal(sys.argv[1])
    j.add(jmod.Entry(title="committed"))
    step = sys.argv[2]
    if step == "after_temp_write":
        os.fsync = lambda fd: os._exit(9)
    elif step == "after_fsync":
        os.replace = lambda a, b: os._exit(9)
    elif step == "after_replace":
        atomic.fsync_dir = lambda d: os._exit(9)
    j.add(jmod.Entry(title="second"))
    os._exit(0)
""")


@pytest.mark.parametrize("step", ["after_temp_write", "after_fsync", "after_replace"])
def test_killed_mid_write_leaves_old_or_new_state(path: Path, step: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(path), step],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 9, proc.stderr
    json.loads(path.read_text())  # parses
    with Journal(path) as j:
        titles = [e.title for e in j]
    assert titles[0] == "committed"
    assert titles == (["committed", "second"] if step == "after_replace" else ["committed"])
    assert not list(path.parent.glob(".journal.json.tmp-*")), "orphan temp files are removed"


def _three_entries(path: Path) -> bytes:
    with Journal(path) as j:
        for title in ("one", "two", "three"):
            j.add(Entry(title=title, runs=[_run()]))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "damage", "recovered"),
    [
        ("truncated", lambda raw: raw[: raw.index(b'"three"') + 3], 2),
        ("trailing data", lambda raw: raw + b"}garbage", 3),
        ("zero bytes", lambda raw: b"", 0),
        ("binary", lambda raw: bytes(range(256)) * 4, 0),
        ("wrong shape", lambda raw: b"[1, 2, 3]", 0),
        ("wrong table", lambda raw: b'{"entries": {"1": [1, 2]}}', 0),
        ("nan constant", lambda raw: raw.replace(b'"best":0.88', b'"best":NaN', 1), 3),
    ],
)
def test_corrupt_file_is_moved_aside_and_salvaged(path: Path, name, damage, recovered) -> None:
    damaged = damage(_three_entries(path))
    path.write_bytes(damaged)
    with Journal(path) as j:
        assert j.recovery is not None
        moved = j.recovery.moved_to
        assert moved.name.startswith("journal.json.corrupt-")
        assert moved.read_bytes() == damaged  # byte-for-byte
        assert len(j) == recovered == j.recovery.recovered
        message = j.recovery.message()
        assert str(moved) in message and str(path) in message
        j.add(Entry(title="after"))
    json.loads(path.read_text())


def test_read_only_open_never_touches_a_corrupt_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{broken")
    with pytest.raises(JournalError, match="could not be read"):
        Journal(path, read_only=True)
    assert path.read_bytes() == b"{broken"


def test_disk_full_leaves_journal_unchanged(path: Path, monkeypatch) -> None:
    with Journal(path) as j:
        entry_id = j.add(Entry(title="before"))
        before = path.read_bytes()

        def full(fd, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(jmod.os, "write", full)
        entry = j.get(entry_id)
        entry.title = "after"
        with pytest.raises(JournalWriteError, match="No space left on device"):
            j.update(entry)
        with pytest.raises(JournalWriteError):
            j.add(Entry(title="new"))
        assert path.read_bytes() == before
        assert j.get(entry_id).title == "before"
        assert entry.title == "after", "the caller's unsaved edit is kept"
        monkeypatch.undo()
        j.update(entry)  # retry succeeds
        assert j.get(entry_id).title == "after"
    assert not list(path.parent.glob(".journal.json.tmp-*"))


def test_read_only_directory_is_a_clear_error(path: Path, monkeypatch) -> None:
    with Journal(path) as j:
        entry_id = j.add(Entry(title="before"))
        before = path.read_bytes()
        real_open = os.open

        def read_only(file, flags, *args):
            if ".tmp-" in str(file):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(file))
            return real_open(file, flags, *args)

        monkeypatch.setattr(jmod.os, "open", read_only)
        entry = j.get(entry_id)
        entry.title = "x"
        with pytest.raises(JournalWriteError, match="Read-only file system"):
            j.update(entry)
    assert path.read_bytes() == before


def test_eight_threads_times_one_hundred_inserts(path: Path) -> None:
    with Journal(path) as j:

        def worker(n: int) -> None:
            for i in range(100):
                j.add(Entry(title=f"{n}-{i}"))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(j) == 800
    with Journal(path, read_only=True) as j:
        assert len({e.title for e in j}) == 800


HOLD_SCRIPT = textwrap.dedent("""
    import sys, time
    from fmtui.core.journal import Journal
    j = Journal(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
""")


def test_second_process_is_refused_with_the_holders_pid(path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(JournalLocked) as info:
            Journal(path)
        assert f"pid {holder.pid}" in str(info.value)
        with Journal(path, read_only=True) as reader:  # readers are always allowed
            assert len(reader) == 0
    finally:
        holder.communicate("\n", timeout=30)
    with Journal(path) as j:  # released on exit
        j.add(Entry(title="mine"))


def test_stale_lock_is_taken_over(path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    path.parent.mkdir(parents=True)
    (path.parent / "journal.json.lock").write_text(dead)
    with Journal(path) as j:
        j.add(Entry(title="ok"))
        assert (path.parent / "journal.json.lock").read_text().strip() == str(os.getpid())
    assert not (path.parent / "journal.json.lock").exists()


def test_non_finite_and_numpy_values_are_strict_json(path: Path) -> None:
    run = _run(acc=float("nan"))
    run["test_loss"] = float("inf")
    run["duration_s"] = np.float32(1.5)
    run["best_epoch"] = np.int64(3)
    run["per_class_acc"] = np.array([0.5, float("-inf")])
    with Journal(path) as j:
        entry_id = j.add(Entry(title="nan", runs=[run]))
        got = j.get(entry_id).runs[0]
    jmod.strict_loads(path.read_text())
    assert got["test_acc"] is None and got["test_loss"] is None
    assert got["duration_s"] == 1.5 and got["best_epoch"] == 3
    assert got["per_class_acc"] == [0.5, None]


def test_old_schema_is_migrated_after_a_backup(path: Path) -> None:
    path.parent.mkdir(parents=True)
    old = json.dumps(
        {
            "entries": {
                "1": {
                    "title": "early",
                    "created": "2025-10-07 15:00:51",
                    "updated": "2025-10-07 15:00:51",
                }
            }
        }
    )
    path.write_text(old)
    with Journal(path) as j:
        assert j.migrated_from == 0
        assert j.backup is not None and j.backup.read_text() == old
        assert [e.title for e in j] == ["early"]
    assert json.loads(path.read_text())["_meta"]["1"]["schema_version"] == jmod.SCHEMA_VERSION


def test_newer_schema_is_refused_and_untouched(path: Path) -> None:
    path.parent.mkdir(parents=True)
    newer = json.dumps({"_meta": {"1": {"schema_version": 99}}, "entries": {}})
    path.write_text(newer)
    for read_only in (False, True):
        with pytest.raises(JournalError, match="newer fmtui"):
            Journal(path, read_only=read_only)
    assert path.read_text() == newer
    assert not (path.parent / "journal.json.lock").exists()


def test_running_entry_of_a_dead_process_is_interrupted(path: Path) -> None:
    dead = int(
        subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        ).stdout
    )
    with Journal(path) as j:
        run = _run(status="running", acc=None)
        entry_id = j.add(Entry(title="t", status="running", pid=dead, runs=[run]))
        live_id = j.add(Entry(title="live", status="running", pid=os.getpid()))
        with Journal(path, read_only=True) as reader:  # a writer holds the lock: all may live
            assert reader.interrupted == [] and reader.get(entry_id).status == "running"
        with Journal(path) as again:  # this process's second handle keeps its own runs
            assert again.interrupted == [entry_id]
            assert again.get(live_id).status == "running"
            entry = again.get(entry_id)
            assert entry.status == "interrupted" and entry.runs[0]["status"] == "interrupted"
            assert entry.runs[0]["epochs"] == [{"epoch": 1, "train_loss": 0.5}]
    before = path.read_bytes()
    with Journal(path, read_only=True) as reader:  # no writer: shown as stale, not written
        assert reader.get(live_id).status == "interrupted"
        assert reader.interrupted == [live_id]
    assert path.read_bytes() == before
    with Journal(path) as j:  # a fresh writer owns no run yet: every `running` is stale
        assert j.interrupted == [live_id]
        assert j.get(live_id).status == "interrupted"


def test_invalid_entries_are_rejected_with_the_field() -> None:
    with pytest.raises(jmod.SpecError, match="status"):
        Entry(status="done")
    with pytest.raises(jmod.SpecError, match="created"):
        Entry(created="yesterday")
    with pytest.raises(jmod.SpecError, match="lr"):
        Entry(runs=[{"spec": {"lr": "nan"}, "status": "completed"}])
    with pytest.raises(jmod.SpecError, match="direction"):
        Entry(claim={"direction": "up"})


def test_queries_sort_filter_search(path: Path) -> None:
    with Journal(path) as j:
        j.add(
            Entry(
                title="Batch",
                status="completed",
                tags=["batch"],
                runs=[_run(acc=0.89)],
                created="2025-10-07 16:30:14",
                verdict="inconclusive",
            )
        )
        j.add(
            Entry(
                title="alpha draft",
                hypothesis="Learning rate matters",
                created="2025-10-08 09:00:00",
            )
        )
        j.add(
            Entry(
                title="Width",
                status="completed",
                runs=[_run(acc=0.90)],
                created="2025-10-06 10:00:00",
            )
        )
        assert [e.title for e in j.query()] == ["alpha draft", "Batch", "Width"]
        assert [e.title for e in j.query(sort="title")] == ["alpha draft", "Batch", "Width"]
        assert [e.title for e in j.query(sort="best")][:2] == ["Width", "Batch"]
        assert [e.title for e in j.query(status=["draft"])] == ["alpha draft"]
        assert [e.title for e in j.query(tag="batch")] == ["Batch"]
        assert [e.title for e in j.query(verdict="inconclusive")] == ["Batch"]
        assert [e.title for e in j.query(text="LEARNING rate")] == ["alpha draft"]
        with pytest.raises(jmod.SpecError, match="sort"):
            j.query(sort="size")
