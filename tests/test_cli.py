"""The headless `fmtui` command: version, help, run, data status, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fmtui import __version__
from fmtui.cli import main


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fmtui {__version__}"
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for flag in ("--layers", "--grid", "--batch-size", "--patience", "--seeds", "--device"):
        assert flag in out


def test_run_json_ends_with_a_summary(fixture_dir: Path, capsys) -> None:
    code = main(
        [
            "run",
            "--data-dir",
            str(fixture_dir),
            "--allow-subset",
            "--layers",
            "32,16",
            "--epochs",
            "2",
            "--device",
            "cpu",
            "--json",
        ]
    )
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines if line["event"] == "epoch"] == ["epoch", "epoch"]
    summary = lines[-1]
    assert summary["event"] == "summary" and summary["status"] == "completed"
    run = summary["runs"][0]
    assert 0.5 < run["test_acc"] <= 1
    assert len(run["per_class_acc"]) == 10
    assert summary["classes"][0] == "T-shirt/top"


def test_run_text_table_for_several_arms(fixture_dir: Path, capsys) -> None:
    code = main(
        [
            "run",
            "--data-dir",
            str(fixture_dir),
            "--allow-subset",
            "--layers",
            "16",
            "--layers",
            "8x8",
            "--epochs",
            "1",
            "--seeds",
            "2",
            "--device",
            "cpu",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "run 4/4: arm 8x8, seed 1" in out
    table = out.split("test accuracy", 2)[-1]
    assert " ± " in table and "16 " in table and "8x8" in table


def test_grid_flag(fixture_dir: Path, capsys) -> None:
    code = main(
        [
            "run",
            "--data-dir",
            str(fixture_dir),
            "--allow-subset",
            "--grid",
            "8,16x8",
            "--epochs",
            "1",
            "--device",
            "cpu",
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 0
    assert [a["arm"] for a in summary["arms"]] == ["8x8", "16x8"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "nan"], "--lr: expected a finite number in (0, 10], got 'nan'"),
        (["--batch-size", "1.5"], "--batch-size: expected a whole number from 1 to 60000"),
        (["--epochs", "1e309"], "--epochs: expected a whole number"),
        (["--layers", "128,,64"], "--layers: layer 2 is empty"),
        (["--layers", "100000"], "--layers: layer 1: expected a whole number from 1 to 4096"),
        (["--seeds", "-1"], "--seeds: expected a whole number from 1 to 100"),
        (["--dropout", "inf"], "--dropout: expected a finite number in [0, 1)"),
        (["--grid", "8x8", "--layers", "8"], "--grid: use either --layers or --grid"),
    ],
)
def test_invalid_input_exits_2_with_a_message(fixture_dir, capsys, args, message) -> None:
    code = main(["run", "--data-dir", str(fixture_dir), "--allow-subset", *args])
    assert code == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_bad_data_exits_2_naming_the_file(fixture_dir: Path, capsys) -> None:
    (fixture_dir / "train-images-idx3-ubyte").write_bytes(b"\x00" * 10)
    code = main(["run", "--data-dir", str(fixture_dir), "--allow-subset", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "train-images-idx3-ubyte: file is truncated" in err


def test_full_size_check_without_allow_subset(fixture_dir: Path, capsys) -> None:
    assert main(["run", "--data-dir", str(fixture_dir), "--epochs", "1"]) == 2
    assert "has 60000" in capsys.readouterr().err


def test_missing_device_exits_2(fixture_dir: Path, capsys, monkeypatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["run", "--data-dir", str(fixture_dir), "--allow-subset", "--device", "cuda"]) == 2
    assert "no usable CUDA device" in capsys.readouterr().err


def test_data_status(fixture_dir: Path, capsys) -> None:
    code = main(["data", "status", "--data-dir", str(fixture_dir)])
    out = capsys.readouterr().out
    assert "--data-dir / FMTUI_DATA_DIR" in out
    assert code == 1 and "has 60000" in out  # a subset is not the full data set


def test_console_script_runs_as_a_process(fixture_dir: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fmtui",
            "run",
            "--data-dir",
            str(fixture_dir),
            "--allow-subset",
            "--layers",
            "16",
            "--epochs",
            "1",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy" in proc.stdout
