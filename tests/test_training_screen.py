"""Pilot tests of live training: plots, tables, cancel, failures, queue, real engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from fmtui.app import make_trainer
from fmtui.core.journal import Entry, Journal
from fmtui.core.spec import ExperimentSpec, RunSpec, layer_arms
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.dialogs import ConfirmDialog
from fmtui.screens.training import TrainingScreen
from fmtui.widgets.charts import LinePlot, confusion_table
from tests.tui_helpers import FakeTrainer, build_app, training_ended, wait_until

SIZE = (120, 40)


def _experiment(arms=((16,), (8, 8)), seeds=2, **spec) -> ExperimentSpec:
    base = RunSpec(**{"epochs": 2, "patience": 0, "device": "cpu", **spec})
    return ExperimentSpec(arms=layer_arms(list(arms), base), seeds=seeds)


def _draft(journal_path: Path, title: str = "Live") -> Entry:
    with Journal(journal_path) as journal:
        entry = Entry(title=title)
        journal.add(entry)
    return entry


async def _wait(pilot, predicate, timeout: float = 10.0) -> None:
    await wait_until(pilot, predicate, timeout)


async def _run_to_end(pilot, entry: Entry, experiment: ExperimentSpec) -> None:
    """Launch `entry` and wait until its training has ended and been shown.

    The worker ends before the app has handled the last messages it posted, and the
    screen draws them on its timers: on a busy machine that is later still.
    """
    app = pilot.app
    app.launch(app.journal.get(entry.id), experiment)
    await app.workers.wait_for_complete()
    state = app.live[entry.id]
    await _wait(pilot, lambda: state.status not in ("queued", "running"), timeout=60)
    await _wait(pilot, lambda: not app.is_training(), timeout=60)
    screen = app.screen
    if isinstance(screen, TrainingScreen):
        await _wait(pilot, lambda: _shows_the_end(screen, state), timeout=60)


def _shows_the_end(screen: TrainingScreen, state) -> bool:
    """Whether the screen has drawn the state's last event and dropped the cancel keys."""
    return (
        screen._chart_version == state.epoch_version
        and screen._step_version == state.version
        and screen._shown.get("training") is False
        and screen._writeup_loaded
    )


def _statuses(screen: TrainingScreen) -> list[str]:
    table = screen.query_one("#runs", DataTable)
    return [str(table.get_cell(row.key, "status")) for row in table.ordered_rows]


