"""Provides the typed reading of stored runs and the one filter for completed values.

The journal stores each run as the dict `RunResult.to_dict` writes; every reader goes
through `entry_runs` (or `as_results`) to get `RunResult`s back, and through
`completed_values` for "the values of a metric over the completed runs", so the rules
(completed only, finite only, validation accuracy as the best epoch's) live here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from fmtui.core.events import EpochMetrics, RunResult
from fmtui.core.spec import RunSpec, SpecError
from fmtui.core.status import RunStatus

_EPOCH_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
_EPOCH_KEY_SET = frozenset(_EPOCH_KEYS)
# What the journal's schema fills in for a run stored without it (schema.check_run).
_DEFAULTS = {"arm": "", "repeat": 0, "status": RunStatus.FAILED.value}
# Read first, in this order; `seed` is written by `fmtui run --json` summaries beside
# the spec, and so accepted in the journal's schema: it repeats spec.seed and is dropped.
_FIRST = ("arm", "repeat", "spec", "status", "seed")
# What the journal keeps about a run beside its result (the runner's reuse bookkeeping,
# a summary's count of the epochs in its log; checked by the journal's schema): not
# part of the record, so read past.
_BESIDE = ("reuse_key", "reused_from", "epoch_count")


class HasRuns(Protocol):
    runs: list[dict[str, Any]]


def _fail(path: str, expected: str, value: Any) -> SpecError:
    return SpecError(path, f"expected {expected}, got {type(value).__name__}")


def _int(path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "a whole number", value)
    return value


def _float(path: str, value: Any) -> float:
    """A number; null is how the journal stores a non-finite one (JSON has none)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, "a number", value)
    return float(value)


def _text(path: str, value: Any, *, null: bool) -> str | None:
    if value is None and null:
        return None
    if not isinstance(value, str):
        raise _fail(path, "text", value)
    return value


