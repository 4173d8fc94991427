"""Provides where the app trains an experiment: this machine or the configured Dask cluster.

The choice is made per experiment (the designer's "Train on" row) and turned into a
executor here, in one function, so the runner that calls executors never learns where
runs train. Nothing here imports Dask or torch: the cluster executor is built only
when an experiment is sent to the cluster.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from fmtui.core.runner.executors import Executor

THIS_MACHINE = "this machine"
CLUSTER = "cluster"
Where = Literal["this machine", "cluster"]
INSTALL_COMMAND = "pip install 'fmtui[cluster]'"


def cluster_installed() -> bool:
    """Whether Dask's `distributed` can be imported here, found without importing it."""
    try:
        return importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):  # a broken or half-removed installation
        return False


def trainer_for(
    where: str,
    *,
    local: Executor,
    cluster: str | None,
    data_dir: str | Path | None = None,
    require_full: bool = True,
    progress_every: int = 100,
) -> Executor:
    """The trainer for one experiment: `local`, or one on the cluster at `cluster`.

    The cluster trainer connects when the experiment's turn comes, so a scheduler that
    cannot be reached fails that experiment with its message, not the launch or the app.
    """
    if where == THIS_MACHINE:
        return local
    if where == CLUSTER and cluster is not None:
        from fmtui.core.runner.executors import ClusterExecutor

        return ClusterExecutor(
            cluster,
            data_dir=str(data_dir) if data_dir is not None else None,
            require_full=require_full,
            progress_every=progress_every,
        )
    raise ValueError(f"train on: {where!r} is neither {THIS_MACHINE!r} nor a configured cluster")
