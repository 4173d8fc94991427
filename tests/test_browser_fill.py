"""The browser shows a long journal's first rows at once and adds the rest in chunks.

Chunks are made small here (10 rows first, then 10 per tick) so that a journal of 45
entries needs several. Where a test needs the table part filled it acts right after
a reload, before the event loop could add a chunk; the end state is awaited.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from fmtui.app import FmtuiApp
from fmtui.core.journal import Entry, Journal, Search
from fmtui.screens.browser import BrowserScreen
from fmtui.widgets import row_fill
from tests.tui_helpers import build_app, wait_until

SIZE = (120, 40)
COUNT = 45


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_fill, "FIRST", 10)
    monkeypatch.setattr(row_fill, "CHUNK", 10)


def _journal(path: Path) -> Journal:
    journal = Journal(path)
    journal.add_many(
        [
            Entry(
                title=f"Entry {n:03d} {'odd' if n % 2 else 'even'}", tags=["odd"] if n % 2 else []
            )
            for n in range(COUNT)
        ]
    )
    return journal


def _app(journal: Journal) -> FmtuiApp:
    return build_app(journal=journal)


def _keys(table: DataTable) -> list[str]:
    return [str(row.key.value) for row in table.ordered_rows]


def _expected(journal: Journal, screen: BrowserScreen, text: str = "") -> list[str]:
    """The ids a fresh query of the journal lists, in its order."""
    query = Search.parse(text).query_args()
    entries = journal.query(sort=screen.sort, reverse=screen.reverse, **query)
    return [str(e.id) for e in entries]


def _part_filled(journal: Journal, screen: BrowserScreen) -> DataTable:
    """A new entry, so that a reload lists other rows: the table is refilled, and holds
    only the first chunk until the event loop runs again (the new entry, selected, sorts
    near the top by date and by title)."""
    screen.reload(select=journal.add(Entry(title="Added later")))
    table = screen.query_one("#entries", DataTable)
    assert table.row_count == 10 and screen.fill.pending
    return table


async def _filled(pilot, screen: BrowserScreen) -> DataTable:
    await wait_until(pilot, lambda: not screen.fill.pending)
    await pilot.pause()
    return screen.query_one("#entries", DataTable)


async def test_first_chunk_at_once_then_every_row_once(journal_path: Path) -> None:
    journal = _journal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.browser()
        table = await _filled(pilot, screen)
        assert _keys(table) == _expected(journal, screen)
        screen.reload()  # the same rows: nothing to add again
        assert _keys(table) == _expected(journal, screen)
        journal.add(Entry(title="Added later"))
        screen.reload()
        # The first rows are there at once, the rest not yet: the table can paint.
        assert table.row_count == 10
        assert _keys(table) == _expected(journal, screen)[:10]
        await _filled(pilot, screen)
        assert _keys(table) == _expected(journal, screen)
        assert table.row_count == COUNT + 1


async def test_selecting_an_entry_not_yet_added(journal_path: Path) -> None:
    journal = _journal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.browser()
        table = await _filled(pilot, screen)
        _part_filled(journal, screen)
        last = int(_expected(journal, screen)[-1])
        screen.reload(select=last)  # a reload during the fill, to a row not added yet
        assert screen.selected_id() == last
        assert table.cursor_row == COUNT
        assert screen.selected() is not None and screen.selected().id == last
        await _filled(pilot, screen)
        assert screen.selected_id() == last
        assert _keys(table) == _expected(journal, screen)


async def test_jumping_to_the_last_row_during_the_fill(journal_path: Path) -> None:
    journal = _journal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.browser()
        table = await _filled(pilot, screen)
        _part_filled(journal, screen)
        table.action_scroll_bottom()  # ctrl+end, before the next chunk
        assert screen.selected_id() == int(_expected(journal, screen)[-1])
        await pilot.press("ctrl+home", "ctrl+end")
        assert screen.selected_id() == int(_expected(journal, screen)[-1])
        assert _keys(await _filled(pilot, screen)) == _expected(journal, screen)


async def test_reloads_during_the_fill_list_each_entry_once(journal_path: Path) -> None:
    journal = _journal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.browser()
        table = await _filled(pilot, screen)
        _part_filled(journal, screen)
        await pilot.pause()  # a chunk or more may land meanwhile
        journal.add(Entry(title="Added during the fill"))
        screen.reload()
        screen.reload()
        await pilot.pause()
        screen.reload()
        await _filled(pilot, screen)
        keys = _keys(table)
        assert len(keys) == len(set(keys)) == COUNT + 2
        assert keys == _expected(journal, screen)


async def test_a_resize_during_the_fill_lists_each_entry_once(journal_path: Path) -> None:
    """A new width rebuilds the columns, and the rows, while a fill is under way."""
    journal = _journal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.browser()
        table = await _filled(pilot, screen)
        _part_filled(journal, screen)
        await pilot.resize_terminal(100, 40)
        await _filled(pilot, screen)
        keys = _keys(table)
        assert keys == _expected(journal, screen) and len(set(keys)) == COUNT + 1
        assert str(table.get_row_at(COUNT)[2]).startswith("Entry 000")


async def test_sort_and_search_over_a_part_filled_table(journal_path: Path) -> None:
    journal = _journal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.browser()
        table = await _filled(pilot, screen)
        _part_filled(journal, screen)
        screen.action_cycle_sort()  # by title, over a table of 10 rows of 46
        assert screen.sort == "title"
        await _filled(pilot, screen)
        assert _keys(table) == _expected(journal, screen)
        titles = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert titles == sorted(titles) and len(titles) == COUNT + 1
        _part_filled(journal, screen)
        screen.query_one("#search").value = "tag:odd"
        await _filled(pilot, screen)
        assert _keys(table) == _expected(journal, screen, "tag:odd")
        assert table.row_count == COUNT // 2


async def test_a_changed_entry_not_yet_added_shows_its_change(journal_path: Path) -> None:
    """A training event for an entry below the filled rows: its row, when added, is new."""
    journal = _journal(journal_path)
    app = _app(journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.browser()
        table = await _filled(pilot, screen)
        _part_filled(journal, screen)
        late = int(_expected(journal, screen)[-3])
        entry = journal.get(late)
        entry.title = "Renamed while filling"
        journal.update(entry)
        screen.refresh_entry(late)
        assert table.row_count < COUNT
        await _filled(pilot, screen)
        keys = _keys(table)
        assert keys == _expected(journal, screen) and len(set(keys)) == COUNT + 1
        assert str(table.get_row(str(late))[2]) == "Renamed while filling"
        screen.refresh_entry(late, select=True)
        assert screen.selected_id() == late
