"""Provides `PlannedSubset`: some of an experiment's planned runs, as an executor trains them.

Reused runs and the looks of seeds-until-decided leave an executor only part of an
experiment to train. The subset keeps the whole experiment (its arms and grouping
setting) and names the runs to train, so a child process or a cluster can rebuild
it from plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fmtui.core.spec import Arm, ExperimentSpec, PlannedRun

RunKey = tuple[str, int]  # (arm name, repeat)


class PlannedSubset:
    """The runs of `experiment` whose (arm, repeat) is in `keep`, in the experiment's order."""

    def __init__(self, experiment: ExperimentSpec, keep: Iterable[RunKey]) -> None:
        self.experiment = experiment
        self.keep = frozenset(keep)

    @property
    def arms(self) -> tuple[Arm, ...]:
        return self.experiment.arms

    @property
    def baseline(self) -> Arm:
        return self.experiment.baseline

    @property
    def batch_models(self) -> str:
        return self.experiment.batch_models

    def runs(self) -> list[PlannedRun]:
        return [r for r in self.experiment.runs() if (r.arm, r.repeat) in self.keep]

    def to_dict(self) -> dict[str, Any]:
        """The whole experiment's dict; `only` says which of its runs to train."""
        return self.experiment.to_dict()

    @property
    def only(self) -> list[RunKey]:
        return sorted(self.keep)


def restrict(experiment: ExperimentSpec, only: Iterable[Any] | None) -> Any:
    """`experiment` itself, or the subset `only` names (as sent to a child process)."""
    if only is None:
        return experiment
    return PlannedSubset(experiment, ((str(arm), int(repeat)) for arm, repeat in only))
