"""Provides the index's run summary of an entry: counts, per-arm accuracy, reuse keys.

The index holds no run: each entry keeps one small record of what list, search, sort,
the browser's row and the runner's reuse lookup need, built from the whole runs on
every save of the index record. The runs themselves live only in the run log.
"""

from __future__ import annotations

import statistics
from typing import Any

from fmtui.core.journal.model import INDEX_SUMMARY, Entry
from fmtui.core.journal.runlog import epoch_count
from fmtui.core.spec import SpecError
from fmtui.core.status import RunStatus

# The key of the summary in an entry's index record (never an entry field).
SUMMARY_KEY = INDEX_SUMMARY
_MAX_ARMS = 10_000
_MAX_KEYS = 100_000
_ARM_KEYS = frozenset(("arm", "runs", "completed", "statuses", "mean", "sd", "best", "epochs"))
_KEYS = frozenset(("count", "best", "arms", "reuse_keys"))


def _accuracy(run: dict[str, Any]) -> float | None:
    acc = run.get("test_acc")
    if run.get("status") != RunStatus.COMPLETED or isinstance(acc, bool):
        return None
    return float(acc) if isinstance(acc, int | float) else None


def run_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The index's summary of `runs` (plain JSON; runs checked by the schema already)."""
    arms: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        arms.setdefault(str(run.get("arm", "")), []).append(run)
    out_arms = []
    for name, members in arms.items():
        accs = [a for a in map(_accuracy, members) if a is not None]
        statuses: dict[str, int] = {}
        for run in members:
            status = str(run.get("status", ""))
            statuses[status] = statuses.get(status, 0) + 1
        out_arms.append(
            {
                "arm": name,
                "runs": len(members),
                "completed": statuses.get(RunStatus.COMPLETED, 0),
                "statuses": statuses,
                "mean": statistics.fmean(accs) if accs else None,
                "sd": statistics.stdev(accs) if len(accs) > 1 else None,
                "best": max(accs) if accs else None,
                "epochs": statistics.fmean(epoch_count(r) for r in members),
            }
        )
    bests = [float(a["best"]) for a in out_arms if isinstance(a["best"], float)]
    keys = [
        r["reuse_key"]
        for r in runs
        if r.get("status") == RunStatus.COMPLETED and isinstance(r.get("reuse_key"), str)
    ]
    return {
        "count": len(runs),
        "best": max(bests) if bests else None,
        "arms": out_arms,
        "reuse_keys": list(dict.fromkeys(keys)),
    }


def interrupt(summary: dict[str, Any]) -> None:
    """Count the summary's running runs as interrupted (their process is gone)."""
    for arm in summary.get("arms", []):
        statuses = arm.get("statuses", {})
        running = statuses.pop(RunStatus.RUNNING, 0)
        if running:
            statuses[RunStatus.INTERRUPTED.value] = statuses.get(RunStatus.INTERRUPTED, 0) + running


def _number(path: str, value: Any, *, null: bool = True) -> Any:
    if value is None and null:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(path, f"expected a number, got {value!r}")
    return value


def _count(path: str, value: Any) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_KEYS:
        raise SpecError(path, f"expected a whole number from 0 to {_MAX_KEYS}, got {value!r}")
    return value


def check_run_summary(value: Any, path: str = SUMMARY_KEY) -> dict[str, Any]:
    """A summary from an index not sealed by fmtui, checked field by field."""
    if not isinstance(value, dict) or set(value) != _KEYS:
        raise SpecError(path, f"expected an object with {', '.join(sorted(_KEYS))}")
    _count(f"{path}.count", value["count"])
    _number(f"{path}.best", value["best"])
    arms, keys = value["arms"], value["reuse_keys"]
    if not isinstance(arms, list) or len(arms) > _MAX_ARMS:
        raise SpecError(f"{path}.arms", f"expected a list of at most {_MAX_ARMS} arms")
    if not isinstance(keys, list) or len(keys) > _MAX_KEYS:
        raise SpecError(f"{path}.reuse_keys", f"expected a list of at most {_MAX_KEYS} keys")
    if not all(isinstance(k, str) and len(k) <= 200 for k in keys):
        raise SpecError(f"{path}.reuse_keys", "expected texts of at most 200 characters")
    for n, arm in enumerate(arms):
        where = f"{path}.arms[{n}]"
        if not isinstance(arm, dict) or set(arm) != _ARM_KEYS:
            raise SpecError(where, f"expected an object with {', '.join(sorted(_ARM_KEYS))}")
        if not isinstance(arm["arm"], str) or len(arm["arm"]) > 200:
            raise SpecError(f"{where}.arm", "expected a text of at most 200 characters")
        _count(f"{where}.runs", arm["runs"])
        _count(f"{where}.completed", arm["completed"])
        for name in ("mean", "sd", "best", "epochs"):
            _number(f"{where}.{name}", arm[name])
        statuses = arm["statuses"]
        if not isinstance(statuses, dict) or not all(
            isinstance(k, str) and len(k) <= 40 for k in statuses
        ):
            raise SpecError(f"{where}.statuses", "expected an object of counts by status")
        for key, number in statuses.items():
            _count(f"{where}.statuses.{key}", number)
    return value


def index_entry(data: Any, entry_id: int | None = None) -> Entry:
    """An entry of summaries from an index record not sealed by fmtui, checked in full."""
    if not isinstance(data, dict):
        raise SpecError("entry", f"expected an object, got {type(data).__name__}")
    # The entry's own fields first: their reason is the one a reader is shown.
    entry = Entry.from_dict({k: v for k, v in data.items() if k != SUMMARY_KEY}, entry_id)
    if "runs" in data or SUMMARY_KEY not in data:
        raise SpecError(
            SUMMARY_KEY, "missing: an index record keeps a summary of its runs, not the runs"
        )
    summary = check_run_summary(data[SUMMARY_KEY])
    entry.__dict__["_run_summary"] = summary
    return entry.mark_summaries()
