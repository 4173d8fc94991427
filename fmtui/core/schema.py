"""Provides the one schema of a journal entry and its runs, as a declarative table.

Every entry that reaches the journal, from the app, the engine, an import or a file
edited by hand, is checked against the tables below: types, ranges, lengths and the
keys allowed. A check returns the value as it is stored (or raises a SpecError naming
the field by its path, like `runs[2].arm`, and the accepted range), so readers can
trust what they get and a damaged entry is reported instead of crashing a screen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fmtui.core.checks import (
    MAX_NAME,
    MAX_NOTE,
    Check,
    boolean,
    choice,
    free,
    integer,
    list_of,
    mapping,
    number,
    optional_text,
    record,
    scalar,
    shown,
    spec_of,
    text,
    time_text,
)
from fmtui.core.spec import (
    MAX_ARMS,
    MAX_EPOCHS,
    MAX_SEEDS,
    ExperimentSpec,
    RunSpec,
    SpecError,
)
from fmtui.core.status import STORED_RUN_STATUSES, EntryStatus, RunStatus

ENTRY_STATUSES = tuple(s.value for s in EntryStatus)  # plain text: shown in messages
RUN_STATUSES = tuple(s.value for s in STORED_RUN_STATUSES)
VERDICTS = ("supported", "contradicted", "inconclusive", "not tested")
ORIGINS = ("fmtui", "imported")
METRICS = ("test_acc", "val_acc", "duration_s")
DIRECTIONS = ("higher", "lower", "same", "increasing", "decreasing")
ADJUST_CHOICES = ("auto", "holm", "bh", "dunnett", "none")
ADJUSTMENTS = ("holm", "bh", "dunnett", "none")  # what "auto" resolves to, or none
TEXT_FIELDS = ("objective", "hypothesis", "methodology", "results", "evaluation", "conclusion")

MAX_TEXT = 100_000  # characters in one text field (Objective … Conclusion)
MAX_TITLE = 300
MAX_TAGS = 100
MAX_RUNS = MAX_ARMS * MAX_SEEDS
MAX_ID = 10**9
MAX_PID = 2**31 - 1
MAX_COUNT = 10**12  # parameters, confusion counts, test indices


# ---------------------------------------------------------------- the tables

EPOCH = record(
    {
        "epoch": integer(1, MAX_EPOCHS),
        "train_loss": number(0),
        "train_acc": number(0, 1),
        "val_loss": number(0),
        "val_acc": number(0, 1),
        "seconds": number(0),
    }
)


def reuse_key_text(path: str, value: Any) -> Any:
    """A run's reuse key: 'sha256:' and 64 lowercase hex digits."""
    if not isinstance(value, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", value):
        raise SpecError(path, f"expected 'sha256:' and 64 hex digits, got {shown(value)}")
    return value


REUSED_FROM = record(
    {
        "entry_id": integer(1, MAX_ID),
        "arm": text(MAX_NAME, null=False),
        "repeat": integer(0, MAX_SEEDS - 1),
    },
    required=("entry_id", "arm", "repeat"),
)

RUN = record(
    {
        "arm": text(MAX_NAME),
        "repeat": integer(0, MAX_SEEDS - 1),
        "spec": spec_of(RunSpec, null=False),
        "status": choice(RUN_STATUSES),
        "error": optional_text(MAX_NOTE),
        "device": optional_text(MAX_NAME),
        "parameters": integer(0, MAX_COUNT),
        "environment": mapping(scalar, 64),
        "epochs": list_of(EPOCH, MAX_EPOCHS),
        "best_epoch": integer(1, MAX_EPOCHS, null=True),
        "stopped_early": boolean(),
        "test_loss": number(0),
        "test_acc": number(0, 1),
        "per_class_acc": list_of(number(0, 1), 10, null=True),
        "confusion": list_of(list_of(integer(0, MAX_COUNT), 10), 10, null=True),
        "misclassified": list_of(list_of(integer(0, MAX_COUNT), 3, exact=3), 10_000),
        "duration_s": number(0),
        "seed": integer(0, 2**31 - 1),  # JSON summaries carry it beside the spec
        "reuse_key": reuse_key_text,  # what fixes its numbers, hashed (runner/reuse.py)
        "reused_from": REUSED_FROM,  # the run it was copied from instead of training
        # The journal's index keeps it in place of the epochs (see journal.runlog).
        "epoch_count": integer(0, MAX_EPOCHS),
    },
    required=("spec",),
)

CLAIM_FIELDS: dict[str, Check] = {
    "metric": choice(METRICS),
    "direction": choice(DIRECTIONS),
    "baseline": text(MAX_NAME),
    "alpha": number(0, 0.5, null=False),
    "margin": number(0, 1, null=False),
    "adjust": choice(ADJUST_CHOICES),
    "exploratory": boolean(null=False),
    "max_seeds": integer(0, MAX_SEEDS),
    "smallest_effect": number(0, 1, null=False),
}
CLAIM = record(CLAIM_FIELDS, null=True)
# A verdict's stats keep the claim it was judged on, with the adjustment then in force.
JUDGED_CLAIM = record({**CLAIM_FIELDS, "adjustment": choice(ADJUSTMENTS)}, null=True)

PER_SEED = record(
    {
        "arm": text(MAX_NAME),
        "seed": integer(0, 2**31 - 1),
        "run_id": text(MAX_NAME),
        "value": number(),
    }
)

COMPARISON = record(
    {
        "variant": text(MAX_NAME),
        "baseline": text(MAX_NAME),
        "metric": choice(METRICS),
        "direction": choice(DIRECTIONS),
        "n_variant": integer(0, MAX_SEEDS),
        "n_baseline": integer(0, MAX_SEEDS),
        **{
            name: number()
            for name in (
                "mean_variant",
                "mean_baseline",
                "sd_variant",
                "sd_baseline",
                "difference",
                "ci_low",
                "ci_high",
                "p_value",
                "cohens_d",
            )
        },
        "seeds_needed": integer(0, MAX_COUNT, null=True),
        "verdict": choice(VERDICTS),
        "reason": text(MAX_NOTE),
        "test": text(MAX_NAME),
        "paired": boolean(),
        "hedges_g": number(),
        "alpha": number(0, 0.5),
        "margin": number(0, 1),
        "p_adjusted": number(),
        "adjustment": choice(ADJUSTMENTS),
        "p_beyond": number(),
        "metric_label": text(MAX_NOTE),
        "per_seed": list_of(PER_SEED, MAX_RUNS),
    }
)

PLATEAU = record(
    {
        "metric": choice(METRICS),
        "best": text(MAX_NAME),
        "best_mean": number(),
        "plateau": list_of(text(MAX_NAME), MAX_ARMS),
        "tested": boolean(),
        "reason": text(MAX_NOTE),
    }
)

STATS = record(
    {
        "claim": JUDGED_CLAIM,
        "comparisons": list_of(COMPARISON, MAX_ARMS),
        "plateau": PLATEAU,
        "trend": free(),
        "sequential": free(),
    },
    null=True,
)

ENTRY: dict[str, Check] = {
    "title": text(MAX_TITLE),
    **{name: text(MAX_TEXT) for name in TEXT_FIELDS},
    "tags": list_of(text(MAX_NAME, null=False), MAX_TAGS),
    "status": choice(ENTRY_STATUSES),
    "claim": CLAIM,
    "experiment": spec_of(ExperimentSpec, null=True),
    "runs": list_of(lambda path, value: check_run(value, path), MAX_RUNS),
    "verdict": choice(VERDICTS, null=True),
    "stats": STATS,
    "origin": choice(ORIGINS),
    "parent_id": integer(1, MAX_ID, null=True),
    "pid": integer(1, MAX_PID, null=True),
    "created": time_text(),
    "updated": time_text(),
    "id": integer(1, MAX_ID, null=True),
    "link_note": text(MAX_TITLE),
    "reproduction": free(),
}
# Keys an export adds beside an entry's own; accepted and dropped on import.
EXPORT_ONLY: dict[str, Check] = {"rerun_command": optional_text(MAX_TEXT)}


def check_field(name: str, value: Any) -> Any:
    """One entry field, checked and normalised; SpecError names the field."""
    return ENTRY[name](name, value)


def check_run(value: Any, path: str = "run") -> dict[str, Any]:
    """One run, checked against RUN; the defaults every reader relies on are filled in."""
    run = RUN(path, value)
    run.setdefault("arm", "")
    run.setdefault("repeat", 0)
    run.setdefault("status", RunStatus.FAILED.value)
    run.setdefault("epochs", [])
    return run


def check_entry_keys(data: Mapping[str, Any], path: str = "entry") -> None:
    """Refuse keys that are neither an entry's fields nor an export's additions."""
    unknown = [k for k in data if k not in ENTRY and k not in EXPORT_ONLY]
    if unknown:
        raise SpecError(
            f"{path}.{unknown[0]}" if isinstance(unknown[0], str) else path,
            f"unknown field; allowed: {', '.join(ENTRY)}",
        )
    for name, check in EXPORT_ONLY.items():
        if name in data:
            check(name, data[name])


# ---------------------------------------------------------------- import limits

MAX_IMPORT_BYTES = 100 * 2**20  # an import file larger than 100 MiB is refused unread
MAX_IMPORT_ENTRIES = 100_000


class ImportLimitError(ValueError):
    """A file beyond the import limits; the message says which limit."""


def read_import(path: Path) -> str:
    """The text of a file to import, refusing one over MAX_IMPORT_BYTES before reading it.

    At most the limit plus one byte is read, so a file that grows, a pipe or a device
    cannot make the reader hold more than the limit either.
    """
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise ImportLimitError(
            f"the file is {size:,} bytes; imports are limited to {MAX_IMPORT_BYTES:,} bytes "
            "(100 MiB): split it into several exports"
        )
    with path.open("rb") as fh:
        raw = fh.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportLimitError(f"the file holds more than {MAX_IMPORT_BYTES:,} bytes (100 MiB)")
    return raw.decode("utf-8")


def check_entry_count(count: int) -> None:
    """An import holds 1 to MAX_IMPORT_ENTRIES entries."""
    if count == 0:
        raise ImportLimitError("the file holds no entries; nothing was imported")
    if count > MAX_IMPORT_ENTRIES:
        raise ImportLimitError(
            f"the file holds {count:,} entries; at most {MAX_IMPORT_ENTRIES:,} can be imported "
            "at once"
        )


def entry_label(number: int, data: Any) -> str:
    """How an import message names an entry: its place in the file and its title."""
    title = data.get("title") if isinstance(data, Mapping) else None
    return f"entry {number} ({shown(title, 50)})" if isinstance(title, str) else f"entry {number}"
