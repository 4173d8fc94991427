"""`fmtui run` records entries; `journal`, `export` and `import` from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fmtui.cli import main
from fmtui.core import train
from fmtui.core.journal import Entry, Journal
from fmtui.core.record import ExperimentRecorder
from fmtui.core.spec import ExperimentSpec, RunSpec, layer_arms

RUN = ["run", "--allow-subset", "--layers", "16", "--epochs", "2", "--device", "cpu"]


def test_run_records_a_journal_entry(fixture_dir: Path, tmp_path: Path, capsys) -> None:
    journal = tmp_path / "j.json"
    code = main(
        [
            *RUN,
            "--data-dir",
            str(fixture_dir),
            "--journal",
            str(journal),
            "--title",
            "Tiny [/bold]",
            "--hypothesis",
            "It learns",
            "--tag",
            "smoke",
        ]
    )
    assert code == 0
    assert f"journal entry 1 in {journal}" in capsys.readouterr().err
    with Journal(journal, read_only=True) as j:
        entry = j.get(1)
    assert entry.title == "Tiny [/bold]" and entry.hypothesis == "It learns"
    assert entry.status == "completed" and entry.tags == ["smoke"] and entry.pid is None
    assert "Trained 1 arm (16)" in entry.methodology
    assert entry.results.startswith("Arm 16 achieved the highest test accuracy")
    run = entry.runs[0]
    assert run["status"] == "completed" and len(run["epochs"]) == 2
    assert len(run["per_class_acc"]) == 10 and run["environment"]["torch"]
    assert entry.experiment["arms"][0]["spec"]["layers"] == [16]


def test_no_journal_flag(fixture_dir: Path, tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    assert (
        main([*RUN, "--data-dir", str(fixture_dir), "--journal", str(journal), "--no-journal"]) == 0
    )
    assert not journal.exists()


def test_entry_is_saved_after_every_epoch(fixture_source, tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    experiment = ExperimentSpec(
        arms=layer_arms([(16,)], RunSpec(epochs=3, patience=0, device="cpu"))
    )
    seen = []
    with Journal(path) as j:
        recorder = ExperimentRecorder(j, Entry(title="live"), experiment)
        entry_id = recorder.start()

        def on_event(event: train.Event) -> None:
            recorder.on_event(event)
            if isinstance(event, train.EpochEnd):
                with Journal(path, read_only=True) as reader:  # what is on disk now
                    saved = reader.get(entry_id)
                seen.append((saved.status, len(saved.runs[0]["epochs"])))

        train.run_experiment(experiment, fixture_source, on_event=on_event, require_full=False)
        recorder.finish()
    assert seen == [("running", 1), ("running", 2), ("running", 3)]


def test_journal_list_show_export_import(tmp_path: Path, capsys) -> None:
    journal = tmp_path / "j.json"
    with Journal(journal) as j:
        j.add(
            Entry(title="First", status="completed", created="2025-10-07 15:00:51", objective="Obj")
        )
        j.add(Entry(title="Second", tags=["x"]))
    assert main(["--journal", str(journal), "journal", "list"]) == 0
    out = capsys.readouterr().out
    assert out.index("Second") < out.index("First") and "draft" in out
    assert main(["journal", "show", "1", "--journal", str(journal)]) == 0
    assert capsys.readouterr().out.startswith("#### 2025-10-07 15:00:51 First\n\n**Objective:**")
    target = tmp_path / "out" / "export.json"
    target.parent.mkdir()
    assert (
        main(
            [
                "export",
                "--journal",
                str(journal),
                "--format",
                "json",
                "-o",
                str(target),
                "--status",
                "completed",
            ]
        )
        == 0
    )
    assert f"wrote 1 entry as json to {target}" in capsys.readouterr().err
    assert [e["title"] for e in json.loads(target.read_text())["entries"]] == ["First"]
    other = tmp_path / "other.json"
    assert main(["import", str(target), "--journal", str(other)]) == 0
    assert "imported 1 entry (new id 1 in" in capsys.readouterr().out
    assert main(["export", "--journal", str(other), "--format", "md", "--id", "1"]) == 0
    assert capsys.readouterr().out.startswith("#### 2025-10-07 15:00:51 First")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["journal", "show", "7"], "No entry 7"),
        (["journal", "show", "abc"], "id: expected a whole number"),
        (["export", "--format", "pdf"], "format: expected one of md, json, csv"),
        (["export", "--id", "0"], "id: expected a whole number from 1"),
        (["import", "/nonexistent/file.md"], "cannot read"),
        (["journal", "list", "--sort", "size"], "sort: expected one of"),
    ],
)
def test_bad_journal_commands_exit_2(tmp_path: Path, capsys, args, needle) -> None:
    assert main(["--journal", str(tmp_path / "j.json"), *args]) == 2
    assert needle in capsys.readouterr().err


def test_import_of_garbage_adds_nothing(tmp_path: Path, capsys) -> None:
    journal = tmp_path / "j.json"
    bad = tmp_path / "notes.md"
    bad.write_text("# My notes\n\nnothing here")
    assert main(["--journal", str(journal), "import", str(bad)]) == 2
    assert "no journal entries found" in capsys.readouterr().err
    with Journal(journal, read_only=True) as j:
        assert len(j) == 0
