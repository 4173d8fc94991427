"""Reuse of finished runs through `fmtui run`: real training on tiny IDX files, run twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fmtui.cli import main
from fmtui.core.journal import open_journal
from tests.idx_fixtures import write_dataset


def _run(capsys: pytest.CaptureFixture[str], data: Path, *extra: str) -> list[dict[str, Any]]:
    code = main(
        [
            "run",
            "--data-dir",
            str(data),
            "--allow-subset",
            "--layers",
            "16",
            "--epochs",
            "1",
            "--seeds",
            "2",
            "--device",
            "cpu",
            "--json",
            *extra,
        ]
    )
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _started(lines: list[dict[str, Any]]) -> int:
    return sum(1 for line in lines if line["event"] == "run_started")


def _numbers(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    runs = lines[-1]["runs"]
    return [(r["test_acc"], r["test_loss"], [e["train_loss"] for e in r["epochs"]]) for r in runs]


def test_a_second_identical_run_trains_nothing_and_fresh_trains_again(
    fixture_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _run(capsys, fixture_dir)
    assert _started(first) == 2
    again = _run(capsys, fixture_dir)
    assert _started(again) == 0  # nothing trained
    assert {"event": "reused", "runs": 2, "from": [1]} in again
    assert again[-1]["reused"] == "reused 2 of 2 runs from entry 1"
    assert _numbers(again) == _numbers(first)
    assert [r["reused_from"] for r in again[-1]["runs"]] == [
        {"entry_id": 1, "arm": "16", "repeat": 0},
        {"entry_id": 1, "arm": "16", "repeat": 1},
    ]
    fresh = _run(capsys, fixture_dir, "--fresh")
    assert _started(fresh) == 2
    assert _numbers(fresh) == _numbers(first)  # on a CPU a reuse equals a retraining
    with open_journal() as journal:
        second, third = journal.get(2), journal.get(3)
    assert second.status == "completed"
    assert [r["reused_from"]["entry_id"] for r in second.runs] == [1, 1]
    assert all("reused_from" not in r for r in third.runs)
    assert [r["reuse_key"] for r in third.runs] == [r["reuse_key"] for r in second.runs]


def test_a_changed_seed_spec_data_file_or_training_mode_is_trained_again(
    fixture_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, fixture_dir)  # two seeds in one stacked group (batch-models auto)
    assert _started(_run(capsys, fixture_dir, "--seed", "7")) == 2
    assert _started(_run(capsys, fixture_dir, "--lr", "0.002")) == 2
    # Seeds 7 and 8 were trained as a group of two: alone, each trains differently.
    assert _started(_run(capsys, fixture_dir, "--seed", "7", "--batch-models", "off")) == 2
    other = write_dataset(tmp_path / "other", n_train=620)
    assert _started(_run(capsys, other)) == 2
    # The text output says what was reused and where from.
    code = main(
        [
            "run",
            "--data-dir",
            str(fixture_dir),
            "--allow-subset",
            "--layers",
            "16",
            "--epochs",
            "1",
            "--seeds",
            "3",
            "--device",
            "cpu",
            "--batch-models",
            "off",
            "--seed",
            "7",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "reused 2 of 3 runs from entry 4" in out
    assert "run 3/3: arm 16, seed 9" in out
