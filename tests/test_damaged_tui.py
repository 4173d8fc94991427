"""The app's journal lists entries that fail the schema as damaged and can delete them."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import DataTable, Markdown

from fmtui.core.journal import Journal
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.dialogs import ConfirmDialog
from tests.tui_helpers import build_app

SIZE = (120, 40)
TIME = "2025-01-01 10:00:00"


def _hand_written(path: Path) -> None:
    entries = {
        "1": {"title": "good", "created": TIME, "updated": TIME},
        "2": {"title": "poisoned", "verdict": ["x"], "arm": {}, "created": TIME, "updated": TIME},
        "3": {"title": "claim", "claim": "higher", "created": TIME, "updated": TIME},
    }
    doc = {"_meta": {"1": {"schema_version": 1}}, "entries": entries}
    path.write_text(json.dumps(doc), "utf-8")


def _rows(app) -> list[tuple[str, str]]:
    table = app.screen.query_one("#entries", DataTable)
    return [
        # (status, title): the columns are id, created, title, status, …
        (str(row[3]), str(row[2]))
        for row in (table.get_row_at(i) for i in range(table.row_count))
    ]


async def test_damaged_entries_are_listed_and_deletable(journal_path: Path) -> None:
    _hand_written(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, BrowserScreen)
        rows = _rows(app)
        assert rows[0] == ("draft", "good")
        assert [status for status, _ in rows[1:]] == ["damaged", "damaged"]
        assert rows[1][1].startswith("entry.arm: unknown field")
        await pilot.press("down")
        await pilot.pause()
        detail = app.screen.query_one("#detail", Markdown)
        assert "Entry 2 is damaged" in detail.source
        await pilot.press("enter", "e", "t")  # edit and tag do nothing on a damaged row
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await app.workers.wait_for_complete()  # the delete runs in a worker
        await pilot.pause()
        assert [status for status, _ in _rows(app)] == ["draft", "damaged"]
    with Journal(journal_path, read_only=True) as reader:
        assert [i for i, _ in reader.damaged()] == [3]
        assert [e.title for e in reader.all()] == ["good"]
