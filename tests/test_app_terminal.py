"""The real app in a pseudo-terminal: what it sends to the terminal, and how it ends.

`fmtui` runs as a child process on a 120×40 xterm-256color pty, as a user starts it;
the test reads every byte it writes, as the terminal would, and types keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fmtui.core.journal import Journal
from tests.hostile import PAYLOAD, leaks, write_hostile_journal
from tests.pty_app import PtyApp

START_S = 120.0  # the first frame: torch and textual load on a busy 2-core machine

# The child patches the form's save to fail as a bug would, then runs the real CLI.
FAILING_SAVE = """
import sys
import fmtui.screens.hypothesis as hypothesis
from fmtui.cli import main

def save(self):
    raise RuntimeError("forced failure for the test")

hypothesis.HypothesisScreen.action_save = save
sys.exit(main(sys.argv[1:]))
"""


def test_the_app_never_sends_journal_control_sequences(tmp_path: Path) -> None:
    path = tmp_path / "hostile.json"
    write_hostile_journal(path)
    app = PtyApp(["--journal", str(path)])
    assert app.read_until(b"second", START_S), bytes(app.output[-2000:])
    app.read_for(2)
    app.send("\x1b[B")  # down: the first entry, every field hostile, in the detail pane
    app.read_for(2)
    app.send("e")  # its form: title, tags and texts in inputs and text areas
    assert app.read_until(b"Objective", START_S)
    app.read_for(2)
    app.send("\x1b")
    app.read_for(2)
    app.send("q")
    assert app.finish(START_S) == 0
    output = bytes(app.output)
    assert leaks(output) == []
    assert b"\\x1b]0;PWNED" in output  # the title is there, escaped visibly
    with Journal(path, read_only=True) as journal:  # and stored exactly as it was
        assert journal.get(1).title.startswith(f"T {PAYLOAD}")


def test_an_unexpected_error_exits_non_zero_and_keeps_the_draft(tmp_path: Path) -> None:
    path = tmp_path / "data" / "journal.json"
    app = PtyApp(["--journal", str(path)], python=("-c", FAILING_SAVE))
    assert app.read_until(b"journal is empty", START_S), bytes(app.output[-2000:])
    app.send("n")
    assert app.read_until(b"Objective", START_S)
    app.send("Unsaved [/] title")
    assert app.read_until(b"[/] title", START_S)  # drawn: every key has arrived
    app.send("\x13")  # ctrl+s: the save fails with an exception
    code = app.finish(START_S)
    output = bytes(app.output).decode("utf-8", "replace")
    assert code == 1, output[-2000:]
    assert "forced failure for the test" in output
    match = re.search(r"unsaved text was kept in (\S+\.json)", output)
    assert match, output[-2000:]
    draft = Path(match.group(1))
    assert draft.parent == path.parent
    doc = json.loads(draft.read_text())
    (form,) = doc["forms"]
    assert form["screen"] == "HypothesisScreen"
    assert form["fields"]["title"] == "Unsaved [/] title"
    assert "RuntimeError: forced failure for the test" in doc["reason"]
