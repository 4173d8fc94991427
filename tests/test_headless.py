"""The core must run without the TUI: importing it must not load textual."""

from __future__ import annotations

import subprocess
import sys

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
