"""Provides the lasting record of a rerun check: exact or not, and the largest difference.

A rerun's result used to live only in a message of a few seconds; it is now stored with
the rerun's entry (`Entry.reproduction`) and shown in the preview and the Markdown.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from fmtui.core.hardware import KERNEL_NOTE, kernel_difference

if TYPE_CHECKING:
    from fmtui.core.journal import Entry

# The numbers compared per run, and per epoch, to the last digit.
RUN_METRICS = ("test_acc", "test_loss")
EPOCH_METRICS = ("train_loss", "train_acc", "val_loss", "val_acc")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _run_key(run: dict[str, Any]) -> tuple[str, int]:
    return (str(run.get("arm", "")), int((run.get("spec") or {}).get("seed", 0)))


def check(original: Entry, rerun: Entry) -> dict[str, Any]:
    """Compare every run of `rerun` with the original's run of the same arm and seed."""
    same, lines = reproduction_report(original, rerun)
    largest: tuple[float, str, str, int] | None = None
    for old, run in _run_pairs(original, rerun):
        pairs = [(name, old.get(name), run.get(name)) for name in RUN_METRICS]
        epochs = zip(old.get("epochs") or [], run.get("epochs") or [], strict=False)
        for i, (e_old, e_new) in enumerate(epochs):
            pairs += [(f"epoch {i + 1} {n}", e_old.get(n), e_new.get(n)) for n in EPOCH_METRICS]
        for name, a, b in pairs:
            x, y = _number(a), _number(b)
            if x is None or y is None:
                continue
            gap = abs(x - y)
            if largest is None or gap > largest[0]:
                largest = (gap, name, *_run_key(run))
    record: dict[str, Any] = {
        "original_id": original.id,
        "exact": same,
        "differences": len(lines),
        "first_difference": lines[0] if lines else None,
        "largest_difference": largest[0] if largest else None,
        "metric": largest[1] if largest else None,
        "arm": largest[2] if largest else None,
        "seed": largest[3] if largest else None,
    }
    return record


def describe(record: Any) -> str:
    """One sentence for the preview and the Markdown; '' for no (or unreadable) record."""
    if not isinstance(record, dict):
        return ""
    original = record.get("original_id")
    name = f"entry {original}" if isinstance(original, int) else "the original entry"
    if record.get("exact") is True:
        return f"Rerun check: reproduces {name} exactly."
    gap = _number(record.get("largest_difference"))
    text = f"Rerun check: differs from {name}"
    if gap is not None and gap > 0:
        where = _clean(record.get("metric"))
        arm, seed = _clean(record.get("arm")), record.get("seed")
        seed_text = f" seed {seed}" if isinstance(seed, int) else ""
        text += f"; largest difference {gap:.4g} in {where} (arm {arm}{seed_text})"
    else:
        first = _clean(record.get("first_difference"))
        if first:
            text += f"; {first}"
    if str(record.get("first_difference") or "").startswith(KERNEL_NOTE):
        text += f" ({KERNEL_NOTE}: the runs used another CPU)"
    return text + "."


def _clean(value: Any, limit: int = 120) -> str:
    """Text from a stored (possibly imported) record: one line, no control characters."""
    text = "" if value is None else str(value)
    text = "".join(c if c.isprintable() else " " for c in text)
    return text[:limit]


def reproduction_report(original: Entry, rerun: Entry) -> tuple[bool, list[str]]:
    """Whether every run of `rerun` matches the original's to the last digit.

    When the runs used different CPU kernels (another CPU model or instruction set),
    exact agreement is not expected: the first line is then the kernel note.
    """
    before = {_run_key(r): r for r in original.runs}
    differences = []
    for run in rerun.runs:
        old = before.get(_run_key(run))
        if old is None:
            differences.append(f"arm {run.get('arm')} seed {_run_key(run)[1]}: not in the original")
            continue
        for name in ("status", "test_acc", "test_loss", "best_epoch"):
            if old.get(name) != run.get(name):
                differences.append(
                    f"arm {run.get('arm')} seed {_run_key(run)[1]}: {name} {old.get(name)} → "
                    f"{run.get(name)}"
                )
        if [e.get("train_loss") for e in old.get("epochs", [])] != [
            e.get("train_loss") for e in run.get("epochs", [])
        ]:
            differences.append(f"arm {run.get('arm')} seed {_run_key(run)[1]}: epoch losses differ")
        old_env, new_env = old.get("environment") or {}, run.get("environment") or {}
        for name in ("device", "torch", "engine", "group_size", "padded_to", "precision"):
            if _env_value(old_env, name) != _env_value(new_env, name):
                where = "CPU set-up" if name in ("device", "torch") else "training mode"
                differences.append(
                    f"{name} differs ({old_env.get(name)} vs {new_env.get(name)}): exact "
                    f"agreement is only expected in the same {where}"
                )
    kernels = {
        note
        for old, new in _run_pairs(original, rerun)
        if (note := kernel_difference(old.get("environment") or {}, new.get("environment") or {}))
    }
    if kernels and differences:
        # One note suffices: every run of an entry ran on the same machine.
        differences = [sorted(kernels)[0], *differences]
    return not differences and len(rerun.runs) == len(original.runs), differences


def _run_pairs(original: Entry, rerun: Entry) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The original's and the rerun's runs matched by arm and seed."""
    before = {_run_key(r): r for r in original.runs}
    return [(before[_run_key(r)], r) for r in rerun.runs if _run_key(r) in before]


def _env_value(env: dict[str, Any], name: str) -> Any:
    """An environment value; runs recorded before batching trained alone in fp32."""
    defaults = {"engine": "sequential", "group_size": 1, "precision": "fp32"}
    return env.get(name, defaults.get(name))
