"""Provides training in a child process, with events relayed to the caller's thread.

A UI and a training loop in one process share one interpreter lock, and every bit
of UI work then stalls the loop's next torch call. In a child process the training
loop has its own interpreter; the caller's thread only relays events and cancel
requests, so the UI stays responsive and training keeps its speed.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import threading
from pathlib import Path
from typing import Any

from fmtui.core import events as train
from fmtui.core.parent_watch import tie_to_parent
from fmtui.core.spec import ExperimentSpec

_DONE = "done"
_ERROR = "error"


def prepare_subprocesses() -> None:
    """Start multiprocessing's resource tracker now.

    It hands the tracker our stderr's file descriptor; inside a running Textual app
    stderr is captured and has none, so the first training would fail to start.
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


def _quiet() -> None:
    """The child writes nothing to the terminal the app is drawing on."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the child


def _child(
    experiment: dict[str, Any],
    data_dir: str | None,
    require_full: bool,
    progress_every: int,
    threads: int | None,
    events: Any,
    cancel: Any,
    cancel_current: Any,
    parent_pid: int | None = None,
    only: list[tuple[str, int]] | None = None,
) -> None:
    """The child's whole life: train, sending every event and then a closing word."""
    if parent_pid is not None:
        tie_to_parent(parent_pid)  # a killed app must not leave training running
    _quiet()
    try:
        import torch

        from fmtui.core import data, train
        from fmtui.core.runner.subset import restrict

        if threads:
            torch.set_num_threads(threads)
        source = data.resolve(data_dir)
        spec: Any = ExperimentSpec.from_dict(experiment)
        results = train.run_experiment(
            restrict(spec, only),
            source,
            on_event=events.put,
            cancel=cancel,
            cancel_current=cancel_current,
            require_full=require_full,
            progress_every=progress_every,
        )
        events.put((_DONE, len(results)))
    except BaseException as err:  # noqa: BLE001 - reported to the parent, never lost
        events.put((_ERROR, f"{type(err).__name__}: {err}"))


def run_in_subprocess(
    experiment: Any,
    on_event: train.EventCallback,
    cancel: threading.Event,
    cancel_current: threading.Event,
    *,
    data_dir: str | Path | None = None,
    require_full: bool = True,
    progress_every: int = 50,
    threads: int | None = None,
    poll_s: float = 0.05,
) -> list[train.RunResult]:
    """Run `experiment` (or one look of it) in a fresh process; returns the finished runs.

    `cancel` and `cancel_current` are mirrored into the child within `poll_s`. Raises
    RuntimeError when the child dies without saying why (killed, out of memory).
    """
    ctx = multiprocessing.get_context("spawn")
    events = ctx.Queue()
    child_cancel, child_cancel_current = ctx.Event(), ctx.Event()
    process = ctx.Process(
        target=_child,
        args=(
            # a look of seeds until decided travels as its experiment and first repeat
            getattr(experiment, "spec", experiment).to_dict(),
            str(data_dir) if data_dir else None,
            require_full,
            progress_every,
            threads,
            events,
            child_cancel,
            child_cancel_current,
            os.getpid(),
            getattr(experiment, "only", None),  # a subset: the runs left to train
        ),
        daemon=True,
        name="fmtui-training",
    )
    process.start()
    results: list[train.RunResult] = []
    try:
        while True:
            if cancel.is_set():
                child_cancel.set()
            if cancel_current.is_set():
                child_cancel_current.set()
                cancel_current.clear()
            try:
                item = events.get(timeout=poll_s)
            except queue.Empty:
                if not process.is_alive():
                    try:  # the closing word may land just after the exit
                        item = events.get(timeout=1.0)
                    except queue.Empty:
                        raise RuntimeError(
                            f"the training process ended unexpectedly "
                            f"(exit code {process.exitcode})"
                        ) from None
                else:
                    continue
            if isinstance(item, tuple) and item and item[0] == _DONE:
                break
            if isinstance(item, tuple) and item and item[0] == _ERROR:
                raise RuntimeError(item[1])
            if isinstance(item, train.RunStarted):
                child_cancel_current.clear()
            if isinstance(item, train.RunFinished):
                results.append(item.result)
            on_event(item)
    finally:
        child_cancel.set()
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
        events.close()
    return results
