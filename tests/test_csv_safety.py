"""CSV export is safe in a spreadsheet: no formula runs, no row is split, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from fmtui.core import export
from fmtui.core.journal import Entry
from fmtui.core.spec import RunSpec


def _entry(title: str, arm: str = "a", error: str | None = None) -> Entry:
    run = {
        "arm": arm,
        "spec": RunSpec(lr=0.001).to_dict(),
        "status": "failed" if error else "completed",
        "test_acc": 0.8912,
        "error": error,
        "epochs": [{"epoch": 1}],
    }
    return Entry(title=title, status="completed", runs=[run], id=7)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "title",
    [
        '=HYPERLINK("http://evil.example/","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formula_prefixes_are_neutralised(title: str) -> None:
    (row,) = _rows(export.to_csv([_entry(title, arm=title, error=title)]))
    for column in ("title", "arm", "error"):
        assert row[column] == "'" + title


@pytest.mark.parametrize("number", ["-0.5", "+1", "-1e-3", "2.5E+4", "-.5"])
def test_text_that_is_a_plain_number_is_kept(number: str) -> None:
    (row,) = _rows(export.to_csv([_entry(number, arm=number)]))
    assert row["title"] == number and row["arm"] == number


def test_numeric_columns_stay_numbers() -> None:
    (row,) = _rows(export.to_csv([_entry("t")]))
    assert row["test_acc"] == "0.8912" and row["lr"] == "0.001" and row["entry_id"] == "7"
    assert float(row["test_acc"]) == 0.8912


def test_ordinary_text_is_unchanged() -> None:
    (row,) = _rows(export.to_csv([_entry("Batch 32 vs 64 (a=b) e-mail @home")]))
    assert row["title"] == "Batch 32 vs 64 (a=b) e-mail @home"


@pytest.mark.parametrize("title", ["first\rsecond", "first\nsecond", "a\r\nb", 'q"uote,comma'])
def test_line_breaks_inside_a_cell_never_split_the_row(title: str) -> None:
    text = export.to_csv([_entry(title), _entry("next")])
    rows = _rows(text)
    assert [r["title"] for r in rows] == [title, "next"]
    # Outside quoted cells, a line break only ends a row: as a spreadsheet splits them.
    outside = "".join(part for i, part in enumerate(text.split('"')) if i % 2 == 0)
    assert outside.count("\r") == outside.count("\n") == 3  # header and two rows
