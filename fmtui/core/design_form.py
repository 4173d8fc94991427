"""Provides the designer form's logic: its first values, its summary, layers, claim settings.

The designer screen shows and asks; what it starts with, what it says about a
design and which claim settings it may store are decided here, without Textual,
so that they are tested as plain functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fmtui.core.design import variants_text
from fmtui.core.present import spec_differences
from fmtui.core.spec import (
    MAX_LAYERS,
    MAX_SEEDS,
    ExperimentSpec,
    RunSpec,
    SpecError,
    format_layers,
    parameter_count,
    parse_float,
    parse_int,
    split_layers,
)
from fmtui.core.spec_fields import DESIGNER_FIELDS, format_value
from fmtui.core.words import count

DEFAULT_SEEDS = 3
DEFAULT_MAX_SEEDS = 12
MIN_MAX_SEEDS = 3  # the first planned look
DEFAULT_GRID = "16..1024x16..1024"
# A new design trains longer than the spec's default: early stopping ends it sooner.
NEW_DESIGN = RunSpec(epochs=20, patience=3)
# New designs stack runs where that is faster; a stored design keeps its own mode.
NEW_BATCH_MODELS = "auto"
SUMMARY_ARMS = 6
CLAIM_FIELDS = ("until_decided", "max_seeds", "smallest_effect")

# A summary line is a list of (text, style) pieces; the screen draws each literally.
Line = list[tuple[str, str]]


def initial_values(stored: Mapping[str, Any] | None, claim: Any) -> dict[str, Any]:
    """The form's first values: the stored design, else a new one against the claim's arm.

    `stored` is the entry's experiment (a dict, possibly damaged: then a new design);
    `claim` the entry's claim or None. Text fields get text, switches booleans.
    """
    spec, seeds, batch_models, variants = NEW_DESIGN, DEFAULT_SEEDS, NEW_BATCH_MODELS, ""
    claimed = claim.baseline if claim is not None else ""
    base_name = claimed or "baseline"
    experiment = None
    if stored:
        try:
            experiment = ExperimentSpec.from_dict(stored)
        except SpecError:
            experiment = None  # a damaged design: start afresh rather than not open
    if experiment is not None:
        spec, seeds = experiment.baseline.spec, experiment.seeds
        batch_models = experiment.batch_models
        base_name, variants = experiment.baseline.name, variants_text(experiment)
    stored_spec = spec.to_dict()
    values: dict[str, Any] = {
        name: format_value(name, value)
        for name, value in stored_spec.items()
        if name in DESIGNER_FIELDS
    }
    max_seeds = claim.max_seeds if claim is not None else 0
    smallest = claim.smallest_effect if claim is not None else 0.0
    values.update(
        seeds=str(seeds),
        batch_models=batch_models,
        baseline_name=base_name,
        variants=variants,
        mode="variants",
        grid=DEFAULT_GRID,
        # A claim against an arm named by its widths (64x64) is a grid's baseline.
        grid_baseline=claimed if re.fullmatch(r"\d+(x\d+)*", claimed) else "",
        until_decided=bool(max_seeds),
        max_seeds=str(max_seeds or DEFAULT_MAX_SEEDS),
        smallest_effect=format_value("smallest_effect", smallest),
    )
    return values


def add_layer(text: str) -> str | None:
    """The layers with one more, as wide as the last; None when at the limit."""
    parts = [p for p in split_layers(text) if p]
    if len(parts) >= MAX_LAYERS:
        return None
    return "x".join([*parts, parts[-1] if parts else "128"])


def remove_layer(text: str) -> str:
    """The layers without the last one; one layer always stays."""
    parts = [p for p in split_layers(text) if p]
    return "x".join(parts[:-1]) if len(parts) > 1 else text


@dataclass(frozen=True)
class ClaimSettings:
    """Seeds-until-decided settings from the form, or the errors by field."""

    max_seeds: int  # 0: a fixed number of seeds
    smallest_effect: float
    errors: dict[str, str]


def claim_settings(
    values: Mapping[str, Any], claim: Any, experiment: ExperimentSpec | None
) -> ClaimSettings:
    """Check the "Until decided" fields against the entry's claim and the design's arms."""
    if not values.get("until_decided"):
        return ClaimSettings(0, 0.0, {})
    errors: dict[str, str] = {}
    max_seeds, smallest = 0, 0.0
    try:
        max_seeds = parse_int("max_seeds", values.get("max_seeds", ""), MIN_MAX_SEEDS, MAX_SEEDS)
    except SpecError as err:
        errors["max_seeds"] = str(err)
    try:
        smallest = parse_float("smallest_effect", values.get("smallest_effect", ""), 0.0, 1.0)
    except SpecError as err:
        errors["smallest_effect"] = str(err)
    if claim is None or claim.direction not in ("higher", "lower"):
        has = f"this entry's claim is {claim.direction!r}" if claim else "this entry has no claim"
        errors["until_decided"] = (
            f"until_decided: needs a higher or lower claim; {has} (set it in the hypothesis form)"
        )
    elif experiment is not None and len(experiment.arms) < 2:
        errors["until_decided"] = "until_decided: needs a baseline and at least one variant arm"
    return ClaimSettings(max_seeds, smallest, errors)


def looks_for(max_seeds: int) -> tuple[int, ...]:
    """Seeds per arm at each planned look."""
    from fmtui.core.sequential import planned_looks  # numpy: only when the switch is on

    return planned_looks(max_seeds)


def summary_lines(
    experiment: ExperimentSpec | None, errors: Mapping[str, str], max_seeds: int = 0
) -> list[Line]:
    """What the design trains, arm by arm, or how many fields still need fixing."""
    if experiment is None or errors:
        n = len(errors)
        return [[(f"Fix {count(n, 'field')} in red to launch.", "bold red")]]
    arms = experiment.arms
    arms_text = count(len(arms), "arm")
    if max_seeds:
        looks = looks_for(max_seeds)
        head = (
            f"{arms_text} × up to {max_seeds} seeds = at most {len(arms) * max_seeds} runs, "
            f"in looks of {', '.join(map(str, looks))} seeds per arm"
        )
        first: Line = [(head, "bold")]
    else:
        runs = count(len(experiment.runs()), "run")
        head = f"{arms_text} × {count(experiment.seeds, 'seed')} = {runs}"
        first = [(head, "bold")]
        if experiment.seeds == 1:
            noise = "  (one seed per arm cannot tell a difference from seed noise)"
            first.append((noise, "yellow"))
    lines = [first]
    base = experiment.baseline.spec.to_dict()
    for arm in arms[:SUMMARY_ARMS]:
        # what sets each arm apart, so b32 and b64 never read the same
        changes = spec_differences(base, arm.spec.to_dict()) or "the baseline"
        if arm is experiment.baseline:
            changes = f"baseline, {format_layers(arm.spec.layers)}"
        parameters = f"{parameter_count(arm.spec):,} parameters"
        lines.append([(f"{arm.name}: {changes}, ", ""), (parameters, "")])
    if len(arms) > SUMMARY_ARMS:
        lines.append([(f"… and {len(arms) - SUMMARY_ARMS} more arms", "")])
    return lines


def device_type(choice: str, devices: Sequence[tuple[str, str]]) -> str:
    """The kind of device a choice trains on; `devices` are (value, label) as the app lists them."""
    if choice != "auto":
        return choice.split(":")[0]
    values = [value for value, _label in devices]
    for kind in ("cuda", "mps"):
        if any(v.split(":")[0] == kind for v in values):
            return kind
    return "cpu"


def plan_text(experiment: ExperimentSpec, kind: str, max_seeds: int = 0) -> str:
    """How the runs train together: '6 runs → 2 groups on cpu (all stacked)'.

    Planning a large design takes a noticeable moment: call it off the UI thread.
    With seeds until decided, the first look is planned (each look is planned anew).
    """
    from fmtui.core import batch_plan

    if max_seeds:
        first_look = looks_for(max_seeds)[0]
        mode = experiment.batch_models
        experiment = ExperimentSpec(arms=experiment.arms, seeds=first_look, batch_models=mode)
    runs = experiment.runs()
    where = f"on {kind}" + (" at the first look" if max_seeds else "")
    if experiment.batch_models in ("off", "1"):
        return f"{count(len(runs), 'run')} {where}, each trained alone"
    groups = batch_plan.plan(runs, experiment.batch_models, device_type=kind)
    stacked = sum(1 for g in groups if g.engine == "batched")
    alone = len(groups) - stacked
    if not stacked:
        how = "each trained alone: stacking would not be faster"
    elif not alone:
        how = "all stacked"
    else:
        how = f"{stacked} stacked, {count(alone, 'run')} alone"
    return f"{count(len(runs), 'run')} → {count(len(groups), 'group')} {where} ({how})"
