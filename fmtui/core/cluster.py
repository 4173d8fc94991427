"""Provides training on a Dask cluster: each planned run a task, its events streamed home.

`run_on_cluster` has the signature of the local trainers (experiment, on_event,
cancel, cancel_current → results), so `fmtui run`, the recorder and the app treat a cluster
like this machine. Runs train in parallel on the workers; each event names its run,
and the recorder and the training screen key runs by (arm, seed), so they may
interleave. Only this process (the controller) writes the journal.

Faults: a worker lost mid-run has its task rescheduled by Dask; the new attempt
restarts the run (`--retries N` bounds how often; past it the run fails "worker
lost"). A run whose task errs, or that Dask gives up on (`KilledWorker`), fails with
the reason. When every worker is gone, waiting runs fail after `NO_WORKERS_S`
instead of leaving the entry running for ever.
"""

from __future__ import annotations

import pickle
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fmtui.core import cluster_task, events
from fmtui.core.cluster_task import Envelope, TaskSpec, run_task, skew_message, versions
from fmtui.core.status import RunStatus

INSTALL_HINT = "install the cluster extra on every machine: pip install 'fmtui[cluster]'"
CONNECT_TIMEOUT_S = 10.0
NO_WORKERS_S = 30.0
# A finished task's closing event normally arrives within milliseconds of it.
LATE_EVENT_S = 5.0


class ClusterError(Exception):
    """The cluster cannot be used: not installed, unreachable, no workers, version skew."""


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S) -> Any:
    """A Dask client for `address`, after checking every worker runs our versions."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(f"--cluster needs Dask; {INSTALL_HINT}") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({err}). Check the address, or "
            "start a cluster on this machine with `fmtui cluster local`."
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
        check_versions(client)
    except BaseException as err:
        client.close()
        if isinstance(err, ClusterError):
            raise
        if isinstance(err, TimeoutError):
            raise ClusterError(
                f"the Dask scheduler at {address} has no workers (none joined in "
                f"{timeout:g} s); start some with `dask worker {address}`"
            ) from None
        raise
    return client


def check_versions(client: Any) -> None:
    """Refuse a cluster whose workers run another fmtui or torch."""
    ours = versions()
    for worker, theirs in sorted(client.run(cluster_task.versions).items()):
        message = skew_message(worker, theirs, ours)
        if message is not None:
            raise ClusterError(message)


@dataclass
class _Run:
    """The controller's view of one planned run."""

    task: TaskSpec
    future: Any
    attempt: str | None = None
    attempts: int = 0
    result: events.RunResult | None = None
    epochs: list[events.EpochMetrics] = field(default_factory=list)
    finished_at: float | None = None  # when the task was seen finished

    @property
    def done(self) -> bool:
        return self.result is not None


def run_on_cluster(
    experiment: Any,
    on_event: events.EventCallback,
    cancel: threading.Event,
    cancel_current: threading.Event,
    *,
    client: Any,
    data_dir: str | None = None,
    require_full: bool = True,
    progress_every: int = 50,
    retries: int = 1,
    poll_s: float = 0.1,
) -> list[events.RunResult]:
    """Train every planned run of `experiment` on the cluster; results in launch order.

    `cancel` stops the whole experiment (queued runs are dropped, running ones stop
    after their current step); `cancel_current` stops the runs in progress, the rest go on.
    """
    from distributed import Event

    experiment_id = uuid.uuid4().hex
    inbox: queue.Queue[bytes] = queue.Queue()
    topic = f"fmtui-events-{experiment_id}"
    client.subscribe_topic(topic, lambda item: inbox.put(item[1]))
    runs: list[_Run] = []
    for index, planned in enumerate(experiment.runs()):
        task = TaskSpec(
            experiment_id,
            index,
            planned.arm,
            planned.repeat,
            planned.spec.to_dict(),
            data_dir,
            require_full,
            progress_every,
            versions(),
        )
        future = client.submit(run_task, task, key=f"fmtui-run-{experiment_id}-{index}")
        runs.append(_Run(task, future))
    cancel_flag = Event(f"fmtui-cancel-{experiment_id}", client=client)

    def drop(run: _Run) -> None:
        """Stop a run for good: its task is forgotten and its worker told to stop."""
        run.future.cancel()
        Event(run.task.cancel_current_name(), client=client).set()

    relay = _Relay(runs, on_event, retries, drop)
    no_workers_since: float | None = None
    try:
        while not all(run.done for run in runs):
            if cancel.is_set() and not cancel_flag.is_set():
                cancel_flag.set()
                for run in runs:
                    if run.attempt is None and not run.done:
                        run.future.cancel()  # never started: it simply does not run
            if cancel_current.is_set():
                cancel_current.clear()
                for run in runs:
                    if run.attempt is not None and not run.done:
                        Event(run.task.cancel_current_name(), client=client).set()
            try:
                relay.handle(pickle.loads(inbox.get(timeout=poll_s)))
                continue
            except queue.Empty:
                pass
            relay.settle_finished_futures()
            if client.scheduler_info().get("workers"):
                no_workers_since = None
            elif no_workers_since is None:
                no_workers_since = time.monotonic()
            elif time.monotonic() - no_workers_since > NO_WORKERS_S:
                relay.fail_open_runs("no workers left in the cluster")
    finally:
        client.unsubscribe_topic(topic)
        for run in runs:
            if not run.done:
                run.future.cancel()
    return [run.result for run in runs if run.result is not None and run.attempts > 0]


