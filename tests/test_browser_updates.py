"""The browser while training reads only the changed entry; saves run off the event loop."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from fmtui.app import make_app
from fmtui.core import export
from fmtui.core.journal import Entry, Journal
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.dialogs import ConfirmDialog, TagDialog
from tests.tui_helpers import FakeTrainer, fixed_estimator, seed_journal, wait_until

SIZE = (120, 40)


class CountingJournal(Journal):
    """Counts, per kind, the reads and writes made on the event loop's thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_loop: dict[str, int] = {}
        self.off_loop: dict[str, int] = {}

    def _count(self, name: str) -> None:
        main = threading.current_thread() is threading.main_thread()
        counts = self.on_loop if main else self.off_loop
        counts[name] = counts.get(name, 0) + 1

    def all(self) -> list[Entry]:
        self._count("all")
        return super().all()

    def get(self, entry_id: int) -> Entry:
        self._count("get")
        return super().get(entry_id)

    def summary(self, entry_id: int) -> Entry:
        self._count("get")  # a read of one entry, like `get`, without its run log
        return super().summary(entry_id)

    def add(self, entry: Entry) -> int:
        self._count("add")
        return super().add(entry)

    def update(self, entry: Entry) -> None:
        self._count("update")
        super().update(entry)

    def delete(self, entry_id: int) -> None:
        self._count("delete")
        super().delete(entry_id)


def _app(journal: Journal, trainer: FakeTrainer | None = None, export_dir: Path | None = None):
    app = make_app(
        journal=journal,
        trainer=trainer or FakeTrainer(),
        estimator=fixed_estimator,
        devices=[("cpu", "CPU (test)")],
        export_dir=export_dir,
        blink=False,
        live_clock=False,
    )
    app.animation_level = "none"
    return app


def _experiment(seeds: int = 2) -> ExperimentSpec:
    spec = RunSpec(epochs=3, patience=0)
    return ExperimentSpec(arms=(Arm("16", spec),), seeds=seeds)


def _rows(app) -> list[list[str]]:
    table = app.screen.query_one("#entries", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_browser_updates_the_training_row_without_reading_the_journal(
    journal_path: Path,
) -> None:
    seed_journal(journal_path)
    journal = CountingJournal(journal_path)
    trainer = FakeTrainer(epochs=3)
    trainer.gate = threading.Semaphore(0)
    app = _app(journal, trainer)
    async with app.run_test(size=SIZE) as pilot:
        entry = journal.get(journal.add(Entry(title="Live")))
        app.browser().reload()
        app.launch(entry, _experiment())
        await pilot.pause()
        await pilot.press("j")  # back to the journal: it shows the training
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("s")  # sorted by title: the entry moves as a query would place it
        journal.on_loop.clear()
        for _ in range(6):  # two runs of three epochs
            trainer.gate.release()
        await wait_until(pilot, lambda: not app.is_training())
        await pilot.pause()
        reads_while_training = dict(journal.on_loop)
        rows = _rows(app)
        titles = [r[2] for r in rows]
        assert titles == sorted(titles, key=str.lower)
        live = next(r for r in rows if r[2] == "Live")
        assert live[3] == "completed" and live[6] == "2"
    # Each epoch and run event read that one entry; the whole journal was read once,
    # when the experiment ended (the old code read it after every event: 10 times).
    assert reads_while_training.get("all", 0) <= 2, reads_while_training
    assert reads_while_training.get("get", 0) >= 6


async def test_row_leaves_a_search_it_no_longer_matches(journal_path: Path) -> None:
    seed_journal(journal_path)
    journal = CountingJournal(journal_path)
    trainer = FakeTrainer(epochs=1)
    trainer.gate = threading.Semaphore(0)
    app = _app(journal, trainer)
    async with app.run_test(size=SIZE) as pilot:
        entry = journal.get(journal.add(Entry(title="Live")))
        app.browser().reload()
        app.launch(entry, _experiment(seeds=1))
        await pilot.pause()
        await pilot.press("j", "slash", *"status:draft", "enter")
        await wait_until(pilot, lambda: "Live" not in [r[2] for r in _rows(app)])
        trainer.gate.release()
        await wait_until(pilot, lambda: not app.is_training())


async def test_saves_and_deletes_run_off_the_event_loop_in_order(journal_path: Path) -> None:
    seed_journal(journal_path)
    journal = CountingJournal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, TagDialog)
        await pilot.press("ctrl+a", *"new tags", "enter")
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "update" not in journal.on_loop and "delete" not in journal.on_loop
        assert journal.off_loop["update"] == 1 and journal.off_loop["delete"] == 1
        assert len(_rows(app)) == 2
    with Journal(journal_path, read_only=True) as reader:
        assert len(reader) == 2


async def test_writes_take_turns_in_the_order_asked(journal_path: Path) -> None:
    app = _app(Journal(journal_path))
    order: list[int] = []
    shown: list[int] = []
    first_may_finish = threading.Event()

    def write(n: int):
        def run() -> int:
            if n == 0:
                first_may_finish.wait(10)
            order.append(n)
            return n

        return run

    async with app.run_test(size=SIZE) as pilot:
        for n in range(5):
            app.write_later(write(n), shown.append)
        await pilot.pause()
        assert order == []  # the first holds the turn; none overtakes it
        first_may_finish.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert order == shown == [0, 1, 2, 3, 4]


async def test_export_is_written_off_the_event_loop(
    journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_journal(journal_path)
    threads: list[bool] = []
    real = export.export_text

    def recording(entries, fmt):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(entries, fmt)

    monkeypatch.setattr(export, "export_text", recording)
    app = _app(Journal(journal_path), export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        app.screen.query_one("#path").value = str(tmp_path / "out.md")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert threads == [False]
    assert (tmp_path / "out.md").read_text().startswith("#### ")
