"""Provides the charts of the training screen: plotext plots and Rich renderings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from fmtui.core.bands import Band
from fmtui.core.data import CLASSES
from fmtui.core.live import LiveState, RunView, downsample, half_block_rows, smooth
from fmtui.core.plateau import plateau
from fmtui.core.present import zoom_range
from fmtui.core.safe_text import one_line

MAX_CURVE_ARMS = 6
# One colour per line, a band's edges in its mean's colour: plotext's own cycle
# would give each edge a colour of its own.
COLOURS = ("blue+", "green+", "red+", "cyan+", "magenta+", "yellow", "orange", "gray")


class CachedPlot(PlotextPlot):
    """A plotext plot built once per drawing, size and theme.

    PlotextPlot builds the whole plot on every render, and Textual renders a
    widget again whenever its screen is shown or restyled: a switch to the
    training screen would cost three plot builds for charts that had not changed.
    """

    _drawn = 0  # bumped by each new drawing
    _built: tuple[object, Text] | None = None

    def redraw(self) -> None:
        """The data changed: build the plot again at the next render."""
        self._drawn += 1
        self.refresh()

    def render(self) -> RenderResult:
        key = (self._drawn, self.size, self.app.theme, self.theme)
        if self._built is None or self._built[0] != key:
            built = super().render()
            assert isinstance(built, Text)
            self._built = (key, built)
        return self._built[1]


class LinePlot(CachedPlot):
    """A line chart redrawn only when `draw` is given new data.

    Seed bands draw as their mean (a solid, labelled line) between two dotted lines
    of the same colour at mean ± 1 sd, where the band has more than one seed.
    """

    DEFAULT_CSS = "LinePlot { height: 1fr; min-height: 8; }"
    series: dict[str, list[float]] = {}
    bands: dict[str, list[Band]] = {}

    def draw(
        self,
        series: Mapping[str, Sequence[float]],
        title: str,
        xlabel: str = "epoch",
        x_start: float = 1,
        x_step: float = 1,
        bands: Mapping[str, Sequence[Band]] | None = None,
    ) -> None:
        self.series = {k: list(v) for k, v in series.items()}
        self.bands = {k: list(v) for k, v in (bands or {}).items()}
        plt = self.plt
        plt.clear_data()
        plt.title(title)
        plt.xlabel(xlabel)
        width = max(self.size.width, 20)
        colours = COLOURS * (1 + (len(series) + len(self.bands)) // len(COLOURS))
        band_colours = dict(zip(self.bands, colours[len(series) :], strict=False))
        # Every band's edges first: a mean line drawn later is never hidden under
        # another arm's edges, where arms lie close together.
        for label, band in self.bands.items():
            _draw_edges(plt, band, band_colours[label])
        drawn = False
        for (label, values), colour in zip(series.items(), colours, strict=False):
            points = downsample(values, 2 * width)
            if not points:
                continue
            step = len(values) / len(points) * x_step
            xs = [x_start + i * step for i in range(len(points))]
            # arm names: plotext output is read back as ANSI
            plt.plot(xs, points, label=one_line(label), marker="braille", color=colour)
            drawn = True
        for label, band in self.bands.items():
            if band:
                _draw_mean(plt, one_line(label), band, band_colours[label])
                drawn = True
        if not drawn:
            plt.title(f"{title} — waiting for the first epoch")
        self.redraw()


def _draw_edges(plt: Any, band: Sequence[Band], colour: str) -> None:
    """Mean ± 1 sd as two dotted lines, where the seeds differ (sd above 0)."""
    spread = [b for b in band if b.sd]
    if spread:
        xs = [b.epoch for b in spread]
        plt.plot(xs, [b.low for b in spread], marker="dot", color=colour)
        plt.plot(xs, [b.high for b in spread], marker="dot", color=colour)


def _draw_mean(plt: Any, label: str, band: Sequence[Band], colour: str) -> None:
    seeds = max(b.n for b in band)
    shown = f"{label} (mean ± sd, {seeds} seeds)" if seeds > 1 else label
    plt.plot(
        [b.epoch for b in band], [b.mean for b in band], label=shown, marker="braille", color=colour
    )


class BarPlot(CachedPlot):
    """Horizontal bars with labels (per-class accuracy, accuracy per arm)."""

    DEFAULT_CSS = "BarPlot { height: 1fr; min-height: 8; }"

    def draw(self, labels: Sequence[str], values: Sequence[float], title: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title(title)
        if labels:
            names = [one_line(label) for label in labels]  # arm names, read back as ANSI
            plt.bar(names, list(values), orientation="horizontal", width=0.3)
            plt.xlim(*zoom_range(values))  # the differences between arms, not the 0–1 scale
        self.redraw()


def curve_series(
    state: LiveState, train_metric: str, val_metric: str
) -> tuple[dict[str, list[float]], dict[str, list[Band]]]:
    """For the arms worth showing (best first, at most six): the train curves as mean
    lines, and the validation curves as seed bands (mean ± 1 sd over seeds)."""
    arms = state.curve_arms(MAX_CURVE_ARMS)
    train_curves = state.arm_curves(train_metric)
    val_bands = state.arm_bands(val_metric)
    lines = {f"{arm} train": train_curves.get(arm, []) for arm in arms}
    bands = {f"{arm} val": val_bands.get(arm, []) for arm in arms}
    return lines, bands


def step_series(state: LiveState) -> dict[str, list[float]]:
    if not state.step_losses:
        return {}
    label = f"{state.current.arm} epoch {state.epoch}" if state.current else "loss"
    return {label: smooth(state.step_losses)}


def heatmap(state: LiveState) -> Table | Text:
    """Mean test accuracy over a two-layer grid, best cells brightest."""
    axes = state.grid_axes()
    accuracy = state.arm_accuracy()
    if axes is None:
        return Text("Not a two-layer width grid: see the bars of accuracy per arm.")
    rows, cols = axes
    values = [v[0] for v in accuracy.values()]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    by_layers = {a.spec.layers: a.name for a in state.experiment.arms}
    found = plateau(state.results(), [a.name for a in state.experiment.arms])
    marked = set(found.plateau) if found is not None and found.tested else set()
    caption = (
        f"* not significantly worse than the best ({found.best})"
        if marked and found is not None
        else "one seed per arm: no plateau can be told from noise"
    )
    table = Table(
        title="Mean test accuracy by width (layer 1 ↓, layer 2 →)",
        box=None,
        caption=Text(one_line(caption), style="table.caption") if found is not None else None,
    )
    table.add_column("", justify="right", style="bold")
    for col in cols:
        table.add_column(str(col), justify="center")
    for row in rows:
        cells: list[Text | str] = [str(row)]
        for col in cols:
            name = by_layers.get((row, col))
            if name is None or name not in accuracy:
                cells.append(Text("·", style="dim"))
                continue
            mean = accuracy[name][0]
            shade = 0.0 if hi == lo else (mean - lo) / (hi - lo)
            green = int(60 + 160 * shade)
            style = f"black on rgb({40 + int(40 * shade)},{green},{60})"
            mark = "*" if name in marked else " "
            cells.append(Text(f"{mean:.4f}{mark}", style=style))
        table.add_row(*cells)
    return table


def confusion_table(run: RunView) -> Table | Text:
    if run.confusion is None:
        return Text("")
    table = Table(
        title=Text(
            one_line(f"Confusion matrix — arm {run.arm}, seed {run.seed} (rows: true)"),
            style="table.title",
        ),
        box=None,
        padding=(0, 1),
    )
    table.add_column("", style="bold")
    short = [c[:3] for c in CLASSES]
    for name in short:
        table.add_column(name, justify="right")
    for i, row in enumerate(run.confusion):
        total = sum(row) or 1
        cells = []
        for j, count in enumerate(row):
            style = "bold green" if i == j else ("red" if count / total > 0.05 else "dim")
            cells.append(Text(str(count), style=style))
        table.add_row(short[i], *cells)
    return table


def class_bars(run: RunView, width: int = 30) -> Text:
    """Per-class test accuracy as labelled bars, weakest classes in red."""
    text = Text(one_line(f"Per-class test accuracy — arm {run.arm}, seed {run.seed}"), style="bold")
    text.append("\n")
    for name, acc in zip(CLASSES, run.per_class_acc or (), strict=False):
        filled = round(acc * width)
        style = "red" if acc < 0.8 else "green"
        text.append(f"{name:>11} ")
        text.append("█" * filled, style=style)
        text.append("░" * (width - filled), style="dim")
        text.append(f" {acc:.3f}\n")
    return text


def misclassified_text(run: RunView, limit: int = 4) -> Text:
    """A few misclassified test images in half-block characters, true → predicted."""
    text = Text()
    pairs = list(zip(run.images, run.misclassified, strict=False))[:limit]
    if not pairs:
        return Text("No misclassified images to show.", style="dim")
    rendered = [half_block_rows(pixels) for pixels, _ in pairs]
    captions = [f"{CLASSES[t]} → {CLASSES[p]}"[:28] for _, (_, t, p) in pairs]
    for caption in captions:
        text.append(caption.ljust(30), style="bold")
    text.append("\n")
    for y in range(len(rendered[0])):
        for rows in rendered:
            for top, bottom in rows[y]:
                text.append("▀", style=f"rgb({top},{top},{top}) on rgb({bottom},{bottom},{bottom})")
            text.append("  ")
        text.append("\n")
    return text
