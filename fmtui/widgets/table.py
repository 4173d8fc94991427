"""Provides the least-redraw update of a DataTable, shared by the live screens."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable


def show_rows(table: DataTable, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
    """Make `table` show `rows` (key, cells in column order) with the least redrawing.

    With the same keys in the same order (an epoch ended), only the cells whose text
    changed are rewritten; otherwise the table is refilled. Each rewrite repaints,
    and while training the UI shares the cores with the training process.
    """
    if [key for key, _cells in rows] != [row.key.value for row in table.ordered_rows]:
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        return
    columns = table.ordered_columns
    for key, cells in rows:
        for column, old, new in zip(columns, table.get_row(key), cells, strict=True):
            if new != old:
                table.update_cell(key, column.key, new, update_width=column.auto_width)
