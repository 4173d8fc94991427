"""The typed run record: its stored form, strict reading, statuses and completed values."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from fmtui.core import schema, train
from fmtui.core.events import EpochMetrics, RunResult
from fmtui.core.journal import Entry, Journal
from fmtui.core.runs import (
    as_results,
    completed_values,
    entry_runs,
    result_from_dict,
    seed_values,
)
from fmtui.core.spec import RunSpec, SpecError
from fmtui.core.status import EntryStatus, RunStatus
from tests.run_fixtures import stored_run

SMALL = RunSpec(layers=(16,), epochs=2, patience=0, batch_size=32, device="cpu", seed=3)


@pytest.fixture(scope="module")
def real_result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    from fmtui.core import data
    from tests.idx_fixtures import write_dataset

    folder = write_dataset(tmp_path_factory.mktemp("fmnist"))
    result = train.train_run(SMALL, data.DataSource("explicit", folder), require_full=False)
    assert result.status == RunStatus.COMPLETED, result.error
    return result


def test_a_real_run_round_trips_through_its_dict_and_the_journal(
    real_result: RunResult, tmp_path: Path
) -> None:
    stored = real_result.to_dict()
    assert result_from_dict(stored) == real_result
    assert result_from_dict(json.loads(json.dumps(stored))) == real_result
    with Journal(tmp_path / "journal.json") as journal:
        entry_id = journal.add(Entry(title="t", status="completed", runs=[stored]))
    with Journal(tmp_path / "journal.json", read_only=True) as journal:
        entry = journal.get(entry_id)
    (back,) = entry_runs(entry)
    assert back == real_result
    assert back.to_dict() == entry.runs[0]


def test_the_stored_status_is_plain_text_and_text_is_read_into_the_enum() -> None:
    result = RunResult("a", 0, SMALL, "diverged")  # type: ignore[arg-type]
    assert result.status is RunStatus.DIVERGED
    assert type(result.to_dict()["status"]) is str
    with pytest.raises(ValueError):
        RunResult("a", 0, SMALL, "done")  # type: ignore[arg-type]


def test_a_run_in_progress_and_a_diverged_run_read_with_defaults() -> None:
    started = {
        "arm": "a",
        "repeat": 0,
        "spec": SMALL.to_dict(),
        "status": "running",
        "device": "cpu",
        "parameters": 12,
        "environment": {"torch": "2"},
        "epochs": [],
    }
    run = result_from_dict(started)
    assert run.status is RunStatus.RUNNING and run.test_acc is None and run.epochs == ()
    # A non-finite loss is stored as null (JSON has no NaN) and read back as NaN.
    epoch = {**EpochMetrics(1, 0.5, 0.5, 0.5, 0.5, 1.0).to_dict(), "train_loss": None}
    diverged = result_from_dict({**started, "status": "diverged", "epochs": [epoch]})
    assert math.isnan(diverged.epochs[0].train_loss)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"test_acc": "0.9"}, "run.test_acc"),
        ({"repeat": True}, "run.repeat"),
        ({"status": "done"}, "run.status"),
        ({"status": 1}, "run.status"),
        ({"stopped_early": "no"}, "run.stopped_early"),
        ({"epochs": [{"epoch": 1, "lr": 0.1}]}, "run.epochs[0].lr"),
        ({"epochs": [1]}, "run.epochs[0]"),
        (
            {"epochs": [{**EpochMetrics(1, 0, 0, 0, 0, 0).to_dict(), "val_acc": "x"}]},
            "run.epochs[0].val_acc",
        ),
        ({"confusion": [[1, 2.5]]}, "run.confusion[0][1]"),
        ({"misclassified": [[1, 2]]}, "run.misclassified"),
        ({"colour": "red"}, "run.colour"),
        ({"spec": [1]}, "run.spec"),
        ({"spec": {"colour": 1}}, "colour"),
        ({"environment": []}, "run.environment"),
    ],
)
def test_strict_reading_names_the_wrong_field(change: dict[str, Any], field: str) -> None:
    data = {**RunResult("a", 0, SMALL, RunStatus.COMPLETED, test_acc=0.9).to_dict(), **change}
    with pytest.raises(SpecError) as caught:
        result_from_dict(data)
    assert caught.value.field == field


def test_missing_keys_read_as_the_schema_fills_them_and_a_spec_is_required() -> None:
    lean = result_from_dict(
        {"spec": SMALL.to_dict(), "epochs": [{"val_acc": 0.8}], "stopped_early": None}
    )
    assert (lean.arm, lean.repeat, lean.status) == ("", 0, RunStatus.FAILED)
    assert lean.stopped_early is False
    assert lean.epochs[0].epoch == 1 and lean.epochs[0].val_acc == 0.8
    assert math.isnan(lean.epochs[0].train_loss)
    with pytest.raises(SpecError, match="run.spec: missing"):
        result_from_dict({"arm": "a", "repeat": 0, "status": "completed"})


def test_completed_values_keep_completed_finite_values_only() -> None:
    runs = as_results(
        [
            stored_run("a", 0.90, seed=1, val_accs=[0.80, 0.85]),
            stored_run("b", 0.80, seed=1, val_accs=[0.70]),
            stored_run("a", 0.50, seed=2, status="diverged", val_accs=[0.99]),
            stored_run("a", None, seed=3, status="cancelled"),
            stored_run("a", None, seed=4),  # completed without a test accuracy: not a value
            stored_run("a", 0.70, seed=5, status="failed"),
            stored_run("a", 0.88, seed=6, val_accs=[0.84]),
        ]
    )
    assert completed_values(runs) == [0.90, 0.80, 0.88]
    assert completed_values(runs, "test_acc", arm="a") == [0.90, 0.88]
    assert completed_values(runs, "val_acc", arm="a") == [0.85, 0.84]  # each run's best epoch
    assert completed_values(runs, "val_acc", arm="nope") == []
    assert seed_values(runs, "a", "test_acc") == {1: [0.90], 6: [0.88]}


def test_the_enums_are_the_stored_strings() -> None:
    assert schema.RUN_STATUSES == (
        "running",
        "completed",
        "cancelled",
        "diverged",
        "failed",
        "interrupted",
    )
    assert schema.ENTRY_STATUSES == (
        "draft",
        "running",
        "completed",
        "cancelled",
        "failed",
        "interrupted",
    )
    assert all(RunStatus(s) == s for s in schema.RUN_STATUSES)
    assert all(EntryStatus(s) == s for s in schema.ENTRY_STATUSES)
    assert RunStatus.NOT_STARTED == "not started" and RunStatus.QUEUED == "queued"
    assert json.dumps({"status": RunStatus.COMPLETED}) == '{"status": "completed"}'
    assert f"{EntryStatus.CANCELLED}" == "cancelled"


def test_titles_and_export_formats_raise_field_errors_not_spec_errors() -> None:
    from fmtui.core.errors import FieldError
    from fmtui.core.export import export_text
    from fmtui.core.report import Report

    with pytest.raises(FieldError) as bad_format:
        export_text([], "xml")
    with pytest.raises(FieldError) as no_title:
        Report(title=" ")
    for caught, field in ((bad_format, "format"), (no_title, "title")):
        assert caught.value.field == field and not isinstance(caught.value, SpecError)
    assert issubclass(SpecError, FieldError)  # a spec's bad field is caught as any other