async def test_plots_and_table_update_and_entry_is_saved_each_epoch(journal_path: Path) -> None:
    import threading

    trainer = FakeTrainer(epochs=3)
    trainer.gate = threading.Semaphore(0)
    app = build_app(journal_path, trainer)
    entry = app.journal.add(Entry(title="Live"))
    entry = app.journal.get(entry)
    async with app.run_test(size=SIZE) as pilot:
        app.launch(entry, _experiment())
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        for _ in range(3):
            trainer.gate.release()
        await _wait(pilot, lambda: len(app.live[entry.id].runs[0].epochs) == 3)
        await _wait(pilot, lambda: app.live[entry.id].runs[0].status == "completed")
        screen.refresh_view()
        screen.refresh_charts()
        assert _statuses(screen)[0] == "completed"
        loss = screen.query_one("#loss-plot", LinePlot).bands
        assert [b.mean for b in loss["16 val"]] == pytest.approx([0.5, 0.25, 0.5 / 3])
        with Journal(journal_path, read_only=True) as reader:  # saved before shown
            saved = reader.get(entry.id)
        assert saved.status == "running" and len(saved.runs[0]["epochs"]) == 3
        for _ in range(9):
            trainer.gate.release()
        await training_ended(pilot)
        screen.refresh_view()
        assert _statuses(screen) == ["completed"] * 4
        assert "completed" in str(screen.query_one("#headline", Static).render())
        await pilot.press("tab")  # the runs table → the tabs
        screen.query_one("#charts").active = "tab-last"
        await pilot.pause()
        screen.refresh_charts()
        bars = str(screen.query_one("#class-bars", Static).render())
        assert "Ankle boot" in bars and "T-shirt/top" in bars
        from rich.console import Console

        console = Console(width=120, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
        console.print(confusion_table(app.live[entry.id].last_finished()))
        matrix = console.export_text()
        assert "Pul" in matrix and "90" in matrix
        assert "T-shirt/top → Shirt" in str(screen.query_one("#samples", Static).render())


async def test_cancel_run_then_cancel_experiment(journal_path: Path) -> None:
    import threading

    trainer = FakeTrainer(epochs=50)
    trainer.gate = threading.Semaphore(2)
    app = build_app(journal_path, trainer)
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        app.launch(app.journal.get(entry.id), _experiment(seeds=1))
        await _wait(pilot, lambda: len(app.live[entry.id].runs[0].epochs) == 2)
        await pilot.press("c")
        trainer.gate.release()
        await _wait(pilot, lambda: app.live[entry.id].runs[1].status == "running")
        assert app.live[entry.id].runs[0].status == "cancelled"
        await pilot.press("C")
        for _ in range(3):
            trainer.gate.release()
        await training_ended(pilot)
    with Journal(journal_path, read_only=True) as reader:
        saved = reader.get(entry.id)
    assert saved.status == "cancelled"
    assert [r["status"] for r in saved.runs] == ["cancelled", "cancelled"]
    assert len(saved.runs[0]["epochs"]) >= 2


async def test_failing_and_diverging_runs_show_reasons_and_the_queue_goes_on(
    journal_path: Path,
) -> None:
    trainer = FakeTrainer(
        outcomes={
            0: ("failed", "RuntimeError: boom"),
            1: ("diverged", "loss became nan in epoch 1"),
        }
    )
    app = build_app(journal_path, trainer)
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await _run_to_end(pilot, entry, _experiment())
        screen = app.screen
        screen.refresh_view()
        statuses = _statuses(screen)
    assert statuses[0] == "failed: RuntimeError: boom"
    assert statuses[1] == "diverged: loss became nan in epoch 1"
    assert statuses[2:] == ["completed", "completed"]
    with Journal(journal_path, read_only=True) as reader:
        assert reader.get(entry.id).status == "completed"


async def test_second_experiment_queues_and_can_be_cancelled(journal_path: Path) -> None:
    trainer = FakeTrainer(epochs=3)
    trainer.release.clear()
    app = build_app(journal_path, trainer)
    first = _draft(journal_path, "first")
    second = _draft(journal_path, "second")
    third = _draft(journal_path, "third")
    async with app.run_test(size=SIZE) as pilot:
        for seeds, entry in enumerate((first, second, third), start=1):
            app.launch(app.journal.get(entry.id), _experiment(arms=((16,),), seeds=seeds))
        await pilot.pause()
        assert app.queue == [first.id, second.id, third.id]
        headline = app.screen.query_one("#headline", Static)
        app.screen.refresh_view()
        assert f"waits for entry {first.id}, {second.id}" in str(headline.render())
        await pilot.press("j")
        assert isinstance(app.screen, BrowserScreen)
        table = app.screen.query_one("#entries", DataTable)
        row = [str(table.get_row_at(i)[2]) for i in range(table.row_count)].index("second")
        assert str(table.get_row_at(row)[3]) == "queued"  # launched, waiting its turn
        table.move_cursor(row=row)
        await pilot.press("k")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        # a queued experiment leaves the queue at once, while the first still trains
        await _wait(pilot, lambda: app.queue == [first.id, third.id])
        with Journal(journal_path, read_only=True) as reader:
            assert reader.get(second.id).status == "cancelled"
        assert app.live[first.id].status == "running"
        app.open_training(first.id)
        await pilot.pause()
        app.screen.refresh_view()
        assert f"queued next: entry {third.id}" in str(headline.render())
        trainer.release.set()
        await training_ended(pilot)
        await pilot.press("j")
        await pilot.press("w")
        assert isinstance(app.screen, TrainingScreen)
    assert [len(c.runs()) for c in trainer.calls] == [1, 3]  # first and third, in order
    with Journal(journal_path, read_only=True) as reader:
        assert reader.get(first.id).status == "completed"
        assert reader.get(second.id).status == "cancelled"
        assert reader.get(second.id).runs == []
        assert reader.get(third.id).status == "completed"


async def test_write_up_is_saved_from_the_training_screen(journal_path: Path) -> None:
    app = build_app(journal_path, FakeTrainer())
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await _run_to_end(pilot, entry, _experiment(seeds=1))
        screen = app.screen
        screen.refresh_view()
        from textual.widgets import TextArea

        results = screen.query_one("#results", TextArea)
        assert results.text.startswith("Arm ")
        screen.query_one("#conclusion", TextArea).text = "Width barely matters here."
        await pilot.press("ctrl+s")
    with Journal(journal_path, read_only=True) as reader:
        saved = reader.get(entry.id)
    assert saved.conclusion == "Width barely matters here." and saved.status == "completed"


async def test_timers_after_teardown_do_not_raise(journal_path: Path) -> None:
    """A redraw timer may fire while the app takes its screens down on exit."""
    app = build_app(journal_path, FakeTrainer())
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await _run_to_end(pilot, entry, _experiment(seeds=1))
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        browser = app.browser()
        assert browser not in app.screen_stack  # replaced, not left under it: not redrawn
        assert browser._hidden()
        stack = app._screen_stack  # as it is during shutdown: empty
        saved = stack[:]
        stack.clear()
        try:
            screen.refresh_view()
            screen.refresh_charts()
            assert browser._hidden()
        finally:
            stack.extend(saved)
        await pilot.press("j")
        assert app.screen is browser and screen not in app.screen_stack
        await pilot.press("w")
        assert app.screen is screen


async def test_real_engine_on_fixture_data(journal_path: Path, fixture_dir: Path) -> None:
    from fmtui.app import make_app
    from tests.tui_helpers import fixed_estimator

    app = make_app(
        journal_path,
        trainer=make_trainer(fixture_dir, require_full=False),
        estimator=fixed_estimator,
        devices=[("cpu", "CPU")],
        blink=False,
        live_clock=False,
    )
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        app.launch(app.journal.get(entry.id), _experiment(arms=((32,),), seeds=1, epochs=3))
        await training_ended(pilot, timeout=240)  # the real engine in a child process
        state = app.live[entry.id]
        assert state.status == "completed"
        assert state.runs[0].test_acc > 0.5 and len(state.runs[0].images) == len(
            state.runs[0].misclassified[:8]
        )
    with Journal(journal_path, read_only=True) as reader:
        saved = reader.get(entry.id)
    assert saved.status == "completed" and saved.runs[0]["test_acc"] > 0.5


async def test_switching_screens_redraws_only_what_changed(journal_path: Path) -> None:
    """Journal and back while training: the footers and charts are not rebuilt."""
    from fmtui.widgets.footer import QuietFooter

    app = build_app(journal_path, FakeTrainer())
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await _run_to_end(pilot, entry, _experiment(seeds=1))
        training = app.screen
        for key in ("j", "w", "j"):  # the first visit draws what the run left
            await pilot.press(key)
            await _wait(pilot, lambda k=key: _footer_shown(app, k), timeout=60)
        footers = [app.screen.query_one(QuietFooter), training.query_one(QuietFooter)]
        plots = list(training.query(LinePlot))
        rebuilt: list[str] = []
        for footer in footers:
            footer.recompose = lambda f=footer: rebuilt.append(f.screen.__class__.__name__)
        drawings = [plot._drawn for plot in plots]
        for key in ("w", "j", "w", "j"):
            await pilot.press(key)
            await _wait(pilot, lambda k=key: _footer_shown(app, k), timeout=60)
        assert rebuilt == []
        assert [plot._drawn for plot in plots] == drawings
        keys = [key.description for key in app.screen.query("FooterKey")]
        assert "Watch training" in keys  # the journal's own keys are still shown


def _footer_shown(app, key: str) -> bool:
    """After `key` (j or w): its screen is on top and its footer shows that screen's keys."""
    from fmtui.widgets.footer import QuietFooter

    screen = app.screen
    if not isinstance(screen, TrainingScreen if key == "w" else BrowserScreen):
        return False
    footer = screen.query_one(QuietFooter)
    return footer._shown == footer._keys()


async def test_journal_rows_update_in_place_while_training(journal_path: Path) -> None:
    """Each epoch rewrites the changed cells of the journal table, not the table."""
    import threading

    trainer = FakeTrainer(epochs=3)
    trainer.gate = threading.Semaphore(0)
    app = build_app(journal_path, trainer)
    for title in ("older", "other"):
        _draft(journal_path, title)
    entry = _draft(journal_path, "live")
    async with app.run_test(size=SIZE) as pilot:
        app.launch(app.journal.get(entry.id), _experiment(arms=((16,),), seeds=1))
        trainer.gate.release()
        await _wait(pilot, lambda: len(app.live[entry.id].runs[0].epochs) == 1)
        await pilot.press("j")
        table = app.screen.query_one("#entries", DataTable)
        clears: list[int] = []
        clear = table.clear
        table.clear = lambda *a, **k: clears.append(1) or clear(*a, **k)  # type: ignore[method-assign]
        row = table.get_row_index(str(entry.id))
        for _ in range(2):
            trainer.gate.release()
        await _wait(pilot, lambda: str(table.get_row_at(row)[3]) == "completed")
        assert clears == [] and table.row_count == 3
        assert str(table.get_row_at(row)[5]).strip() == "0.8500"
