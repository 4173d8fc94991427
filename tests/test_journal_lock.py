"""The writer lock under faults: parallel writers, kill -9, reused pids, odd lock files,
a full filesystem. Real processes and real files throughout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fmtui.core.journal import Entry, Journal, JournalError, JournalWriteError

WRITER = textwrap.dedent("""
    import sys, time
    from fmtui.core.journal import Entry, Journal, JournalLocked
    path, me, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    done = 0
    while done < rounds:
        try:
            with Journal(path) as j:
                j.add(Entry(title=f"{me}-{done}"))
        except JournalLocked:
            time.sleep(0.01)
            continue
        done += 1
""")

READER = textwrap.dedent("""
    import os, sys
    from fmtui.core.journal import Journal
    path, stop = sys.argv[1], sys.argv[2]
    reads = 0
    while not os.path.exists(stop):
        if os.path.exists(path):
            with Journal(path, read_only=True) as j:
                len(j)
            reads += 1
    print(reads)
""")

HOLDER = textwrap.dedent("""
    import sys
    from fmtui.core.journal import Journal
    j = Journal(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
""")

OPENER = textwrap.dedent("""
    import sys
    from fmtui.core.journal import Journal, JournalError
    try:
        Journal(sys.argv[1]).close()
    except JournalError as err:
        print(err)
        sys.exit(3)
""")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "journal.json"


def _python(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", *args], **kwargs)


def test_eight_parallel_writers_lose_nothing(path: Path, tmp_path: Path) -> None:
    writers, rounds = 8, 20
    stop = tmp_path / "stop"
    readers = [_python(READER, str(path), str(stop), stdout=subprocess.PIPE) for _ in range(2)]
    procs = [_python(WRITER, str(path), f"w{n}", str(rounds)) for n in range(writers)]
    try:
        codes = [p.wait(timeout=600) for p in procs]
    finally:
        stop.touch()
        reads = [int(r.communicate(timeout=60)[0] or 0) for r in readers]
    assert codes == [0] * writers
    assert all(r.returncode == 0 for r in readers) and sum(reads) > 0
    with Journal(path, read_only=True) as j:
        titles = sorted(e.title for e in j)
    assert len(titles) == writers * rounds
    assert titles == sorted(f"w{n}-{i}" for n in range(writers) for i in range(rounds))
    assert sorted(p.name for p in path.parent.iterdir()) == ["journal.json"], "no temp or lock"


def test_kill_9_of_the_holder_frees_the_lock_at_once(path: Path) -> None:
    holder = _python(HOLDER, str(path), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    with pytest.raises(JournalError, match=f"in use by another fmtui process \\(pid {holder.pid}"):
        Journal(path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert (path.parent / "journal.json.lock").read_text().strip() == str(holder.pid)
    with Journal(path) as j:  # no waiting, no stale-lock guessing
        j.add(Entry(title="after the crash"))
    with Journal(path, read_only=True) as j:
        assert [e.title for e in j] == ["after the crash"]


@pytest.mark.parametrize(
    "pid_text", [str(os.getppid()), "1", "", "garbage"], ids=["parent", "init", "empty", "text"]
)
def test_a_reused_or_odd_pid_in_the_lock_pins_nothing(path: Path, pid_text: str) -> None:
    with Journal(path) as j:
        entry_id = j.add(Entry(title="was running", status="running", pid=os.getppid()))
    (path.parent / "journal.json.lock").write_text(pid_text)  # a live, unrelated process
    with Journal(path, read_only=True) as reader:  # no writer holds the lock
        assert reader.get(entry_id).status == "interrupted"
    with Journal(path) as j:
        assert j.interrupted == [entry_id]
        assert j.get(entry_id).status == "interrupted"


def _open_in_child(path: Path) -> subprocess.CompletedProcess:
    # A child with a timeout: a lock file that makes the opener hang fails, not blocks.
    return subprocess.run(
        [sys.executable, "-c", OPENER, str(path)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("kind", "needle"),
    [("folder", "a folder"), ("fifo", "a named pipe"), ("symlink", "a symbolic link")],
)
def test_an_odd_lock_file_gets_a_message(path: Path, tmp_path: Path, kind, needle) -> None:
    path.parent.mkdir(parents=True)
    lock = path.parent / "journal.json.lock"
    if kind == "folder":
        lock.mkdir()
    elif kind == "fifo":
        os.mkfifo(lock)
    else:
        (tmp_path / "elsewhere").write_text("12")
        lock.symlink_to(tmp_path / "elsewhere")
    done = _open_in_child(path)
    assert done.returncode == 3, done.stderr
    assert f"its lock file {lock} is {needle}" in done.stdout and "Traceback" not in done.stderr
    assert (tmp_path / "elsewhere").read_text() == "12" if kind == "symlink" else True
    with Journal(path, read_only=True) as reader:  # reading still works
        assert len(reader) == 0


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs with 64 inodes, or a skip saying why it could not be mounted."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill_blocks(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def test_a_full_filesystem_gives_messages_and_keeps_the_journal(tiny_fs: Path) -> None:
    path = tiny_fs / "journal.json"
    with Journal(path) as j:
        j.add_many([Entry(title=t) for t in ("one", "two", "three")])
    before = path.read_bytes()
    filler = _fill_blocks(tiny_fs)
    with Journal(path) as j:  # the lock costs no space; reading works
        assert len(j) == 3
        with pytest.raises(JournalWriteError, match="No space left"):
            j.add(Entry(title="four"))
    assert path.read_bytes() == before
    assert not (tiny_fs / "journal.json.lock").exists()
    filler.unlink()
    with Journal(path) as j:  # nothing left behind breaks the next writer
        j.add(Entry(title="four"))
        assert len(j) == 4
    assert json.loads(path.read_text())


def test_no_inode_left_for_the_lock_file_gives_a_message(tiny_fs: Path) -> None:
    path = tiny_fs / "journal.json"
    with Journal(path) as j:
        j.add(Entry(title="one"))
    fillers = []
    try:
        for n in range(1000):
            (tiny_fs / f"f{n}").touch()
            fillers.append(tiny_fs / f"f{n}")
    except OSError:
        pass
    with pytest.raises(JournalError, match="cannot open its lock file .*No space left"):
        Journal(path)
    assert not (tiny_fs / "journal.json.lock").exists()
    fillers[-1].unlink()
    with Journal(path) as j:
        assert [e.title for e in j] == ["one"]


def test_readers_probe_never_refuses_a_writer(path: Path) -> None:
    with Journal(path) as j:
        j.add(Entry(title="x"))
    stop = path.parent / "stop"
    reader = _python(READER, str(path), str(stop), stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 3
        opened = 0
        while time.monotonic() < deadline or opened < 20:
            with Journal(path):
                opened += 1
    finally:
        stop.touch()
        reader.communicate(timeout=60)
    assert opened >= 20
