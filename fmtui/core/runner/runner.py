"""Provides the experiment runner: a FIFO queue of experiments, each recorded, trained and judged.

The runner owns what happens around training: the queue (submit, cancel a queued or
running experiment, cancel the run in progress, cancel all, wait), the sequence
record → train → save → judge (through `ExperimentRecorder`, which also checks a
rerun against its original), seeds-until-decided looks, and reuse of finished runs.
An executor does the training; a listener hears what happens. `fmtui run`, `fmtui
rerun` and the app all drive one of these.

Every read or change of the queue holds the lock; callers see copies (`snapshot`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fmtui.core import events
from fmtui.core.journal import Entry, Journal, JournalError
from fmtui.core.record import ExperimentRecorder
from fmtui.core.runner.executors import Executor, KnowsItsBasis
from fmtui.core.runner.reuse import (
    Link,
    ReuseBasis,
    Reused,
    describe,
    find_reusable,
    key_of_result,
)
from fmtui.core.runner.subset import PlannedSubset, RunKey
from fmtui.core.spec import ExperimentSpec
from fmtui.core.status import EntryStatus, RunStatus


@dataclass(eq=False)
class Job:
    """One submitted experiment and, once it ends, what became of it."""

    entry: Entry
    experiment: ExperimentSpec
    reuse: bool = True
    looks: bool = False  # seeds-until-decided, when the claim asks for it
    # Where this experiment trains, when not with the runner's own executor (a cluster).
    executor: Executor | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    cancel_current: threading.Event = field(default_factory=threading.Event)
    state: str = "queued"  # queued | running | done
    status: str = RunStatus.QUEUED  # then an EntryStatus: completed | cancelled | failed
    error: str | None = None
    started: bool = False  # its entry was saved as running
    results: list[events.RunResult] = field(default_factory=list)
    reused: dict[RunKey, Link] = field(default_factory=dict)
    reuse_note: str = ""

    @property
    def entry_id(self) -> int | None:
        return self.entry.id

    @property
    def all_completed(self) -> bool:
        return len(self.results) == len(self.experiment.runs()) and all(
            r.status == RunStatus.COMPLETED for r in self.results
        )

    @property
    def stopped(self) -> bool:
        """Cancelled with a planned run left unfinished (a late cancel changes nothing)."""
        return self.cancel.is_set() and not self.all_completed


class RunnerListener:
    """What the runner reports; every method may be called from the runner's thread."""

    def started(self, job: Job) -> None:
        """The entry is saved as running (it has an id now)."""

    def event(self, job: Job, event: events.Event) -> None:
        """A training event, after it was saved."""

    def reused(self, job: Job, found: list[Reused]) -> None:
        """Planned runs answered by finished ones (`job.reuse_note` says so in words)."""

    def look(self, job: Job, state: dict[str, Any]) -> None:
        """A seeds-until-decided look was judged."""

    def done(self, job: Job) -> None:
        """The experiment ended; its entry is saved. `job.status`, `job.error` say how."""


