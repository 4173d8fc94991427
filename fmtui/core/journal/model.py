"""Provides the journal's entry model and strict JSON: Claim, Entry, dumps, strict_loads."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from fmtui.core import schema
from fmtui.core.checks import TIME_FORMAT
from fmtui.core.schema import ADJUST_CHOICES, DIRECTIONS, METRICS, TEXT_FIELDS
from fmtui.core.spec import SpecError
from fmtui.core.status import EntryStatus, RunStatus


def now_text() -> str:
    return datetime.now().strftime(TIME_FORMAT)


# ---------------------------------------------------------------- strict JSON


def to_json_safe(value: Any) -> Any:
    """Plain JSON values only: non-finite floats → None, numpy/torch scalars → Python."""
    kind = type(value)  # exact types first: every journal read walks every number
    if kind is str or kind is int or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if kind is list:
        return [to_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    item = getattr(value, "item", None)  # numpy and torch scalars
    if callable(item):
        try:
            return to_json_safe(item())
        except (ValueError, RuntimeError):
            pass
    tolist = getattr(value, "tolist", None)  # numpy arrays and tensors
    if callable(tolist):
        return to_json_safe(tolist())
    raise TypeError(f"cannot store a {type(value).__name__} in the journal")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_loads(text: str) -> Any:
    """`json.loads` that refuses NaN/Infinity, as any strict JSON reader would."""
    return json.loads(text, parse_constant=_reject_constant)


def dumps(data: Any) -> str:
    return json.dumps(
        to_json_safe(data), allow_nan=False, ensure_ascii=False, separators=(",", ":")
    )


# ---------------------------------------------------------------- entry model

# The key of an index record's run summary (see journal.arms); never an entry field.
INDEX_SUMMARY = "run_summary"


@dataclass
class Claim:
    """A specific hypothesis: the metric, which way it should move, against which arm."""

    metric: str = "test_acc"
    direction: str = "higher"
    baseline: str = ""
    alpha: float = 0.05
    margin: float = 0.005
    # Multiplicity: "auto" is Holm, or Benjamini–Hochberg when the claim is exploratory.
    adjust: str = "auto"
    exploratory: bool = False
    # Seeds until decided: 0 = a fixed number of seeds; futility below this effect.
    max_seeds: int = 0
    smallest_effect: float = 0.0

    def __post_init__(self) -> None:
        from fmtui.core.spec import parse_choice, parse_float, parse_int

        # Lenient on purpose: the form gives text ("0.05", "Higher"); files go through
        # `from_dict`, which holds them to the schema first.
        self.metric = parse_choice("metric", self.metric, METRICS)
        self.direction = parse_choice("direction", self.direction, DIRECTIONS)
        self.baseline = schema.text(80)("baseline", self.baseline)
        self.alpha = parse_float("alpha", self.alpha, 0.0, 0.5, lo_open=True)
        self.margin = parse_float("margin", self.margin, 0.0, 1.0)
        self.adjust = parse_choice("adjust", self.adjust, ADJUST_CHOICES)
        if not isinstance(self.exploratory, bool):
            raise SpecError("exploratory", f"expected true or false, got {self.exploratory!r}")
        self.max_seeds = parse_int("max_seeds", self.max_seeds, 0, 100)
        self.smallest_effect = parse_float("smallest_effect", self.smallest_effect, 0.0, 1.0)

    @property
    def adjustment(self) -> str:
        """The multiplicity adjustment in force: holm, bh, dunnett or none."""
        if self.adjust != "auto":
            return self.adjust
        return "bh" if self.exploratory else "holm"

    @classmethod
    def from_dict(cls, data: Any) -> Claim | None:
        checked = schema.CLAIM("claim", data)
        return None if checked is None else cls(**checked)


def _stored(name: str, value: Any) -> Any:
    """Plain JSON first (numpy scalars, NaN from a diverged run become null), then the schema."""
    try:
        return schema.check_field(name, to_json_safe(value))
    except TypeError as err:
        raise SpecError(name, str(err)) from None
    except RecursionError:
        raise SpecError(name, "nested too deeply") from None


@dataclass
class Entry:
    """One experiment in the journal, from drafted hypothesis to conclusion.

    Every field is checked against `fmtui.core.schema.ENTRY` on construction, so an
    Entry in hand is one every reader can show.
    """

    title: str = ""
    objective: str = ""
    hypothesis: str = ""
    methodology: str = ""
    results: str = ""
    evaluation: str = ""
    conclusion: str = ""
    tags: list[str] = field(default_factory=list)
    status: str = EntryStatus.DRAFT
    claim: Claim | None = None
    experiment: dict[str, Any] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    verdict: str | None = None
    stats: dict[str, Any] | None = None
    origin: str = "fmtui"  # fmtui | imported
    parent_id: int | None = None
    # Why a rerun has no parent_id (its original was not imported with it), shown to readers.
    link_note: str = ""
    # The last rerun check against the parent: see fmtui.core.reproduce.
    reproduction: dict[str, Any] | None = None
    pid: int | None = None
    created: str = field(default_factory=now_text)
    updated: str = field(default_factory=now_text)
    id: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "claim":
                if not isinstance(value, Claim):
                    self.claim = Claim.from_dict(value)
                continue
            if f.name == "tags" and isinstance(value, tuple):
                value = list(value)
            setattr(self, f.name, _stored(f.name, value))
        self.tags = list(dict.fromkeys(t.strip() for t in self.tags if t.strip()))

    @property
    def runs_are_summaries(self) -> bool:
        """True for an entry read from the index alone (list, search): its runs lack the
        bulky fields (epochs, confusion…); `Journal.get` gives the whole entry."""
        return bool(self.__dict__.get("_summaries", False))

    def mark_summaries(self) -> Entry:
        # Not a dataclass field: never stored, exported or compared.
        self.__dict__["_summaries"] = True
        return self

    @property
    def runs_note(self) -> str:
        """Why some run data is missing (a damaged run log moved aside), or ""."""
        return str(self.__dict__.get("_runs_note", ""))

    def mark_runs_note(self, note: str) -> None:
        self.__dict__["_runs_note"] = note

    @property
    def run_summary(self) -> dict[str, Any] | None:
        """The index's summary of the runs (see journal.arms), on an entry of summaries."""
        summary = self.__dict__.get("_run_summary")
        return summary if self.runs_are_summaries and isinstance(summary, dict) else None

    @property
    def run_count(self) -> int:
        """How many runs the entry has, whether or not they are loaded."""
        summary = self.run_summary
        return int(summary["count"]) if summary is not None else len(self.runs)

    @property
    def reuse_keys(self) -> set[str]:
        """The reuse keys of the completed runs (see runner.reuse)."""
        summary = self.run_summary
        if summary is not None:
            return set(summary["reuse_keys"])
        return {
            r["reuse_key"]
            for r in self.runs
            if r.get("status") == RunStatus.COMPLETED and isinstance(r.get("reuse_key"), str)
        }

    @property
    def best_accuracy(self) -> float | None:
        summary = self.run_summary
        if summary is not None:
            best = summary["best"]
            return float(best) if isinstance(best, int | float) else None
        values = [r.get("test_acc") for r in self.runs if r.get("status") == RunStatus.COMPLETED]
        accs: list[float] = [a for a in values if isinstance(a, int | float)]
        return max(accs) if accs else None

    def text(self) -> str:
        """Everything searchable, lower-cased."""
        parts = [self.title, *(getattr(self, n) for n in TEXT_FIELDS), " ".join(self.tags)]
        summary = self.run_summary
        arms = summary["arms"] if summary is not None else self.runs
        parts += [str(a.get("arm", "")) for a in arms]
        return "\n".join(parts).lower()

    def to_dict(self) -> dict[str, Any]:
        # Not `asdict`: its deep copy of every run cost more than the save; to_json_safe
        # builds new containers all the way down, so the result shares nothing with self.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["claim"] = asdict(self.claim) if self.claim else None
        return to_json_safe(data)

    @classmethod
    def trusted(cls, data: Mapping[str, Any], entry_id: int) -> Entry | None:
        """An entry of summaries from the journal's own sealed index record, without
        checking it again (see journal.index_seal); None when the record is not one
        fmtui wrote whole. Its runs are left in the run log."""
        if data.keys() != _INDEX_FIELDS:
            return None
        claim = data["claim"]
        if claim is not None and (not isinstance(claim, dict) or claim.keys() != _CLAIM_FIELDS):
            return None
        entry = cls.__new__(cls)
        values = entry.__dict__
        values.update(data)
        values["_run_summary"] = values.pop(INDEX_SUMMARY)
        values["runs"] = []
        values["_summaries"] = True
        entry.id = entry_id
        if claim is not None:
            entry.claim = Claim.__new__(Claim)
            entry.claim.__dict__.update(claim)
        return entry

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], entry_id: int | None = None) -> Entry:
        """An entry from stored or imported data; unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise SpecError("entry", f"expected an object, got {type(data).__name__}")
        schema.check_entry_keys(data)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if entry_id is not None:
            values["id"] = entry_id
        return cls(**values)


_STORED_FIELDS = frozenset(f.name for f in fields(Entry)) - {"id"}
# An index record: every stored field but the runs, which the run summary stands for.
_INDEX_FIELDS = (_STORED_FIELDS - {"runs"}) | {INDEX_SUMMARY}
_CLAIM_FIELDS = frozenset(f.name for f in fields(Claim))
