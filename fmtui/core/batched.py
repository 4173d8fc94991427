"""Provides the batched engine: a group of K runs trained in one loop on stacked tensors.

Each run keeps what makes it that run: its seed's initialisation and data order
(every run draws its own permutation, so a step gathers a (K, B) index batch), its
dropout stream, its hyperparameters, its early stopping, its divergence and its
cancel. A run that stops leaves the stack (its best state kept), so the others go on
without paying for it. Events are today's per-run events; they are released run by
run in launch order (the first unfinished run live, the others as soon as every run
before them has finished), so that consumers that follow one run at a time see the
same stream as from the sequential engine.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.nn import functional as F

from fmtui.core import data as data_mod
from fmtui.core import train
from fmtui.core.model import parameter_count
from fmtui.core.spec import PlannedRun
from fmtui.core.stacked_model import StackedMLP
from fmtui.core.stacked_optim import make_stacked_optimizer

CancelLike = threading.Event | train.AnyEvent


class _Relay:
    """Passes on the first unfinished run's events, holds the others' until their turn."""

    def __init__(self, count: int, emit: train.EventCallback) -> None:
        self.emit = emit
        self.held: list[list[train.Event]] = [[] for _ in range(count)]
        self.finished = [False] * count
        self.lead = 0

    def __call__(self, index: int, event: train.Event) -> None:
        if index == self.lead:
            self.emit(event)
        else:
            self.held[index].append(event)
        if isinstance(event, train.RunFinished):
            self.finished[index] = True
            while self.lead < len(self.finished) and self.finished[self.lead]:
                self.lead += 1
                if self.lead < len(self.held):
                    for held in self.held[self.lead]:
                        self.emit(held)
                    self.held[self.lead] = []


@dataclass
class _Run:
    """One run's bookkeeping while its parameters live in the stack."""

    index: int  # position in the group (launch order)
    planned: PlannedRun
    generator: torch.Generator
    cancel: CancelLike | None
    epochs: list[train.EpochMetrics] = field(default_factory=list)
    best_score: float = -math.inf
    best_epoch: int | None = None
    best_state: list[torch.Tensor] | None = None
    waited: int = 0

    @property
    def spec(self) -> Any:
        return self.planned.spec