class _Relay:
    """Turns envelopes and future states into the event stream a local trainer gives."""

    def __init__(
        self,
        runs: list[_Run],
        on_event: events.EventCallback,
        retries: int,
        drop: Callable[[_Run], None],
    ) -> None:
        self.runs = runs
        self.on_event = on_event
        self.retries = retries
        self.drop = drop

    def handle(self, envelope: Envelope) -> None:
        run = self.runs[envelope.index]
        event = envelope.event
        if run.done:
            return  # a late event of a run already settled
        if isinstance(event, events.RunStarted):
            if run.attempt is not None and run.attempt != envelope.attempt:
                # Its worker was lost and Dask rescheduled the task: the run restarts.
                if run.attempts > self.retries:
                    self.drop(run)
                    self.finish(run, RunStatus.FAILED, "worker lost (no retries left)")
                    return
            run.attempt = envelope.attempt
            run.attempts += 1
            run.epochs = []
        elif envelope.attempt != run.attempt and not isinstance(event, events.RunFinished):
            return  # from an attempt that was superseded
        if isinstance(event, events.EpochEnd):
            run.epochs.append(event.metrics)
        if isinstance(event, events.RunFinished):
            run.result = event.result
            run.attempts = max(run.attempts, 1)
        self.on_event(event)

    def settle_finished_futures(self) -> None:
        """Runs whose task ended without a closing event: erred, lost or cancelled."""
        for run in self.runs:
            if run.done or not run.future.done():
                continue
            if run.future.status == "error":
                error = run.future.exception()
                name = type(error).__name__
                reason = "worker lost" if name == "KilledWorker" else f"{name}: {error}"
                self.finish(run, RunStatus.FAILED, reason)
            elif run.future.status == "cancelled":
                if run.attempt is not None:
                    self.finish(run, RunStatus.CANCELLED, None)
                else:
                    run.result = events.RunResult(
                        run.task.arm, run.task.repeat, _spec(run), RunStatus.CANCELLED
                    )
            elif run.finished_at is None:
                run.finished_at = time.monotonic()  # its closing event is on its way …
            elif time.monotonic() - run.finished_at > LATE_EVENT_S:
                result = run.future.result()  # … or was lost: the task's return value
                run.result, run.attempts = result, max(run.attempts, 1)
                self.on_event(events.RunFinished(result))

    def fail_open_runs(self, reason: str) -> None:
        for run in self.runs:
            if not run.done:
                self.drop(run)
                self.finish(run, RunStatus.FAILED, reason)

    def finish(self, run: _Run, status: RunStatus, error: str | None) -> None:
        """Close a run the worker could not close: what the controller saw is kept."""
        result = cluster_task.closed_result(run.task, _spec(run), status, error, run.epochs)
        run.result = result
        run.attempts = max(run.attempts, 1)
        self.on_event(events.RunFinished(result))


def _spec(run: _Run) -> Any:
    from fmtui.core.spec import RunSpec

    return RunSpec.from_dict(run.task.spec)
