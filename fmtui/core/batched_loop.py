"""Provides the epochs and steps of a batched group: the active runs, their stops and reports.

Split from `batched` so that each module reads top-down: `batched` sets a group up and
finishes its runs, this module trains the active ones epoch by epoch.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch.nn import functional as F

from fmtui.core import data as data_mod
from fmtui.core import events, single_run
from fmtui.core.blocked_model import Stack
from fmtui.core.graphed_step import SteppingEngine
from fmtui.core.run_end import EpochBook
from fmtui.core.spec import PlannedRun
from fmtui.core.status import RunStatus

CancelLike = threading.Event | events.AnySet


class GroupOwner(Protocol):
    """What the loop needs of the group it steps (`batched.GroupTrainer`)."""

    cancel: CancelLike
    cancel_current: threading.Event | None
    model: Stack | None
    progress_every: int
    relay: Relay

    def finish_run(
        self, run: RunBook, status: RunStatus, error: str | None = None, **extra: Any
    ) -> None: ...

    def complete_run(
        self, run: RunBook, slot: int, dataset: data_mod.Dataset, stopped: bool
    ) -> None: ...


class Relay:
    """Passes on the first unfinished run's events, holds the others' until their turn."""

    def __init__(self, count: int, emit: events.EventCallback) -> None:
        self.emit = emit
        self.held: list[list[events.Event]] = [[] for _ in range(count)]
        self.finished = [False] * count
        self.lead = 0

    def __call__(self, index: int, event: events.Event) -> None:
        if index == self.lead:
            self.emit(event)
        else:
            self.held[index].append(event)
        if isinstance(event, events.RunFinished):
            self.finished[index] = True
            while self.lead < len(self.finished) and self.finished[self.lead]:
                self.lead += 1
                if self.lead < len(self.held):
                    for held in self.held[self.lead]:
                        self.emit(held)
                    self.held[self.lead] = []


@dataclass
class RunBook:
    """One run's bookkeeping while its parameters live in the stack."""

    index: int  # position in the group (launch order)
    planned: PlannedRun
    generator: torch.Generator
    cancel: CancelLike | None
    book: EpochBook = field(default_factory=EpochBook)

    @property
    def spec(self) -> Any:
        return self.planned.spec


