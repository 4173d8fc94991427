"""Provides what a Dask worker runs for fmtui: one planned run, its events sent home.

The worker trains with the same engine and the same data-path rules as this machine
(`--data-dir` when the controller was given one, else the worker's own
FMTUI_DATA_DIR, the Debian folder, the download cache; it never downloads). It never
opens the journal: every event goes back to the controller as a worker event (Dask's
`log_event`, fire-and-forget: the training loop never waits on the network), and the
controller alone records it.
"""

from __future__ import annotations

import pickle
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from typing import Any

from fmtui import __version__
from fmtui.core import events
from fmtui.core.spec import RunSpec
from fmtui.core.status import RunStatus

# How often a worker looks at the controller's cancel flags (each look asks the scheduler).
CANCEL_POLL_S = 0.3


def versions() -> dict[str, str]:
    """What must match between the controller and its workers for runs to be comparable."""
    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "not installed"
    return {"fmtui": __version__, "torch": torch_version}


class VersionSkew(RuntimeError):
    """A worker's fmtui or torch differs from the controller's."""


def skew_message(worker: str, theirs: dict[str, str], ours: dict[str, str]) -> str | None:
    """The refusal naming both sides' versions, or None when they match."""
    diffs = [
        f"{k} {theirs.get(k)} (this machine: {v})" for k, v in ours.items() if theirs.get(k) != v
    ]
    if not diffs:
        return None
    return f"worker {worker} has {', '.join(diffs)}; install the same versions on every machine"


@dataclass(frozen=True)
class TaskSpec:
    """Everything one task needs, in plain values that pickle across machines."""

    experiment_id: str
    index: int  # the run's place in the experiment's launch order
    arm: str
    repeat: int
    spec: dict[str, Any]
    data_dir: str | None
    require_full: bool
    progress_every: int
    versions: dict[str, str]

    @property
    def topic(self) -> str:
        return f"fmtui-events-{self.experiment_id}"

    @property
    def cancel_name(self) -> str:
        return f"fmtui-cancel-{self.experiment_id}"

    def cancel_current_name(self) -> str:
        return f"fmtui-skip-{self.experiment_id}-{self.index}"


@dataclass(frozen=True)
class Envelope:
    """One event on its way home: which run, which attempt at it, and the event."""

    index: int
    attempt: str
    event: events.Event


def _watch(flags: list[Any], local: threading.Event, done: threading.Event) -> None:
    """Mirror the controller's distributed cancel flags into a local event."""
    while not done.wait(CANCEL_POLL_S):
        try:
            if any(flag.is_set() for flag in flags):
                local.set()
                return
        except Exception:  # noqa: BLE001 - the scheduler went away: stop the run
            local.set()
            return


def run_task(task: TaskSpec) -> events.RunResult:
    """Train one run on this worker; every event is also sent to the controller."""
    from distributed import Event, get_client, get_worker

    attempt = uuid.uuid4().hex
    worker = get_worker()
    place = {"host": socket.gethostname(), "worker": worker.address}

    def send(event: events.Event) -> None:
        if isinstance(event, events.RunStarted):
            event = replace(event, environment={**event.environment, **place})
        elif isinstance(event, events.RunFinished):
            env = {**event.result.environment, **place}
            event = replace(event, result=replace(event.result, environment=env))
        worker.log_event(task.topic, pickle.dumps(Envelope(task.index, attempt, event)))

    spec = RunSpec.from_dict(task.spec)
    skew = skew_message(worker.address, versions(), task.versions)
    if skew is not None:
        return _failed(task, spec, skew, send)
    import torch

    from fmtui.core import data, train

    torch.set_num_threads(max(1, worker.state.nthreads))
    try:
        source = data.resolve(task.data_dir, allow_download=False)
    except data.DataError as err:
        return _failed(task, spec, f"on {place['host']}: {err}", send)
    cancel, done = threading.Event(), threading.Event()
    client = get_client()  # the watcher thread has none of its own: it uses this one
    flags = [
        Event(task.cancel_name, client=client),
        Event(task.cancel_current_name(), client=client),
    ]
    watcher = threading.Thread(target=_watch, args=(flags, cancel, done), daemon=True)
    watcher.start()
    try:
        return train.train_run(
            spec,
            source,
            on_event=send,
            cancel=cancel,
            arm=task.arm,
            repeat=task.repeat,
            require_full=task.require_full,
            progress_every=task.progress_every,
        )
    finally:
        done.set()
        watcher.join(timeout=2)


def _failed(task: TaskSpec, spec: RunSpec, reason: str, send: Any) -> events.RunResult:
    result = closed_result(task, spec, RunStatus.FAILED, reason)
    send(events.RunFinished(result))
    return result


def closed_result(
    task: TaskSpec,
    spec: RunSpec,
    status: RunStatus,
    error: str | None,
    epochs: Sequence[events.EpochMetrics] = (),
) -> events.RunResult:
    """The result of a run its engine could not close (the task or the controller
    closes it): status and reason, and the epochs seen so far."""
    return events.RunResult(task.arm, task.repeat, spec, status, error=error, epochs=tuple(epochs))
