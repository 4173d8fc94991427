"""Provides the experiment design form's rules: per-field validation, variants, estimates.

The TUI designer shows what these functions say; keeping them here means the same
rules hold headless and the engine never sees an invalid design.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from fmtui.core.present import format_duration  # noqa: F401 - kept importable from here
from fmtui.core.spec import (
    MAX_ARMS,
    MAX_SEED,
    MAX_SEEDS,
    Arm,
    ExperimentSpec,
    RunSpec,
    SpecError,
    grid_arms,
    parse_batch_models,
    parse_grid,
    parse_int,
)
from fmtui.core.spec_fields import format_value

SPEC_FIELDS = tuple(f.name for f in fields(RunSpec) if f.name not in ("seed",))
# Designer fields beyond the spec's own.
EXTRA_FIELDS = (
    "baseline_name",
    "seeds",
    "seed",
    "batch_models",
    "variants",
    "grid",
    "grid_baseline",
    "mode",
)
MODES = ("variants", "grid")
FULL_TRAIN = 60000


def validate_field(name: str, value: Any) -> str | None:
    """The error message for one designer field's value, or None when it is valid."""
    try:
        if name in SPEC_FIELDS:
            RunSpec(**{name: value})
        elif name == "seeds":
            parse_int("seeds", value, 1, MAX_SEEDS)
        elif name == "seed":
            parse_int("seed", value, 0, MAX_SEED)
        elif name == "batch_models":
            parse_batch_models(value)
        elif name == "baseline_name":
            try:
                Arm(value.strip() if isinstance(value, str) else value, RunSpec())
            except SpecError as err:
                raise SpecError("baseline_name", err.message) from None
        elif name == "grid":
            arms = parse_grid(value)
            count = math.prod(len(widths) for widths in arms)
            if count > MAX_ARMS:
                raise SpecError("grid", f"expands to {count} arms; at most {MAX_ARMS} allowed")
        else:
            return None
    except SpecError as err:
        return str(err)
    return None


_VARIANT_RE = re.compile(r"^\s*([^:=,]+?)\s*:\s*(.*)$")


def parse_variants(text: str, base: RunSpec) -> list[Arm]:
    """Variant lines like `b32: batch_size=32, lr=1e-4`, each changing the baseline."""
    arms = []
    known = ", ".join(SPEC_FIELDS)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _VARIANT_RE.match(line)
        if not match:
            raise SpecError(
                "variants", f"line {number}: expected 'name: field=value, …', got {line.strip()!r}"
            )
        name, body = match.group(1).strip(), match.group(2)
        changes: dict[str, str] = {}
        for part in filter(str.strip, re.split(r",\s*(?=[A-Za-z_-]+\s*=)", body)):
            key, eq, value = part.partition("=")
            key = key.strip().lower().replace("-", "_")
            if not eq:
                raise SpecError("variants", f"line {number}: expected field=value, got {part!r}")
            if key not in SPEC_FIELDS:
                raise SpecError("variants", f"line {number}: unknown field {key!r}; use {known}")
            if key in changes:  # which one was meant cannot be guessed
                raise SpecError("variants", f"line {number}: {key} is given twice")
            changes[key] = value.strip()
        if not changes:
            raise SpecError("variants", f"line {number}: variant {name!r} changes nothing")
        try:
            spec = base.with_changes(**changes)
        except SpecError as err:
            raise SpecError("variants", f"line {number}: {err}") from None
        try:
            arms.append(Arm(name, spec))
        except SpecError as err:
            raise SpecError("variants", f"line {number}: {err.message}") from None
    return arms


def variants_text(experiment: ExperimentSpec) -> str:
    """Variant lines that rebuild `experiment`'s non-baseline arms (parse_variants' inverse)."""
    base = experiment.baseline.spec.to_dict()
    lines = []
    for arm in experiment.arms[1:]:
        spec = arm.spec.to_dict()
        changes = []
        for key, value in spec.items():
            if key in ("seed",) or value == base[key]:
                continue
            shown = format_value(key, value)
            changes.append(f"{key}={shown}")
        lines.append(f"{arm.name}: {', '.join(changes)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class DesignResult:
    """A validated design, or the errors by field."""

    experiment: ExperimentSpec | None
    errors: dict[str, str]


def build_design(values: Mapping[str, Any]) -> DesignResult:
    """Validate every field of the designer and build the experiment when all pass."""
    errors: dict[str, str] = {}
    for name, value in values.items():
        message = validate_field(name, value)
        if message:
            errors[name] = message
    if errors:
        return DesignResult(None, errors)
    spec_values = {k: v for k, v in values.items() if k in SPEC_FIELDS}
    try:
        base = RunSpec(seed=values.get("seed", 0), **spec_values)
        if values.get("mode", "variants") == "grid":
            arms = grid_arms(parse_grid(values.get("grid", "")), base)
            arms = baseline_first(arms, str(values.get("grid_baseline") or ""))
        else:
            name = str(values.get("baseline_name") or "baseline").strip()
            arms = (Arm(name, base), *parse_variants(str(values.get("variants", "")), base))
        experiment = ExperimentSpec(
            arms=tuple(arms),
            seeds=values.get("seeds", 1),
            batch_models=values.get("batch_models", "off"),
        )
    except SpecError as err:
        field = err.field if err.field in values else "variants"
        if values.get("mode") == "grid" and field == "variants":
            field = "grid"
        return DesignResult(None, {field: str(err)})
    return DesignResult(experiment, {})


def baseline_first(arms: tuple[Arm, ...], name: str) -> tuple[Arm, ...]:
    """The grid's arms with the chosen baseline first (the first arm when none is named)."""
    name = name.strip().lower().replace(",", "x")
    if not name:
        return arms
    chosen = [a for a in arms if a.name == name]
    if not chosen:
        raise SpecError(
            "grid_baseline", f"{name!r} is not an arm of the grid; use one like {arms[0].name}"
        )
    return (chosen[0], *(a for a in arms if a.name != name))


def steps_per_epoch(spec: RunSpec, n_train: int = FULL_TRAIN) -> int:
    train_items = n_train - max(1, round(n_train * spec.val_fraction))
    return math.ceil(train_items / min(spec.batch_size, train_items))


# How long an experiment would take: (experiment, device) → (seconds, the device's label).
# The app's measures a few steps (core/estimate.py, in a worker); tests pass their own.
Estimator = Callable[[ExperimentSpec, str], tuple[float, str]]
