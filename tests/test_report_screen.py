"""Pilot tests of the report screen: pick, order, write, save, preview, export."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Markdown, Static, TextArea

from fmtui.core.journal import Journal
from fmtui.core.report import Report, Reports
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.dialogs import ConfirmDialog
from fmtui.screens.report import ReportScreen
from tests.scenarios import SCENARIOS, scenario_app
from tests.tui_helpers import build_app, seed_journal, settle

SIZE = (120, 40)


def _saved(path: Path) -> list[Report]:
    with Journal(path, read_only=True) as j:
        return Reports(j).all()


def _column(app, table_id: str, column: int) -> list[str]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def test_R_opens_a_new_report_of_the_marked_entry(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "m", "R")  # the browser lists newest first: entry 2
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert app.screen.chosen == [2]
        assert _column(app, "report-entries", 2) == ["Effect of Batch Size (32 vs 64) on Accuracy"]
        # hostile titles are shown as typed, not as markup
        assert "Title with [/bold] markup | pipes `ticks`" in _column(app, "journal-entries", 3)


async def test_pick_reorder_write_and_save(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        await pilot.press("space", "down", "space", "down", "space")  # entries 1, 2, 3
        assert screen.chosen == [1, 2, 3]
        assert _column(app, "journal-entries", 0) == ["✓", "✓", "✓"]
        await pilot.press("up", "space")  # 2 leaves the report
        assert screen.chosen == [1, 3]
        order = screen.query_one("#report-entries", DataTable)
        order.focus()
        await pilot.press("J")  # entry 1 moves below 3
        assert screen.chosen == [3, 1] and order.cursor_row == 1
        assert _column(app, "report-entries", 1) == ["3", "1"]
        screen.query_one("#report-title", Input).value = "Widths [b]and[/b] depth"
        screen.query_one(
            "#prose-introduction", TextArea
        ).text = "Why we ran these.\n## not a heading"
        await pilot.press("ctrl+s")
        await settle(pilot)  # the save runs in a worker
        assert "saved" in str(screen.query_one("#report-heading", Static).render())
    [report] = _saved(journal_path)
    assert report.entry_ids == [3, 1] and report.title == "Widths [b]and[/b] depth"
    assert report.introduction == "Why we ran these.\n## not a heading"


async def test_search_then_add_shown_adds_only_the_matches(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        await pilot.press("slash", *"batch", "enter", "a")
        await pilot.pause()
        assert app.screen.chosen == [2]


async def test_an_invalid_field_is_named_and_nothing_is_saved(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        app.screen.query_one("#report-tags", Input).value = "fine not/fine"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = app.screen.query_one("#report-error", Static)
        assert error.display and str(error.render()).startswith("tags: a tag is")
        assert isinstance(app.screen, ReportScreen)
    assert _saved(journal_path) == []


async def test_leaving_with_unsaved_prose_asks_first(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        app.screen.query_one("#prose-conclusion", TextArea).text = "Unsaved."
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
    assert _saved(journal_path) == []


async def test_preview_shows_the_generated_document(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "m", "R")  # entry 1, the oldest
        await pilot.pause()
        app.screen.query_one("#report-tabs").active = "tab-preview"
        await pilot.pause(0.2)
        source = app.screen.query_one("#preview", Markdown).source
        assert "## Appendix" in source and "#### 2025-10-07 15:00:51 Effect of Hidden" in source


async def test_ctrl_e_saves_and_exports_into_the_export_folder(
    journal_path: Path, tmp_path: Path
) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path, export_dir=tmp_path / "exports")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "m", "R")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await settle(pilot)  # the save, then the export it starts
    document = tmp_path / "exports" / "report-1" / "report.md"
    assert document.exists()
    assert "Effect of Batch Size (32 vs 64) on Accuracy" in document.read_text()
    assert [r.entry_ids for r in _saved(journal_path)] == [[2]]


async def test_the_palette_command_opens_the_last_saved_report(journal_path: Path) -> None:
    seed_journal(journal_path)
    with Journal(journal_path) as j:
        Reports(j).add(Report(title="Old", entry_ids=[1], updated="2025-01-01 00:00:00"))
        Reports(j).add(Report(title="Newest", entry_ids=[3], updated="2025-02-01 00:00:00"))
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        app._cmd_report()
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert app.screen.report.title == "Newest" and app.screen.chosen == [3]


def test_report_screen_snapshot_80x24(snap_compare, tmp_path) -> None:
    _with_entries, run_before = SCENARIOS["report"]
    assert snap_compare(
        scenario_app("report", tmp_path), terminal_size=(80, 24), run_before=run_before
    )


async def test_an_export_that_cannot_write_says_why(journal_path: Path, tmp_path: Path) -> None:
    seed_journal(journal_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app = build_app(journal_path, export_dir=blocker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "m", "R")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await settle(pilot)  # the save, then the export it starts
        error = app.screen.query_one("#report-error", Static)
        assert error.display and "cannot create" in str(error.render())
    assert blocker.read_text() == "x"
    assert [r.entry_ids for r in _saved(journal_path)] == [[2]]  # the save still happened


async def test_figures_tab_previews_the_arms_in_the_terminal(journal_path: Path) -> None:
    from tests.report_fixtures import add_fixture_entries

    with Journal(journal_path) as j:
        ids = add_fixture_entries(j)
        Reports(j).add(Report(title="R", entry_ids=ids))
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        app.screen.query_one("#report-tabs").active = "tab-figures"
        await pilot.pause(0.3)
        note = str(app.screen.query_one("#figures-note", Static).render())
        assert note.startswith("Figures on export: accuracy-by-architecture, entry-1-grid")
        bars = str(app.screen.query_one("#preview-bars").render())
        assert "512 x 512" in bars and "128 x 128" in bars
        assert "384 x 512 (#1)" in bars and "384 x 512 (#2)" in bars  # one per entry
        curves = str(app.screen.query_one("#preview-curves").render())
        assert "Entry 1: validation accuracy per epoch" in curves