class GroupTrainer:
    """Trains `runs` (one group from the planner) together; see `train_group`."""

    def __init__(
        self,
        runs: Sequence[PlannedRun],
        data: data_mod.DataSource | data_mod.Dataset,
        widths: Sequence[int],
        *,
        on_event: train.EventCallback | None = None,
        cancel: CancelLike | None = None,
        skip: threading.Event | None = None,
        run_cancels: Sequence[CancelLike | None] | None = None,
        require_full: bool = True,
        progress_every: int = 50,
        engine: dict[str, Any] | None = None,
    ) -> None:
        self.planned = list(runs)
        self.data = data
        self.widths = tuple(widths)
        self.relay = _Relay(len(self.planned), on_event or (lambda _e: None))
        self.cancel = cancel or threading.Event()
        self.skip = skip
        self.run_cancels = list(run_cancels or [None] * len(self.planned))
        self.require_full = require_full
        self.progress_every = progress_every
        self.engine = dict(engine or {})
        self.results: dict[int, train.RunResult] = {}
        self.started = time.perf_counter()
        self.env: dict[str, Any] = {}
        self.device_name = self.planned[0].spec.device
        self.model: StackedMLP | None = None

    # ------------------------------------------------------------ results

    def _finish(self, run: _Run, status: str, error: str | None = None, **extra: Any) -> None:
        images = extra.pop("images", ())
        result = train.RunResult(
            arm=run.planned.arm,
            repeat=run.planned.repeat,
            spec=run.spec,
            status=status,
            error=error,
            device=self.device_name,
            parameters=parameter_count(run.spec),
            environment=dict(self.env),
            epochs=tuple(run.epochs),
            best_epoch=run.best_epoch,
            duration_s=time.perf_counter() - self.started,
            **extra,
        )
        self.results[run.index] = result
        self.relay(run.index, train.RunFinished(result, images))

    def _complete(self, run: _Run, slot: int, dataset: data_mod.Dataset, stopped: bool) -> None:
        """Test a finished run on its best (or last) state, as the sequential engine does."""
        assert self.model is not None
        state = run.best_state if run.spec.early_stopping and run.best_state else None
        if state is None:
            run.best_epoch = len(run.epochs)
        module = self.model.module(slot, state)
        test_loss, test_acc, pred = train.evaluate(module, dataset.test_x, dataset.test_y)
        if not math.isfinite(test_loss):
            self._finish(run, "diverged", "test loss is non-finite")
            return
        target = dataset.test_y
        confusion = torch.bincount(target * 10 + pred, minlength=100).view(10, 10).cpu()
        totals = confusion.sum(1).clamp(min=1)
        per_class = (confusion.diag().double() / totals.double()).tolist()
        wrong = (pred != target).nonzero().flatten()[:16].cpu().tolist()
        target_cpu, pred_cpu = target.cpu(), pred.cpu()
        pixels = (dataset.test_x[wrong[:8]] * 255).round().to(torch.uint8).cpu()
        self._finish(
            run,
            "completed",
            stopped_early=stopped,
            test_loss=test_loss,
            test_acc=test_acc,
            per_class_acc=tuple(float(v) for v in per_class),
            confusion=tuple(tuple(int(v) for v in row) for row in confusion.tolist()),
            misclassified=tuple((i, int(target_cpu[i]), int(pred_cpu[i])) for i in wrong),
            images=tuple(bytes(row.tolist()) for row in pixels),
        )

    # ------------------------------------------------------------ the loop

    def run(self) -> list[train.RunResult]:
        """Train every run to its end; never raises. Results in the group's order."""
        runs: list[_Run] = []
        try:
            dataset, device = self._setup()
            runs = self._start_runs(device)
            self._train(runs, dataset, device)
        except (train.DeviceError, data_mod.DataError) as err:
            self._fail_all(runs, str(err))
        except Exception as err:  # noqa: BLE001 - the caller must never see a crash
            self._fail_all(runs, f"{type(err).__name__}: {err}")
        return [self.results[i] for i in sorted(self.results)]

    def _fail_all(self, runs: list[_Run], error: str) -> None:
        if not runs:
            runs = [_Run(i, p, torch.Generator(), None) for i, p in enumerate(self.planned)]
        for run in runs:
            if run.index not in self.results:
                self._finish(run, "failed", error)

    def _setup(self) -> tuple[data_mod.Dataset, torch.device]:
        spec = self.planned[0].spec
        device, note = train.resolve_device(spec.device)
        self.device_name = str(device)
        self.env = train.environment(device, note)
        if isinstance(self.data, data_mod.Dataset):
            dataset = self.data
            if dataset.device != device:
                dataset = data_mod.Dataset(
                    dataset.train_x.to(device),
                    dataset.train_y.to(device),
                    dataset.test_x.to(device),
                    dataset.test_y.to(device),
                    dataset.source,
                    device,
                )
        else:
            dataset = data_mod.load(self.data, device, self.require_full)
        self.env["data"] = str(dataset.source.directory)
        self.env["data_sizes"] = [dataset.n_train, dataset.n_test]
        self.env.update(self.engine)
        return dataset, device

    def _start_runs(self, device: torch.device) -> list[_Run]:
        runs = [
            _Run(i, p, torch.Generator(device=device).manual_seed(p.spec.seed), c)
            for i, (p, c) in enumerate(zip(self.planned, self.run_cancels, strict=True))
        ]
        self.model = StackedMLP(
            [r.spec for r in runs], self.widths, device, [r.generator for r in runs]
        )
        return runs

    def _train(self, runs: list[_Run], dataset: data_mod.Dataset, device: torch.device) -> None:
        assert self.model is not None
        spec = runs[0].spec
        train_idx, val_idx = dataset.split(spec.val_fraction, spec.split_seed)
        n_train = int(train_idx.shape[0])
        bs = min(spec.batch_size, n_train)
        steps = math.ceil(n_train / bs)
        for run in runs:
            self.relay(
                run.index,
                train.RunStarted(
                    run.planned.arm,
                    run.planned.repeat,
                    run.spec,
                    self.device_name,
                    parameter_count(run.spec),
                    dict(self.env),
                    steps,
                ),
            )
        optimizer = make_stacked_optimizer(self.model.parameters(), [r.spec for r in runs])
        loop = _EpochLoop(self, runs, optimizer, dataset, train_idx, val_idx, bs, steps)
        for epoch in range(1, spec.epochs + 1):
            if not loop.active:
                break
            loop.epoch(epoch)
        for slot, run in enumerate(loop.active):  # reached the last epoch
            if run.index not in self.results:
                self._complete(run, slot, dataset, stopped=False)


