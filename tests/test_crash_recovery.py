"""An unexpected exception ends the app with status 1 and keeps the open forms' text."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from textual.widgets import Input

from fmtui.core.recovery import RECOVERY_FORMAT, write_recovery
from fmtui.screens.hypothesis import HypothesisScreen
from tests.tui_helpers import build_app

SIZE = (120, 40)


def _fail(self: object) -> None:
    raise RuntimeError("forced failure")


async def test_a_crash_in_the_form_keeps_every_field(journal_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(HypothesisScreen, "action_save", _fail)
    app = build_app(journal_path)
    with pytest.raises(RuntimeError, match="forced failure"):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("n", *"Unsaved [/] title")
            await pilot.press("tab", *"Objective never saved")
            app.screen.query_one("#alpha", Input).value = "0.01"
            await pilot.press("ctrl+s")
            await pilot.pause()
    assert app.return_code == 1
    assert app.recovery_path is not None and app.recovery_path.parent == journal_path.parent
    doc = json.loads(app.recovery_path.read_text())
    assert doc["format"] == RECOVERY_FORMAT and "RuntimeError: forced failure" in doc["reason"]
    (form,) = doc["forms"]
    assert form["screen"] == "HypothesisScreen" and form["entry_id"] is None
    fields = form["fields"]
    assert fields["title"] == "Unsaved [/] title"  # exactly as typed
    assert fields["objective"] == "Objective never saved"
    assert fields["alpha"] == "0.01" and fields["metric"] == "test_acc"


async def test_a_crash_with_no_form_open_writes_no_draft(journal_path: Path, monkeypatch) -> None:
    app = build_app(journal_path)
    with pytest.raises(RuntimeError, match="forced failure"):
        async with app.run_test(size=SIZE) as pilot:
            monkeypatch.setattr(type(app.screen), "action_new", _fail)
            await pilot.press("n")
            await pilot.pause()
    assert app.return_code == 1 and app.recovery_path is None
    assert list(journal_path.parent.glob("fmtui-recovery-*")) == []


def test_the_draft_goes_to_the_temporary_folder_when_the_journal_folder_fails(
    tmp_path: Path, monkeypatch
) -> None:
    fallback = tmp_path / "tmp"
    fallback.mkdir()
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(fallback))
    forms = [{"screen": "HypothesisScreen", "entry_id": 3, "fields": {"title": "x\ud800"}}]
    path = write_recovery(tmp_path / "missing-folder", forms, "RuntimeError: boom")
    assert path.parent == fallback
    assert json.loads(path.read_text())["forms"] == forms


def test_when_no_folder_can_be_written_the_error_is_raised(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path / "no-tmp"))
    with pytest.raises(FileNotFoundError):
        write_recovery(tmp_path / "missing-folder", [{"fields": {}}], "boom")
