"""Provides the report's figures, planned without Matplotlib and drawn with it when installed.

Three kinds: accuracy by architecture (arms with seed error bars, the seed report's
figure), a width grid as a heatmap, and learning curves per arm with seed bands.
Drawing uses the Agg backend, fixed sizes and fonts, `svg.hashsalt` and no dates, so
the same runs give the same SVG bytes.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmtui.core.journal import Entry
from fmtui.core.report.analysis import (
    ArmStats,
    architecture_only,
    arm_stats,
    learning_curves,
    width_grid,
)

INSTALL_HINT = "pip install 'fmtui[report]'"
MAX_BARS = 40  # more rows than this stop being readable at the fixed figure size
MAX_CURVES = 8
FIGURE_DPI = 100
SIZE = (8.0, 5.0)


@dataclass(frozen=True)
class Figure:
    """One figure: its file stem under figures/, caption, kind and the entry it draws."""

    name: str
    caption: str
    kind: str  # architecture | grid | curves
    entry_id: int | None = None


def matplotlib_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def plan(entries: Sequence[Entry]) -> list[Figure]:
    """The figures the entries support, in document order."""
    out = []
    if architecture_arms(entries):
        out.append(
            Figure("accuracy-by-architecture", "Test accuracy by architecture", "architecture")
        )
    for entry in entries:
        if width_grid(entry) is not None:
            out.append(
                Figure(
                    f"entry-{entry.id}-grid",
                    f"Entry {entry.id}: test accuracy over the width grid",
                    "grid",
                    entry.id,
                )
            )
        # A curve needs two epochs; one point per arm is in the table already.
        if any(len(c.epochs) > 1 for c in learning_curves(entry)):
            out.append(
                Figure(
                    f"entry-{entry.id}-curves",
                    f"Entry {entry.id}: validation accuracy per epoch",
                    "curves",
                    entry.id,
                )
            )
    return out


def architecture_arms(entries: Sequence[Entry]) -> list[ArmStats]:
    """Arms of the width/depth experiments (arms differing only in layers) that have results."""
    arms = []
    for entry in entries:
        if architecture_only(entry):
            arms += [a for a in arm_stats(entry) if a.mean is not None]
    return arms


# ---------------------------------------------------------------- drawing


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "fmtui",
            "svg.fonttype": "path",  # glyphs as paths: no dependence on the reader's fonts
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    )
    import matplotlib.pyplot as plt

    return plt


def arm_labels(arms: Sequence[ArmStats]) -> list[str]:
    """Architectures as labels; one that appears in several entries gets its entry id."""
    labels = [a.architecture for a in arms]
    pairs = zip(labels, arms, strict=True)
    return [f"{x} (#{a.entry_id})" if labels.count(x) > 1 else x for x, a in pairs]


def _draw_architecture(ax: Any, arms: list[ArmStats]) -> None:
    label = dict(zip((id(a) for a in arms), arm_labels(arms), strict=True))
    ordered = sorted(arms, key=lambda a: -(a.mean or 0.0))[:MAX_BARS]
    ordered.reverse()  # best at the top
    names = [label[id(a)] for a in ordered]
    y = list(range(len(ordered)))
    depth_colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
    colors = [depth_colors[(len(a.layers) - 1) % len(depth_colors)] for a in ordered]
    ax.barh(y, [a.mean or 0.0 for a in ordered], color=colors, alpha=0.85)
    ax.errorbar(
        [a.mean or 0.0 for a in ordered],
        y,
        xerr=[a.sd or 0.0 for a in ordered],
        fmt="none",
        ecolor="black",
        capsize=2,
        linewidth=0.8,
    )
    ax.set_yticks(y, names, fontsize=7 if len(y) > 20 else 9)
    lows = [(a.mean or 0.0) - (a.sd or 0.0) for a in ordered]
    highs = [(a.mean or 0.0) + (a.sd or 0.0) for a in ordered]
    pad = max(0.005, (max(highs) - min(lows)) * 0.1)
    ax.set_xlim(max(0.0, min(lows) - pad), min(1.0, max(highs) + pad))
    ax.set_xlabel("test accuracy (mean ± sd over seeds)")
    shown = f"best {len(ordered)} of {len(arms)} arms" if len(arms) > len(ordered) else ""
    ax.set_title(f"Test accuracy by architecture {shown}".strip())
    depths = sorted({len(a.layers) for a in ordered})
    handles = [
        ax.bar([0], [0], color=depth_colors[(d - 1) % len(depth_colors)], label=f"{d} layer(s)")
        for d in depths
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8)


def _draw_grid(fig: Any, ax: Any, entry: Entry) -> None:
    grid = width_grid(entry)
    assert grid is not None
    import numpy as np

    data = np.array([[np.nan if v is None else v for v in row] for row in grid.means])
    image = ax.imshow(data, cmap="viridis", origin="lower", aspect="auto")
    ax.set_xticks(range(len(grid.cols)), [str(c) for c in grid.cols])
    ax.set_yticks(range(len(grid.rows)), [str(r) for r in grid.rows])
    ax.set_xlabel("second hidden layer (units)")
    ax.set_ylabel("first hidden layer (units)")
    ax.grid(False)
    finite = data[np.isfinite(data)]
    middle = float((finite.min() + finite.max()) / 2) if finite.size else 0.0
    for i, row in enumerate(grid.means):
        for j, value in enumerate(row):
            if value is not None:
                ax.text(
                    j,
                    i,
                    f"{value:.4f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if value > middle else "white",
                )
    fig.colorbar(image, ax=ax, label="mean test accuracy")
    ax.set_title(f"Entry {entry.id}: test accuracy over the width grid")


def _draw_curves(ax: Any, entry: Entry) -> None:
    curves = learning_curves(entry)
    if len(curves) > MAX_CURVES:  # keep the best arms; more lines are unreadable
        ranked = sorted(arm_stats(entry), key=lambda a: -(a.mean or 0.0))
        keep = {a.arm for a in ranked[:MAX_CURVES]}
        curves = [c for c in curves if c.arm in keep]
    for curve in curves:
        low = [m - s for m, s in zip(curve.mean, curve.sd, strict=True)]
        high = [m + s for m, s in zip(curve.mean, curve.sd, strict=True)]
        (line,) = ax.plot(curve.epochs, curve.mean, marker="o", markersize=3, label=curve.arm)
        ax.fill_between(curve.epochs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy (mean ± 1 sd over seeds)")
    ax.set_title(f"Entry {entry.id}: learning curves per arm")
    ax.legend(loc="lower right", fontsize=8)


def draw(figures: Sequence[Figure], entries: Sequence[Entry], folder: Path) -> list[Path]:
    """Write each figure as PNG and SVG into `folder`; returns the files written."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {e.id: e for e in entries}
    written: list[Path] = []
    for figure in figures:
        fig, ax = plt.subplots(figsize=SIZE)
        try:
            if figure.kind == "architecture":
                _draw_architecture(ax, architecture_arms(entries))
            elif figure.kind == "grid":
                _draw_grid(fig, ax, by_id[figure.entry_id])
            else:
                _draw_curves(ax, by_id[figure.entry_id])
            fig.tight_layout()
            for suffix, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
                path = folder / f"{figure.name}.{suffix}"
                _save(fig, path, suffix, meta)
                written.append(path)
        finally:
            plt.close(fig)
    return written


def _save(fig: Any, path: Path, fmt: str, metadata: dict[str, Any]) -> None:
    """Through a buffer and `atomic_write`-style replace, so a crash leaves no torn file."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata=metadata)
    _atomic_bytes(path, buffer.getvalue())


def _atomic_bytes(path: Path, payload: bytes) -> None:
    import os

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


__all__ = ["Figure", "INSTALL_HINT", "draw", "matplotlib_available", "plan"]
