"""Provides time estimates for a design, measured with a few steps on the device.

Kept apart from `design` (validation, variants) because measuring needs torch, and
the form's rules must load without it.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from fmtui.core.design import FULL_TRAIN, steps_per_epoch
from fmtui.core.model import build_model
from fmtui.core.spec import ExperimentSpec, RunSpec, parameter_count


def measure_step_seconds(spec: RunSpec, device: torch.device, steps: int = 12) -> float:
    """Seconds per training step of `spec` on `device`, from a few steps on random data."""
    model = build_model(spec, torch.Generator().manual_seed(0), torch.Generator(device=device))
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=spec.lr)
    x = torch.rand(spec.batch_size, 784, device=device)
    y = torch.randint(0, 10, (spec.batch_size,), device=device)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / steps


def estimate_seconds(
    experiment: ExperimentSpec, device: torch.device, n_train: int = FULL_TRAIN
) -> float:
    """Worst-case wall time (every run to its last epoch); early stopping ends sooner.

    Up to six distinct arms are measured; larger designs scale the baseline's
    per-sample time by parameter count.
    """
    total = 0.0
    measured: dict[tuple[Any, ...], float] = {}
    base = experiment.baseline.spec
    base_per_sample: float | None = None
    for index, arm in enumerate(experiment.arms):
        spec = arm.spec
        key = (spec.layers, spec.batch_size, spec.activation, spec.dropout > 0)
        if key not in measured:
            if index < 6:
                measured[key] = measure_step_seconds(spec, device)
            else:
                if base_per_sample is None:
                    base_per_sample = measure_step_seconds(base, device) / base.batch_size
                ratio = parameter_count(spec) / parameter_count(base)
                measured[key] = base_per_sample * spec.batch_size * ratio
        total += measured[key] * steps_per_epoch(spec, n_train) * spec.epochs
    return total * experiment.seeds
