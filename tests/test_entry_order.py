"""The browser's filter and order in hand agree with Journal.query on the stored journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmtui.core.entry_order import matches, ordered, with_changed
from fmtui.core.journal import Entry, Journal, Search
from tests.tui_helpers import seed_journal

SEARCHES = ["", "status:completed", "status:draft", "tag:batch", "accuracy", "effect batch"]


@pytest.mark.parametrize("sort", ["date", "title", "best", "status"])
@pytest.mark.parametrize("reverse", [None, True, False])
@pytest.mark.parametrize("text", SEARCHES)
def test_with_changed_agrees_with_a_fresh_query(
    journal_path: Path, sort: str, reverse: bool | None, text: str
) -> None:
    seed_journal(journal_path)
    search = Search.parse(text)
    with Journal(journal_path) as journal:
        journal.add(Entry(title="effect of width", created="2025-10-09 10:00:00"))
        before = journal.query(sort=sort, reverse=reverse, **search.query_args())
        changed = journal.get(1)
        changed.status, changed.tags = "draft", ["batch"]
        changed.title = "Zebra: effect of batch"
        journal.update(changed)
        after = journal.query(sort=sort, reverse=reverse, **search.query_args())
        assert [e.id for e in with_changed(before, journal.get(1), search, sort, reverse)] == [
            e.id for e in after
        ]
        everything = journal.all()
        assert [e.id for e in ordered(everything, sort, reverse)] == [
            e.id for e in journal.query(sort=sort, reverse=reverse)
        ]
        assert [e.id for e in everything if matches(e, search)] == sorted(e.id for e in after)
