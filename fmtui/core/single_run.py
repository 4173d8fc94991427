"""Provides the training of one run: resident-tensor training with events, cancel and guards.

The whole data set lives on the training device as one tensor and batches are drawn
by shuffled index, which avoids the per-sample DataLoader/PIL path entirely. The
engine never raises to its caller: every run ends with a `RunResult` whose status is
completed, cancelled, diverged or failed. Also here: the devices (probing, resolving
`auto`), the environment a run records, and evaluation in large batches, which the
batched engine shares. `fmtui.core.train` is the engine's front: it runs experiments.
"""

from __future__ import annotations

import math
import platform
import threading
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from fmtui import __version__
from fmtui.core import data as data_mod
from fmtui.core import hardware
from fmtui.core.events import (
    AnySet,
    EpochMetrics,
    EventCallback,
    Progress,
    RunFinished,
    RunResult,
    RunStarted,
)
from fmtui.core.model import build_model, parameter_count
from fmtui.core.run_end import EpochBook, build_result, test_outcome
from fmtui.core.spec import RunSpec
from fmtui.core.status import RunStatus

EVAL_BATCH = 8192


# ---------------------------------------------------------------- devices


class DeviceError(Exception):
    """A requested device is missing or does not work."""


_probe_cache: dict[str, str | None] = {}


