"""The core must run without the TUI, and reading commands without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SEED_REPORT = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_393ed98be3ef1edf.txt"

CODE = """
import sys
import fmtui.core, fmtui.core.data, fmtui.core.spec, fmtui.core.model
import fmtui.core.train, fmtui.core.stats, fmtui.cli
bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))
print(bad)
sys.exit(1 if bad else 0)
"""


def test_core_and_cli_import_without_textual() -> None:
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# Reading commands must start fast: none of them may load torch (650 MB, seconds).
READER = """
import sys
from fmtui import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("TORCH=%s\\n" % ("torch" in sys.modules))
"""

READING_COMMANDS = [
    ["journal", "list"],
    ["journal", "show", "1"],
    ["journal", "check"],
    ["export", "--format", "md"],
    ["export", "--format", "json"],
    ["export", "--format", "csv"],
    ["data", "status"],
    ["--help"],
    ["run", "--help"],
]


@pytest.fixture(scope="module")
def seeded_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A journal holding the seed report's entries, imported the way a user would."""
    path = tmp_path_factory.mktemp("readers") / "journal.json"
    proc = subprocess.run(
        [sys.executable, "-m", "fmtui", "--journal", str(path), "import", str(SEED_REPORT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.mark.parametrize("argv", READING_COMMANDS, ids=" ".join)
def test_reading_commands_do_not_import_torch(
    argv: list[str], seeded_journal: Path, tmp_path: Path
) -> None:
    env = dict(os.environ, FMTUI_JOURNAL=str(seeded_journal), FMTUI_DATA_DIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-c", READER, *argv], capture_output=True, text=True, timeout=120, env=env
    )
    assert "TORCH=False" in proc.stderr, proc.stderr[-2000:]


def test_import_does_not_import_torch(tmp_path: Path) -> None:
    env = dict(os.environ, FMTUI_JOURNAL=str(tmp_path / "j.json"))
    proc = subprocess.run(
        [sys.executable, "-c", READER, "import", str(SEED_REPORT)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "TORCH=False" in proc.stderr, proc.stderr[-2000:]


def test_app_opens_the_journal_without_torch() -> None:
    code = "import sys, fmtui.app; print('torch' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stdout + proc.stderr
