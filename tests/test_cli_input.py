"""Bad command-line input gets a message naming the flag and its range, never a traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from fmtui.cli import main
from fmtui.core import data
from fmtui.core.journal import Journal

HUGE = "9" * 5000


@pytest.fixture
def run_args(fixture_dir: Path, journal_path: Path) -> list[str]:
    return [
        "run",
        "--data-dir",
        str(fixture_dir),
        "--allow-subset",
        "--device",
        "cpu",
        "--epochs",
        "1",
        "--journal",
        str(journal_path),
    ]


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 2) -> str:
    try:
        assert main(argv) == code
    except KeyboardInterrupt:  # must become a message, not end the program (or pytest)
        pytest.fail("KeyboardInterrupt escaped fmtui's main()")
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return captured.err


def _no_lock(journal_path: Path) -> None:
    assert not journal_path.with_name(journal_path.name + ".lock").exists()


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("--epochs", "from 1 to 1000"),
        ("--batch-size", "from 1 to 60000"),
        ("--patience", "from 0 to 1000"),
        ("--seed", "from 0 to 2147483647"),
        ("--seeds", "from 1 to 100"),
    ],
)
def test_huge_integers_for_every_integer_flag(
    run_args: list[str], journal_path: Path, capsys, flag: str, expected: str
) -> None:
    err = _fails(capsys, [*run_args, flag, HUGE])
    assert f"fmtui run: {flag}: expected a whole number {expected}" in err
    assert "5000 digits long" in err and len(err) < 300
    _no_lock(journal_path)


def test_huge_integer_entry_ids(journal_path: Path, capsys) -> None:
    for argv in (
        ["journal", "show", HUGE],
        ["export", "--id", HUGE],
        ["rerun", HUGE],
    ):
        err = _fails(capsys, [*argv, "--journal", str(journal_path)])
        assert "id: expected a whole number from 1 to 1000000000" in err


@pytest.mark.parametrize("text", ["５", "٣", "𝟓", "1_0", "0x10", "1e1"])
def test_only_ascii_decimal_integers(run_args: list[str], capsys, text: str) -> None:
    err = _fails(capsys, [*run_args, "--seeds", text])
    assert "--seeds: expected a whole number from 1 to 100" in err


@pytest.mark.parametrize("text", ["５e-3", "1_0e-3", "٠.١", "0x1p-3", "1e-3e"])
def test_only_ascii_decimal_or_scientific_floats(run_args: list[str], capsys, text: str) -> None:
    err = _fails(capsys, [*run_args, "--lr", text])
    assert "--lr: expected a finite number in (0, 10]" in err


@pytest.mark.parametrize("value", ["-inf", "-1", "-1e-3", "-.5", "-nan"])
def test_negative_values_are_read_as_values(run_args: list[str], capsys, value: str) -> None:
    err = _fails(capsys, [*run_args, "--lr", value])
    assert "fmtui run: --lr: expected a finite number in (0, 10]" in err


def test_negative_integer_value_names_its_range(run_args: list[str], capsys) -> None:
    err = _fails(capsys, [*run_args, "--epochs", "-3e2"])
    assert "--epochs: expected a whole number from 1 to 1000" in err


def test_title_with_undecodable_bytes(run_args: list[str], journal_path: Path) -> None:
    """A real process: argv bytes that are not UTF-8 reach Python as surrogates."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    argv = [os.fsencode(a) for a in [sys.executable, "-m", "fmtui", *run_args]]
    done = subprocess.run(
        [*argv, b"--title", b"bad\xff"], capture_output=True, env=env, timeout=300
    )
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2
    assert "fmtui run: --title: holds a character that is not valid Unicode" in err
    assert "Traceback" not in err
    _no_lock(journal_path)
    assert not journal_path.exists()  # refused before the journal was touched


def test_ctrl_c_during_data_loading(
    run_args: list[str], journal_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "load", interrupted)
    err = _fails(capsys, run_args, code=130)
    assert err.strip() == "fmtui run: interrupted while loading the data; nothing was recorded"
    _no_lock(journal_path)


def test_huge_grid_is_counted_not_built(run_args: list[str], capsys) -> None:
    grid = "x".join(["1..4096"] * 8)
    # Building 13**8 combinations would take all the machine's memory: cap this process
    # at 2 GiB more than it has, so a regression fails here instead of starving others.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + 2 * 2**30, hard))
    try:
        err = _fails(capsys, [*run_args, "--grid", grid])
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    assert f"--grid: expands to {13**8} arms; at most 400 allowed" in err


def test_repeated_key_in_a_variant(run_args: list[str], journal_path: Path, capsys) -> None:
    err = _fails(capsys, [*run_args, "--variant", "fast: lr=1e-3, lr=2e-3"])
    assert "--variant: line 1: lr is given twice" in err
    with Journal(journal_path, read_only=True) as j:
        assert len(j) == 0
