"""The compare view: spec diff, scores, a verdict on the difference, and warnings."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from fmtui.core.journal import Entry
from fmtui.core.plateau import compare_entries
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.screens.compare import CompareScreen
from fmtui.widgets.charts import LinePlot
from tests.tui_helpers import build_app


def _entry(title: str, batch: int, accs: list[float], device: str = "cpu") -> Entry:
    spec = RunSpec(batch_size=batch, epochs=3, patience=0)
    experiment = ExperimentSpec(arms=(Arm("a", spec),), seeds=len(accs))
    runs = [
        {
            "arm": "a",
            "status": "completed",
            "test_acc": acc,
            "spec": spec.with_changes(seed=i).to_dict(),
            "epochs": [
                {"val_acc": acc - 0.02, "val_loss": 1.2 - acc},
                {"val_acc": acc - 0.01, "val_loss": 1.1 - acc},
            ],
            "environment": {"device": device, "torch": "2.14.1"},
        }
        for i, acc in enumerate(accs)
    ]
    return Entry(title=title, status="completed", experiment=experiment.to_dict(), runs=runs)


def test_compare_entries_core() -> None:
    first = _entry("b64", 64, [0.8945, 0.8921, 0.8950])
    second = _entry("b32", 32, [0.9010, 0.9032, 0.9025], device="cuda")
    result = compare_entries(first, second)
    assert result.spec_diff == [("batch_size", "64", "32")]
    assert result.comparison.verdict == "supported" and result.comparison.p_value < 0.05
    assert "different devices: cpu vs cuda" in result.warnings[0]


async def test_mark_two_and_compare(tmp_path: Path) -> None:
    app = build_app(tmp_path / "journal.json")
    async with app.run_test(size=(120, 40)) as pilot:
        app.journal.add(_entry("b64", 64, [0.8945, 0.8921, 0.8950]))
        app.journal.add(_entry("b32", 32, [0.9010, 0.9032, 0.9025]))
        app.screen.reload()
        await pilot.press("c")  # nothing marked yet: a hint, no screen
        assert not isinstance(app.screen, CompareScreen)
        await pilot.press("m", "down", "m")
        table = app.screen.query_one("#entries", DataTable)
        assert str(table.get_cell(table.ordered_rows[0].key, "title")).startswith("● ")
        await pilot.press("c")
        assert isinstance(app.screen, CompareScreen)
        plot = app.screen.query_one("#curves", LinePlot)
        assert sorted(plot.bands) == ["entry 1 a", "entry 2 a"]
        assert all(b.n == 3 and b.sd is not None for b in plot.bands["entry 1 a"])
        assert len(app.screen.query_one("#loss-curves", LinePlot).bands) == 2
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)


async def test_compare_view_names_cpu_kernels(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    first = _entry("b64", 64, [0.8945, 0.8921, 0.8950])
    second = _entry("b32", 32, [0.9010, 0.9032, 0.9025])
    for entry, capability in ((first, "AVX512"), (second, "AVX2")):
        for run in entry.runs:
            run["environment"] |= {"cpu_model": "Xeon", "cpu_capability": capability}
    app = build_app(tmp_path / "journal.json")
    async with app.run_test(size=(120, 40)) as pilot:
        app.journal.add(first)
        app.journal.add(second)
        app.screen.reload()
        await pilot.press("m", "down", "m", "c")
        assert isinstance(app.screen, CompareScreen)
        console = Console(width=300, record=True, file=io.StringIO())
        console.print(app.screen._report())
        text = console.export_text()
    assert "different CPU kernels: expect small differences" in text
    assert "test accuracy after the last epoch (no early stopping)" in text
    assert "Welch t p = " in text and "g = " in text
