"""Provides the training engine's front: an experiment's runs, one by one or in groups.

`run_experiment` hands an `ExperimentSpec` to the executor, which trains its runs one
at a time (`single_run.train_run`) or stacked in groups (`batched`), as the
experiment's `batch_models` plans. The event and result types (from `events`, no
torch) and the device helpers (from `single_run`) are re-exported here, the one name
callers need for the engine.
"""

from __future__ import annotations

import threading
from typing import Any

from fmtui.core import data as data_mod
from fmtui.core.events import (
    AnySet,
    EpochEnd,
    EpochMetrics,
    Event,
    EventCallback,
    Progress,
    RunFinished,
    RunResult,
    RunStarted,
)
from fmtui.core.executor import run_planned
from fmtui.core.single_run import (
    DeviceError,
    available_devices,
    environment,
    evaluate,
    resolve_device,
    train_run,
)


def run_experiment(
    experiment: Any,
    data: data_mod.DataSource | data_mod.Dataset,
    *,
    on_event: EventCallback | None = None,
    cancel: threading.Event | None = None,
    require_full: bool = True,
    progress_every: int = 50,
    cancel_current: threading.Event | None = None,
) -> list[RunResult]:
    """Run every (arm, seed) of an `ExperimentSpec` in order.

    `cancel` stops the experiment; `cancel_current` cancels only the run in progress (it is
    cleared before the next run starts). The executor trains runs one by one
    (batch_models off) or in stacked groups.
    """
    return run_planned(
        experiment,
        data,
        on_event=on_event,
        cancel=cancel,
        require_full=require_full,
        progress_every=progress_every,
        cancel_current=cancel_current,
    )


__all__ = [
    "AnySet",
    "DeviceError",
    "EpochEnd",
    "EpochMetrics",
    "Event",
    "EventCallback",
    "Progress",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "available_devices",
    "environment",
    "evaluate",
    "resolve_device",
    "run_experiment",
    "train_run",
]
