"""Provides the executor interface and its three implementations: child process, here, cluster.

An executor trains an experiment's planned runs (an `ExperimentSpec` or a
`PlannedSubset`), streams their events to a callback, stops everything when
`cancel` is set and only the run in progress when `cancel_current` is set, and
returns the finished runs' results. The runner owns everything around it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fmtui import __version__
from fmtui.core import events
from fmtui.core.runner.reuse import ReuseBasis, data_identity


class Executor(Protocol):
    """Trains planned runs: `(experiment, on_event, cancel, cancel_current) -> results`."""

    def __call__(
        self,
        experiment: Any,
        on_event: events.EventCallback,
        cancel: threading.Event,
        cancel_current: threading.Event,
    ) -> list[events.RunResult]: ...


@runtime_checkable
class KnowsItsBasis(Protocol):
    """An executor that can say what it trains on, so that finished runs can be reused."""

    def reuse_basis(self, experiment: Any) -> ReuseBasis | None: ...


def local_basis(directory: Path | None, device_request: str) -> ReuseBasis | None:
    """The basis of training on this machine: the data found here, the device `auto` picks.

    It loads torch (to resolve the device), as training here does anyway.
    """
    if directory is None:
        return None
    identity = data_identity(directory)
    if identity is None:
        return None
    from fmtui.core import train
    from fmtui.core.executor import memory_budget

    try:
        device, _note = train.resolve_device(device_request)
    except train.DeviceError:
        return None  # the runs will fail with the device's message; nothing to match
    return ReuseBasis(
        data=identity,
        device_type=device.type,
        fmtui=__version__,
        torch=_torch_version(),
        memory_bytes=memory_budget(device),
    )


def _torch_version() -> str:
    import torch

    return str(torch.__version__)


def _located(data_dir: str | Path | None) -> Path | None:
    """The folder training would read (never downloading: the child does that)."""
    from fmtui.core import data

    try:
        source = data.locate(data_dir)
    except data.DataError:
        return None
    return source.directory if source is not None else None


@dataclass
class SubprocessExecutor:
    """Trains in a fresh child process (the app's default: its UI keeps its own interpreter)."""

    data_dir: str | Path | None = None
    require_full: bool = True
    progress_every: int = 50
    threads: int | None = None

    def __call__(
        self,
        experiment: Any,
        on_event: events.EventCallback,
        cancel: threading.Event,
        cancel_current: threading.Event,
    ) -> list[events.RunResult]:
        from fmtui.core.subprocess_trainer import run_in_subprocess

        return run_in_subprocess(
            experiment,
            on_event,
            cancel,
            cancel_current,
            data_dir=self.data_dir,
            require_full=self.require_full,
            progress_every=self.progress_every,
            threads=self.threads,
        )

    def reuse_basis(self, experiment: Any) -> ReuseBasis | None:
        return local_basis(_located(self.data_dir), experiment.baseline.spec.device)


@dataclass
class InProcessExecutor:
    """Trains in this process on data already found (`fmtui run` and `fmtui rerun`)."""

    source: Any  # data.DataSource
    require_full: bool = True
    progress_every: int = 50

    def __call__(
        self,
        experiment: Any,
        on_event: events.EventCallback,
        cancel: threading.Event,
        cancel_current: threading.Event,
    ) -> list[events.RunResult]:
        from fmtui.core.executor import run_planned

        return run_planned(
            experiment,
            self.source,
            on_event=on_event,
            cancel=cancel,
            require_full=self.require_full,
            progress_every=self.progress_every,
            cancel_current=cancel_current,
        )

    def reuse_basis(self, experiment: Any) -> ReuseBasis | None:
        return local_basis(self.source.directory, experiment.baseline.spec.device)


@dataclass
class ClusterExecutor:
    """Trains on a Dask cluster: a connected `client`, else one connection per experiment.

    Workers find their own data, which this process cannot identify, so cluster runs
    are never matched for reuse.
    """

    address: str | None = None
    client: Any = None
    data_dir: str | None = None
    require_full: bool = True
    retries: int = 1
    progress_every: int = 100

    def __call__(
        self,
        experiment: Any,
        on_event: events.EventCallback,
        cancel: threading.Event,
        cancel_current: threading.Event,
    ) -> list[events.RunResult]:
        from fmtui.core.cluster import connect, run_on_cluster

        client = self.client if self.client is not None else connect(self.address or "")
        try:
            return run_on_cluster(
                experiment,
                on_event,
                cancel,
                cancel_current,
                client=client,
                data_dir=self.data_dir,
                require_full=self.require_full,
                progress_every=self.progress_every,
                retries=self.retries,
            )
        finally:
            if self.client is None:
                client.close()
