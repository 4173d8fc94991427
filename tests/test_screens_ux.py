"""Pilot tests of what a new user tripped over: verdicts, 80×24, names, forms, asking first."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.widgets import Button, DataTable, Input, Select, Static, TabbedContent, TextArea

from fmtui.core.journal import Claim, Entry, Journal
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.screens.designer import DesignerScreen
from fmtui.screens.dialogs import ConfirmDialog, ExportDialog
from fmtui.screens.hypothesis import HypothesisScreen
from fmtui.screens.training import TrainingScreen
from fmtui.widgets.charts import BarPlot
from tests.scenarios import prepare, scenario_app
from tests.tui_helpers import FakeTrainer, build_app, seed_journal, training_ended, wait_until

WIDE = (120, 40)
SMALL = (80, 24)
BASE = RunSpec(epochs=2, patience=0, device="cpu")


def _entry(path: Path, claim: Claim | None = None, title: str = "Batch") -> Entry:
    with Journal(path) as journal:
        entry = Entry(title=title, claim=claim)
        journal.add(entry)
    return entry


def _two_arms(names: tuple[str, str] = ("b64", "b32"), seeds: int = 2) -> ExperimentSpec:
    return ExperimentSpec(
        arms=(Arm(names[0], BASE), Arm(names[1], BASE.with_changes(batch_size=32))), seeds=seeds
    )


async def _finish(pilot, entry: Entry, experiment: ExperimentSpec) -> TrainingScreen:
    app = pilot.app
    app.launch(app.journal.get(entry.id), experiment)
    await training_ended(pilot)
    screen = app.screen
    assert isinstance(screen, TrainingScreen)
    screen.refresh_view()
    await pilot.pause()
    return screen


def _text(widget: Static) -> str:
    return str(widget.render())


# -- 1. the verdict where training ends


async def test_training_screen_shows_the_verdict_per_variant_when_a_claim_finishes(
    journal_path: Path,
) -> None:
    entry = _entry(journal_path, Claim(baseline="b64"))
    app = build_app(journal_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _finish(pilot, entry, _two_arms())
        headline = _text(screen.query_one("#headline", Static))
        # The fake runs differ by exactly +0.0020 seed for seed: paired, that is decisive.
        assert "completed · SUPPORTED (b32 +0.0020, p = 0)" in headline
        under = _text(screen.query_one("#verdict", Static))
        assert under.startswith("b32 vs b64: SUPPORTED — difference +0.0020, 95% CI")
        writeup = _text(screen.query_one("#writeup-verdict", Static))
        assert writeup.startswith("Verdict on the claim: SUPPORTED\nb32 vs b64: SUPPORTED")


async def test_the_footer_drops_the_cancel_keys_once_nothing_runs(journal_path: Path) -> None:
    trainer = FakeTrainer()
    trainer.gate = threading.Semaphore(0)
    entry = _entry(journal_path)
    app = build_app(journal_path, trainer)
    async with app.run_test(size=WIDE) as pilot:
        app.launch(app.journal.get(entry.id), _two_arms())
        await pilot.pause()
        screen = app.screen
        keys = lambda: {b.binding.action for b in screen.active_bindings.values()}  # noqa: E731
        enabled = lambda a: screen.check_action(a, ()) is True  # noqa: E731
        assert "cancel_run" in keys() and enabled("cancel_experiment")
        app.cancel_experiment(entry.id)
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: not enabled("cancel_run"))
        assert not enabled("cancel_experiment")


# -- 2. 80×24


async def test_at_80x24_the_runs_table_is_a_tab_and_the_plots_keep_their_height(
    journal_path: Path,
) -> None:
    entry = _entry(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=SMALL) as pilot:
        screen = await _finish(pilot, entry, _two_arms())
        assert not screen.query_one("#runs", DataTable).display
        assert screen.query_one("#loss-plot").size.height >= 8
        tabs = screen.query_one("#charts", TabbedContent)
        tabs.active = "tab-runs"
        await pilot.pause()
        table = screen.query_one("#runs-tab", DataTable)
        assert table.row_count == 4
        widths = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert widths <= table.size.width  # every column, time and status included


async def test_at_80x24_the_journal_shrinks_the_title_first(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#entries", DataTable)
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        assert sum(widths) <= table.size.width
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels[-3:] == ["Verdict", "Best acc", "Runs"]


async def test_at_80x24_the_export_buttons_and_the_margin_field_are_reachable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, ExportDialog)
        for button in app.screen.query(Button):
            assert app.screen.region.contains_region(button.region)
        await pilot.press("escape", "down", "e")
        margin = app.screen.query_one("#margin", Input)
        margin.focus()
        await pilot.pause()
        assert app.screen.query_one("#tabs").region.contains_region(margin.region)


# -- 3. arm names


async def test_the_runs_table_shows_a_long_arm_name_whole_and_the_time_at_120(
    journal_path: Path,
) -> None:
    entry = _entry(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _finish(pilot, entry, _two_arms(("512x256x128", "512x256x12")))
        table = screen.query_one("#runs", DataTable)
        arms = [str(table.get_cell(r.key, "arm")) for r in table.ordered_rows]
        assert arms == ["512x256x128", "512x256x128", "512x256x12", "512x256x12"]
        through_time = table.ordered_columns[: table.get_column_index("time") + 1]
        assert through_time[-1].label.plain == "Time"
        assert sum(c.get_render_width(table) for c in through_time) <= table.size.width


# -- 8. forms


async def test_the_hypothesis_form_checks_alpha_as_typed_and_clears_the_error_once_fixed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, HypothesisScreen)
        screen.query_one("#alpha", Input).value = "0.9"
        screen.query_one("#margin", Input).value = "two"
        await pilot.pause()
        alpha_error = screen.query_one("#alpha-error", Static)
        assert alpha_error.display and "alpha" in _text(alpha_error)
        assert screen.query_one("#margin-error", Static).display
        screen.query_one("#title", Input).value = "Alpha"
        await pilot.press("ctrl+s")
        form_error = screen.query_one("#form-error", Static)
        assert form_error.display
        screen.query_one("#alpha", Input).value = "0.01"
        screen.query_one("#margin", Input).value = "0.01"
        await pilot.pause()
        assert not alpha_error.display and not screen.query_one("#margin-error", Static).display
        assert not form_error.display  # no stale message once every field is fixed


async def test_the_designer_forgets_its_estimate_when_the_design_changes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("down", "l")
        screen = app.screen
        assert isinstance(screen, DesignerScreen)
        await pilot.press("ctrl+t")
        estimate = screen.query_one("#estimate", Static)
        await wait_until(pilot, lambda: "Estimated time" in _text(estimate))
        screen.query_one("#epochs", Input).value = "40"
        await pilot.pause()
        assert _text(estimate) == ""


async def test_grid_mode_launches_with_the_baseline_the_user_chose(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    trainer = FakeTrainer(epochs=1)
    app = build_app(path, trainer)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("l")  # the draft, entry 3
        screen = app.screen
        screen.query_one("#mode", Select).value = "grid"
        screen.query_one("#grid", Input).value = "16,32x16"
        screen.query_one("#seeds", Input).value = "1"
        await pilot.pause()
        assert screen.query_one("#grid_baseline", Input).display
        screen.query_one("#grid_baseline", Input).value = "32x16"
        await pilot.pause()
        assert "32x16: baseline" in _text(screen.query_one("#summary", Static))
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: bool(trainer.calls))
    assert trainer.calls[0].baseline.name == "32x16"


async def test_add_layer_stops_at_eight_layers_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("l")
        screen = app.screen
        layers = screen.query_one("#layers", Input)
        layers.value = "8x8x8x8x8x8x8x8"
        await pilot.pause()
        screen.add_layer()
        await pilot.pause()
        assert layers.value == "8x8x8x8x8x8x8x8"
        assert any("At most 8 hidden layers" in str(n.message) for n in app._notifications)


# -- 9. a cancelled experiment


async def test_a_cancelled_experiment_says_how_many_runs_completed(journal_path: Path) -> None:
    trainer = FakeTrainer()
    trainer.gate = threading.Semaphore(3)
    entry = _entry(journal_path)
    app = build_app(journal_path, trainer)
    async with app.run_test(size=WIDE) as pilot:
        app.launch(app.journal.get(entry.id), _two_arms())
        state = app.live[entry.id]
        await wait_until(pilot, lambda: sum(len(r.epochs) for r in state.runs) >= 3)
        app.cancel_experiment(entry.id)
        await training_ended(pilot)
        screen = app.screen
        screen.refresh_view()
        assert _text(screen.query_one("#experiment-label", Static)) == (
            "Cancelled: 1 of 4 runs completed"
        )
        table = screen.query_one("#runs", DataTable)
        statuses = [str(table.get_cell(r.key, "status")) for r in table.ordered_rows]
        assert statuses == ["completed", "cancelled", "not started", "not started"]


# -- 13. frictions


async def test_the_journal_shows_ids_and_long_titles_use_a_wide_screen(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    long_title = "Effect of batch size, learning rate and dropout on the accuracy of wide MLPs"
    _entry(path, title=long_title)
    app = build_app(path)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#entries", DataTable)
        row = table.ordered_rows[0].key
        assert str(table.get_cell(row, "id")) == "1"
        assert str(table.get_cell(row, "title")) == long_title


async def test_f2_and_the_palette_open_the_write_up_at_the_evaluation(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("f2")
        screen = app.screen
        assert isinstance(screen, HypothesisScreen)
        assert screen.query_one("#tabs", TabbedContent).active == "tab-writeup"
        assert screen.focused is screen.query_one("#evaluation", TextArea)
        await pilot.press("escape")
        await pilot.pause()
        app._cmd_writeup()
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#evaluation", TextArea)


async def test_rerun_asks_first_with_the_time_estimate(journal_path: Path) -> None:
    trainer = FakeTrainer()
    app = build_app(journal_path, trainer)
    entry = _entry(journal_path, title="original")
    async with app.run_test(size=WIDE) as pilot:
        await _finish(pilot, entry, _two_arms(seeds=1))
        await pilot.press("j", "r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = _text(app.screen.query_one("#question", Static))
        assert "Rerun entry 1 exactly (2 runs" in question and "up to 2 min" in question
        await pilot.press("n")
        await pilot.pause()
        assert len(trainer.calls) == 1 and len(app.journal) == 1


async def test_the_export_dialog_opens_with_the_last_format(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path, export_dir=tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("x")
        app.screen.query_one("#format", Select).value = "csv"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (tmp_path / "fmtui-journal.csv").exists()
        await pilot.press("x")
        assert app.screen.query_one("#format", Select).value == "csv"
        assert app.screen.query_one("#path", Input).value.endswith("fmtui-journal.csv")


async def test_the_variants_are_checked_once_typing_pauses(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    app = build_app(path)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("l")
        screen = app.screen
        checks: list[int] = []
        validate = screen.validate
        screen.validate = lambda: checks.append(1) or validate()  # type: ignore[method-assign]
        screen.query_one("#variants", TextArea).focus()
        await pilot.press(*"b32: batch_size=32")
        assert len(checks) <= 1  # not once per key
        summary = screen.query_one("#summary", Static)
        await wait_until(pilot, lambda: "2 arms × 3 seeds" in _text(summary))
        assert "b32: batch_size=32," in _text(summary)  # what sets the arm apart


async def test_a_launch_estimated_past_an_hour_asks_first(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    seed_journal(path)
    trainer = FakeTrainer()
    app = build_app(path, trainer)
    app.estimator = lambda experiment, device: (46 * 3600.0, "cpu (test CPU)")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("l", "ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "46.0 h, more than an hour" in _text(app.screen.query_one("#question", Static))
        await pilot.press("n")
        await pilot.pause()
        assert trainer.calls == [] and isinstance(app.screen, DesignerScreen)


async def test_the_arm_bars_zoom_to_the_data_range(journal_path: Path) -> None:
    entry = _entry(journal_path)
    app = build_app(journal_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _finish(pilot, entry, _two_arms())
        plot = screen.query_one("#arm-plot", BarPlot)
        limits: list[tuple[float, float]] = []
        xlim = plot.plt.xlim
        plot.plt.xlim = lambda lo, hi: limits.append((lo, hi)) or xlim(lo, hi)  # type: ignore[method-assign]
        screen.query_one("#charts", TabbedContent).active = "tab-arms"
        await wait_until(pilot, lambda: bool(limits))
        lo, hi = limits[-1]
        assert 0.8 < lo < 0.8505 and 0.8525 < hi < 0.9


# -- 14. snapshots without toasts


async def test_snapshot_scenarios_take_their_picture_without_toasts(tmp_path: Path) -> None:
    app = scenario_app("compare", tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await prepare(pilot, "compare")
        assert not app._notifications  # "Marked: 2" would expire at a machine's own pace
