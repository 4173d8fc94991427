"""Provides the words and widths the screens show: verdicts, progress, names and columns.

Kept apart from the screens so the rules are unit-tested without a terminal, and
free of torch so the journal's reading paths stay light.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fmtui.core.spec import format_layers
from fmtui.core.status import EntryStatus, RunStatus

_UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.NOT_STARTED)

ELLIPSIS = "…"
LONG_RUN_S = 3600.0  # past this estimate the designer and rerun ask for a second look
VERDICT_WORDS = {
    "supported": "SUPPORTED",
    "contradicted": "CONTRADICTED",
    "inconclusive": "INCONCLUSIVE",
    "not tested": "NOT TESTED",
}


def ellipsize(text: str, width: int) -> str:
    """`text` in at most `width` cells; a cut is marked with `…` so it never reads as
    another value (`512x256x128` must not become `512x256x12`)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: width - 1] + ELLIPSIS


def name_width(names: Iterable[str], minimum: int, maximum: int) -> int:
    """A column width that shows the longest name whole, within [minimum, maximum]."""
    longest = max((len(n) for n in names), default=0)
    return max(minimum, min(longest, maximum))


def verdict_word(verdict: str | None) -> str | None:
    return VERDICT_WORDS.get(verdict or "", verdict.upper() if verdict else None)


def comparison_line(c: Mapping[str, Any]) -> str:
    """One variant against the baseline: verdict word first, then its numbers."""
    word = verdict_word(str(c.get("verdict", ""))) or "—"
    head = f"{c.get('variant')} vs {c.get('baseline')}: {word}"
    diff, p = c.get("difference"), c.get("p_value")
    low, high = c.get("ci_low"), c.get("ci_high")
    if not isinstance(diff, int | float):
        return f"{head} — {c.get('reason', '')}".rstrip(" —")
    parts = [f"difference {diff:+.4f}"]
    if isinstance(low, int | float) and isinstance(high, int | float):
        parts.append(f"95% CI {low:+.4f} to {high:+.4f}")
    if isinstance(p, int | float):
        parts.append(f"p = {p:.3g}")
    line = f"{head} — {', '.join(parts)}"
    reason = c.get("reason")
    return f"{line} ({reason})" if reason and not isinstance(p, int | float) else line


def verdict_lines(verdict: str | None, stats: Mapping[str, Any] | None) -> list[str]:
    """The entry's verdict and one line per variant with its numbers; [] without a claim."""
    if not verdict:
        return []
    comparisons = (stats or {}).get("comparisons") or []
    lines = [f"Verdict on the claim: {verdict_word(verdict)}"]
    lines += [comparison_line(c) for c in comparisons if isinstance(c, Mapping)]
    return lines


def short_verdict(verdict: str | None, stats: Mapping[str, Any] | None) -> str:
    """The verdict for a one-line header: word, then each variant's difference and p."""
    if not verdict:
        return ""
    parts = []
    for c in (stats or {}).get("comparisons") or []:
        diff, p = c.get("difference"), c.get("p_value")
        if isinstance(diff, int | float) and isinstance(p, int | float):
            parts.append(f"{c.get('variant')} {diff:+.4f}, p = {p:.2g}")
    numbers = f" ({'; '.join(parts)})" if parts else ""
    return f"{verdict_word(verdict)}{numbers}"


def experiment_progress(status: str, run_statuses: Sequence[str]) -> tuple[str, int]:
    """The experiment bar's label and how many runs it counts as done.

    A cancelled experiment counts only its completed runs, instead of a full bar
    that reads as if everything had run.
    """
    total = len(run_statuses)
    completed = sum(s == RunStatus.COMPLETED for s in run_statuses)
    finished = sum(s not in _UNFINISHED for s in run_statuses)
    if status in (RunStatus.QUEUED, EntryStatus.RUNNING):
        return f"Experiment: run {finished}/{total} done", finished
    if status == EntryStatus.COMPLETED and completed == total:
        return f"Experiment: all {total} runs completed", total
    # short enough for the bars' column; the runs table says which runs never started
    return f"{status.capitalize()}: {completed} of {total} runs completed", completed


def spec_differences(base: Mapping[str, Any], spec: Mapping[str, Any]) -> str:
    """What an arm changes from the baseline, as `batch_size=32, lr=0.01`."""
    changes = []
    for key, value in spec.items():
        if key in ("seed", "device") or base.get(key) == value:
            continue
        shown = format_layers(value, compact=True) if key == "layers" else f"{value}"
        changes.append(f"{key}={shown}")
    return ", ".join(changes)


# The journal's fixed columns; the title takes what is left and gives way first.
JOURNAL_WIDTHS = {"id": 4, "created": 19, "status": 9, "verdict": 12, "best": 8, "runs": 4}
SHORT_DATE = 10  # created as a date only, when the title would get fewer than MIN_TITLE
MIN_TITLE = 24


def journal_widths(total: int) -> dict[str, int]:
    """Column widths for the journal table in `total` cells: title first to shrink,
    then the creation time (to its date), so Verdict, Best and Runs always show."""
    widths = dict(JOURNAL_WIDTHS)
    widths["title"] = title_width(total, list(JOURNAL_WIDTHS.values()))
    if widths["title"] < MIN_TITLE:
        widths["created"] = SHORT_DATE
        widths["title"] = 0
        widths["title"] = title_width(total, [w for w in widths.values() if w])
    return widths


def title_width(total: int, others: Sequence[int], minimum: int = 12) -> int:
    """The title column's width: what the other columns (and their padding) leave."""
    padding = 2 * (len(others) + 1)
    return max(minimum, total - sum(others) - padding)


def zoom_range(
    values: Sequence[float], floor: float = 0.0, ceiling: float = 1.0
) -> tuple[float, float]:
    """An axis range around the data, so 0.808 and 0.829 do not look equal on 0–1."""
    if not values:
        return floor, ceiling
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.25, 0.005)
    return max(floor, lo - pad), min(ceiling, hi + pad) if hi <= ceiling else hi + pad


def claim_field_error(name: str, value: str) -> str | None:
    """The message for one claim field as typed (`baseline`, `alpha`, `margin`), or None."""
    from fmtui.core.journal import Claim
    from fmtui.core.spec import SpecError

    try:
        # Claim parses text leniently, so the typed string goes in as it is.
        fields: dict[str, Any] = {name: value.strip() if name == "baseline" else value}
        Claim(**fields)
    except SpecError as err:
        return str(err)
    return None


def format_duration(seconds: float) -> str:
    """A time estimate in the unit a person reads best."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def long_run_warning(seconds: float | None) -> str:
    """A warning for an estimate past LONG_RUN_S, else ''."""
    if seconds is None or seconds <= LONG_RUN_S:
        return ""
    return (
        f"This is estimated to take up to {format_duration(seconds)}, more than an hour: "
        "fewer seeds, epochs or arms would end sooner."
    )


def rerun_question(entry_id: int, runs: int, note: str, seconds: float | None) -> str:
    """What `r` asks before repeating an entry."""
    noun = "run" if runs == 1 else "runs"
    text = f"Rerun entry {entry_id} exactly ({runs} {noun}, the same seeds) as a new entry? {note}"
    warning = long_run_warning(seconds)
    return f"{text} {warning}" if warning else text
