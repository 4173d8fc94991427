"""Provides the verdict's numbers for exports: what was tested, how, and every seed's value.

Reads only the stored `entry.stats` (no statistics are recomputed and no torch is
imported), so an export shows exactly what the journal decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fmtui.core.multiplicity import ADJUSTMENT_NAMES

SPENDING = "Lan–DeMets O'Brien–Fleming"
VERDICT_COLUMNS = [
    "run_id",
    "metric",
    "compared_value",
    "compared_with",
    "test",
    "paired",
    "alpha",
    "adjustment",
    "p_raw",
    "p_adjusted",
    "verdict",
    "looks",
]


def sequential_text(state: Any) -> str:
    """One sentence on the looks of a seeds-until-decided run, or ''."""
    if not isinstance(state, Mapping) or not state.get("looks") or not state.get("look"):
        return ""
    looks = ", ".join(str(n) for n in state["looks"])
    stopped = (
        f"stopped at look {state['look']} ({state.get('seeds')} seeds per arm) by "
        f"{state.get('stopped_by') or 'the last look'}"
        if state.get("stop")
        else f"undecided after look {state['look']} ({state.get('seeds')} seeds per arm)"
    )
    return (
        f"Seeds until decided: planned looks at {looks} seeds per arm, "
        f"{state.get('spending', SPENDING)} α-spending; {stopped}; "
        f"α spent {state.get('alpha_spent', 0):.4f} of {state.get('alpha', 0.05):g}."
    )


def looks_cell(entry: Any) -> str:
    stats = getattr(entry, "stats", None) or {}
    state = stats.get("sequential") if isinstance(stats, Mapping) else None
    if not isinstance(state, Mapping) or not state.get("looks"):
        return ""
    return f"look {state.get('look')} of {'/'.join(str(n) for n in state['looks'])}"


def comparisons(entry: Any) -> list[Mapping[str, Any]]:
    stats = getattr(entry, "stats", None) or {}
    found = stats.get("comparisons") if isinstance(stats, Mapping) else None
    return [c for c in found or [] if isinstance(c, Mapping)]


def run_id(entry: Any, arm: object, seed: object) -> str:
    """The run's id in an export: entry, arm and seed."""
    return f"{getattr(entry, 'id', None) or '-'}:{arm}:{seed}"


def _p(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else "—"


def _num(value: Any, fmt: str = "+.4f") -> str:
    return format(value, fmt) if isinstance(value, int | float) else "—"


def verdict_markdown(entry: Any) -> str:
    """The Evaluation's tables: one row per comparison, then every seed's value."""
    found = comparisons(entry)
    if not found:
        return ""
    first = found[0]
    method = str(first.get("adjustment", "none"))
    lines = [
        f"Compared: {first.get('metric_label') or first.get('metric')}; "
        f"α = {first.get('alpha', 0.05):g}; adjustment: {ADJUSTMENT_NAMES.get(method, method)}"
        f" over {len(found)} comparison{'s' if len(found) != 1 else ''}.",
        "",
    ]
    stats = getattr(entry, "stats", None) or {}
    if looks := sequential_text(stats.get("sequential") if isinstance(stats, Mapping) else None):
        lines[-1:-1] = [looks]
    rows = []
    for c in found:
        ci = (
            f"{_num(c.get('difference'))} ({_num(c.get('ci_low'))} to {_num(c.get('ci_high'))})"
            if isinstance(c.get("ci_low"), int | float)
            else _num(c.get("difference"))
        )
        rows.append(
            [
                c.get("variant", ""),
                c.get("baseline", ""),
                c.get("test", "Welch t"),
                "yes" if c.get("paired") else "no",
                f"{c.get('n_variant', 0)}/{c.get('n_baseline', 0)}",
                ci,
                _p(c.get("p_value")),
                _p(c.get("p_adjusted")),
                _num(c.get("cohens_d"), ".2f"),
                _num(c.get("hedges_g"), ".2f"),
                c.get("verdict", ""),
            ]
        )
    headers = ["Variant", "Baseline", "Test", "Paired", "Seeds"]
    headers += ["Difference (CI)", "p", "Adjusted p", "d", "g", "Verdict"]
    from fmtui.core.markdown_table import markdown_table

    lines.append(markdown_table(headers, rows))
    seeds = per_seed_rows(entry)
    if seeds:
        lines += ["", markdown_table(["Run", "Arm", "Seed", "Value"], seeds)]
    return "\n".join(lines)


def per_seed_rows(entry: Any) -> list[list[str]]:
    """Every compared run once: its id, arm, seed and the compared value."""
    seen: dict[tuple[str, str], list[str]] = {}
    for c in comparisons(entry):
        for row in c.get("per_seed") or []:
            if not isinstance(row, Mapping):
                continue
            arm, seed = str(row.get("arm", "")), str(row.get("seed", ""))
            seen.setdefault(
                (arm, seed), [run_id(entry, arm, seed), arm, seed, _num(row.get("value"), ".4f")]
            )
    return list(seen.values())


def csv_columns(entry: Any, run: Mapping[str, Any]) -> dict[str, Any]:
    """A run's verdict columns: its id, the compared value and its arm's comparison."""
    arm = run.get("arm", "")
    seed = (run.get("spec") or {}).get("seed", "")
    out: dict[str, Any] = dict.fromkeys(VERDICT_COLUMNS, "")
    out["run_id"] = run_id(entry, arm, seed)
    out["looks"] = looks_cell(entry)
    found = comparisons(entry)
    if not found:
        return out
    mine = next((c for c in found if c.get("variant") == arm), None)
    source: Mapping[str, Any] = mine or found[0]
    for row in source.get("per_seed") or []:
        if isinstance(row, Mapping) and row.get("arm") == arm and row.get("seed") == seed:
            out["compared_value"] = row.get("value")
    out.update(
        metric=source.get("metric_label") or source.get("metric"),
        test=source.get("test", "Welch t"),
        paired=bool(source.get("paired")),
        alpha=source.get("alpha", 0.05),
        adjustment=source.get("adjustment", "none"),
    )
    if mine is not None:
        out.update(
            compared_with=mine.get("baseline"),
            p_raw=mine.get("p_value"),
            p_adjusted=mine.get("p_adjusted"),
            verdict=mine.get("verdict"),
        )
    elif arm == found[0].get("baseline"):
        out["verdict"] = "baseline"
    return out
