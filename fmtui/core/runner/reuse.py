"""Provides reuse of finished runs: a run trained before under identical conditions is linked.

A run's numbers are fixed by its spec and seed, the data files, the fmtui and torch
versions, the device type and how it was trained (alone or in a stacked group of a
given size and padding: a group changes the last digits). `reuse_key` hashes exactly
these, from the environment the run itself reported, and is stored in every completed
run and in the index's summary of its entry, so finding a match is a scan of the
index. Before training, the runner predicts each planned run's key from the batching
plan; a planned run whose key matches a completed run is not trained again: that
run's result is copied with a `reused_from` link. On CPU a reused run equals a
retrained one to the last digit; on CUDA kernels are not bit-exact, so the output
says it is a reuse, not a rerun.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmtui.core import batch_plan
from fmtui.core.data import FILES, find_file
from fmtui.core.events import RunResult
from fmtui.core.journal import Journal
from fmtui.core.runs import result_from_dict
from fmtui.core.spec import PlannedRun, RunSpec
from fmtui.core.status import RunStatus

# The environment fields that say how a run was trained, with the values runs
# recorded before batching existed implicitly had.
MODE_DEFAULTS: dict[str, Any] = {
    "engine": "sequential",
    "group_size": 1,
    "padded_to": None,
    "precision": "fp32",
}
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class ReuseBasis:
    """What an executor trains on, besides the spec: the data, the versions, the device."""

    data: str  # `data_identity` of the four IDX files
    device_type: str  # cpu, cuda or mps
    fmtui: str
    torch: str
    memory_bytes: int = 2**31  # the batching planner's budget, to predict its groups


@dataclass(frozen=True)
class Link:
    """Where a reused run came from."""

    entry_id: int
    arm: str
    repeat: int

    def to_dict(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "arm": self.arm, "repeat": self.repeat}


@dataclass(frozen=True)
class Reused:
    """A planned run answered by a finished one: its result (renamed) and its origin."""

    planned: PlannedRun
    result: RunResult
    link: Link
    key: str


_identity_cache: dict[tuple[str, int, int], str] = {}
_identity_lock = threading.Lock()


def _file_digest(path: Path) -> str:
    stat = path.stat()
    cache_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _identity_lock:
        if cache_key in _identity_cache:
            return _identity_cache[cache_key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    text = f"{path.name}:{stat.st_size}:{digest.hexdigest()}"
    with _identity_lock:
        _identity_cache[cache_key] = text
    return text


def data_identity(directory: Path) -> str | None:
    """A hash of the four IDX files `data` reads (name, size, SHA-256); None if one is missing."""
    parts = []
    for base in FILES.values():
        path = find_file(directory, base)
        if path is None:
            return None
        parts.append(_file_digest(path))
    return "sha256:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def mode_of(environment: Mapping[str, Any]) -> dict[str, Any]:
    """How a run was trained, from its environment."""
    mode = {name: environment.get(name, default) for name, default in MODE_DEFAULTS.items()}
    if mode["padded_to"] is not None:
        mode["padded_to"] = [int(w) for w in mode["padded_to"]]
    return mode


def reuse_key(
    spec: RunSpec, data: str, fmtui: str, torch: str, device_type: str, mode: Mapping[str, Any]
) -> str:
    """The stable hash of everything that fixes a run's numbers.

    The spec's `device` request is left out: `auto` and `cpu` train alike on a CPU, and
    the device type that was actually used is part of the key.
    """
    spec_dict = {k: v for k, v in spec.to_dict().items() if k != "device"}
    payload = {
        "spec": spec_dict,
        "data": data,
        "fmtui": fmtui,
        "torch": torch,
        "device_type": device_type,
        "mode": {name: mode.get(name, default) for name, default in MODE_DEFAULTS.items()},
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def key_of_result(result: RunResult, data: str) -> str | None:
    """The key of a finished run from what it reported; None unless it completed."""
    env = result.environment
    if result.status != RunStatus.COMPLETED or not env.get("fmtui") or not env.get("torch"):
        return None
    device_type = str(env.get("device") or result.device).split(":")[0]
    return reuse_key(
        result.spec, data, str(env["fmtui"]), str(env["torch"]), device_type, mode_of(env)
    )


def predicted_keys(runs: Sequence[PlannedRun], batch_models: str, basis: ReuseBasis) -> list[str]:
    """Each planned run's key, with the mode the batching planner would train it in."""
    groups = batch_plan.plan(
        runs, batch_models, device_type=basis.device_type, memory_bytes=basis.memory_bytes
    )
    precision = "tf32" if basis.device_type == "cuda" else "fp32"
    modes: dict[int, dict[str, Any]] = {}
    for group in groups:
        for run in group.runs:
            padded_to = group.padded_to(run)
            modes[id(run)] = {
                "engine": group.engine,
                "group_size": len(group.runs),
                "padded_to": [int(w) for w in padded_to] if padded_to is not None else None,
                "precision": precision,
            }
    return [
        reuse_key(r.spec, basis.data, basis.fmtui, basis.torch, basis.device_type, modes[id(r)])
        for r in runs
    ]


