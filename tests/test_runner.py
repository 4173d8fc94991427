"""The experiment runner with a scripted executor: queue order, cancels, failures, the journal."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from fmtui.core import events
from fmtui.core.journal import Entry, Journal, open_journal
from fmtui.core.runner import Job, Runner, RunnerListener
from fmtui.core.runner.reuse import ReuseBasis, key_of_result
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec

ENV = {"fmtui": "test", "torch": "test", "device": "cpu", "engine": "sequential"}
BASIS = ReuseBasis(data="sha256:" + "0" * 64, device_type="cpu", fmtui="test", torch="test")
WAIT_S = 10.0


class ScriptedExecutor:
    """Emits two epochs per planned run; each run may wait for a gate, fail or raise."""

    def __init__(self, basis: ReuseBasis | None = BASIS) -> None:
        self.calls: list[list[tuple[str, int]]] = []  # the runs asked for, per call
        self.gates: dict[str, threading.Event] = {}  # arm → released when set
        self.waiting = threading.Event()  # set while a run waits at its gate
        self.raise_for: set[str] = set()  # arms whose experiment raises
        self.basis = basis

    def reuse_basis(self, experiment: Any) -> ReuseBasis | None:
        return self.basis

    def __call__(
        self,
        experiment: Any,
        on_event: events.EventCallback,
        cancel: threading.Event,
        cancel_current: threading.Event,
    ) -> list[events.RunResult]:
        runs = experiment.runs()
        self.calls.append([(r.arm, r.repeat) for r in runs])
        results = []
        for planned in runs:
            if cancel.is_set():
                break
            if planned.arm in self.raise_for:
                raise RuntimeError(f"the executor lost arm {planned.arm}")
            cancel_current.clear()
            on_event(
                events.RunStarted(planned.arm, planned.repeat, planned.spec, "cpu", 10, ENV, 5)
            )
            gate = self.gates.get(planned.arm)
            if gate is not None:
                self.waiting.set()
                while not gate.wait(0.01) and not (cancel.is_set() or cancel_current.is_set()):
                    pass
                self.waiting.clear()
            stopped = cancel.is_set() or cancel_current.is_set()
            epochs = ()
            if not stopped:
                epochs = tuple(
                    events.EpochMetrics(e, 0.5 / e, 0.8, 0.4 / e, 0.81, 1.0) for e in (1, 2)
                )
                for m in epochs:
                    on_event(events.EpochEnd(planned.arm, planned.repeat, m, m.epoch, None))
            result = events.RunResult(
                arm=planned.arm,
                repeat=planned.repeat,
                spec=planned.spec,
                status="cancelled" if stopped else "completed",
                environment=dict(ENV),
                epochs=epochs,
                best_epoch=2 if epochs else None,
                test_acc=None if stopped else 0.8 + planned.spec.seed / 1000,
                test_loss=None if stopped else 0.5,
            )
            on_event(events.RunFinished(result))
            results.append(result)
        return results


class Heard(RunnerListener):
    def __init__(self) -> None:
        self.log: list[tuple[str, int | None, str]] = []
        self.finished = threading.Condition()

    def started(self, job: Job) -> None:
        self.log.append(("started", job.entry.id, ""))

    def event(self, job: Job, event: events.Event) -> None:
        self.log.append(("event", job.entry.id, type(event).__name__))

    def done(self, job: Job) -> None:
        with self.finished:
            self.log.append(("done", job.entry.id, job.status))
            self.finished.notify_all()

    def wait_done(self, entry_id: int | None) -> str:
        with self.finished:
            assert self.finished.wait_for(
                lambda: any(k == "done" and i == entry_id for k, i, _s in self.log), WAIT_S
            )
        return next(s for k, i, s in self.log if k == "done" and i == entry_id)


def _experiment(arm: str, seeds: int = 1, width: int | None = None) -> ExperimentSpec:
    """One arm; its width follows its name unless given, so unrelated tests never match."""
    width = width or 8 + sum(map(ord, arm)) % 500
    return ExperimentSpec(arms=(Arm(arm, RunSpec(layers=(width,), epochs=2)),), seeds=seeds)


def _saved(journal: Journal, title: str) -> Entry:
    entry = Entry(title=title)
    journal.add(entry)
    return entry


@pytest.fixture
def journal(journal_path: Path) -> Journal:
    with open_journal(journal_path) as opened:
        yield opened


def _serve(runner: Runner) -> threading.Thread:
    assert runner.claim_worker()
    thread = threading.Thread(target=runner.run_pending, daemon=True)
    thread.start()
    return thread


def test_experiments_train_in_submission_order_and_each_entry_is_saved(journal: Journal) -> None:
    executor, heard = ScriptedExecutor(), Heard()
    runner = Runner(journal, executor, heard)
    entries = [_saved(journal, name) for name in ("a", "b", "c")]
    for entry in entries:
        runner.submit(entry, _experiment(entry.title, seeds=2))
    runner.run_pending()
    assert executor.calls == [[(n, 0), (n, 1)] for n in ("a", "b", "c")]
    dones = [(i, s) for k, i, s in heard.log if k == "done"]
    assert dones == [(e.id, "completed") for e in entries]
    for entry in entries:
        stored = journal.get(entry.id or 0)
        assert stored.status == "completed"
        assert [r["status"] for r in stored.runs] == ["completed", "completed"]
        assert [len(r["epochs"]) for r in stored.runs] == [2, 2]
    # Saved before shown: the entry was running when its first event was heard.
    first = heard.log.index(("started", entries[0].id, ""))
    assert heard.log[first + 1] == ("event", entries[0].id, "RunStarted")
    assert runner.snapshot() == []


def test_a_queued_experiment_is_cancelled_at_once_and_never_trains(journal: Journal) -> None:
    executor, heard = ScriptedExecutor(), Heard()
    executor.gates["first"] = threading.Event()
    runner = Runner(journal, executor, heard)
    first, second, third = (_saved(journal, n) for n in ("first", "second", "third"))
    for entry in (first, second, third):
        runner.submit(entry, _experiment(entry.title))
    _serve(runner)
    assert executor.waiting.wait(WAIT_S)
    assert runner.entry_ids() == [first.id, second.id, third.id]
    assert runner.cancel(second.id or 0)
    assert runner.entry_ids() == [first.id, third.id]
    assert heard.wait_done(second.id) == "cancelled"  # while the first still trains
    assert journal.get(second.id or 0).status == "cancelled"
    executor.gates["first"].set()
    assert heard.wait_done(third.id) == "completed"
    assert [call[0][0] for call in executor.calls] == ["first", "third"]
    assert not runner.cancel(second.id or 0)  # gone: nothing left to cancel
    runner.cancel_all()


def test_cancelling_the_running_experiment_stops_it_and_keeps_its_entry(journal: Journal) -> None:
    executor, heard = ScriptedExecutor(), Heard()
    executor.gates["slow"] = threading.Event()
    runner = Runner(journal, executor, heard)
    slow, after = _saved(journal, "slow"), _saved(journal, "after")
    runner.submit(slow, _experiment("slow", seeds=3))
    runner.submit(after, _experiment("after"))
    _serve(runner)
    assert executor.waiting.wait(WAIT_S)
    assert runner.cancel(slow.id or 0)
    assert heard.wait_done(slow.id) == "cancelled"
    stored = journal.get(slow.id or 0)
    assert stored.status == "cancelled"
    assert [r["status"] for r in stored.runs] == ["cancelled"]  # the two others never started
    assert heard.wait_done(after.id) == "completed"  # the queue goes on
    runner.cancel_all()


def test_cancelling_the_current_run_lets_the_next_run_train(journal: Journal) -> None:
    executor, heard = ScriptedExecutor(), Heard()
    gate = executor.gates["x"] = threading.Event()
    runner = Runner(journal, executor, heard)
    entry = _saved(journal, "x")
    runner.submit(entry, _experiment("x", seeds=2))
    _serve(runner)
    assert executor.waiting.wait(WAIT_S)
    assert not runner.cancel_current_run((entry.id or 0) + 1)  # another entry: not training
    assert runner.cancel_current_run(entry.id or 0)
    threading.Timer(0.2, gate.set).start()  # the second run passes its gate
    assert heard.wait_done(entry.id) == "completed"
    assert [r["status"] for r in journal.get(entry.id or 0).runs] == ["cancelled", "completed"]
    runner.cancel_all()


def test_an_executor_failure_fails_the_entry_and_the_queue_goes_on(journal: Journal) -> None:
    executor, heard = ScriptedExecutor(), Heard()
    executor.raise_for.add("broken")
    runner = Runner(journal, executor, heard)
    broken, fine = _saved(journal, "broken"), _saved(journal, "fine")
    job = runner.submit(broken, _experiment("broken"))
    runner.submit(fine, _experiment("fine"))
    runner.run_pending()
    assert job.status == "failed" and job.error == "the executor lost arm broken"
    assert journal.get(broken.id or 0).status == "failed"
    assert journal.get(fine.id or 0).status == "completed"


def test_cancel_all_settles_every_queued_entry_and_the_worker_ends(journal: Journal) -> None:
    executor, heard = ScriptedExecutor(), Heard()
    executor.gates["a"] = threading.Event()
    runner = Runner(journal, executor, heard)
    entries = [_saved(journal, n) for n in ("a", "b", "c")]
    for entry in entries:
        runner.submit(entry, _experiment(entry.title))
    thread = _serve(runner)
    assert executor.waiting.wait(WAIT_S)
    runner.cancel_all()
    thread.join(WAIT_S)
    assert not thread.is_alive()
    assert runner.wait_idle(WAIT_S)
    assert [journal.get(e.id or 0).status for e in entries] == ["cancelled"] * 3


def test_completed_runs_store_their_reuse_key_and_a_rerun_of_them_is_linked(
    journal: Journal,
) -> None:
    executor = ScriptedExecutor()
    runner = Runner(journal, executor)
    first = _saved(journal, "first")
    runner.submit(first, _experiment("base", seeds=2, width=16))
    runner.run_pending()
    stored = journal.get(first.id or 0).runs
    keys = [r["reuse_key"] for r in stored]
    assert len(set(keys)) == 2 and all(k.startswith("sha256:") for k in keys)

    # The same specs and seeds under another arm name, plus a third seed: two are linked.
    second = _saved(journal, "second")
    job = runner.submit(second, _experiment("renamed", seeds=3, width=16))
    runner.run_pending()
    assert executor.calls[-1] == [("renamed", 2)]  # only the new seed trained
    assert job.reuse_note == f"reused 2 of 3 runs from entry {first.id}"
    runs = journal.get(second.id or 0).runs
    assert [r.get("reused_from") for r in runs] == [
        {"entry_id": first.id, "arm": "base", "repeat": 0},
        {"entry_id": first.id, "arm": "base", "repeat": 1},
        None,
    ]
    assert [r["test_acc"] for r in runs[:2]] == [r["test_acc"] for r in stored]
    assert [r["arm"] for r in runs] == ["renamed"] * 3
    assert journal.get(second.id or 0).status == "completed"


def test_no_reuse_when_asked_fresh_or_when_the_executor_cannot_say_what_it_trains_on(
    journal: Journal,
) -> None:
    executor = ScriptedExecutor()
    runner = Runner(journal, executor)
    runner.submit(_saved(journal, "one"), _experiment("a"))
    runner.run_pending()
    runner.submit(_saved(journal, "two"), _experiment("a"), reuse=False)
    runner.run_pending()
    assert len(executor.calls) == 2 and executor.calls[1] == [("a", 0)]
    executor.basis = None  # a cluster: nothing matched, nothing keyed
    third = _saved(journal, "three")
    runner.submit(third, _experiment("a"))
    runner.run_pending()
    assert len(executor.calls) == 3
    assert "reuse_key" not in journal.get(third.id or 0).runs[0]


def test_a_run_key_changes_with_the_data_and_the_training_mode() -> None:
    spec = RunSpec(layers=(8,), epochs=2)
    result = events.RunResult(arm="a", repeat=0, spec=spec, status="completed", environment=ENV)
    key = key_of_result(result, "sha256:" + "0" * 64)
    assert key is not None
    assert key_of_result(result, "sha256:" + "1" * 64) != key
    batched = dict(ENV, engine="batched", group_size=3, padded_to=None)
    assert key_of_result(_with_env(result, batched), "sha256:" + "0" * 64) != key
    assert key_of_result(_with_env(result, dict(ENV, torch="other")), "sha256:" + "0" * 64) != key
    seeded = events.RunResult(
        arm="a", repeat=0, spec=spec.with_changes(seed=1), status="completed", environment=ENV
    )
    assert key_of_result(seeded, "sha256:" + "0" * 64) != key
    cancelled = events.RunResult(arm="a", repeat=0, spec=spec, status="cancelled", environment=ENV)
    assert key_of_result(cancelled, "sha256:" + "0" * 64) is None


def _with_env(result: events.RunResult, env: dict[str, Any]) -> events.RunResult:
    import dataclasses

    return dataclasses.replace(result, environment=env)


def test_seeds_until_decided_record_the_batch_mode_and_a_rerun_keeps_it(journal: Journal) -> None:
    from fmtui.core.journal import Claim
    from fmtui.core.record import rerun_copy

    executor = ScriptedExecutor()
    runner = Runner(journal, executor)
    spec = RunSpec(layers=(24,), epochs=2)
    experiment = ExperimentSpec(
        arms=(Arm("a", spec), Arm("b", spec.with_changes(layers=(48,)))),
        seeds=3,
        batch_models="2",
    )
    entry = Entry(title="looks", claim=Claim(baseline="a", max_seeds=4))
    journal.add(entry)
    runner.submit(entry, experiment, looks=True)
    runner.run_pending()
    saved = journal.get(entry.id or 0)
    assert saved.status == "completed"
    assert saved.experiment["seeds"] in (3, 4)  # the seeds the looks ran
    _copy, again = rerun_copy(saved)
    assert again.batch_models == "2" and again.seeds == saved.experiment["seeds"]
    assert again.arms == experiment.arms