class Runner:
    """Trains submitted experiments one after another with `executor`."""

    def __init__(
        self,
        journal: Journal | None,
        executor: Executor,
        listener: RunnerListener | None = None,
    ) -> None:
        self.journal = journal  # None: train without recording (`fmtui run --no-journal`)
        self.executor = executor
        self.listener = listener or RunnerListener()
        self._changed = threading.Condition()  # guards everything below
        self._queue: list[Job] = []
        self._current: Job | None = None
        self._draining = False  # a thread is in `run_pending`

    # -- the queue

    def submit(
        self,
        entry: Entry,
        experiment: ExperimentSpec,
        *,
        reuse: bool = True,
        looks: bool = False,
        cancel: threading.Event | None = None,
        executor: Executor | None = None,
    ) -> Job:
        """Queue an experiment; it trains after those before it.

        `reuse`: link planned runs the journal holds finished; `looks`: with a claim
        that sets `max_seeds`, add seeds in planned looks until it is decided (`fmtui
        run --until-decided`; a rerun trains the seeds its original ran); `executor`:
        train this experiment there instead of with the runner's executor.
        """
        job = Job(
            entry,
            experiment,
            reuse=reuse,
            looks=looks,
            executor=executor,
            cancel=cancel or threading.Event(),
        )
        with self._changed:
            self._queue.append(job)
            self._changed.notify_all()
        return job

    def snapshot(self) -> list[Job]:
        """The experiment training (if any) first, then those waiting, in order."""
        with self._changed:
            return ([self._current] if self._current else []) + list(self._queue)

    def entry_ids(self) -> list[int]:
        return [job.entry.id for job in self.snapshot() if job.entry.id is not None]

    def running(self) -> Job | None:
        with self._changed:
            return self._current

    def cancel(self, entry_id: int) -> bool:
        """Cancel an experiment: a queued one leaves the queue now, a running one stops."""
        with self._changed:
            if self._current is not None and self._current.entry.id == entry_id:
                self._current.cancel.set()
                return True
            job = next((j for j in self._queue if j.entry.id == entry_id), None)
            if job is None:
                return False
            self._queue.remove(job)
            self._changed.notify_all()
        self._settle_unstarted(job)
        return True

    def cancel_current_run(self, entry_id: int) -> bool:
        """Cancel only the run in progress of the training experiment `entry_id`."""
        with self._changed:
            if self._current is None or self._current.entry.id != entry_id:
                return False
            self._current.cancel_current.set()
            return True

    def cancel_all(self) -> None:
        """Cancel the training experiment and every queued one."""
        with self._changed:
            waiting, self._queue = self._queue, []
            if self._current is not None:
                self._current.cancel.set()
            self._changed.notify_all()
        for job in waiting:
            job.cancel.set()
            self._settle_unstarted(job)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing trains or waits; True when so."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._current is None and not self._queue, timeout
            )

    # -- working

    def claim_worker(self) -> bool:
        """True when no thread trains the queue: the caller must now call `run_pending`.

        The app starts a worker only when this says so, and the worker ends when the
        queue is empty, so an idle app holds no thread.
        """
        with self._changed:
            if self._draining:
                return False
            self._draining = True
            return True

    def run_pending(self) -> None:
        """Train queued experiments in this thread until none is left."""
        with self._changed:
            self._draining = True
        while (job := self._take()) is not None:
            self._process(job)

    def _take(self) -> Job | None:
        with self._changed:
            if not self._queue:
                self._draining = False  # decided under the lock that `submit` takes
                return None
            job = self._current = self._queue.pop(0)
            job.state = "running"
            return job

    def _process(self, job: Job) -> None:
        try:
            if job.cancel.is_set():
                self._settle_unstarted(job, notify=False)
                return
            self._record_and_train(job)
        finally:
            job.state = "done"
            with self._changed:
                self._current = None
                self._changed.notify_all()
            self._tell(self.listener.done, job)

    def _settle_unstarted(self, job: Job, notify: bool = True) -> None:
        """A job cancelled before it started: its entry says so."""
        job.status, job.state = EntryStatus.CANCELLED, "done"
        if self.journal is not None and job.entry.id is not None:
            job.entry.status = EntryStatus.CANCELLED
            try:
                self.journal.update(job.entry)
            except JournalError as err:
                job.error = str(err)
        if notify:
            self._tell(self.listener.done, job)

    def _record_and_train(self, job: Job) -> None:
        recorder = None
        basis = None
        try:
            if self.journal is not None:
                recorder = ExperimentRecorder(self.journal, job.entry, job.experiment)
                basis = self._basis(job)
                recorder.run_fields = self._run_fields(job, basis)
                recorder.start()
                job.started = True
            self._tell(self.listener.started, job)
            try:
                self._train(job, recorder, basis)
            except Exception as err:  # noqa: BLE001 - an executor's failure is reported
                job.error = f"{err}" or type(err).__name__
            self._finish(job, recorder)
        except JournalError as err:
            job.status, job.error = EntryStatus.FAILED, str(err)

    def _finish(self, job: Job, recorder: ExperimentRecorder | None) -> None:
        if recorder is None:
            if job.all_completed:
                job.status = EntryStatus.COMPLETED
            elif job.stopped:
                job.status = EntryStatus.CANCELLED
            else:
                job.status = EntryStatus.FAILED
            return
        finished = recorder.finish(cancelled=job.cancel.is_set())
        if job.error and not finished.runs and self.journal is not None:
            finished.status = EntryStatus.FAILED
            self.journal.update(finished)
        job.status = finished.status
        job.error = job.error or recorder.write_error

    def _basis(self, job: Job) -> ReuseBasis | None:
        """What the executor trains on; None when it cannot say (then nothing is reused)."""
        executor = job.executor or self.executor
        if not isinstance(executor, KnowsItsBasis):
            return None
        try:
            return executor.reuse_basis(job.experiment)
        except Exception:  # noqa: BLE001 - without a basis runs are simply trained
            return None

    def _run_fields(
        self, job: Job, basis: ReuseBasis | None
    ) -> Callable[[events.RunResult], dict[str, Any]]:
        """The fields the runner adds to each finished run it records."""

        def fields(result: events.RunResult) -> dict[str, Any]:
            out: dict[str, Any] = {}
            key = key_of_result(result, basis.data) if basis is not None else None
            if key is not None:
                out["reuse_key"] = key
            link = job.reused.get((result.arm, result.repeat))
            if link is not None:
                out["reused_from"] = link.to_dict()
            return out

        return fields

    def _train(
        self, job: Job, recorder: ExperimentRecorder | None, basis: ReuseBasis | None
    ) -> None:
        def on_event(event: events.Event) -> None:
            if recorder is not None:
                recorder.on_event(event)  # saved first …
            self._tell(self.listener.event, job, event)  # … then shown

        def run_batch(batch: Any) -> list[events.RunResult]:
            return self._run_batch(job, batch, on_event, basis)

        claim = job.entry.claim
        if job.looks and claim is not None and claim.max_seeds and len(job.experiment.arms) > 1:
            from fmtui.core.until_decided import run_until_decided

            results, ran, _state = run_until_decided(
                job.experiment,
                claim,
                run_batch,
                cancelled=job.cancel.is_set,
                on_look=lambda _c, state: self._tell(self.listener.look, job, state),
            )
            job.experiment = ran  # the entry records the seeds actually run, for reruns
            if recorder is not None:
                recorder.experiment = ran
                recorder.entry.experiment = ran.to_dict()
            job.results = results
        else:
            job.results = run_batch(job.experiment)

    def _run_batch(
        self,
        job: Job,
        batch: Any,
        on_event: events.EventCallback,
        basis: ReuseBasis | None,
    ) -> list[events.RunResult]:
        """Train a batch's runs, less those a finished run answers; results in plan order."""
        planned = batch.runs()
        found: list[Reused] = []
        if job.reuse and basis is not None and self.journal is not None:
            found = find_reusable(
                self.journal, planned, batch.batch_models, basis, exclude_entry=job.entry.id
            )
        for item in found:
            job.reused[(item.planned.arm, item.planned.repeat)] = item.link
        if found:
            job.reuse_note = describe(
                list(job.reused.values()),
                len(job.experiment.runs()),
                basis.device_type if basis else "cpu",
            )
            self._tell(self.listener.reused, job, found)
        for item in found:  # recorded and shown like a run that just finished
            on_event(events.RunFinished(item.result))
        left = {(r.arm, r.repeat) for r in planned} - set(job.reused)
        trained: list[events.RunResult] = []
        if left and not job.cancel.is_set():
            # A look or a partly reused batch goes as a subset: plain data a child
            # process or a cluster can rebuild.
            whole = batch if isinstance(batch, ExperimentSpec) else batch.experiment
            subset = PlannedSubset(whole, left) if found else batch
            executor = job.executor or self.executor
            trained = executor(subset, on_event, job.cancel, job.cancel_current)
        order = {(r.arm, r.repeat): i for i, r in enumerate(planned)}
        every = [r.result for r in found] + trained
        return sorted(every, key=lambda r: order.get((r.arm, r.repeat), len(order)))

    def _tell(self, method: Callable[..., None], *args: Any) -> None:
        """A listener's failure must not stop the queue (the app may be closing)."""
        try:
            method(*args)
        except Exception:  # noqa: BLE001, S110 - nothing to report it to
            pass
