"""The headless live state behind the training screen, its grid heatmap and its plots."""

from __future__ import annotations

import io

from rich.console import Console

from fmtui.core import train
from fmtui.core.live import LiveState, downsample, half_block_rows, smooth
from fmtui.core.spec import ExperimentSpec, RunSpec, grid_arms, parse_grid
from fmtui.widgets.charts import heatmap


def _finish(state: LiveState, arm: str, acc: float, spec: RunSpec) -> None:
    state.apply(train.RunStarted(arm, 0, spec, "cpu", 10, {}, 5))
    metrics = train.EpochMetrics(1, 0.5, 0.8, 0.4, 0.82, 1.0)
    state.apply(train.EpochEnd(arm, 0, metrics, 1, None))
    state.apply(
        train.RunFinished(
            train.RunResult(arm, 0, spec, "completed", test_acc=acc, epochs=(metrics,))
        )
    )


def test_grid_heatmap_puts_each_arm_in_its_cell() -> None:
    base = RunSpec(epochs=1, patience=0)
    experiment = ExperimentSpec(arms=grid_arms(parse_grid("64,128x32,256"), base))
    state = LiveState.for_experiment(1, "grid", experiment)
    for i, arm in enumerate(experiment.arms):
        _finish(state, arm.name, 0.80 + i / 100, arm.spec)
    assert state.grid_axes() == ([64, 128], [32, 256])
    console = Console(width=80, file=io.StringIO(), record=True)
    console.print(heatmap(state))
    lines = console.export_text().splitlines()
    row_64 = next(line for line in lines if line.strip().startswith("64 "))
    row_128 = next(line for line in lines if line.strip().startswith("128 "))
    assert "0.8000" in row_64 and "0.8100" in row_64
    assert "0.8200" in row_128 and "0.8300" in row_128


def test_curves_average_seeds_and_progress_resets_each_epoch() -> None:
    spec = RunSpec(epochs=2, patience=0)
    experiment = ExperimentSpec(arms=grid_arms([[16]], spec), seeds=2)
    state = LiveState.for_experiment(1, "t", experiment)
    state.apply(train.RunStarted("16", 0, spec, "cpu", 10, {}, 100))
    state.apply(train.Progress("16", 0, 1, 50, 100, 1.0, 10.0))
    state.apply(train.Progress("16", 0, 1, 100, 100, 0.8, 10.0))
    assert state.step_losses == [1.0, 0.8] and state.progress_every == 50
    state.apply(train.EpochEnd("16", 0, train.EpochMetrics(1, 0.9, 0.7, 0.6, 0.8, 1.0), 1, 2))
    state.apply(train.Progress("16", 0, 2, 50, 100, 0.5, 10.0))
    assert state.step_losses == [0.5]
    state.apply(train.EpochEnd("16", 1, train.EpochMetrics(1, 0.7, 0.7, 0.4, 0.8, 1.0), 1, 2))
    assert state.arm_curves("val_loss") == {"16": [0.5]}
    assert state.runs[0].patience_left == 2


def test_helpers() -> None:
    assert downsample(list(range(10)), 5) == [0.5, 2.5, 4.5, 6.5, 8.5]
    assert downsample([1.0, 2.0], 5) == [1.0, 2.0]
    assert smooth([1.0, 0.0], alpha=0.5) == [1.0, 0.5]
    rows = half_block_rows(bytes(range(28)) * 28)
    assert len(rows) == 14 and rows[0][3] == (3, 3)


async def test_a_plot_is_built_once_per_drawing_and_size() -> None:
    """Showing the training screen again must not rebuild charts that did not change."""
    from textual.app import App, ComposeResult

    from fmtui.widgets.charts import LinePlot

    class OnePlot(App[None]):
        def compose(self) -> ComposeResult:
            yield LinePlot(id="plot")

    app = OnePlot()
    async with app.run_test(size=(60, 20)) as pilot:
        plot = app.query_one(LinePlot)
        builds: list[int] = []
        build = plot.plt.build
        plot.plt.build = lambda: builds.append(1) or build()  # type: ignore[method-assign]
        plot.draw({"a val": [0.5, 0.7, 0.8]}, "Accuracy")
        await pilot.pause()
        first = plot.render()
        assert len(builds) == 1
        plot.refresh()  # a repaint, as a screen switch or restyle causes
        await pilot.pause()
        assert plot.render() is first and len(builds) == 1
        plot.draw({"a val": [0.5, 0.7, 0.8, 0.85]}, "Accuracy")
        await pilot.pause()
        assert len(builds) == 2
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert len(builds) == 3


def test_grid_heatmap_chooses_the_best_arm_on_validation_like_the_saved_plateau() -> None:
    """The heatmap's best arm is the one the recorded evaluation names (chosen on
    validation accuracy, each run with its own seed), not the luckiest test score."""
    from fmtui.core.plateau import plateau

    base = RunSpec(epochs=1, patience=0)
    experiment = ExperimentSpec(arms=grid_arms(parse_grid("16,32x16,32"), base), seeds=2)
    state = LiveState.for_experiment(1, "grid", experiment)
    scores = {  # test accuracy per seed, validation accuracy
        "16x16": ((0.900, 0.910), 0.80),
        "16x32": ((0.700, 0.705), 0.70),
        "32x16": ((0.700, 0.705), 0.70),
        "32x32": ((0.880, 0.885), 0.95),
    }
    for planned in experiment.runs():
        tests, val = scores[planned.arm]
        metrics = train.EpochMetrics(1, 0.5, 0.8, 0.5, val, 1.0)
        state.apply(
            train.RunFinished(
                train.RunResult(
                    planned.arm,
                    planned.repeat,
                    planned.spec,
                    "completed",
                    test_acc=tests[planned.repeat],
                    epochs=(metrics,),
                )
            )
        )
    stored = [
        train.RunResult(
            p.arm,
            p.repeat,
            p.spec,
            "completed",
            test_acc=scores[p.arm][0][p.repeat],
            epochs=(train.EpochMetrics(1, 0.5, 0.8, 0.5, scores[p.arm][1], 1.0),),
        ).to_dict()
        for p in experiment.runs()
    ]
    saved = plateau(stored, [a.name for a in experiment.arms])
    assert saved is not None and saved.best == "32x32"
    console = Console(width=80, file=io.StringIO(), record=True)
    console.print(heatmap(state))
    assert "the best (32x32)" in " ".join(console.export_text().split())
