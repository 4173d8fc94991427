"""What the browser and the compare view show of an entry, without a terminal."""

from __future__ import annotations

import statistics

import pytest

from fmtui.core.entry_view import entry_bands, runs_markdown, runs_summary, split_tags
from fmtui.core.journal import Entry
from fmtui.core.live import LiveState
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec


def _run(arm: str, seed: int, acc: float, vals: list[float], **extra: object) -> dict:
    return {
        "arm": arm,
        "status": "completed",
        "test_acc": acc,
        "spec": {"seed": seed},
        "epochs": [{"val_acc": v, "val_loss": 1 - v} for v in vals],
        **extra,
    }


def test_runs_markdown_rows() -> None:
    entry = Entry(
        title="t",
        runs=[
            _run("b32", 0, 0.8912, [0.8, 0.85], duration_s=61.4, device="cpu"),
            {"arm": "b64", "status": "failed", "spec": {"seed": 1}, "error": "out of memory"},
        ],
    )
    text = runs_markdown(entry)
    assert text.startswith("\n\n**Runs:**\n\n| Arm")
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines()[4:]]
    assert rows[0][0] == "Arm" and rows[0][-1] == "Note"
    assert rows[2] == ["b32", "0", "completed", "2", "0.8912", "61 s", "cpu", ""]
    assert rows[3] == ["b64", "1", "failed", "0", "—", "—", "", "out of memory"]
    assert runs_markdown(Entry(title="none")) == ""


def test_a_reused_run_says_where_it_came_from() -> None:
    link = {"entry_id": 14, "arm": "b32", "repeat": 2}
    entry = Entry(title="t", runs=[_run("b32", 2, 0.89, [0.8], reused_from=link)])
    rows = [
        [c.strip() for c in line.split("|")[1:-1]] for line in runs_markdown(entry).splitlines()
    ]
    assert rows[-1][-1] == "reused from entry 14 (arm b32)"


def test_split_tags() -> None:
    assert split_tags(" batch, lr  width,,") == ["batch", "lr", "width"]
    assert split_tags(" , ") == []


def test_runs_summary_counts_completed_only() -> None:
    runs = [_run("a", i, acc, [0.8]) for i, acc in enumerate([0.89, 0.90, 0.91])]
    runs.append({"arm": "a", "status": "failed", "test_acc": 0.1, "spec": {"seed": 3}})
    sd = statistics.stdev([0.89, 0.90, 0.91])
    assert runs_summary(Entry(title="t", runs=runs)) == f"4 runs, test accuracy 0.9000 ± {sd:.4f}"
    assert "1 run," in runs_summary(Entry(title="t", runs=runs[:1]))


def test_entry_bands_keep_the_best_arms_on_validation() -> None:
    runs = [
        _run("low", 0, 0.99, [0.70, 0.72]),  # best on test, worst on validation
        _run("mid", 0, 0.80, [0.80, 0.81]),
        _run("mid", 1, 0.80, [0.82, 0.83]),
        _run("top", 0, 0.80, [0.85, 0.86]),
    ]
    bands = entry_bands(Entry(title="t", runs=runs), "val_acc", max_arms=2)
    assert list(bands) == ["mid", "top"]  # the entry's order, never chosen on test
    assert bands["mid"][0].mean == pytest.approx(0.81) and bands["mid"][0].n == 2
    assert bands["mid"][1].sd == pytest.approx(statistics.stdev([0.81, 0.83]))
    assert bands["top"][0].sd is None
    loss = entry_bands(Entry(title="t", runs=runs), "val_loss", max_arms=3)
    assert loss["low"][1].mean == pytest.approx(0.28)


def test_live_bands_and_curve_arms() -> None:
    from fmtui.core import events as train

    spec = RunSpec(epochs=2, patience=0)
    experiment = ExperimentSpec(arms=(Arm("a", spec), Arm("b", spec)), seeds=2)
    state = LiveState.for_experiment(1, "t", experiment)
    for arm, repeat, acc in (("a", 0, 0.80), ("a", 1, 0.84), ("b", 0, 0.90)):
        metrics = train.EpochMetrics(1, 0.5, 0.8, 0.4, acc, 1.0)
        state.apply(train.EpochEnd(arm, repeat, metrics, 1, None))
    bands = state.arm_bands("val_acc")
    assert bands["a"][0].mean == pytest.approx(0.82) and bands["a"][0].n == 2
    assert bands["a"][0].sd == pytest.approx(statistics.stdev([0.80, 0.84]))
    assert state.arm_curves("val_acc") == {"a": [pytest.approx(0.82)], "b": [0.90]}
    assert state.curve_arms(6) == ["a", "b"]
