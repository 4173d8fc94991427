"""Provides a child process's tie to its parent: it ends within seconds of the parent's death.

Two independent means, so a `kill -9` of the app never leaves training running:
- on Linux the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG);
- everywhere, a daemon thread sees the parent pid change (the child was adopted)
  and ends the process.

PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not only the
process. multiprocessing's spawn forks from the thread calling `Process.start()`;
`run_in_subprocess` keeps that thread waiting on the child until it has ended, so
the signal only comes when the parent process itself is gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_S = 0.5


def _set_death_signal() -> bool:
    """Ask the kernel for SIGKILL when our parent dies; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, poll_s: float) -> None:
    while True:
        time.sleep(poll_s)
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent is gone: nobody will read our results


def tie_to_parent(parent_pid: int, poll_s: float = POLL_S) -> None:
    """End this process soon after `parent_pid` dies, including if it already has."""
    _set_death_signal()
    if os.getppid() != parent_pid:  # died before the death signal was set
        os._exit(1)
    threading.Thread(
        target=_watch, args=(parent_pid, poll_s), daemon=True, name="fmtui-parent-watch"
    ).start()
