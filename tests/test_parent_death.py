"""Training dies with the app: after `kill -9` of the process that started it, the
training child is gone within seconds (it used to train on to the end, for nobody)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

PARENT = textwrap.dedent("""
    import sys, threading
    from fmtui.core import train
    from fmtui.core.spec import ExperimentSpec, RunSpec, layer_arms
    from fmtui.core.subprocess_trainer import run_in_subprocess

    base = RunSpec(layers=(16,), epochs=1000, patience=0, device="cpu", batch_size=32)
    experiment = ExperimentSpec(arms=layer_arms([(16,), (8,), (4,)], base), seeds=5)

    def on_event(event):
        if isinstance(event, train.RunStarted):
            print("started", flush=True)

    def work():
        run_in_subprocess(
            experiment, on_event, threading.Event(), threading.Event(),
            data_dir=sys.argv[1], require_full=False,
        )

    if sys.argv[2] == "thread":  # as the app does: from a worker thread
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    else:
        work()
""")


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat_text = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat_text.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a reaper that may never come in a container."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("where", ["main", "thread"])
def test_training_child_stops_when_its_parent_is_killed(fixture_dir: Path, where: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(fixture_dir), where],
        stdout=subprocess.PIPE,
        text=True,
    )
    children: list[int] = []
    try:
        assert parent.stdout.readline().strip() == "started"
        children = _children(parent.pid)
        assert len(children) == 1, children
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15  # pdeathsig acts at once; the watcher within 0.5 s
        while _alive(children[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(children[0]), "training went on after its parent was killed"
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
