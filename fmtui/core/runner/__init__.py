"""Provides the experiment runner and its executors (see runner.py and executors.py)."""

from fmtui.core.runner.executors import (
    ClusterExecutor,
    Executor,
    InProcessExecutor,
    KnowsItsBasis,
    SubprocessExecutor,
)
from fmtui.core.runner.runner import Job, Runner, RunnerListener

__all__ = [
    "ClusterExecutor",
    "Executor",
    "InProcessExecutor",
    "Job",
    "KnowsItsBasis",
    "Runner",
    "RunnerListener",
    "SubprocessExecutor",
]
