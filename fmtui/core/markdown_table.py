"""Provides the padded Markdown tables of the journal's format, their cells escaped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table_cell(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A padded Markdown table in the report's style."""
    cells = [[table_cell(h) for h in headers]] + [[table_cell(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    widths = [max(w, 3) for w in widths]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [line(cells[0]), line(["-" * w for w in widths])]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)