def find_reusable(
    journal: Journal,
    runs: Sequence[PlannedRun],
    batch_models: str,
    basis: ReuseBasis,
    exclude_entry: int | None = None,
) -> list[Reused]:
    """The planned runs a completed run in the journal answers, in plan order.

    The scan reads run summaries only; the full entry is loaded just for a match. The
    newest matching entry wins, and a run reused before links to where it was trained.
    """
    wanted = dict(zip(predicted_keys(runs, batch_models, basis), runs, strict=True))
    found: dict[str, int] = {}  # key → entry id
    for entry in journal.summaries():  # the index keeps each entry's completed runs' keys
        if entry.id is None or entry.id == exclude_entry:
            continue
        for key in entry.reuse_keys & wanted.keys():
            found[key] = max(found.get(key, 0), entry.id)
    out: list[Reused] = []
    loaded: dict[int, Any] = {}
    for key, planned in wanted.items():
        if key not in found:
            continue
        entry_id = found[key]
        if entry_id not in loaded:
            loaded[entry_id] = journal.get(entry_id)
        stored = loaded[entry_id].runs
        match = next((r for r in stored if r.get("reuse_key") == key and _completed(r)), None)
        if match is None:
            continue
        origin = match.get("reused_from")
        if isinstance(origin, Mapping):
            link = Link(int(origin["entry_id"]), str(origin["arm"]), int(origin["repeat"]))
        else:
            link = Link(entry_id, str(match.get("arm", "")), int(match.get("repeat", 0)))
        out.append(Reused(planned, result_from_run(match, planned), link, key))
    order = {id(r): i for i, r in enumerate(runs)}
    return sorted(out, key=lambda r: order[id(r.planned)])


def _completed(run: Mapping[str, Any]) -> bool:
    return run.get("status") == RunStatus.COMPLETED


def result_from_run(run: Mapping[str, Any], planned: PlannedRun) -> RunResult:
    """A stored run as a result of `planned`: its arm and repeat, its numbers."""
    stored = result_from_dict(run)
    return dataclasses.replace(stored, arm=planned.arm, repeat=planned.repeat, spec=planned.spec)


def describe(links: Sequence[Link], planned: int, device_type: str) -> str:
    """'reused 2 of 6 runs from entry 14', and on CUDA that it is a reuse, not a rerun."""
    if not links:
        return ""
    ids = sorted({link.entry_id for link in links})
    where = (
        f"entry {ids[0]}"
        if len(ids) == 1
        else "entries " + ", ".join(map(str, ids[:-1])) + f" and {ids[-1]}"
    )
    run_word = "run" if planned == 1 else "runs"
    text = f"reused {len(links)} of {planned} {run_word} from {where}"
    if device_type == "cuda":
        text += " (a reuse, not a rerun: CUDA training is not bit-exact)"
    return text
