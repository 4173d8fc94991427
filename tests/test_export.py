"""Export (seed Markdown, JSON, CSV) and import, with user text treated as data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from fmtui.core import export
from fmtui.core.journal import Entry, Journal
from fmtui.core.spec import RunSpec

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_393ed98be3ef1edf.txt"


def _seed_text() -> str:
    if not SEED.exists():
        pytest.skip("the seed report is not beside this checkout")
    return SEED.read_text()


def test_seed_appendix_import_export_round_trip_is_exact(tmp_path: Path) -> None:
    text = _seed_text()
    appendix = text[text.index("#### ") :]
    with Journal(tmp_path / "j.json") as j:
        ids = export.import_entries(j, export.parse_import(text, SEED.name))
        assert len(ids) == 12
        entries = export.select(j)
    assert all(e.origin == "imported" and not e.runs for e in entries)
    assert entries[0].created == "2025-10-07 15:00:51"
    assert entries[6].title == "Effect of Batch Size (32 vs 64) on Accuracy"
    assert "| 512 x 348 x 512  | 0.8965   |" in entries[10].results
    assert export.to_markdown(entries) == appendix


def _run(arm: str, seed: int, acc: float | None, lr: float = 1e-3, status="completed") -> dict:
    return {
        "arm": arm,
        "repeat": seed,
        "spec": RunSpec(lr=lr, seed=seed).to_dict(),
        "status": status,
        "test_acc": acc,
        "epochs": [{"epoch": 1}] * 3,
        "best_epoch": 3,
        "duration_s": 12.5,
        "device": "cpu",
    }


NASTY = "[/bold] | `code` \\ back\n#### 2025-01-01 00:00:00 fake\n**Results:**\n\\**Results:**"


def test_user_text_survives_markdown_round_trip() -> None:
    entry = Entry(
        title="Title [/bold] | `x` \\n\nsecond line",
        objective=NASTY,
        hypothesis="a|b",
        methodology="  indented\n\nparagraph",
        conclusion="x",
    )
    back = export.parse_markdown(export.to_markdown([entry]))
    assert len(back) == 1
    for name in ("title", "objective", "hypothesis", "methodology", "conclusion"):
        assert getattr(back[0], name) == getattr(entry, name), name


def test_results_table_with_seeds_and_differing_fields() -> None:
    runs = [
        _run("lr 1e-3", 0, 0.89),
        _run("lr 1e-3", 1, 0.87),
        _run("lr|1e-4", 0, 0.86, lr=1e-4),
        _run("lr|1e-4", 1, None, lr=1e-4, status="failed"),
    ]
    entry = Entry(title="LR", results="Measured.", runs=runs)
    md = export.entry_markdown(entry)
    assert "Measured.\n\n| Arm " in md
    table = md.split("**Results:**\n", 1)[1].split("\n\n**Evaluation:**")[0]
    lines = table.splitlines()[2:]
    assert lines[0].startswith("| Arm ") and "| lr " in lines[0] and "Seeds" in lines[0]
    assert "0.8800 ± 0.0141" in lines[2] and "384 x 512" in lines[2] and "0.001" in lines[2]
    assert "lr\\|1e-4" in lines[3] and "1/2" in lines[3] and "0.8600" in lines[3]
    assert all(line.count(" | ") == lines[0].count(" | ") for line in lines)
    assert "Epochs run" in lines[0]  # apart from a differing `epochs` setting


def test_methodology_names_what_each_variant_changes() -> None:
    from fmtui.core.record import describe_methodology
    from fmtui.core.spec import Arm, ExperimentSpec, grid_arms

    base = RunSpec(layers=(384, 512), epochs=5, patience=0)
    varied = ExperimentSpec(
        arms=(Arm("baseline", base), Arm("e10", RunSpec(layers=(384, 512), epochs=10, patience=0))),
        seeds=2,
    )
    text = describe_methodology(varied)
    assert text.startswith("Trained 2 arms of a relu MLP")
    assert "up to 5 epochs" in text
    assert text.endswith("Baseline baseline (384 x 512); variants e10: epochs=10.")
    grid = ExperimentSpec(arms=tuple(grid_arms([[256, 512], [128]], base)), seeds=1)
    assert describe_methodology(grid).startswith("Trained 2 arms (256 x 128, 512 x 128) of a")


def test_json_export_import_is_lossless(tmp_path: Path) -> None:
    entry = Entry(
        title="t [/b]",
        objective="o\nn",
        tags=["a", "b"],
        status="completed",
        claim={"metric": "test_acc", "direction": "lower", "baseline": "b"},
        experiment={"arms": [{"name": "b", "spec": RunSpec().to_dict()}], "seeds": 2},
        runs=[_run("b", 0, 0.9)],
        verdict="supported",
        stats={"plateau": {"metric": "test_acc", "best": "b", "best_mean": 0.9, "plateau": []}},
    )
    with Journal(tmp_path / "a.json") as j:
        j.add(entry)
        text = export.export_text(export.select(j), "json")
    doc = json.loads(text)
    assert doc["format"] == "fmtui-journal" and doc["format_version"] == 1
    with Journal(tmp_path / "b.json") as j2:
        export.import_entries(j2, export.parse_import(text, "x.json"))
        back = j2.all()[0]
    original = entry.to_dict()
    restored = back.to_dict()
    original.pop("id"), restored.pop("id")
    assert restored == original


def test_csv_has_one_row_per_run_with_every_spec_field() -> None:
    entries = [
        Entry(title='a, "quoted"\nline', runs=[_run("x", 0, 0.9), _run("x", 1, 0.8)]),
        Entry(title="draft"),
        Entry(title="b", runs=[_run("y", 0, None, status="failed")]),
    ]
    for i, e in enumerate(entries, 1):
        e.id = i
    rows = list(csv.DictReader(io.StringIO(export.to_csv(entries))))
    assert len(rows) == 3
    assert rows[0]["title"] == 'a, "quoted"\nline'
    assert rows[0]["layers"] == "384x512" and rows[0]["lr"] == "0.001"
    assert rows[1]["seed"] == "1" and rows[2]["status"] == "failed" and rows[2]["test_acc"] == ""
    for field in (
        "activation",
        "dropout",
        "optimizer",
        "batch_size",
        "epochs",
        "patience",
        "min_delta",
        "device",
        "best_epoch",
        "duration_s",
        "ran_on",
        "entry_id",
    ):
        assert field in rows[0]


@pytest.mark.parametrize(
    ("text", "name", "needle"),
    [
        ("just some notes", "notes.md", "no journal entries found"),
        ("{not json", "x.json", "not valid JSON"),
        ('{"format": "other"}', "x.json", "not an fmtui journal export"),
        ('{"format": "fmtui-journal", "format_version": 9, "entries": []}', "x.json", "newer"),
        (
            '{"format": "fmtui-journal", "format_version": 1, "entries": [{"status": "x"}]}',
            "x.json",
            "entry 1: status",
        ),
        (
            "#### 2025-13-45 99:00:00 Bad time\n\n**Objective:**\nx",
            "x.md",
            "created: expected a time",
        ),
    ],
)
def test_bad_import_files_add_nothing(tmp_path: Path, text: str, name: str, needle: str) -> None:
    with pytest.raises(export.ImportFileError, match=needle):
        export.parse_import(text, name)