def probe(device: torch.device) -> str | None:
    """Run a tiny matmul and sync on `device`; None when it works, else the reason."""
    key = str(device)
    if key not in _probe_cache:
        try:
            a = torch.ones(16, 16, device=device)
            value = float((a @ a).sum().item())
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            _probe_cache[key] = None if value == 16.0 * 16 * 16 else f"wrong result {value}"
        except Exception as err:  # noqa: BLE001 - any failure means "unusable"
            _probe_cache[key] = f"{type(err).__name__}: {err}"
    return _probe_cache[key]


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def available_devices() -> list[tuple[str, str]]:
    """(value, label) for each device this machine has; CPU is always there."""
    found = [("cpu", f"CPU ({platform.processor() or platform.machine()})")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            found.append((f"cuda:{i}" if i else "cuda", f"CUDA: {torch.cuda.get_device_name(i)}"))
    if _mps_available():
        found.append(("mps", "Apple MPS"))
    return found


def resolve_device(requested: str) -> tuple[torch.device, str | None]:
    """The device to train on and, for `auto`, a note saying what it skipped and why."""
    if requested == "auto":
        skipped = []
        for name, available in (("cuda", torch.cuda.is_available), ("mps", _mps_available)):
            if not available():
                continue
            reason = probe(torch.device(name))
            if reason is None:
                return torch.device(name), None
            skipped.append(f"{name} failed a probe ({reason})")
        note = "; ".join(skipped) if skipped else "no CUDA or MPS device available"
        return torch.device("cpu"), f"auto chose CPU: {note}"
    if requested == "cpu":
        return torch.device("cpu"), None
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(
                "device: CUDA was requested but this machine has no usable CUDA device; "
                "use --device auto or cpu"
            )
        device = torch.device(requested)
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise DeviceError(
                f"device: {requested} does not exist; this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
    elif requested == "mps":
        if not _mps_available():
            raise DeviceError("device: MPS was requested but is not available on this machine")
        device = torch.device("mps")
    else:
        raise DeviceError(f"device: unknown device {requested!r}")
    reason = probe(device)
    if reason is not None:
        raise DeviceError(f"device: {requested} failed a test computation ({reason})")
    return device, None


def environment(device: torch.device, note: str | None) -> dict[str, Any]:
    """What a reader needs to know about where a run ran."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        name = "Apple MPS"
    else:
        name = platform.processor() or platform.machine()
    return {
        "fmtui": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": str(device),
        "device_name": name,
        "threads": torch.get_num_threads(),
        "device_note": note,
        **hardware.machine(),  # CPU model and kernels: results are exact per machine only
    }


# ---------------------------------------------------------------- engine


class _Diverged(Exception):
    pass


def _make_optimizer(spec: RunSpec, model: nn.Module) -> torch.optim.Optimizer:
    """The spec's optimizer, fused where the device supports it.

    The fused kernels do the whole update in one pass; on a 2-core CPU that takes
    the optimizer step from about a third of the step time to about a sixth.
    """
    params = list(model.parameters())
    cls: type[torch.optim.Optimizer]
    # Each optimizer class takes its own keywords, which torch types one by one.
    kwargs: dict[str, Any]
    if spec.optimizer == "adam":
        cls, kwargs = torch.optim.Adam, {"lr": spec.lr, "weight_decay": spec.weight_decay}
    elif spec.optimizer == "adamw":
        cls, kwargs = torch.optim.AdamW, {"lr": spec.lr, "weight_decay": spec.weight_decay}
    else:
        cls = torch.optim.SGD
        kwargs = {"lr": spec.lr, "momentum": spec.momentum, "weight_decay": spec.weight_decay}
    try:
        return cls(params, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):
        return cls(params, **kwargs)


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor | None = None
) -> tuple[float, float, torch.Tensor]:
    """Mean loss, accuracy and predictions over (a subset of) a resident tensor."""
    model.eval()
    n = int(idx.shape[0]) if idx is not None else int(x.shape[0])
    loss_sum = torch.zeros((), device=x.device)
    preds = []
    for start in range(0, n, EVAL_BATCH):
        if idx is not None:
            sel = idx[start : start + EVAL_BATCH]
            xb, yb = x[sel], y[sel]
        else:
            xb, yb = x[start : start + EVAL_BATCH], y[start : start + EVAL_BATCH]
        logits = model(xb)
        loss_sum += nn.functional.cross_entropy(logits, yb, reduction="sum")
        preds.append(logits.argmax(1))
    model.train()
    pred = torch.cat(preds)
    target = y[idx] if idx is not None else y
    acc = float((pred == target).float().mean().item())
    return float(loss_sum.item()) / n, acc, pred


def train_run(
    spec: RunSpec,
    data: data_mod.DataSource | data_mod.Dataset,
    *,
    on_event: EventCallback | None = None,
    cancel: threading.Event | AnySet | None = None,
    arm: str = "",
    repeat: int = 0,
    require_full: bool = True,
    progress_every: int = 50,
) -> RunResult:
    """Train one run to the end. Never raises: failures are a result with a status."""
    emit = on_event or (lambda _event: None)
    cancel = cancel or threading.Event()
    started = time.perf_counter()
    book = EpochBook()
    env: dict[str, Any] = {}
    device_name = spec.device
    params = parameter_count(spec)

    images: tuple[bytes, ...] = ()

    def finish(status: RunStatus, error: str | None = None, **extra: Any) -> RunResult:
        result = build_result(
            arm,
            repeat,
            spec,
            status,
            error,
            book=book,
            device=device_name,
            parameters=params,
            environment=env,
            duration_s=time.perf_counter() - started,
            **extra,
        )
        emit(RunFinished(result, images))
        return result

    try:
        device, note = resolve_device(spec.device)
        device_name = str(device)
        env = environment(device, note)
        dataset = data_mod.resident(data, device, require_full)
        env["data"] = str(dataset.source.directory)
        env["data_sizes"] = [dataset.n_train, dataset.n_test]
        train_idx, val_idx = dataset.split(spec.val_fraction, spec.split_seed)

        init_gen = torch.Generator().manual_seed(spec.seed)
        run_gen = torch.Generator(device=device).manual_seed(spec.seed)
        model = build_model(spec, init_gen, run_gen).to(device)
        optimizer = _make_optimizer(spec, model)
        loss_fn = nn.CrossEntropyLoss()
        n_train = int(train_idx.shape[0])
        bs = min(spec.batch_size, n_train)
        steps_per_epoch = math.ceil(n_train / bs)
        emit(RunStarted(arm, repeat, spec, device_name, params, dict(env), steps_per_epoch))

        x_all, y_all = dataset.train_x, dataset.train_y
        stopped_early = False
        for epoch in range(1, spec.epochs + 1):
            t0 = time.perf_counter()
            order = train_idx[torch.randperm(n_train, generator=run_gen, device=device)]
            trained = _train_epoch(
                _Step(model, optimizer, loss_fn, x_all, y_all, bs),
                order,
                _Reporter(emit, cancel, arm, repeat, epoch, progress_every),
            )
            if trained is None:
                return finish(RunStatus.CANCELLED, stopped_early=False)
            train_loss, train_acc = trained
            val_loss, val_acc, _ = evaluate(model, x_all, y_all, val_idx)
            if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
                raise _Diverged(f"loss became non-finite in epoch {epoch}")
            seconds = time.perf_counter() - t0
            metrics = EpochMetrics(epoch, train_loss, train_acc, val_loss, val_acc, seconds)
            event, stopped_early = book.end_epoch(
                spec,
                metrics,
                lambda: {k: v.detach().clone() for k, v in model.state_dict().items()},
                arm,
                repeat,
            )
            emit(event)
            if stopped_early:
                break

        if cancel.is_set():
            return finish(RunStatus.CANCELLED, stopped_early=stopped_early)
        fields, images = _test_best(model, book.state_to_test(spec), dataset)
        return finish(RunStatus.COMPLETED, stopped_early=stopped_early, **fields)
    except _Diverged as err:
        return finish(RunStatus.DIVERGED, str(err))
    except (DeviceError, data_mod.DataError) as err:
        return finish(RunStatus.FAILED, str(err))
    except Exception as err:  # noqa: BLE001 - the caller must never see a crash
        return finish(RunStatus.FAILED, f"{type(err).__name__}: {err}")


def _test_best(
    model: nn.Module, best_state: dict[str, Any] | None, dataset: data_mod.Dataset
) -> tuple[dict[str, Any], tuple[bytes, ...]]:
    """Test the run's best state (or its last): the result's test fields and the first
    misclassified images."""
    if best_state is not None:
        model.load_state_dict(best_state)
    outcome = test_outcome(*evaluate(model, dataset.test_x, dataset.test_y), dataset)
    if outcome is None:
        raise _Diverged("test loss is non-finite")
    return outcome


@dataclass(frozen=True)
class _Step:
    """What one optimisation step needs: the model, its optimizer and the resident data."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: nn.Module
    x_all: torch.Tensor
    y_all: torch.Tensor
    batch_size: int


@dataclass(frozen=True)
class _Reporter:
    """Where an epoch reports its progress, and the cancel it watches between steps."""

    emit: EventCallback
    cancel: threading.Event | AnySet
    arm: str
    repeat: int
    epoch: int
    every: int


def _train_epoch(step: _Step, order: torch.Tensor, report: _Reporter) -> tuple[float, float] | None:
    """One pass over `order`: (train loss, train accuracy), or None when cancelled.

    Running sums stay on the device; they are read (a sync) only every `report.every`
    steps, for the progress event and the divergence check.
    """
    device = order.device
    n_train, bs = int(order.shape[0]), step.batch_size
    steps_per_epoch = math.ceil(n_train / bs)
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    window_loss = torch.zeros((), device=device)
    window_start = time.perf_counter()
    window_steps = 0
    for i in range(steps_per_epoch):
        if report.cancel.is_set():
            return None
        idx = order[i * bs : (i + 1) * bs]
        xb, yb = step.x_all[idx], step.y_all[idx]
        logits = step.model(xb)
        loss = step.loss_fn(logits, yb)
        # Keep the gradient buffers: freeing and reallocating them every step
        # made epochs run at half speed once the heap had been fragmented.
        step.optimizer.zero_grad(set_to_none=False)
        loss.backward()
        step.optimizer.step()
        batch_loss = loss.detach()
        loss_sum += batch_loss * idx.shape[0]
        window_loss += batch_loss
        correct += (logits.detach().argmax(1) == yb).sum()
        window_steps += 1
        if window_steps == report.every or i == steps_per_epoch - 1:
            running = float(window_loss.item()) / window_steps
            if not math.isfinite(running):
                raise _Diverged(f"loss became {running} in epoch {report.epoch}, step {i + 1}")
            now = time.perf_counter()
            rate = window_steps * bs / max(now - window_start, 1e-9)
            report.emit(
                Progress(
                    report.arm, report.repeat, report.epoch, i + 1, steps_per_epoch, running, rate
                )
            )
            window_loss.zero_()
            window_start, window_steps = now, 0
    return float(loss_sum.item()) / n_train, float(correct.item()) / n_train
