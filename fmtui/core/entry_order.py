"""Provides the browser's filter and order of entries, applied to entries in hand.

`Journal.query` gives the same answer from the stored journal; these let a screen
that already holds the listed entries place one changed entry without reading the
whole journal again (tests check that both agree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fmtui.core.journal import ENTRY_STATUSES, Entry, Search

SORT_KEYS: dict[str, Callable[[Entry], Any]] = {
    "date": lambda e: (e.created, e.id or 0),
    "title": lambda e: e.title.lower(),
    "best": lambda e: (e.best_accuracy is not None, e.best_accuracy or 0.0),
    "status": lambda e: (
        ENTRY_STATUSES.index(e.status) if e.status in ENTRY_STATUSES else len(ENTRY_STATUSES),
        e.created,
    ),
}


def matches(entry: Entry, search: Search) -> bool:
    """Whether the browser's search `search` lists `entry`."""
    wanted = set(search.status)
    return (
        (not wanted or entry.status in wanted)
        and (search.tag is None or search.tag in entry.tags)
        and (search.verdict is None or (entry.verdict or "") == search.verdict)
        and (not search.words or all(w in entry.text() for w in search.words.lower().split()))
    )


def ordered(entries: Iterable[Entry], sort: str, reverse: bool | None) -> list[Entry]:
    """`entries` in the browser's order: date and best accuracy newest/best first."""
    default_reverse = sort in ("date", "best")
    return sorted(
        entries, key=SORT_KEYS[sort], reverse=default_reverse if reverse is None else reverse
    )


def with_changed(
    entries: Sequence[Entry], changed: Entry, search: Search, sort: str, reverse: bool | None
) -> list[Entry]:
    """The listed `entries` after `changed` was saved: replaced, added or dropped as the
    search now says, and in the order a fresh query would give."""
    others = [e for e in entries if e.id != changed.id]
    if matches(changed, search):
        others.append(changed)
    others.sort(key=lambda e: e.id or 0)  # ties keep the journal's (id) order, as a query does
    return ordered(others, sort, reverse)