class _EpochLoop:
    """The per-epoch and per-step work of a `GroupTrainer`, with the active set."""

    def __init__(
        self,
        trainer: GroupTrainer,
        runs: list[_Run],
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

    @property
    def model(self) -> StackedMLP:
        assert self.t.model is not None
        return self.t.model

    def _remove(
        self, gone: dict[int, tuple[str, str | None]], tensors: dict[str, torch.Tensor]
    ) -> None:
        """Finish the runs at slots `gone` (status, error) and drop them from the stack."""
        for slot, (status, error) in sorted(gone.items()):
            self.t._finish(self.active[slot], status, error)
        self._drop(set(gone), tensors)

    def _drop(self, slots: set[int], tensors: dict[str, torch.Tensor]) -> None:
        keep_list = [i for i in range(len(self.active)) if i not in slots]
        self.active = [self.active[i] for i in keep_list]
        if not self.active:
            return
        keep = torch.tensor(keep_list, device=self.device)
        self.model.compact(keep)
        self.optimizer.compact(keep, self.model.parameters())
        for name, value in tensors.items():
            tensors[name] = value[keep]

    def _cancelled(self) -> dict[int, tuple[str, str | None]]:
        if self.t.cancel.is_set():
            return {slot: ("cancelled", None) for slot in range(len(self.active))}
        gone = {}
        if self.t.skip is not None and self.t.skip.is_set():
            # A skip means the run being shown: the first unfinished run of the group.
            self.t.skip.clear()
            for slot, run in enumerate(self.active):
                if run.index == self.t.relay.lead:
                    gone[slot] = ("cancelled", None)
        for slot, run in enumerate(self.active):
            if run.cancel is not None and run.cancel.is_set():
                gone[slot] = ("cancelled", None)
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
        x_all, y_all = self.dataset.train_x, self.dataset.train_y
        for step in range(self.steps):
            gone = self._cancelled()
            if gone:
                self._remove(gone, tensors)
                if not self.active:
                    return
            idx = tensors["orders"][:, step * self.bs : (step + 1) * self.bs]
            xb, yb = x_all[idx], y_all[idx]
            logits = self.model.forward(xb, train=True)
            kk, b = yb.shape
            losses = F.cross_entropy(logits.reshape(kk * b, -1), yb.reshape(-1), reduction="none")
            loss = losses.view(kk, b).mean(1)
            self.optimizer.zero_grad()
            loss.sum().backward()
            self.model.mask_gradients()
            self.optimizer.step()
            detached = loss.detach()
            tensors["loss_sum"] += detached * b
            tensors["window"] += detached
            tensors["correct"] += (logits.detach().argmax(2) == yb).sum(1)
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
        gone: dict[int, tuple[str, str | None]] = {}
        for slot, (run, value) in enumerate(zip(self.active, running, strict=True)):
            if not math.isfinite(value):
                gone[slot] = ("diverged", f"loss became {value} in epoch {epoch}, step {step + 1}")
                continue
            self.t.relay(
                run.index,
                train.Progress(
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
        chunk = max(256, train.EVAL_BATCH // k)
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
        gone: dict[int, tuple[str, str | None]] = {}
        stopped: list[int] = []
        for slot, run in enumerate(self.active):
            if not (math.isfinite(train_loss[slot]) and math.isfinite(val_loss[slot])):
                gone[slot] = ("diverged", f"loss became non-finite in epoch {epoch}")
                continue
            metrics = train.EpochMetrics(
                epoch, train_loss[slot], train_acc[slot], val_loss[slot], val_acc[slot], seconds
            )
            run.epochs.append(metrics)
            spec = run.spec
            score = val_acc[slot] if spec.monitor == "val_acc" else -val_loss[slot]
            if score > run.best_score + spec.min_delta:
                run.best_score, run.best_epoch, run.waited = score, epoch, 0
                if spec.early_stopping:
                    run.best_state = self.model.run_state(slot)
            else:
                run.waited += 1
            left = spec.patience - run.waited if spec.early_stopping else None
            self.t.relay(
                run.index,
                train.EpochEnd(
                    run.planned.arm, run.planned.repeat, metrics, run.best_epoch or epoch, left
                ),
            )
            if spec.early_stopping and run.waited >= spec.patience and epoch < spec.epochs:
                stopped.append(slot)
        for slot in stopped:
            self.t._complete(self.active[slot], slot, self.dataset, stopped=True)
        for slot, (status, error) in gone.items():
            self.t._finish(self.active[slot], status, error)
        if gone or stopped:
            self._drop({*gone, *stopped}, tensors)


def train_group(
    runs: Sequence[PlannedRun],
    data: data_mod.DataSource | data_mod.Dataset,
    widths: Sequence[int] | None = None,
    **options: Any,
) -> list[train.RunResult]:
    """Train a group of runs in one stacked loop; one `RunResult` per run, in order.

    `widths` are the stacked hidden widths (at least every run's own; default their
    maximum). Options: on_event, cancel (the whole group), skip (the run being
    shown), run_cancels (one per run), require_full, progress_every, engine (what
    to record in each run's environment).
    """
    from fmtui.core.batch_plan import group_key

    keys = {group_key(r.spec) for r in runs}
    if len(keys) > 1:
        raise ValueError(
            "runs in one group must agree on batch_size, epochs, activation, depth, "
            "optimizer, device, val_fraction and split_seed"
        )
    if widths is None:
        widths = tuple(max(w) for w in zip(*(r.spec.layers for r in runs), strict=True))
    return GroupTrainer(runs, data, widths, **options).run()
