"""Provides stored runs for statistics tests: the dict form the journal keeps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fmtui.core.events import EpochMetrics, RunResult
from fmtui.core.spec import RunSpec


def stored_run(
    arm: str,
    test_acc: float | None,
    *,
    seed: int = 0,
    repeat: int = 0,
    status: str = "completed",
    val_accs: Sequence[float] = (),
    duration_s: float = 0.0,
    **spec: Any,
) -> dict[str, Any]:
    """A run as `RunResult.to_dict` writes it; `val_accs` gives one epoch per value."""
    epochs = tuple(
        EpochMetrics(epoch=i, train_loss=0.5, train_acc=v, val_loss=0.5, val_acc=v, seconds=1.0)
        for i, v in enumerate(val_accs, start=1)
    )
    return RunResult(
        arm,
        repeat,
        RunSpec.from_dict({"seed": seed, **spec}),
        status,  # type: ignore[arg-type]
        epochs=epochs,
        test_acc=test_acc,
        duration_s=duration_s,
    ).to_dict()
