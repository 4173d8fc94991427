"""Provides the lasting record of a rerun check: exact or not, and the largest difference.

A rerun's result used to live only in a message of a few seconds; it is now stored with
the rerun's entry (`Entry.reproduction`) and shown in the preview and the Markdown.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from fmtui.core.hardware import KERNEL_NOTE

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
    from fmtui.core.record import reproduction_report

    same, lines = reproduction_report(original, rerun)
    before = {_run_key(r): r for r in original.runs}
    largest: tuple[float, str, str, int] | None = None
    for run in rerun.runs:
        old = before.get(_run_key(run))
        if old is None:
            continue
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
