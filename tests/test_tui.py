"""Pilot tests of the app: the keyboard flow, validation, delete, export, quitting."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input, Markdown, Static, TextArea

from fmtui.core.design import validate_field
from fmtui.core.journal import Journal, JournalWriteError
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.designer import DesignerScreen
from fmtui.screens.dialogs import ConfirmDialog, ExportDialog, HelpScreen
from fmtui.screens.hypothesis import HypothesisScreen
from fmtui.screens.training import TrainingScreen
from tests.tui_helpers import FakeTrainer, build_app, seed_journal, training_ended, wait_until

SIZE = (120, 40)


def _table_titles(app) -> list[str]:
    table = app.screen.query_one("#entries", DataTable)
    return [str(table.get_cell(row.key, "title")) for row in table.ordered_rows]


async def test_full_keyboard_flow_new_draft_design_launch(journal_path: Path) -> None:
    trainer = FakeTrainer()
    app = build_app(journal_path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one("#empty", Static).display
        await pilot.press("n")
        assert isinstance(app.screen, HypothesisScreen)
        await pilot.press(*"Effect of Batch Size (32 vs 64)")
        await pilot.press("tab", *"Test whether batch 32 beats 64.")
        await pilot.press("tab", *"Batch 32 gives higher test accuracy than 64.")
        baseline = app.screen.query_one("#baseline", Input)
        baseline.value = "b64"
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, DesignerScreen)
        with Journal(journal_path, read_only=True) as reader:
            draft = reader.get(1)
        assert draft.status == "draft" and draft.claim.baseline == "b64"
        variants = app.screen.query_one("#variants", TextArea)
        variants.focus()
        await pilot.press(*"b32: batch_size=32")
        summary = app.screen.query_one("#summary", Static)
        await wait_until(pilot, lambda: "2 arms × 3 seeds = 6 runs" in str(summary.render()))
        assert not app.screen.query_one("#launch", Button).disabled
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainingScreen))
        await training_ended(pilot)
        await pilot.press("j")
        assert isinstance(app.screen, BrowserScreen)
        assert _table_titles(app) == ["Effect of Batch Size (32 vs 64)"]
        detail = app.screen.query_one("#detail", Markdown)
        assert "b32" in detail.source and "**Runs:**" in detail.source
    assert len(trainer.calls) == 1
    assert [a.name for a in trainer.calls[0].arms] == ["b64", "b32"]
    assert trainer.calls[0].arms[1].spec.batch_size == 32
    with Journal(journal_path, read_only=True) as reader:
        entry = reader.get(1)
    assert entry.status == "completed" and len(entry.runs) == 6
    assert entry.methodology.startswith("Trained 2 arms")
    assert entry.results.startswith("Arm ")


DESIGN_FIELDS = [
    "baseline_name",
    "layers",
    "dropout",
    "lr",
    "momentum",
    "weight_decay",
    "batch_size",
    "epochs",
    "patience",
    "min_delta",
    "seeds",
    "seed",
]
BAD_VALUES = ["", "  ", "abc", "0", "-1", "1.5", "nan", "inf", "1e309", "100000", "128,,64"]


@pytest.mark.parametrize("field", DESIGN_FIELDS)
async def test_each_invalid_designer_input_shows_its_message_and_starts_nothing(
    journal_path: Path, field: str
) -> None:
    seed_journal(journal_path)
    trainer = FakeTrainer()
    app = build_app(journal_path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, DesignerScreen)
        widget = screen.query_one(f"#{field}", Input)
        error = screen.query_one(f"#{field}-error", Static)
        launch = screen.query_one("#launch", Button)
        original = widget.value
        rejected = 0
        for bad in BAD_VALUES:
            widget.value = bad
            await pilot.pause()
            expected = validate_field(field, bad)
            if expected is None:
                assert not error.display
                continue
            rejected += 1
            shown = str(error.render())
            assert error.display and shown.startswith(field), (bad, shown)
            assert "expected" in shown or "arm" in shown
            assert widget.has_class("-invalid")
            assert launch.disabled
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert isinstance(app.screen, DesignerScreen)
        assert rejected >= (2 if field == "baseline_name" else 5)
        widget.value = original
        await pilot.pause()
        assert not error.display and not launch.disabled
    assert trainer.calls == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("b32 batch_size=32", "line 1: expected 'name: field=value"),
        ("b32: batch=32", "unknown field 'batch'"),
        ("b32: batch_size=nan", "line 1: batch_size: expected a whole number"),
        ("b32: lr=inf", "line 1: lr: expected a finite number"),
        ("x:", "changes nothing"),
        ("baseline: lr=0.01", "arm names must be unique"),
    ],
)
async def test_invalid_variants_are_named(journal_path: Path, text: str, needle: str) -> None:
    seed_journal(journal_path)
    trainer = FakeTrainer()
    app = build_app(journal_path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        screen = app.screen
        screen.query_one("#baseline_name", Input).value = "baseline"
        screen.query_one("#variants", TextArea).text = text
        await pilot.pause()
        screen.flush()  # no need to wait for the pause in typing
        await pilot.pause()
        assert needle in str(screen.query_one("#variants-error", Static).render())
        assert screen.query_one("#launch", Button).disabled
        await pilot.press("ctrl+l")
    assert trainer.calls == []


async def test_grid_mode_counts_arms(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        screen = app.screen
        from textual.widgets import Select

        screen.query_one("#mode", Select).value = "grid"
        await pilot.pause()
        assert "49 arms × 3 seeds = 147 runs" in str(screen.query_one("#summary").render())
        screen.query_one("#grid", Input).value = "16,32x"
        await pilot.pause()
        assert "layer 2 has no widths" in str(screen.query_one("#grid-error", Static).render())
        assert screen.query_one("#launch", Button).disabled


async def test_delete_asks_and_really_deletes(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        first = _table_titles(app)[0]
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert _table_titles(app)[0] == first
        await pilot.press("delete")
        await pilot.press("y")
        await app.workers.wait_for_complete()  # the write runs in a worker
        await pilot.pause()
        assert first not in _table_titles(app)
    with Journal(journal_path, read_only=True) as reader:
        assert len(reader) == 2 and first not in [e.title for e in reader]


async def test_export_writes_the_file_it_says(journal_path: Path, tmp_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path, export_dir=tmp_path)
    target = tmp_path / "out.md"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.click("#all")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the write runs in a worker
        await pilot.pause()
        line = str(app.screen.query_one("#status-line", Static).render())
    assert line == f"Wrote 3 entries as md to {target}"
    text = target.read_text()
    assert text.startswith("#### 2025-10-07 15:00:51 Effect of Hidden Units on Accuracy")
    assert "| b32 " in text and "0.8928 ± 0.0016" in text


async def test_export_asks_before_replacing_and_writes_through_a_symlink(
    journal_path: Path, tmp_path: Path
) -> None:
    seed_journal(journal_path)
    real = tmp_path / "real.md"
    real.write_text("keep me")
    real.chmod(0o664)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    app = build_app(journal_path, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for answer in ("n", "y"):
            await pilot.press("x")
            app.screen.query_one("#path", Input).value = str(link)
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()  # the write runs in a worker
            await pilot.pause()
            assert isinstance(app.screen, ConfirmDialog)
            assert "already exists. Replace it?" in app.screen.question
            await pilot.press(answer)
            await app.workers.wait_for_complete()  # the write runs in a worker
            await pilot.pause()
            if answer == "n":
                assert real.read_text() == "keep me"
        line = str(app.screen.query_one("#status-line", Static).render())
    assert line.startswith("Wrote ") and line.endswith(f" to {real}")
    assert link.is_symlink() and real.read_text().startswith("#### ")
    assert stat.S_IMODE(real.stat().st_mode) == 0o664


async def test_export_refuses_the_journal_itself(journal_path: Path) -> None:
    seed_journal(journal_path)
    before = journal_path.read_bytes()
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        app.screen.query_one("#path", Input).value = str(journal_path)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the write runs in a worker
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert any("refusing to write" in str(n.message) for n in app._notifications)
    assert journal_path.read_bytes() == before


async def test_export_dialog_rejects_a_missing_folder(journal_path: Path, tmp_path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        app.screen.query_one("#path", Input).value = str(tmp_path / "nope" / "x.md")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ExportDialog)
        assert "does not exist" in str(app.screen.query_one("#path-error", Static).render())


async def test_user_text_is_shown_literally(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        assert _table_titles(app)[0] == "Title with [/bold] markup | pipes `ticks`"
        await pilot.press("enter")
        assert isinstance(app.screen, HypothesisScreen)
        assert app.screen.query_one("#title", Input).value.startswith("Title with [/bold]")
        assert app.screen.query_one("#hypothesis", TextArea).text == "[red]not red[/red]"


async def test_search_and_sort(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"batch")
        await pilot.pause()
        assert _table_titles(app) == ["Effect of Batch Size (32 vs 64) on Accuracy"]
        app.screen.query_one("#search", Input).value = "status:draft"
        await pilot.pause()
        assert _table_titles(app) == ["Title with [/bold] markup | pipes `ticks`"]
        await pilot.press("escape")
        await pilot.press("s")  # date → title
        assert _table_titles(app)[0].startswith("Effect of Batch")
        await pilot.press("s")  # title → best accuracy
        assert _table_titles(app)[0].startswith("Effect of Batch")


async def test_duplicate_makes_a_linked_draft(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "d")
        await app.workers.wait_for_complete()  # the write runs in a worker
        await pilot.pause()
    with Journal(journal_path, read_only=True) as reader:
        copy = reader.get(4)
    assert copy.status == "draft" and copy.parent_id == 2 and not copy.runs
    assert copy.experiment is None and copy.claim.baseline == "b64"


async def test_quit_with_unsaved_edits_asks(journal_path: Path) -> None:
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"half-written")
        await pilot.press("ctrl+c")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, HypothesisScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        assert isinstance(app.screen, BrowserScreen)
    with Journal(journal_path, read_only=True) as reader:
        assert len(reader) == 0


async def test_title_is_required(journal_path: Path) -> None:
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "ctrl+s")
        assert "title: required" in str(app.screen.query_one("#title-error", Static).render())
    with Journal(journal_path, read_only=True) as reader:
        assert len(reader) == 0


async def test_failed_save_keeps_the_form(journal_path: Path, monkeypatch) -> None:
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Keep me")

        def fail(entry):
            raise JournalWriteError("Could not save the journal: No space left on device.")

        monkeypatch.setattr(app.journal, "add", fail)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HypothesisScreen)
        assert app.screen.query_one("#title", Input).value == "Keep me"
        assert any("No space left" in str(n.message) for n in app._notifications)


async def test_help_and_command_palette(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"New hypothesis", "Export journal", "Help"} <= set(titles)
        assert "Open entry 2: Effect of Batch Size (32 vs 64) on Accuracy" in titles


async def test_quit_during_training_cancels_and_keeps_epochs(journal_path: Path) -> None:
    seed_journal(journal_path)
    trainer = FakeTrainer(epochs=50)
    trainer.release.clear()
    app = build_app(journal_path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")  # a fresh draft of the top entry
        await pilot.press("l")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.is_training()
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        trainer.release.set()
    assert app.join_training(5.0)
    with Journal(journal_path, read_only=True) as reader:
        entry = reader.get(4)
    assert entry.status == "cancelled"


@pytest.mark.parametrize(
    ("field", "bad", "needle"),
    [
        ("alpha", "nan", "alpha: expected a finite number in (0, 0.5]"),
        ("alpha", "0", "alpha: expected a finite number in (0, 0.5]"),
        ("margin", "-1", "margin: expected a finite number in [0, 1]"),
    ],
)
async def test_claim_numbers_are_validated(journal_path: Path, field, bad, needle) -> None:
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Claimed")
        app.screen.query_one(f"#{field}", Input).value = bad
        await pilot.press("ctrl+s")
        assert needle in str(app.screen.query_one(f"#{field}-error", Static).render())
        app.screen.query_one(f"#{field}", Input).value = "0.01"
        await pilot.press("ctrl+s")
        assert not app.screen.query_one(f"#{field}-error", Static).display
    with Journal(journal_path, read_only=True) as reader:
        claim = reader.get(1).claim
    assert getattr(claim, field) == 0.01


async def test_a_search_with_no_match_says_so_and_escape_clears_it(journal_path: Path) -> None:
    seed_journal(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"zzzz-nothing")
        await pilot.pause()
        status = str(app.screen.query_one("#status-line", Static).render())
        assert "No entry matches “zzzz-nothing”" in status
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#entries", DataTable).row_count > 0
        assert "No entry matches" not in str(app.screen.query_one("#status-line", Static).render())
