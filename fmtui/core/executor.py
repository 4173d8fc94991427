"""Provides the local executor: an experiment's runs, planned into groups, trained in order.

Each run's environment says how it was trained (engine, group size, stacked widths,
precision), so a reader can tell, and a rerun with the same spec plans the same
groups and so trains in the same mode.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

import torch

from fmtui.core import batch_plan, events, single_run
from fmtui.core import data as data_mod
from fmtui.core.spec import PlannedRun


def memory_budget(device: torch.device) -> int:
    """Bytes a group may use: half the free device memory, or half the free RAM."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * 0.5)
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        free = 4 * 2**30
    return int(free * 0.5)


def precision(device: torch.device) -> str:
    """TF32 matmuls on CUDA (set here, once per process), full fp32 elsewhere."""
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")
        return "tf32"
    return "fp32"


def _with_engine(event: events.Event, engine: dict[str, Any]) -> events.Event:
    """The sequential engine's event with how the run was trained added to its environment."""
    if isinstance(event, events.RunStarted):
        return dataclasses.replace(event, environment={**event.environment, **engine})
    if isinstance(event, events.RunFinished):
        result = event.result
        env = {**result.environment, **engine} if result.environment else dict(engine)
        return dataclasses.replace(event, result=dataclasses.replace(result, environment=env))
    return event


def _relabel(emit: events.EventCallback, engine: dict[str, Any]) -> events.EventCallback:
    def relabelled(event: events.Event) -> None:
        emit(_with_engine(event, engine))

    return relabelled


def run_planned(
    experiment: Any,
    data: data_mod.DataSource | data_mod.Dataset,
    *,
    on_event: events.EventCallback | None = None,
    cancel: threading.Event | None = None,
    require_full: bool = True,
    progress_every: int = 50,
    cancel_current: threading.Event | None = None,
) -> list[events.RunResult]:
    """Like `train.run_experiment`, with runs grouped by the experiment's `batch_models`."""
    from fmtui.core.batched import train_group

    emit = on_event or (lambda _e: None)
    cancel = cancel or threading.Event()
    cancel_current = cancel_current or threading.Event()
    runs = experiment.runs()
    mode = getattr(experiment, "batch_models", "off")
    try:
        device, _note = single_run.resolve_device(experiment.baseline.spec.device)
    except single_run.DeviceError:
        device = torch.device("cpu")  # each run then fails with the device's message
        mode = "off"
    groups = batch_plan.plan(
        runs, mode, device_type=device.type, memory_bytes=memory_budget(device)
    )
    kind = precision(device)
    order = {id(r): i for i, r in enumerate(runs)}
    results: list[tuple[int, events.RunResult]] = []
    for group in groups:
        if cancel.is_set():
            break
        cancel_current.clear()
        members: list[PlannedRun] = sorted(group.runs, key=lambda r: order[id(r)])
        stacked = {id(r): w for r, w in zip(group.runs, group.stacked_widths(), strict=True)}
        engine = {
            "engine": group.engine,
            "group_size": len(members),
            "padded_to": list(group.widths) if group.padded else None,
            "precision": kind,
            "batch_models": mode,
        }
        if group.engine == "sequential":
            planned = members[0]
            result = single_run.train_run(
                planned.spec,
                data,
                on_event=_relabel(emit, engine),
                cancel=events.AnySet(cancel, cancel_current),
                arm=planned.arm,
                repeat=planned.repeat,
                require_full=require_full,
                progress_every=progress_every,
            )
            result = dataclasses.replace(result, environment={**result.environment, **engine})
            results.append((order[id(planned)], result))
            continue
        done = train_group(
            members,
            data,
            group.widths,
            block_widths=[stacked[id(p)] for p in members],
            on_event=emit,
            cancel=cancel,
            cancel_current=cancel_current,
            require_full=require_full,
            progress_every=progress_every,
            engine=engine,
        )
        results.extend((order[id(p)], r) for p, r in zip(members, done, strict=True))
    return [r for _i, r in sorted(results, key=lambda item: item[0])]
