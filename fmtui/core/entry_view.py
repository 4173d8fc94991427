"""Provides what the journal browser and the compare view show of an entry.

The runs table of the detail pane, the tags typed in a form, a one-line summary of
the runs, and the curves per arm as seed bands: kept out of the screens so they are
unit-tested without a terminal, and free of torch for the journal's reading paths.
"""

from __future__ import annotations

import statistics
from typing import Any

from fmtui.core.bands import Band, run_bands
from fmtui.core.journal import Entry, epoch_count
from fmtui.core.markdown_table import markdown_table
from fmtui.core.stats import format_mean_sd
from fmtui.core.words import count

RUN_HEADERS = ("Arm", "Seed", "Status", "Epochs", "Test acc", "Time", "Device", "Note")


def run_row(run: dict[str, Any]) -> list[Any]:
    """One stored run as the detail pane's row (RUN_HEADERS)."""
    acc = run.get("test_acc")
    duration = run.get("duration_s")
    return [
        run.get("arm", ""),
        (run.get("spec") or {}).get("seed", ""),
        run.get("status", ""),
        epoch_count(run),  # a summary keeps the count, its log the epochs
        f"{acc:.4f}" if isinstance(acc, int | float) else "—",
        f"{duration:.0f} s" if isinstance(duration, int | float) and duration else "—",
        run.get("device", "") or "",
        run.get("error") or _reuse_note(run.get("reused_from")),
    ]


def _reuse_note(link: object) -> str:
    """ "reused from entry 14": a run linked to one trained before instead of trained."""
    if isinstance(link, dict) and isinstance(link.get("entry_id"), int):
        return f"reused from entry {link['entry_id']} (arm {link.get('arm', '?')})"
    return ""


def runs_markdown(entry: Entry) -> str:
    """The detail pane's table of runs ("" for an entry with none)."""
    if not entry.runs:
        return ""
    rows = [run_row(run) for run in entry.runs]
    return "\n\n**Runs:**\n\n" + markdown_table(RUN_HEADERS, rows)


def split_tags(text: str) -> list[str]:
    """Tags as typed: words separated by spaces or commas, in typed order."""
    return [t for t in text.replace(",", " ").split() if t]


def runs_summary(entry: Entry) -> str:
    """ "3 runs, test accuracy 0.8945 ± 0.0016": the completed runs' mean ± sd."""
    values = [r.get("test_acc") for r in entry.runs if r.get("status") == "completed"]
    accs = [float(a) for a in values if isinstance(a, int | float)]
    sd = statistics.stdev(accs) if len(accs) > 1 else None
    mean = statistics.fmean(accs) if accs else None
    return f"{count(len(entry.runs), 'run')}, test accuracy {format_mean_sd(mean, sd)}"


def entry_bands(entry: Entry, metric: str, max_arms: int = 2) -> dict[str, list[Band]]:
    """Per arm, the seed bands of `metric`, for the arms with the best final mean
    validation accuracy (at most `max_arms`, in the entry's arm order).

    The choice is made on validation, never on test, as the verdicts are: the
    chart shows the arms the comparison is about, not a grid's every arm.
    """
    bands = run_bands(entry.runs, metric)
    if len(bands) <= max_arms:
        return bands
    val = run_bands(entry.runs, "val_acc")
    ranked = sorted(val, key=lambda arm: -max((b.mean for b in val[arm]), default=0.0))
    keep = set(ranked[:max_arms])
    return {arm: b for arm, b in bands.items() if arm in keep}
