"""Provides the training screen's words: the queue, the current run, the runs table.

The screen only places these; the rules (what a waiting experiment says, how a
failed run's reason is shown, which labels the arm bars get) are unit-tested here
without a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fmtui.core.live import LiveState, RunView
from fmtui.core.stats import format_mean_sd

STATUS_CHARS = 80  # a failure's reason is cut here in the table; the Write-up has it whole


def queue_note(entry_id: int, status: str, queue: Sequence[int]) -> str:
    """What the headline says of the queue ("" when nothing else waits).

    The first entry of `queue` trains and the others wait their turn.
    """
    if status == "queued" and entry_id in queue:
        ahead = list(queue[: list(queue).index(entry_id)])
        return f" · waits for entry {', '.join(map(str, ahead))}" if ahead else ""
    waiting = [i for i in queue[1:] if i != entry_id]
    return f" · queued next: entry {', '.join(map(str, waiting))}" if waiting else ""


def current_run(state: LiveState) -> str:
    """ " · run 3/8: arm b32, seed 1" for the run in progress ("" when none is)."""
    run = state.current
    if run is None:
        return ""
    return f" · run {state.done_runs + 1}/{len(state.runs)}: arm {run.arm}, seed {run.seed}"


def progress_labels(state: LiveState) -> tuple[str, str]:
    """The epoch and run bars' labels."""
    run = state.current
    if run is None:  # queued or finished
        return "Epoch", "Run"
    patience = f", patience left {run.patience_left}" if run.patience_left is not None else ""
    return (
        f"Epoch {state.epoch}: step {state.step}/{state.steps_per_epoch}",
        f"Run: epoch {len(run.epochs)}/{run.max_epochs}{patience}",
    )


def run_cells(run: RunView, live_clock: bool) -> list[str]:
    """One run's row of the runs table after the arm: seed, epoch, best val, test, time,
    status (with a failure's reason). Without the live clock (snapshots) the time is
    the finished runs' duration only."""
    elapsed = run.elapsed() if live_clock else run.duration_s
    status = run.status if not run.error else f"{run.status}: {run.error}"
    return [
        str(run.seed),
        str(len(run.epochs)),
        f"{run.best_val_acc:.4f}" if run.best_val_acc is not None else "—",
        f"{run.test_acc:.4f}" if run.test_acc is not None else "—",
        f"{elapsed:.0f} s" if elapsed is not None else "—",
        status[:STATUS_CHARS],
    ]


def arm_labels(accuracy: Mapping[str, tuple[float, float | None, int]]) -> list[str]:
    """The arm bars' labels: name, mean ± sd (the error bar, in words) and n."""
    return [f"{arm} {format_mean_sd(m, sd)} n={n}" for arm, (m, sd, n) in accuracy.items()]
