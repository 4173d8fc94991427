"""Provides what a training run reports: its events and its result, without torch.

The engine (`train`) produces these in the training process; the CLI, the app, the
journal and the statistics only read them, so they live here, free of torch, and
reading commands start fast.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from fmtui.core.spec import RunSpec
from fmtui.core.status import RunStatus

# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class RunStarted:
    arm: str
    repeat: int
    spec: RunSpec
    device: str
    parameters: int
    environment: dict[str, Any]
    steps_per_epoch: int


@dataclass(frozen=True)
class Progress:
    arm: str
    repeat: int
    epoch: int
    step: int
    steps_per_epoch: int
    running_loss: float
    samples_per_s: float


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EpochEnd:
    arm: str
    repeat: int
    metrics: EpochMetrics
    best_epoch: int
    patience_left: int | None


@dataclass(frozen=True)
class RunResult:
    """Everything a finished (or stopped) run leaves behind."""

    arm: str
    repeat: int
    spec: RunSpec
    status: RunStatus  # text given is read into the enum; an unknown status is refused
    error: str | None = None
    device: str = "cpu"
    parameters: int = 0
    environment: dict[str, Any] = field(default_factory=dict)
    epochs: tuple[EpochMetrics, ...] = ()
    best_epoch: int | None = None
    stopped_early: bool = False
    test_loss: float | None = None
    test_acc: float | None = None
    per_class_acc: tuple[float, ...] | None = None
    confusion: tuple[tuple[int, ...], ...] | None = None
    misclassified: tuple[tuple[int, int, int], ...] = ()  # (test index, true, predicted)
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", RunStatus(self.status))

    def to_dict(self) -> dict[str, Any]:
        """The stored form: what the journal keeps and `runs.result_from_dict` reads back."""
        out = asdict(self)
        out["spec"] = self.spec.to_dict()
        out["status"] = self.status.value
        out["epochs"] = [e.to_dict() for e in self.epochs]
        # Lists, as JSON reads them back: the dict equals what the journal returns.
        for name in ("per_class_acc", "confusion", "misclassified"):
            if out[name] is not None:
                out[name] = json_lists(out[name])
        return out


@dataclass(frozen=True)
class RunFinished:
    result: RunResult
    # 28×28 uint8 pixels of the first misclassified test images (not stored).
    images: tuple[bytes, ...] = ()


class AnySet:
    """Reads as set when any of its events is: an experiment's cancel or its current run's.

    Not an Event itself (it cannot be set or waited on), only something to poll.
    """

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


Event = RunStarted | Progress | EpochEnd | RunFinished
EventCallback = Callable[[Event], None]


def json_lists(value: Any) -> Any:
    """Nested tuples as nested lists."""
    return [json_lists(v) for v in value] if isinstance(value, list | tuple) else value
