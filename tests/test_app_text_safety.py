"""Pilot tests: markup and control characters from the journal or the keyboard show literally.

`[/]`, `[bold]`, `[link=…]` and `[@click=app.quit]` typed into a field or read from a
file must render as typed, never raise a MarkupError; escape sequences in journal
text must never reach the terminal, on any screen.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable, Input, Static

from fmtui.app import FmtuiApp
from fmtui.core.journal import Entry, Journal
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.compare import CompareScreen
from fmtui.screens.designer import DesignerScreen
from fmtui.screens.dialogs import ConfirmDialog, ExportDialog, TagDialog
from fmtui.screens.hypothesis import HypothesisScreen
from fmtui.screens.training import TrainingScreen
from tests.hostile import ARM_PAYLOAD, MARKUP, PAYLOAD, leaks, write_hostile_journal
from tests.tui_helpers import build_app, training_ended, wait_until

SIZE = (120, 40)


def terminal_output(app: FmtuiApp) -> bytes:
    """The bytes the app would send to a terminal for the current screen, in full.

    The same rendering `App.export_screenshot` makes, kept as terminal output.
    """
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue().encode("utf-8", "surrogateescape")


def plain(output: bytes) -> str:
    """Terminal output without its (the app's own) SGR and cursor sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode("utf-8"))


def static_text(app: FmtuiApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.json"
    write_hostile_journal(path)
    return path


# ---------------------------------------------------------------- markup typed in


@pytest.mark.parametrize(
    "text", ["[/]", "[bold]", "[link=http://evil.example/]x", "[@click=app.quit]"]
)
async def test_markup_in_the_alpha_field_is_an_error_shown_literally(
    journal_path: Path, text: str
) -> None:
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Markup in alpha")
        app.screen.query_one("#alpha", Input).value = text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HypothesisScreen)
        assert text in static_text(app, "#alpha-error")
        assert text in static_text(app, "#form-error")
    assert not app.return_code  # no unexpected exception ended the app


async def test_markup_in_an_export_path_is_shown_literally(journal_path: Path, tmp_path) -> None:
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        path = tmp_path / "[/]" / "[@click=app.quit]x.md"
        app.screen.query_one("#path", Input).value = str(path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert f"the folder {path.parent} does not exist" in static_text(app, "#path-error")
    assert not app.return_code  # no unexpected exception ended the app


async def test_markup_title_saves_and_shows_everywhere(journal_path: Path) -> None:
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        # Each step waits for the screen it needs: keys typed before a screen has its
        # focus would go elsewhere on a busy machine.
        await pilot.press("n")
        await wait_until(pilot, lambda: _focused(app, HypothesisScreen, "title"))
        await pilot.press(*MARKUP)
        await wait_until(pilot, lambda: app.screen.query_one("#title", Input).value == MARKUP)
        await pilot.press("ctrl+d")  # save, then the designer shows the title
        await wait_until(pilot, lambda: isinstance(app.screen, DesignerScreen))
        assert static_text(app, "#design-title") == f"Design: {MARKUP}"
        await pilot.press("escape")
        await wait_until(pilot, lambda: _focused(app, BrowserScreen, "entries"))
        table = app.screen.query_one("#entries", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        cell = str(table.get_row_at(0)[2])  # id, created, title (cut to the column's width)
        assert cell == MARKUP or (cell.endswith("…") and MARKUP.startswith(cell[:-1]))
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen
        await wait_until(pilot, lambda: isinstance(palette.focused, Input))
        await pilot.press(*"Open entry")
        hits = palette.query_one(CommandList)
        await wait_until(pilot, lambda: hits.option_count > 0)  # searched in the background
        prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert any(MARKUP in prompt for prompt in prompts), prompts
        await pilot.press("escape")
        await wait_until(pilot, lambda: _focused(app, BrowserScreen, "entries"))
        await pilot.press("t")  # tags with markup
        await wait_until(pilot, lambda: _focused(app, TagDialog, "tags"))
        await pilot.press(*" [/]")
        await wait_until(pilot, lambda: app.screen.query_one("#tags", Input).value.endswith("[/]"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: "[/]" in app.journal.get(1).tags)  # saved by a worker
        await wait_until(pilot, lambda: _focused(app, BrowserScreen, "entries"))
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert MARKUP in static_text(app, "#question")
        await pilot.press("n")
    assert not app.return_code  # no unexpected exception ended the app
    with Journal(journal_path, read_only=True) as journal:
        entry = journal.get(1)
    assert entry.title == MARKUP and "[/]" in entry.tags


def _focused(app: FmtuiApp, screen_type: type, widget_id: str) -> bool:
    """Whether a `screen_type` screen is on top with the widget `widget_id` focused."""
    focused = app.screen.focused
    return isinstance(app.screen, screen_type) and focused is not None and focused.id == widget_id


# ---------------------------------------------------------------- markup from a file


async def test_imported_markup_shows_in_the_compare_view(hostile: Path) -> None:
    # A hostile verdict is refused by the schema (the entry is damaged), so the markup
    # and escapes that can reach this view from a file are in titles and arm names.
    app = build_app(hostile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "down", "m", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await wait_until(pilot, lambda: "entry 2: [/] second" in plain(terminal_output(app)))
        output = terminal_output(app)
        assert leaks(output) == []
        shown = plain(output)
        assert "entry 2: [/] second" in shown and "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in shown
    assert not app.return_code  # no unexpected exception ended the app


async def test_arm_names_with_markup_and_escapes_on_the_training_screen(journal_path) -> None:
    app = build_app(journal_path)
    spec = RunSpec(epochs=2, patience=0, device="cpu")
    experiment = ExperimentSpec(
        arms=(Arm(ARM_PAYLOAD, spec), Arm("[/]", spec.with_changes(batch_size=32))), seeds=1
    )
    async with app.run_test(size=SIZE) as pilot:
        entry = Entry(title=f"T {PAYLOAD} {MARKUP}")
        app.journal.add(entry)
        app.launch(entry, experiment)
        await training_ended(pilot, timeout=240)  # the real engine in a child process
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        for tab in ("tab-curves", "tab-arms", "tab-last", "tab-writeup"):
            screen.query_one("#charts").active = tab
            await pilot.pause(0.2)
            screen.refresh_view()
            screen.refresh_charts(force=True)
            await pilot.pause(0.2)
            assert leaks(terminal_output(app)) == [], tab
        headline = static_text(app, "#headline")
        assert "T \\x1b[2J" in headline and MARKUP in headline
    assert not app.return_code  # no unexpected exception ended the app


# ---------------------------------------------------------------- every screen, hostile text


async def test_no_screen_sends_journal_control_sequences(hostile: Path) -> None:
    app = build_app(hostile)
    async with app.run_test(size=SIZE) as pilot:
        seen: dict[str, list[bytes]] = {}

        async def look(name: str) -> None:
            await pilot.pause(0.2)
            seen[name] = leaks(terminal_output(app))

        await look("browser, entry 2")
        await pilot.press("down")
        await look("browser, entry 1")
        await pilot.press("e")
        assert isinstance(app.screen, HypothesisScreen)
        await look("hypothesis form")
        app.screen.query_one("#tabs").active = "tab-writeup"
        await look("write-up")
        await pilot.press("escape")
        await pilot.press("l")
        assert isinstance(app.screen, DesignerScreen)
        await look("designer")
        await pilot.press("escape")
        await pilot.press("t")
        assert isinstance(app.screen, TagDialog)
        await look("tags")
        await pilot.press("escape", "delete")
        await look("delete")
        await pilot.press("n")
        app.notify(f"note {PAYLOAD}", title=f"t {PAYLOAD}")
        await look("notification")
        await pilot.press("ctrl+p", *"Open")
        await pilot.pause(0.5)
        await look("palette")
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("m", "up", "m", "c")
        await look("compare")
    assert not app.return_code  # no unexpected exception ended the app
    assert seen == {name: [] for name in seen}
