"""The app drives the runner: the designer's reuse switch, and a quit that cancels the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox

from fmtui.core.journal import Entry, Journal
from fmtui.core.runner.reuse import ReuseBasis
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.screens.designer import DesignerScreen
from tests import tui_helpers
from tests.tui_helpers import FakeTrainer, build_app, wait_until

SIZE = (120, 40)


class KeyedTrainer(FakeTrainer):
    """The fake trainer, saying what it trains on so that its runs can be reused."""

    def reuse_basis(self, experiment: Any) -> ReuseBasis:
        return ReuseBasis(data="sha256:" + "0" * 64, device_type="cpu", fmtui="t", torch="t")


def _drafts(journal_path: Path, experiment: ExperimentSpec, *titles: str) -> list[int]:
    with Journal(journal_path) as journal:
        return [journal.add(Entry(title=t, experiment=experiment.to_dict())) for t in titles]


async def _launch_from_designer(app: Any, pilot: Any, entry_id: int, reuse: bool) -> None:
    app.back_to_browser()
    await pilot.pause()
    app.open_designer(app.journal.get(entry_id))
    await wait_until(
        pilot, lambda: isinstance(app.screen, DesignerScreen) and app.screen.query("#reuse")
    )
    switch = app.screen.query_one("#reuse", Checkbox)
    assert switch.value  # on unless turned off
    switch.value = reuse
    await pilot.press("ctrl+l")
    await wait_until(
        pilot, lambda: entry_id in app.live and app.live[entry_id].status == "completed"
    )
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_designer_switch_reuses_finished_runs_or_trains_them(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tui_helpers, "ENV", {**tui_helpers.ENV, "fmtui": "t", "torch": "t"})
    experiment = ExperimentSpec(arms=(Arm("16", RunSpec(layers=(16,), epochs=1)),), seeds=2)
    trainer = KeyedTrainer(epochs=1)
    app = build_app(journal_path, trainer)
    first, second, third = _drafts(journal_path, experiment, "first", "second", "third")
    async with app.run_test(size=SIZE) as pilot:
        await _launch_from_designer(app, pilot, first, reuse=True)
        assert len(trainer.calls) == 1
        await _launch_from_designer(app, pilot, second, reuse=True)
        assert len(trainer.calls) == 1  # nothing trained: both runs were linked
        notes = [n.message for n in app._notifications]
        assert f"Entry {second}: reused 2 of 2 runs from entry {first}." in notes
        await _launch_from_designer(app, pilot, third, reuse=False)
        assert len(trainer.calls) == 2
    with Journal(journal_path, read_only=True) as reader:
        linked, trained = reader.get(second), reader.get(third)
    assert linked.status == "completed"
    assert [r["reused_from"]["entry_id"] for r in linked.runs] == [first, first]
    assert all("reused_from" not in r for r in trained.runs)


async def test_quitting_cancels_the_running_and_the_queued_experiments(journal_path: Path) -> None:
    trainer = FakeTrainer(epochs=50)
    trainer.release.clear()
    app = build_app(journal_path, trainer)
    experiment = ExperimentSpec(arms=(Arm("16", RunSpec(layers=(16,), epochs=50)),))
    running, queued = _drafts(journal_path, experiment, "running", "queued")
    async with app.run_test(size=SIZE) as pilot:
        for entry_id in (running, queued):
            app.launch(app.journal.get(entry_id), experiment)
        await pilot.pause()
        assert app.queue == [running, queued]
        assert app.join_training(5.0)
        assert app.queue == [] and not app.is_training()
    assert len(trainer.calls) <= 1  # the queued experiment never reached the executor
    with Journal(journal_path, read_only=True) as reader:
        assert reader.get(running).status == "cancelled"
        assert reader.get(queued).status == "cancelled"


async def test_a_save_that_ends_after_quitting_reports_nothing_and_launches_nothing(
    journal_path: Path,
) -> None:
    """A rerun's save finishing as the app closes must not start training."""
    import asyncio
    import threading

    trainer = FakeTrainer()
    app = build_app(journal_path, trainer)
    experiment = ExperimentSpec(arms=(Arm("16", RunSpec(layers=(16,), epochs=1)),))
    (entry_id,) = _drafts(journal_path, experiment, "rerun")
    release, told = threading.Event(), []
    async with app.run_test(size=SIZE):
        entry = app.journal.get(entry_id)

        def write() -> Any:
            release.wait(10)
            return entry

        def then(saved: Any) -> None:
            told.append(saved.id)
            app.launch(saved, experiment)

        app.write_later(write, then)
        app.exit()  # the user quits while the save is under way
        release.set()
        for _ in range(200):  # the worker reports back on the loop, or not at all
            if not any(w.is_running for w in app.workers):
                break
            await asyncio.sleep(0.05)
        assert told == [] and app.queue == []
    assert trainer.calls == []


async def test_launching_while_quitting_queues_nothing(journal_path: Path) -> None:
    trainer = FakeTrainer()
    app = build_app(journal_path, trainer)
    experiment = ExperimentSpec(arms=(Arm("16", RunSpec(layers=(16,), epochs=1)),))
    (entry_id,) = _drafts(journal_path, experiment, "late")
    async with app.run_test(size=SIZE):
        app.exit()
        app.launch(app.journal.get(entry_id), experiment)
        assert app.queue == [] and entry_id not in app.live
    assert trainer.calls == []