class EpochLoop:
    """The per-epoch and per-step work of a `GroupTrainer`, with the active set."""

    def __init__(
        self,
        trainer: GroupOwner,
        runs: list[RunBook],
        optimizer: Any,
        dataset: data_mod.Dataset,
        train_idx: torch.Tensor,
        val_idx: torch.Tensor,
        bs: int,
        steps: int,
    ) -> None:
        self.t = trainer
        self.active = list(runs)
        self.optimizer = optimizer
        self.dataset = dataset
        self.train_idx, self.val_idx = train_idx, val_idx
        self.bs, self.steps = bs, steps
        self.device = dataset.device
        self.stepping: SteppingEngine

    @property
    def model(self) -> Stack:
        assert self.t.model is not None
        return self.t.model

    def _remove(
        self, gone: dict[int, tuple[RunStatus, str | None]], tensors: dict[str, torch.Tensor]
    ) -> None:
        """Finish the runs at slots `gone` (status, error) and drop them from the stack."""
        for slot, (status, error) in sorted(gone.items()):
            self.t.finish_run(self.active[slot], status, error)
        self._drop(set(gone), tensors)

    def _drop(self, slots: set[int], tensors: dict[str, torch.Tensor]) -> None:
        keep_list = [i for i in range(len(self.active)) if i not in slots]
        self.active = [self.active[i] for i in keep_list]
        if not self.active:
            return
        keep = torch.tensor(keep_list, device=self.device)
        keeps = self.model.compact(keep)
        self.optimizer.compact(keeps, self.model.parameters())
        self.stepping.reset(self.model, self.optimizer)
        for name, value in tensors.items():
            tensors[name] = value[keep]

    def _cancelled(self) -> dict[int, tuple[RunStatus, str | None]]:
        if self.t.cancel.is_set():
            return {slot: (RunStatus.CANCELLED, None) for slot in range(len(self.active))}
        gone: dict[int, tuple[RunStatus, str | None]] = {}
        if self.t.cancel_current is not None and self.t.cancel_current.is_set():
            # The current run is the one being shown: the first unfinished run of the group.
            self.t.cancel_current.clear()
            for slot, run in enumerate(self.active):
                if run.index == self.t.relay.lead:
                    gone[slot] = (RunStatus.CANCELLED, None)
        for slot, run in enumerate(self.active):
            if run.cancel is not None and run.cancel.is_set():
                gone[slot] = (RunStatus.CANCELLED, None)
        return gone

    def epoch(self, epoch: int) -> None:
        t0 = time.perf_counter()
        n_train = int(self.train_idx.shape[0])
        k = len(self.active)
        orders = torch.stack(
            [
                self.train_idx[torch.randperm(n_train, generator=r.generator, device=self.device)]
                for r in self.active
            ]
        )
        tensors = {
            "orders": orders,
            "loss_sum": torch.zeros(k, device=self.device),
            "correct": torch.zeros(k, dtype=torch.int64, device=self.device),
            "window": torch.zeros(k, device=self.device),
        }
        window_start, window_steps = time.perf_counter(), 0
        for step in range(self.steps):
            gone = self._cancelled()
            if gone:
                self._remove(gone, tensors)
                if not self.active:
                    return
            idx = tensors["orders"][:, step * self.bs : (step + 1) * self.bs]
            loss, correct = self.stepping.step(idx)
            tensors["loss_sum"] += loss * idx.shape[1]
            tensors["window"] += loss
            tensors["correct"] += correct
            window_steps += 1
            if window_steps == self.t.progress_every or step == self.steps - 1:
                now = time.perf_counter()
                rate = window_steps * self.bs / max(now - window_start, 1e-9)
                self._report(epoch, step, window_steps, rate, tensors)
                if not self.active:
                    return
                tensors["window"].zero_()
                window_start, window_steps = now, 0
        self._end_epoch(epoch, n_train, tensors, time.perf_counter() - t0)

    def _report(
        self,
        epoch: int,
        step: int,
        window_steps: int,
        rate: float,
        tensors: dict[str, torch.Tensor],
    ) -> None:
        """Progress per run; a run whose window loss is not finite has diverged."""
        running = (tensors["window"] / window_steps).tolist()
        gone: dict[int, tuple[RunStatus, str | None]] = {}
        for slot, (run, value) in enumerate(zip(self.active, running, strict=True)):
            if not math.isfinite(value):
                gone[slot] = (
                    RunStatus.DIVERGED,
                    f"loss became {value} in epoch {epoch}, step {step + 1}",
                )
                continue
            self.t.relay(
                run.index,
                events.Progress(
                    run.planned.arm, run.planned.repeat, epoch, step + 1, self.steps, value, rate
                ),
            )
        if gone:
            self._remove(gone, tensors)

    @torch.no_grad()
    def _validate(self) -> tuple[list[float], list[float]]:
        """Per run: mean validation loss and accuracy on the shared validation rows."""
        x, y = self.dataset.train_x, self.dataset.train_y
        n = int(self.val_idx.shape[0])
        k = len(self.active)
        chunk = max(256, single_run.EVAL_BATCH // k)
        loss_sum = torch.zeros(k, device=self.device)
        correct = torch.zeros(k, dtype=torch.int64, device=self.device)
        for start in range(0, n, chunk):
            sel = self.val_idx[start : start + chunk]
            logits = self.model.forward(x[sel], train=False)
            yb = y[sel].unsqueeze(0).expand(k, -1)
            flat = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), yb.reshape(-1), reduction="none"
            )
            loss_sum += flat.view(k, -1).sum(1)
            correct += (logits.argmax(2) == yb).sum(1)
        return (loss_sum / n).tolist(), (correct.double() / n).tolist()

    def _end_epoch(
        self, epoch: int, n_train: int, tensors: dict[str, torch.Tensor], seconds: float
    ) -> None:
        train_loss = (tensors["loss_sum"] / n_train).tolist()
        train_acc = (tensors["correct"].double() / n_train).tolist()
        val_loss, val_acc = self._validate()
        gone: dict[int, tuple[RunStatus, str | None]] = {}
        stopped: list[int] = []
        for slot, run in enumerate(self.active):
            if not (math.isfinite(train_loss[slot]) and math.isfinite(val_loss[slot])):
                gone[slot] = (RunStatus.DIVERGED, f"loss became non-finite in epoch {epoch}")
                continue
            metrics = events.EpochMetrics(
                epoch, train_loss[slot], train_acc[slot], val_loss[slot], val_acc[slot], seconds
            )
            event, stop = run.book.end_epoch(
                run.spec,
                metrics,
                functools.partial(self.model.run_state, slot),
                run.planned.arm,
                run.planned.repeat,
            )
            self.t.relay(run.index, event)
            if stop:
                stopped.append(slot)
        for slot in stopped:
            self.t.complete_run(self.active[slot], slot, self.dataset, stopped=True)
        for slot, (status, error) in gone.items():
            self.t.finish_run(self.active[slot], status, error)
        if gone or stopped:
            self._drop({*gone, *stopped}, tensors)