def _list(path: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _fail(path, "a list", value)
    return list(value)


def _epoch(path: str, value: Any, number: int) -> EpochMetrics:
    """One epoch's metrics; one the schema let through without a metric has NaN there."""
    # The common, well-formed epoch at a fraction of the cost of the walk below.
    if type(value) is dict and value.keys() == _EPOCH_KEY_SET and type(value["epoch"]) is int:
        if {type(value[k]) for k in _EPOCH_KEYS[1:]} == {float}:
            return EpochMetrics(**value)
    if not isinstance(value, Mapping):
        raise _fail(path, "an object", value)
    unknown = sorted(str(k) for k in value if k not in _EPOCH_KEYS)
    if unknown:
        raise SpecError(
            f"{path}.{unknown[0]}", f"not an epoch metric; known: {', '.join(_EPOCH_KEYS)}"
        )
    numbers = {k: _float(f"{path}.{k}", value.get(k)) for k in _EPOCH_KEYS[1:]}
    epoch = _int(f"{path}.epoch", value.get("epoch", number))
    return EpochMetrics(epoch=epoch, **numbers)


def _ints(path: str, value: Any) -> tuple[int, ...]:
    if type(value) is list and {type(v) for v in value} <= {int}:
        return tuple(value)  # the common case, checked in one pass (bool is not int here)
    return tuple(_int(f"{path}[{i}]", v) for i, v in enumerate(_list(path, value)))


def _floats(path: str, value: Any) -> tuple[float, ...]:
    if type(value) is list and {type(v) for v in value} <= {float}:
        return tuple(value)
    return tuple(_float(f"{path}[{i}]", v) for i, v in enumerate(_list(path, value)))


def _bool(path: str, value: Any) -> bool:
    if value is None:  # the schema lets a lean import leave it null
        return False
    if not isinstance(value, bool):
        raise _fail(path, "true or false", value)
    return value


def _mapping(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "an object", value)
    return dict(value)


def _optional(read: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    return lambda path, value: None if value is None else read(path, value)


def _epochs(path: str, value: Any) -> tuple[EpochMetrics, ...]:
    return tuple(_epoch(f"{path}[{i}]", e, i + 1) for i, e in enumerate(_list(path, value)))


def _misclassified(path: str, value: Any) -> tuple[tuple[int, ...], ...]:
    # Up to 10,000 rows: checked in one pass when well formed, walked only to name a fault.
    if type(value) is list and {type(r) for r in value} <= {list}:
        rows = tuple(map(tuple, value))
        if {len(r) for r in rows} <= {3} and {type(v) for r in rows for v in r} <= {int}:
            return rows
    rows = tuple(_ints(f"{path}[{i}]", row) for i, row in enumerate(_list(path, value)))
    if any(len(row) != 3 for row in rows):
        raise SpecError(path, "expected rows of (test index, true, predicted)")
    return rows


# How each stored field is read (the required ones are read before these).
_READERS: dict[str, Callable[[str, Any], Any]] = {
    "error": lambda path, value: _text(path, value, null=True),
    "device": lambda path, value: _text(path, value, null=True) or "",
    "parameters": _int,
    "environment": _mapping,
    "epochs": _epochs,
    "best_epoch": _optional(_int),
    "stopped_early": _bool,
    "test_loss": _optional(_float),  # null: not tested (or not finite)
    "test_acc": _optional(_float),
    "per_class_acc": _optional(_floats),
    "confusion": _optional(
        lambda path, value: tuple(
            _ints(f"{path}[{i}]", r) for i, r in enumerate(_list(path, value))
        )
    ),
    "misclassified": _misclassified,
    "duration_s": _float,
}


def result_from_dict(data: Mapping[str, Any], path: str = "run") -> RunResult:
    """The record a stored run dict holds; SpecError names a wrong or unknown field.

    Strict: the keys are those `RunResult.to_dict` writes, with the types it writes
    (null for a non-finite number, as the journal stores it). Fields a run in progress,
    a lean import or a run log's absent data leave out take the record's defaults; the
    spec is required, as in the journal's schema.
    """
    if not isinstance(data, Mapping):
        raise _fail(path, "an object", data)
    unknown = sorted(
        str(k) for k in data if k not in _READERS and k not in _FIRST and k not in _BESIDE
    )
    if unknown:
        raise SpecError(f"{path}.{unknown[0]}", "not a field of a run")
    if "spec" not in data:
        raise SpecError(f"{path}.spec", "missing")
    data = {**_DEFAULTS, **data}
    if not isinstance(data["spec"], Mapping):
        raise _fail(f"{path}.spec", "an object", data["spec"])
    status = _text(f"{path}.status", data["status"], null=False)
    if status not in set(RunStatus):
        raise SpecError(f"{path}.status", f"expected one of {', '.join(RunStatus)}")
    values: dict[str, Any] = {
        "arm": _text(f"{path}.arm", data["arm"], null=False),
        "repeat": _int(f"{path}.repeat", data["repeat"]),
        "spec": RunSpec.from_dict(data["spec"]),
        "status": RunStatus(status),
    }
    for name, value in data.items():
        if name in _READERS:
            values[name] = _READERS[name](f"{path}.{name}", value)
    return RunResult(**values)


def entry_runs(entry: HasRuns) -> list[RunResult]:
    """An entry's runs as typed records (the journal keeps their dict form)."""
    return [result_from_dict(run, f"runs[{i}]") for i, run in enumerate(entry.runs)]


def as_results(runs: Iterable[RunResult | Mapping[str, Any]]) -> list[RunResult]:
    """Records as they are, stored run dicts read into records."""
    return [r if isinstance(r, RunResult) else result_from_dict(r) for r in runs]


def metric_value(run: RunResult, metric: str) -> float | None:
    """A run's value of `metric`: `val_acc` is its best epoch's; None when not finite."""
    if metric == "val_acc":
        accs = [e.val_acc for e in run.epochs if math.isfinite(e.val_acc)]
        value: Any = max(accs, default=None)
    else:
        value = getattr(run, metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def completed_runs(runs: Iterable[RunResult], arm: str | None = None) -> list[RunResult]:
    """The completed runs, of one arm when `arm` is given."""
    return [r for r in runs if r.status == RunStatus.COMPLETED and (arm is None or r.arm == arm)]


def completed_values(
    runs: Iterable[RunResult], metric: str = "test_acc", arm: str | None = None
) -> list[float]:
    """The finite values of `metric` over the completed runs (of `arm`), in run order."""
    values = (metric_value(r, metric) for r in completed_runs(runs, arm))
    return [v for v in values if v is not None]


def seed_values(runs: Sequence[RunResult], arm: str, metric: str) -> dict[int, list[float]]:
    """The arm's completed values of `metric`, by the seed each run trained with."""
    out: dict[int, list[float]] = {}
    for run in completed_runs(runs, arm):
        value = metric_value(run, metric)
        if value is not None:
            out.setdefault(run.spec.seed, []).append(value)
    return out
