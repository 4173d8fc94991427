"""Provides run and experiment specs: validation, parsing of user text, grid expansion.

Every value a person or a file can give passes through the parsers here, so the
engine, the CLI and the TUI share one set of rules and one wording for errors.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from fmtui.core.errors import FieldError

ACTIVATIONS = ("relu", "tanh", "gelu", "sigmoid", "leaky_relu")
OPTIMIZERS = ("adam", "adamw", "sgd")
DEVICES = ("auto", "cpu", "cuda", "mps")
MONITORS = ("val_acc", "val_loss")

MAX_LAYERS = 8
MAX_WIDTH = 4096
MAX_BATCH = 60000
MAX_EPOCHS = 1000
MAX_PATIENCE = 1000
MAX_SEED = 2**31 - 1
MAX_SEEDS = 100
MAX_ARMS = 400
MAX_LR = 10.0


class SpecError(FieldError):
    """An invalid experiment or run spec value; `field` names the offending field."""


_INT_RE = re.compile(r"([+-]?)([0-9]+)", re.ASCII)
_FLOAT_RE = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_NONFINITE_RE = re.compile(r"[+-]?(inf|infinity|nan)", re.ASCII | re.IGNORECASE)
_MAX_DIGITS = 30  # far beyond every range here, far below Python's int-digit limit


def _text(value: Any) -> str:
    shown = repr(value) if not isinstance(value, str) else repr(value.strip())
    return shown if len(shown) <= 60 else shown[:59] + "…"


def parse_int(field_name: str, value: Any, lo: int, hi: int) -> int:
    """Parse an integer in [lo, hi] from an int or text; anything else is a SpecError."""
    expected = f"expected a whole number from {lo} to {hi}"
    if isinstance(value, bool):
        raise SpecError(field_name, f"{expected}, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise SpecError(field_name, f"{expected}, got {value!r}")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        # ASCII digits only (int() would take ５, ٣, 𝟓 and 1_0), and few enough of them
        # that int() never meets Python's digit limit: longer is out of range anyway.
        match = _INT_RE.fullmatch(text)
        if not match:
            shown = "nothing" if not text else _text(value)
            raise SpecError(field_name, f"{expected}, got {shown}")
        sign, digits = match.group(1), match.group(2).lstrip("0") or "0"
        if len(digits) > _MAX_DIGITS:
            raise SpecError(field_name, f"{expected}, got a number {len(digits)} digits long")
        number = int(sign + digits)
    else:
        raise SpecError(field_name, f"{expected}, got {value!r}")
    if not lo <= number <= hi:
        raise SpecError(field_name, f"{expected}, got {number}")
    return number


def parse_float(
    field_name: str,
    value: Any,
    lo: float,
    hi: float,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Parse a finite number in the given range; nan, inf and overflow are rejected."""
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    expected = f"expected a finite number in {left}{lo:g}, {hi:g}{right}"
    if isinstance(value, bool):
        raise SpecError(field_name, f"{expected}, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise SpecError(field_name, f"{expected}, got nothing")
        # ASCII decimal or scientific notation only (float() would take ５ and 1_0);
        # inf and nan are read so that the message below can name them.
        if not (_FLOAT_RE.fullmatch(text) or _NONFINITE_RE.fullmatch(text)):
            raise SpecError(field_name, f"{expected}, got {_text(value)}")
        number = float(text)
    else:
        raise SpecError(field_name, f"{expected}, got {value!r}")
    if not math.isfinite(number):
        raise SpecError(field_name, f"{expected}, got {_text(value)}")
    too_low = number <= lo if lo_open else number < lo
    too_high = number >= hi if hi_open else number > hi
    if too_low or too_high:
        raise SpecError(field_name, f"{expected}, got {number:g}")
    return number


def parse_choice(field_name: str, value: Any, choices: Sequence[str]) -> str:
    """Parse one of `choices` (case-insensitive)."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text is None or text not in choices:
        shown = "nothing" if text == "" else repr(value)
        raise SpecError(field_name, f"expected one of {', '.join(choices)}, got {shown}")
    return text


_LAYER_SEPARATORS = re.compile(r"[x,×]")


def split_layers(text: str) -> list[str]:
    """The widths of '384x512', '384,512' or '384 × 512' as typed, blanks kept (to be named)."""
    return [part.strip() for part in _LAYER_SEPARATORS.split(text.strip().lower())]


def parse_layers(value: Any) -> tuple[int, ...]:
    """Parse hidden widths: '384,512', '384x512', '384 x 512' or a sequence of ints."""
    name = "layers"
    expected = f"1 to {MAX_LAYERS} hidden layers of 1 to {MAX_WIDTH} units, like 384x512 or 384,512"
    if isinstance(value, str):
        if not value.strip():
            raise SpecError(name, f"expected {expected}, got nothing")
        parts = split_layers(value)
    elif isinstance(value, Sequence):
        parts = list(value)
    else:
        raise SpecError(name, f"expected {expected}, got {value!r}")
    if not 1 <= len(parts) <= MAX_LAYERS:
        raise SpecError(name, f"expected {expected}, got {len(parts)} layers")
    widths = []
    for i, part in enumerate(parts, start=1):
        if isinstance(part, str) and not part:
            raise SpecError(name, f"layer {i} is empty; expected {expected}")
        try:
            widths.append(parse_int(name, part, 1, MAX_WIDTH))
        except SpecError as err:
            raise SpecError(name, f"layer {i}: {err.message}") from None
    return tuple(widths)


def parse_device(value: Any) -> str:
    """Parse a device name: auto, cpu, cuda, cuda:N or mps."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text is not None and (text in DEVICES or re.fullmatch(r"cuda:\d{1,2}", text)):
        return text
    raise SpecError("device", f"expected one of auto, cpu, cuda, cuda:N, mps, got {value!r}")


def format_layers(layers: Iterable[int], *, compact: bool = False) -> str:
    """Hidden widths as the report writes them, '384 x 512'; compact: '384x512'.

    The compact form is what flags, variant lines, arm names and forms take back
    (parse_layers reads both).
    """
    return ("x" if compact else " x ").join(str(w) for w in layers)


MAX_GROUP = 512  # runs stacked in one group at most
BATCH_MODES_HELP = "auto, off or a group size from 1 to 512"


def parse_batch_models(value: Any) -> str:
    """'auto', 'off' or a group size '1'..'512' (as text); SpecError otherwise."""
    if isinstance(value, bool):
        raise SpecError("batch_models", f"expected {BATCH_MODES_HELP}, got {value!r}")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise SpecError("batch_models", f"expected {BATCH_MODES_HELP}, got {value!r}")
    text = value.strip().lower()
    if text in ("auto", "off"):
        return text
    if re.fullmatch(r"\d{1,4}", text) and 1 <= int(text) <= MAX_GROUP:
        return str(int(text))
    shown = "nothing" if not text else repr(value.strip())
    raise SpecError("batch_models", f"expected {BATCH_MODES_HELP}, got {shown}")


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one training run. Validated on construction."""

    layers: tuple[int, ...] = (384, 512)
    activation: str = "relu"
    dropout: float = 0.0
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 10
    patience: int = 3
    min_delta: float = 0.0
    monitor: str = "val_acc"
    seed: int = 0
    device: str = "auto"
    val_fraction: float = 0.1
    split_seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "layers", parse_layers(self.layers))
        set_(self, "activation", parse_choice("activation", self.activation, ACTIVATIONS))
        set_(self, "dropout", parse_float("dropout", self.dropout, 0.0, 1.0, hi_open=True))
        set_(self, "optimizer", parse_choice("optimizer", self.optimizer, OPTIMIZERS))
        set_(self, "lr", parse_float("lr", self.lr, 0.0, MAX_LR, lo_open=True))
        set_(self, "momentum", parse_float("momentum", self.momentum, 0.0, 1.0, hi_open=True))
        set_(self, "weight_decay", parse_float("weight_decay", self.weight_decay, 0.0, 1.0))
        set_(self, "batch_size", parse_int("batch_size", self.batch_size, 1, MAX_BATCH))
        set_(self, "epochs", parse_int("epochs", self.epochs, 1, MAX_EPOCHS))
        set_(self, "patience", parse_int("patience", self.patience, 0, MAX_PATIENCE))
        set_(self, "min_delta", parse_float("min_delta", self.min_delta, 0.0, 1.0))
        set_(self, "monitor", parse_choice("monitor", self.monitor, MONITORS))
        set_(self, "seed", parse_int("seed", self.seed, 0, MAX_SEED))
        set_(self, "device", parse_device(self.device))
        set_(
            self,
            "val_fraction",
            parse_float("val_fraction", self.val_fraction, 0.0, 0.5, lo_open=True),
        )
        set_(self, "split_seed", parse_int("split_seed", self.split_seed, 0, MAX_SEED))

    @property
    def early_stopping(self) -> bool:
        """Patience 0 means early stopping is off."""
        return self.patience > 0

    @property
    def architecture(self) -> str:
        return format_layers(self.layers)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = list(self.layers)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Build from a mapping (a file, a form); unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise SpecError("spec", f"expected a mapping of spec fields, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(
                unknown[0], f"unknown spec field; known fields: {', '.join(sorted(known))}"
            )
        return cls(**dict(data))

    def with_changes(self, **changes: Any) -> RunSpec:
        return replace(self, **changes)


@dataclass(frozen=True)
class Arm:
    """A named configuration; the first arm of an experiment is its baseline."""

    name: str
    spec: RunSpec

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError("arm", "an arm needs a non-empty name")
        if len(self.name) > 80:
            raise SpecError("arm", f"arm names are at most 80 characters, got {len(self.name)}")
        try:  # undecodable bytes from the command line arrive as lone surrogates
            self.name.encode("utf-8")
        except UnicodeEncodeError:
            raise SpecError("arm", f"{self.name!r} is not valid UTF-8 text") from None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "spec": self.spec.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Arm:
        if not isinstance(data, Mapping) or "name" not in data or "spec" not in data:
            raise SpecError("arm", "expected an object with 'name' and 'spec'")
        return cls(name=data["name"], spec=RunSpec.from_dict(data["spec"]))


@dataclass(frozen=True)
class PlannedRun:
    """One run of an experiment: which arm, which repeat, and the spec with its seed."""

    arm: str
    repeat: int
    spec: RunSpec


@dataclass(frozen=True)
class ExperimentSpec:
    """Arms × seeds. Seeds are `seed, seed+1, …` taken from the baseline's seed."""

    arms: tuple[Arm, ...] = field(default_factory=lambda: (Arm("384x512", RunSpec()),))
    seeds: int = 1
    # auto | off | N: how many runs may train together in one stacked loop.
    batch_models: str = "off"

    def __post_init__(self) -> None:
        arms = tuple(self.arms)
        if not arms:
            raise SpecError("arms", "an experiment needs at least one arm")
        if len(arms) > MAX_ARMS:
            raise SpecError("arms", f"expected at most {MAX_ARMS} arms, got {len(arms)}")
        names = [a.name for a in arms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError("arms", f"arm names must be unique; repeated: {', '.join(dupes)}")
        object.__setattr__(self, "arms", arms)
        object.__setattr__(self, "seeds", parse_int("seeds", self.seeds, 1, MAX_SEEDS))
        object.__setattr__(self, "batch_models", parse_batch_models(self.batch_models))

    @property
    def baseline(self) -> Arm:
        return self.arms[0]

    def seed_values(self) -> list[int]:
        base = self.baseline.spec.seed
        return [(base + i) % (MAX_SEED + 1) for i in range(self.seeds)]

    def runs(self) -> list[PlannedRun]:
        """Every run in launch order: arm by arm, seed by seed."""
        return [
            PlannedRun(arm.name, i, arm.spec.with_changes(seed=seed))
            for arm in self.arms
            for i, seed in enumerate(self.seed_values())
        ]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"arms": [a.to_dict() for a in self.arms], "seeds": self.seeds}
        if self.batch_models != "off":  # older entries, without the key, trained one by one
            out["batch_models"] = self.batch_models
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExperimentSpec:
        if not isinstance(data, Mapping) or not isinstance(data.get("arms"), list):
            raise SpecError("experiment", "expected an object with a list of 'arms'")
        return cls(
            arms=tuple(Arm.from_dict(a) for a in data["arms"]),
            seeds=data.get("seeds", 1),
            batch_models=data.get("batch_models", "off"),
        )


def arm_name(layers: Sequence[int]) -> str:
    """An arm named by its widths, like '384x512'."""
    return format_layers(layers, compact=True)


def parse_width_list(text: str, layer: int) -> list[int]:
    """One layer of a grid: '16,32,64' or a doubling range '16..1024'."""
    name = "grid"
    text = text.strip()
    if not text:
        raise SpecError(name, f"layer {layer} has no widths; expected e.g. 16,32,64 or 16..1024")
    if ".." in text:
        lo_text, _, hi_text = text.partition("..")
        lo = parse_int(name, lo_text, 1, MAX_WIDTH)
        hi = parse_int(name, hi_text, 1, MAX_WIDTH)
        if hi < lo:
            raise SpecError(name, f"layer {layer}: range {text} runs backwards")
        widths = []
        w = lo
        while w <= hi:
            widths.append(w)
            w *= 2
        return widths
    widths = []
    for part in text.split(","):
        if not part.strip():
            raise SpecError(name, f"layer {layer} has an empty width in {text!r}")
        try:
            widths.append(parse_int(name, part, 1, MAX_WIDTH))
        except SpecError as err:
            raise SpecError(name, f"layer {layer}: {err.message}") from None
    return list(dict.fromkeys(widths))


def parse_grid(text: str) -> list[list[int]]:
    """'16,32,64x16,32,64' → per-layer width lists (layers separated by 'x')."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("grid", "expected per-layer width lists like 16,32,64x16,32,64")
    layers = [parse_width_list(part, i) for i, part in enumerate(text.lower().split("x"), 1)]
    if len(layers) > MAX_LAYERS:
        raise SpecError("grid", f"expected at most {MAX_LAYERS} layers, got {len(layers)}")
    return layers


def grid_arms(width_lists: Sequence[Sequence[int]], base: RunSpec) -> tuple[Arm, ...]:
    """The cartesian product of per-layer widths, one arm each, in row-major order."""
    # Counted before any is built: 8 layers of 1..4096 would be 13**8 combinations.
    count = math.prod(len(widths) for widths in width_lists)
    if count > MAX_ARMS:
        raise SpecError("grid", f"expands to {count} arms; at most {MAX_ARMS} allowed")
    combos = list(itertools.product(*width_lists))
    return tuple(Arm(arm_name(c), base.with_changes(layers=tuple(c))) for c in combos)


def layer_arms(layer_specs: Sequence[Sequence[int]], base: RunSpec) -> tuple[Arm, ...]:
    """One arm per architecture, named like '384x512' (suffixed when repeated)."""
    arms: list[Arm] = []
    seen: dict[str, int] = {}
    for layers in layer_specs:
        name = arm_name(layers)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}#{seen[name]}"
        arms.append(Arm(name, base.with_changes(layers=tuple(layers))))
    return tuple(arms)


# The network's fixed ends: 28×28 grey images in, 10 classes out.
INPUT_SIZE = 28 * 28
NUM_CLASSES = 10


def parameter_count(spec: RunSpec) -> int:
    """Trainable parameters of the spec's network, without building it."""
    total = 0
    fan_in = INPUT_SIZE
    for width in (*spec.layers, NUM_CLASSES):
        total += fan_in * width + width
        fan_in = width
    return total
