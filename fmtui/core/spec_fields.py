"""Provides the one table of the spec's fields: flag, help, range, designer label and widget.

The `fmtui run` flags, the command line that repeats an entry (`run_command`) and
the designer's rows are all derived from `fields(RunSpec)` plus this table, so a new
spec field needs one row here and nothing else. Importing this module checks that
every field of RunSpec has its row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, Literal

from fmtui.core.spec import (
    ACTIVATIONS,
    BATCH_MODES_HELP,
    MONITORS,
    OPTIMIZERS,
    ExperimentSpec,
    RunSpec,
    format_layers,
)

Owner = Literal["run", "experiment"]
Group = Literal["architecture", "training"]
# input: a text field; select: one of `choices`; device: the machine's devices;
# none: not in the designer (set on the command line or in a variant line).
Widget = Literal["input", "select", "device", "none"]


@dataclass(frozen=True)
class FieldInfo:
    """What the command line and the designer say about one field."""

    name: str
    owner: Owner  # RunSpec ("run") or ExperimentSpec ("experiment")
    group: Group  # the `fmtui run --help` section
    help: str  # the flag's help text
    range: str  # the accepted values, shown beside the designer's input
    label: str  # the designer's label
    widget: Widget
    choices: tuple[str, ...] = ()
    # The flag's default where it is not the dataclass's (text, as typed on the shell).
    cli_default: str | None = None
    repeatable: bool = False  # given once per arm (--layers)
    metavar: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return self.name

    @property
    def default(self) -> Any:
        """The dataclass's default value for this field."""
        owner = RunSpec if self.owner == "run" else ExperimentSpec
        for f in fields(owner):
            if f.name == self.name:
                if f.default is not MISSING:
                    return f.default
                break
        raise LookupError(self.name)  # pragma: no cover - the import check rules it out


def _run(name: str, group: Group, help: str, range: str, label: str, **kw: Any) -> FieldInfo:
    return FieldInfo(name, "run", group, help, range, label, kw.pop("widget", "input"), **kw)


# In `fmtui run --help` order; the designer shows its rows in the same order.
TABLE: tuple[FieldInfo, ...] = (
    _run(
        "layers",
        "architecture",
        "hidden widths like 384,512 or 384x512; repeat for several arms",
        "1–8 widths of 1–4096, e.g. 384x512",
        "Hidden layers",
        repeatable=True,
        metavar="WIDTHS",
    ),
    _run(
        "activation",
        "architecture",
        ", ".join(ACTIVATIONS),
        ", ".join(ACTIVATIONS),
        "Activation",
        widget="select",
        choices=ACTIVATIONS,
    ),
    _run("dropout", "architecture", "dropout probability, 0 ≤ p < 1", "0 ≤ p < 1", "Dropout"),
    _run(
        "optimizer",
        "training",
        "adam, adamw or sgd",
        "adam, adamw or sgd",
        "Optimizer",
        widget="select",
        choices=OPTIMIZERS,
    ),
    _run("lr", "training", "learning rate (> 0)", "> 0, at most 10", "Learning rate"),
    _run("momentum", "training", "SGD momentum, 0 ≤ m < 1", "0 ≤ m < 1", "Momentum (SGD)"),
    _run("weight_decay", "training", "weight decay, 0 to 1", "0 to 1", "Weight decay"),
    _run("batch_size", "training", "1 to 60000", "1 to 60000", "Batch size"),
    _run("epochs", "training", "maximum epochs, 1 to 1000", "1 to 1000", "Max epochs"),
    _run(
        "patience",
        "training",
        "early-stopping patience in epochs; 0 = off",
        "epochs without improvement; 0 = off",
        "Early-stop patience",
    ),
    _run("min_delta", "training", "smallest improvement that counts", "0 to 1", "Min improvement"),
    _run(
        "monitor",
        "training",
        "early stopping watches val_acc or val_loss",
        "val_acc or val_loss",
        "Early stopping watches",
        widget="select",
        choices=MONITORS,
    ),
    _run(
        "val_fraction",
        "training",
        "share of training data for validation",
        "0 < f ≤ 0.5",
        "Validation share",
        widget="none",
    ),
    _run(
        "split_seed",
        "training",
        "seed of the train/validation split",
        "0 to 2147483647",
        "Split seed",
        widget="none",
    ),
    _run("seed", "training", "first seed", "0 to 2147483647", "First seed"),
    FieldInfo(
        "seeds",
        "experiment",
        "training",
        "seeds (repeats) per arm, 1 to 100",
        "1 to 100; 3 or more to judge noise",
        "Seeds per arm",
        "input",
    ),
    _run(
        "device",
        "training",
        "auto, cpu, cuda, cuda:N or mps",
        "auto, cpu, cuda, cuda:N or mps",
        "Device",
        widget="device",
    ),
    FieldInfo(
        "batch_models",
        "experiment",
        "training",
        "train runs together in stacked groups: auto (where faster), off, or a group size",
        BATCH_MODES_HELP,
        "Batch models",
        "input",
        # From the shell, stack where it is faster; a stored design without the key
        # trained one run at a time, and ExperimentSpec's default keeps it so.
        cli_default="auto",
    ),
)

BY_NAME: dict[str, FieldInfo] = {info.name: info for info in TABLE}
DESIGNER_FIELDS = tuple(info.name for info in TABLE if info.widget != "none")


def _check_table() -> None:
    """Every RunSpec field needs its row: without one it would be missing from the CLI."""
    missing = [f.name for f in fields(RunSpec) if f.name not in BY_NAME]
    if missing:
        raise RuntimeError(f"spec fields without a row in spec_fields.TABLE: {missing}")


_check_table()


def short_number(value: float) -> str:
    """The shortest text that reads back as exactly `value`: 1e-3, 0.9, 0."""
    candidates = [f"{value:g}", repr(value)]
    mantissa, _e, exponent = f"{value:e}".partition("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    candidates.append(f"{mantissa}e{int(exponent)}")
    exact = [c for c in candidates if math.isfinite(value) and float(c) == value]
    return min(exact, key=len) if exact else repr(value)


def cli_default(info: FieldInfo) -> str:
    """The flag's default as `--help` shows it and argparse hands it on."""
    if info.cli_default is not None:
        return info.cli_default
    return format_value(info.name, info.default, short=True)


def format_value(key: str, value: Any, *, short: bool = False) -> str:
    """A spec value as flags and variant lines take it; floats exactly (repr, or shortest)."""
    if key == "layers":
        return format_layers(value, compact=True)
    if isinstance(value, float):
        return short_number(value) if short else repr(value)
    return str(value)


def run_flags(experiment: ExperimentSpec) -> list[str]:
    """`--flag value` pairs that rebuild the baseline arm, its seeds and its grouping."""
    spec = experiment.baseline.spec.to_dict()
    owned: Mapping[str, Any] = {"seeds": experiment.seeds, "batch_models": experiment.batch_models}
    parts: list[str] = []
    for info in TABLE:
        value = spec[info.name] if info.owner == "run" else owned[info.name]
        parts += [info.flag, format_value(info.name, value)]
    return parts


def spec_values(source: Any, owner: Owner = "run") -> dict[str, Any]:
    """The values of the table's fields of `owner` read from an argparse namespace."""
    return {
        info.name: getattr(source, info.dest)
        for info in TABLE
        if info.owner == owner and not info.repeatable
    }
