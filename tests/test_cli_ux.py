"""What the shell commands say: filters, data status, JSON events, help, edit and export."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fmtui.cli import main
from fmtui.core.journal import Entry, Journal
from fmtui.core.words import count


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "j.json"
    with Journal(path) as j:
        j.add(Entry(title="First", status="completed", tags=["widths"]))
        j.add(Entry(title="Second", tags=["batch"]))
    return path


def test_unknown_status_is_rejected_naming_the_accepted(filled: Path, capsys) -> None:
    assert main(["journal", "list", "--journal", str(filled), "--status", "bogus"]) == 2
    err = capsys.readouterr().err
    assert "--status: expected one of draft, running, completed" in err and "'bogus'" in err


def test_filter_without_a_match_says_so_and_exits_1(filled: Path, capsys) -> None:
    assert main(["journal", "list", "--journal", str(filled), "--status", "failed"]) == 1
    out, err = capsys.readouterr()
    assert "The journal is empty" not in out + err
    assert "No entry matches (the journal holds 2 entries)." in err


def test_empty_journal_is_still_empty(tmp_path: Path, capsys) -> None:
    assert main(["journal", "list", "--journal", str(tmp_path / "new.json")]) == 0
    assert "The journal is empty." in capsys.readouterr().out


def test_count_is_plural_aware() -> None:
    assert [count(1, "entry"), count(2, "entry"), count(1, "run"), count(0, "run")] == [
        "1 entry",
        "2 entries",
        "1 run",
        "0 runs",
    ]


def test_data_status_with_a_named_folder_promises_no_download(tmp_path: Path, capsys) -> None:
    assert main(["data", "status", "--data-dir", str(tmp_path / "nowhere")]) == 1
    out = capsys.readouterr().out
    assert "would try to download" not in out
    assert "downloads nothing" in out


def test_a_file_given_as_data_folder_is_named_a_file(tmp_path: Path, capsys) -> None:
    afile = tmp_path / "train.gz"
    afile.write_bytes(b"x")
    assert main(["data", "status", "--data-dir", str(afile)]) == 1
    assert "is a file, not a folder" in capsys.readouterr().out
    assert main(["run", "--data-dir", str(afile), "--no-journal", "--epochs", "1"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_run_json_names_the_entry_and_each_run_the_same_way(
    fixture_dir: Path, tmp_path: Path, capsys
) -> None:
    journal = tmp_path / "j.json"
    args = ["run", "--data-dir", str(fixture_dir), "--allow-subset", "--journal", str(journal)]
    code = main([*args, "--layers", "16", "--epochs", "2", "--seeds", "2", "--seed", "5"])
    assert code == 0 or pytest.fail(capsys.readouterr().err)
    capsys.readouterr()
    # --fresh: the same runs again are trained, not reused, so that every event comes.
    again = ["--layers", "16", "--epochs", "2", "--seeds", "2", "--seed", "5", "--json", "--fresh"]
    code = main([*args, *again])
    assert code == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = events[-1]
    assert summary["event"] == "summary" and summary["entry_id"] == 2
    for event in events[:-1]:
        assert {"seed", "repeat"} <= set(event), event["event"]
    epochs = [(e["seed"], e["repeat"]) for e in events if e["event"] == "epoch"]
    assert epochs == [(5, 0), (5, 0), (6, 1), (6, 1)]
    assert all({"seed", "repeat"} <= set(r) for r in summary["runs"])


def test_run_json_without_journal_has_a_null_entry_id(fixture_dir: Path, capsys) -> None:
    args = ["run", "--data-dir", str(fixture_dir), "--allow-subset", "--no-journal", "--json"]
    assert main([*args, "--layers", "16", "--epochs", "1"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["entry_id"] is None


def test_run_help_shows_defaults() -> None:
    text = subprocess.run(
        [sys.executable, "-m", "fmtui", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(Path(__file__).parents[1])},
    ).stdout
    flat = " ".join(text.split())
    assert "--lr LR learning rate (> 0) (default: 1e-3)" in flat
    assert "--batch-size BATCH_SIZE 1 to 60000 (default: 64)" in flat
    assert "--epochs EPOCHS maximum epochs, 1 to 1000 (default: 10)" in flat
    assert "(default: None)" not in flat and "(default: False)" not in flat


def test_journal_edit_sets_text_and_tags(filled: Path, capsys) -> None:
    code = main(
        [
            "journal",
            "edit",
            "1",
            "--journal",
            str(filled),
            "--evaluation",
            "Within seed noise.",
            "--conclusion",
            "Keep 384x512 [b]",
            "--tag",
            "final",
            "--untag",
            "widths",
        ]
    )
    assert code == 0
    assert "entry 1: updated evaluation, conclusion, tags" in capsys.readouterr().out
    with Journal(filled, read_only=True) as j:
        entry, other = j.get(1), j.get(2)
    assert entry.evaluation == "Within seed noise." and entry.conclusion == "Keep 384x512 [b]"
    assert entry.tags == ["final"] and entry.title == "First" and entry.status == "completed"
    assert other.evaluation == "" and other.title == "Second"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "nothing to change"),
        (["--title", "x" * 301], "title: at most 300 characters"),
        (["--conclusion", "x" * 100_001], "conclusion: at most 100000 characters"),
    ],
)
def test_journal_edit_refuses_bad_input(filled: Path, capsys, args, needle) -> None:
    before = filled.read_bytes()
    assert main(["journal", "edit", "1", "--journal", str(filled), *args]) == 2
    assert needle in capsys.readouterr().err
    assert filled.read_bytes() == before


def test_journal_edit_of_a_missing_entry(filled: Path, capsys) -> None:
    assert main(["journal", "edit", "9", "--journal", str(filled), "--conclusion", "x"]) == 2
    assert "No entry 9" in capsys.readouterr().err


def test_journal_edit_waits_for_the_writer(filled: Path, capsys) -> None:
    with Journal(filled):  # this process holds the write lock; a child must not write
        proc = subprocess.run(
            [sys.executable, "-m", "fmtui", "journal", "edit", "1", "--conclusion", "x"]
            + ["--journal", str(filled)],
            capture_output=True,
            text=True,
            env={"PATH": "", "PYTHONPATH": str(Path(__file__).parents[1])},
        )
    assert proc.returncode == 2 and "in use by another fmtui process" in proc.stderr
    with Journal(filled, read_only=True) as j:
        assert j.get(1).conclusion == ""


def test_export_by_tag(filled: Path, capsys) -> None:
    assert main(["export", "--journal", str(filled), "--tag", "batch"]) == 0
    out = capsys.readouterr().out
    assert "Second" in out and "First" not in out


def test_export_rejects_an_unknown_status(filled: Path, capsys) -> None:
    assert main(["export", "--journal", str(filled), "--status", "done"]) == 2
    assert "--status: expected one of" in capsys.readouterr().err


def test_csv_has_best_validation_accuracy_torch_and_rounded_metrics(tmp_path: Path) -> None:
    from fmtui.core import export

    run = {
        "arm": "a",
        "spec": {"layers": [16], "lr": 1e-5},
        "status": "completed",
        "test_acc": 0.8611999750137329,
        "test_loss": 0.39871234,
        "duration_s": 12.345678,
        "environment": {"torch": "2.14.1"},
        "epochs": [{"val_acc": 0.85123456}, {"val_acc": 0.86498765}],
    }
    [row] = csv.DictReader(io.StringIO(export.to_csv([Entry(title="t", runs=[run], id=1)])))
    assert row["test_acc"] == "0.8612" and row["test_loss"] == "0.3987"
    assert row["best_val_acc"] == "0.865" and row["duration_s"] == "12.3457"
    assert row["torch"] == "2.14.1" and row["lr"] == "1e-05"
    assert json.loads(export.to_json([Entry(title="t", runs=[run])]))["entries"][0]["runs"][0][
        "test_acc"
    ] == pytest.approx(0.8611999750137329, abs=0)


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from fmtui.core import journal as jmod

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(jmod.os, "write", full)


def test_journal_edit_on_a_full_disk_changes_nothing(filled: Path, capsys, monkeypatch) -> None:
    before = filled.read_bytes()
    _disk_full(monkeypatch)
    assert main(["journal", "edit", "1", "--journal", str(filled), "--conclusion", "x"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert filled.read_bytes() == before


def test_import_on_a_full_disk_adds_nothing(
    filled: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    dump = tmp_path / "x.json"
    assert main(["export", "--journal", str(filled), "--format", "json", "-o", str(dump)]) == 0
    target = tmp_path / "t.json"
    with Journal(target) as j:
        j.add(Entry(title="kept"))
    before = target.read_bytes()
    _disk_full(monkeypatch)
    assert main(["import", str(dump), "--journal", str(target)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert target.read_bytes() == before
