"""Provides the screens as a user sees them, for snapshot tests and screenshots/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from fmtui.app import FmtuiApp
from tests.tui_helpers import build_app, seed_journal

SIZE = (120, 40)


async def _nothing(pilot: Pilot) -> None:
    await pilot.pause()


async def _hypothesis(pilot: Pilot) -> None:
    await pilot.press("down", "e")
    await pilot.pause()


async def _designer_error(pilot: Pilot) -> None:
    await pilot.press("down", "l")
    pilot.app.screen.query_one("#layers", Input).value = "128,,64"
    pilot.app.screen.query_one("#batch_size", Input).value = "1.5"
    await pilot.pause()


async def _export(pilot: Pilot) -> None:
    await pilot.press("x")
    pilot.app.screen.query_one("#path", Input).value = "/home/me/fmtui-journal.md"
    await pilot.pause()


async def _help(pilot: Pilot) -> None:
    await pilot.press("question_mark")
    await pilot.pause()


# name → (whether the journal has entries, what to do before the picture)
SCENARIOS: dict[str, tuple[bool, Callable[[Pilot], Awaitable[None]]]] = {
    "browser": (True, _nothing),
    "browser-empty": (False, _nothing),
    "hypothesis-form": (True, _hypothesis),
    "designer-validation-error": (True, _designer_error),
    "export-dialog": (True, _export),
    "help": (True, _help),
}


def scenario_app(name: str, folder: Path) -> FmtuiApp:
    with_entries, _ = SCENARIOS[name]
    path = folder / f"{name}.json"
    if with_entries:
        seed_journal(path)
    return build_app(path, export_dir=Path("/home/me"))
