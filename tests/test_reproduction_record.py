"""The result of every rerun check is stored with the rerun and shown where it is read."""

from __future__ import annotations

from pathlib import Path

from fmtui.cli import main
from fmtui.core import export, reproduce
from fmtui.core.entry_view import runs_markdown
from fmtui.core.journal import Entry, Journal

RUN = ["--allow-subset", "--layers", "16", "--epochs", "1", "--device", "cpu"]


def test_cli_rerun_stores_an_exact_match(fixture_dir: Path, tmp_path: Path, capsys) -> None:
    journal = tmp_path / "j.json"
    common = ["--journal", str(journal), "--data-dir", str(fixture_dir)]
    assert main(["run", *common, *RUN, "--seeds", "2"]) == 0
    assert main(["rerun", "1", *common, "--allow-subset"]) == 0
    with Journal(journal, read_only=True) as j:
        rerun = j.get(2)
    record = rerun.reproduction
    assert record is not None
    assert record["exact"] is True and record["original_id"] == 1
    assert record["largest_difference"] == 0.0
    markdown = export.entry_markdown(rerun)
    results = markdown.split("**Results:**")[1].split("**Evaluation:**")[0]
    assert "Rerun check: reproduces entry 1 exactly." in results


def _run(acc: float, loss: float) -> dict:
    return {
        "arm": "a",
        "spec": {"seed": 3, "layers": [16]},
        "status": "completed",
        "test_acc": acc,
        "test_loss": 0.4,
        "epochs": [{"train_loss": loss, "val_acc": 0.8}],
    }


def test_a_difference_is_stored_with_its_size_and_place() -> None:
    original = Entry(title="o", runs=[_run(0.8123, 0.5)], id=4)
    rerun = Entry(title="r", runs=[_run(0.8120, 0.5001)], parent_id=4)
    record = reproduce.check(original, rerun)
    assert record["exact"] is False and record["original_id"] == 4
    assert abs(record["largest_difference"] - 0.0003) < 1e-12
    assert (record["metric"], record["arm"], record["seed"]) == ("test_acc", "a", 3)
    rerun.reproduction = record
    text = export.entry_markdown(rerun)
    assert "Rerun check: differs from entry 4; largest difference 0.0003 in test_acc" in text
    assert "(arm a seed 3)." in text


def test_preview_shows_the_check_and_hostile_records_stay_one_line() -> None:
    entry = Entry(
        title="r",
        runs=[_run(0.8, 0.5)],
        reproduction={"exact": False, "original_id": 2, "first_difference": "x\n#### y\x1b[31m"},
    )
    preview = export.entry_markdown(entry) + runs_markdown(entry)
    line = next(x for x in preview.splitlines() if x.startswith("Rerun check"))
    assert line.startswith("Rerun check: differs from entry 2; x")
    assert "\x1b" not in preview and "\n#### y" not in preview
