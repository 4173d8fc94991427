"""Provides what every engine does at a run's epoch end and finish: best epoch, stop, result.

The sequential engine (`train`) and the batched one (`batched`, `batched_loop`) share
these so that a run's best epoch, its early stop and its result are decided by one
piece of code whichever engine trained it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from fmtui.core import data as data_mod
from fmtui.core.events import EpochEnd, EpochMetrics, RunResult
from fmtui.core.spec import RunSpec
from fmtui.core.status import RunStatus


@dataclass
class EpochBook:
    """One run's epochs so far, its best epoch and score, and its patience used."""

    epochs: list[EpochMetrics] = field(default_factory=list)
    best_score: float = -math.inf
    best_epoch: int | None = None
    best_state: Any = None
    waited: int = 0

    def end_epoch(
        self,
        spec: RunSpec,
        metrics: EpochMetrics,
        snapshot: Callable[[], Any],
        arm: str,
        repeat: int,
    ) -> tuple[EpochEnd, bool]:
        """Record an epoch; the event to send and whether the run stops early now.

        `snapshot` gives the state to keep; it is called only when this epoch is the
        best so far and the run stops early on its monitor.
        """
        self.epochs.append(metrics)
        # Early stopping watches the spec's monitor; higher scores are better.
        score = metrics.val_acc if spec.monitor == "val_acc" else -metrics.val_loss
        if score > self.best_score + spec.min_delta:
            self.best_score, self.best_epoch, self.waited = score, metrics.epoch, 0
            if spec.early_stopping:
                self.best_state = snapshot()
        else:
            self.waited += 1
        left = spec.patience - self.waited if spec.early_stopping else None
        stop = spec.early_stopping and self.waited >= spec.patience and metrics.epoch < spec.epochs
        return EpochEnd(arm, repeat, metrics, self.best_epoch or metrics.epoch, left), stop

    def state_to_test(self, spec: RunSpec) -> Any:
        """The best state under early stopping, else None (test the last state, the best
        epoch is then the last one)."""
        if spec.early_stopping and self.best_state is not None:
            return self.best_state
        self.best_epoch = len(self.epochs)
        return None


def test_outcome(
    test_loss: float, test_acc: float, pred: torch.Tensor, dataset: data_mod.Dataset
) -> tuple[dict[str, Any], tuple[bytes, ...]] | None:
    """A completed run's test fields and its first misclassified images; None when the
    test loss is not finite (the run diverged)."""
    if not math.isfinite(test_loss):
        return None
    target = dataset.test_y
    confusion = torch.bincount(target * 10 + pred, minlength=100).view(10, 10).cpu()
    totals = confusion.sum(1).clamp(min=1)
    per_class = (confusion.diag().double() / totals.double()).tolist()
    wrong = (pred != target).nonzero().flatten()[:16].cpu().tolist()
    target_cpu, pred_cpu = target.cpu(), pred.cpu()
    pixels = (dataset.test_x[wrong[:8]] * 255).round().to(torch.uint8).cpu()
    fields = {
        "test_loss": test_loss,
        "test_acc": test_acc,
        "per_class_acc": tuple(float(v) for v in per_class),
        "confusion": tuple(tuple(int(v) for v in row) for row in confusion.tolist()),
        "misclassified": tuple((i, int(target_cpu[i]), int(pred_cpu[i])) for i in wrong),
    }
    return fields, tuple(bytes(row.tolist()) for row in pixels)


def build_result(
    arm: str,
    repeat: int,
    spec: RunSpec,
    status: RunStatus,
    error: str | None,
    *,
    book: EpochBook,
    device: str,
    parameters: int,
    environment: dict[str, Any],
    duration_s: float,
    **extra: Any,
) -> RunResult:
    """The run's result from its book and where and how long it trained."""
    return RunResult(
        arm=arm,
        repeat=repeat,
        spec=spec,
        status=status,
        error=error,
        device=device,
        parameters=parameters,
        environment=environment,
        epochs=tuple(book.epochs),
        best_epoch=book.best_epoch,
        duration_s=duration_s,
        **extra,
    )
