"""Provides a DataTable filled in chunks: the first screenful at once, the rest between frames.

DataTable measures every cell of the rows it is given when it next idles (about 0.3 s
for 1,000 rows of 7 columns on a loaded machine), so giving it a whole journal at once
delays the first paint, and every key pressed meanwhile, in proportion to the journal.
Chunks added a timer's tick apart let the table measure, paint and answer keys between
them; the rows a user sees come first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.timer import Timer
from textual.widgets import DataTable

FIRST = 100  # rows added at once: more than a screenful on any usual terminal
# Rows added per tick afterwards. Each tick also repaints the visible rows (an added
# row invalidates the table's line cache), about as costly as measuring 100 rows, so
# fewer, larger chunks fill sooner; 250 keeps a tick near a tenth of a second.
CHUNK = 250
TICK = 0.01  # seconds between chunks: long enough for the table to idle and paint

Cells = Callable[[int], Sequence[Text]]


class RowFill:
    """Keeps one DataTable showing keyed rows, filling what is below the first chunk later.

    `show` replaces what a fill under way was heading for: rows are always added after
    the last one in the table, from the latest keys, so none is lost or added twice.
    """

    def __init__(
        self, table: DataTable, first: int | None = None, chunk: int | None = None
    ) -> None:
        self.table = table
        self.first = max(1, FIRST if first is None else first)
        self.chunk = max(1, CHUNK if chunk is None else chunk)
        self._keys: list[str] = []
        self._cells: Cells = lambda _index: ()
        self._timer: Timer | None = None

    @property
    def keys(self) -> list[str]:
        """Every row's key in order, also those not yet in the table."""
        return list(self._keys)

    @property
    def pending(self) -> bool:
        """Rows remain to be added."""
        return self.table.row_count < len(self._keys)

    def show(self, keys: Sequence[str], cells: Cells, through: int = 0) -> None:
        """Make the table show rows `keys`, row i with `cells(i)`, in that order.

        With the same keys as before (an epoch ended), only cells whose text changed are
        rewritten, keeping the cursor and scroll; otherwise the table is refilled. Rows
        up to index `through` (the cursor's) and the first chunk are added at once.
        """
        table = self.table
        added = [row.key.value for row in table.ordered_rows]
        self._cells = cells
        if list(keys) == self._keys and added == self._keys[: len(added)]:
            self._update(added)
        else:
            self._stop()
            self._keys = list(keys)
            table.clear()
        self._add(max(through + 1, self.first))
        self._schedule()

    def fill_through(self, index: int) -> None:
        """Add the rows up to index `index` now (a row about to be selected)."""
        self._add(index + 1)

    def _update(self, added: list[str | None]) -> None:
        table = self.table
        columns = table.ordered_columns
        for index, key in enumerate(added):
            assert key is not None
            new_cells = self._cells(index)
            for column, old, new in zip(columns, table.get_row(key), new_cells, strict=True):
                if new != old:
                    table.update_cell(key, column.key, new, update_width=column.auto_width)

    def _add(self, stop: int) -> None:
        table = self.table
        for index in range(table.row_count, min(stop, len(self._keys))):
            table.add_row(*self._cells(index), key=self._keys[index])

    def _schedule(self) -> None:
        if self._timer is None and self.pending:
            self._timer = self.table.set_timer(TICK, self._next, name="row-fill")

    def _next(self) -> None:
        self._timer = None
        self._add(self.table.row_count + self.chunk)
        self._schedule()

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None


class FilledTable(DataTable):
    """A DataTable whose jump to the last row (ctrl+end) goes to the last of every row,
    also of those its fill has not added yet."""

    fill: RowFill | None = None

    def action_scroll_bottom(self) -> None:
        if self.fill is not None and self.fill.pending:
            self.fill.fill_through(len(self.fill.keys) - 1)
        super().action_scroll_bottom()
