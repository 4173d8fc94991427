"""Provides journal export (seed-format Markdown, JSON, CSV) and import (Markdown, JSON).

The Markdown is the journal format of the report fmtui replaces:

    #### 2025-10-07 15:00:51 Title

    **Objective:**
    text
    …
    **Conclusion:**
    text

User text is data: a line of a field that would read as an entry or section heading
is escaped with a backslash (and unescaped on import), newlines in a title are written
as `\\n`, and table cells escape `|`, so every export imports back to the same text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from fmtui import __version__
from fmtui.core import schema
from fmtui.core.errors import FieldError
from fmtui.core.events import RunResult
from fmtui.core.journal import Entry, Journal, JournalError, epoch_count, now_text, to_json_safe
from fmtui.core.markdown_table import markdown_table
from fmtui.core.run_command import run_command
from fmtui.core.runs import completed_values, entry_runs
from fmtui.core.spec import RunSpec, SpecError, format_layers
from fmtui.core.status import EntryStatus, RunStatus
from fmtui.core.verdict_export import VERDICT_COLUMNS, csv_columns, verdict_markdown

FORMATS = ("md", "json", "csv")
JSON_FORMAT = "fmtui-journal"
JSON_FORMAT_VERSION = 1
SECTIONS = (
    ("Objective", "objective"),
    ("Hypothesis", "hypothesis"),
    ("Methodology", "methodology"),
    ("Results", "results"),
    ("Evaluation", "evaluation"),
    ("Conclusion", "conclusion"),
)
_HEADINGS = "|".join(h for h, _ in SECTIONS)
ENTRY_RE = re.compile(r"^#### (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (.*)$")
SECTION_RE = re.compile(rf"^\*\*({_HEADINGS}):\*\*\s*$")
OUTER_HEADING_RE = re.compile(r"^#{1,3} ")
# A field line that would be read as structure: escaped by one more backslash.
STRUCTURE_RE = re.compile(rf"^(\\*)(#{{1,4}} |\*\*({_HEADINGS}):\*\*\s*$)")
ESCAPED_RE = re.compile(rf"^\\(\\*(#{{1,4}} |\*\*({_HEADINGS}):\*\*\s*$))")


class ImportFileError(JournalError):
    """A file that cannot be imported; nothing was added to the journal."""


# ---------------------------------------------------------------- Markdown


def escape_title(title: str) -> str:
    return title.replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n")


def unescape_title(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def escape_body(text: str) -> str:
    return "\n".join(STRUCTURE_RE.sub(r"\\\1\2", line) for line in text.split("\n"))


def unescape_body(text: str) -> str:
    return "\n".join(ESCAPED_RE.sub(r"\1", line) for line in text.split("\n"))


# Spec fields worth a column when they differ between arms (layers has its own).
_COMPARABLE = [f.name for f in fields(RunSpec) if f.name not in ("layers", "seed")]


def _format_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def used_value(spec: dict[str, Any], name: str) -> Any:
    """A spec field's value, or None where the run ignores it (Adam has no momentum)."""
    if name == "momentum" and spec.get("optimizer") != "sgd":
        return None
    if name in ("monitor", "min_delta") and not spec.get("patience"):
        return None  # early stopping is off
    return spec.get(name)


def arms_table(entry: Entry) -> str:
    """The Results table: one row per arm, mean ± sd over seeds when there are several."""
    by_arm: dict[str, list[RunResult]] = {}
    for run in entry_runs(entry):
        by_arm.setdefault(run.arm, []).append(run)
    if not by_arm:
        return ""
    specs = {arm: runs[0].spec.to_dict() for arm, runs in by_arm.items()}
    differing = [
        name for name in _COMPARABLE if len({repr(used_value(s, name)) for s in specs.values()}) > 1
    ]
    headers = ["Arm", "Architecture", *differing, "Seeds", "Test accuracy", "Epochs run"]
    rows = []
    for arm, runs in by_arm.items():
        spec = specs[arm]
        accs = completed_values(runs, "test_acc")
        if not accs:
            states = sorted({r.status.value for r in runs})
            acc_text = f"— ({', '.join(states)})"
        elif len(accs) == 1:
            acc_text = f"{accs[0]:.4f}"
        else:
            acc_text = f"{statistics.fmean(accs):.4f} ± {statistics.stdev(accs):.4f}"
        # Counted on the stored runs: a summary (the journal's index) keeps the count only.
        epochs = [
            epoch_count(r)
            for r in entry.runs
            if r.get("arm") == arm and r.get("status") == RunStatus.COMPLETED
        ]
        epoch_text = f"{statistics.fmean(epochs):g}" if epochs else "—"
        rows.append(
            [
                arm,
                format_layers(spec["layers"]),
                *(_format_value(used_value(spec, name)) for name in differing),
                f"{len(accs)}/{len(runs)}" if len(accs) != len(runs) else str(len(runs)),
                acc_text,
                epoch_text,
            ]
        )
    return markdown_table(headers, rows)


def result_notes(entry: Entry) -> list[str]:
    """Lines under Results: the stored rerun check and a rerun link that was lost."""
    from fmtui.core.reproduce import describe

    notes = []
    if entry.link_note:
        notes.append(escape_body(f"Note: {entry.link_note}."))
    checked = describe(entry.reproduction)
    if checked:
        notes.append(escape_body(checked))
    return notes


def entry_markdown(entry: Entry) -> str:
    """One entry in the seed's journal format (no trailing newline)."""
    lines = [f"#### {entry.created} {escape_title(entry.title)}", ""]
    for heading, name in SECTIONS:
        text = escape_body(getattr(entry, name))
        if name == "results" and entry.runs:
            table = arms_table(entry)
            text = f"{text}\n\n{table}" if text.strip() else table
        if name == "results":
            notes = "\n".join(result_notes(entry))
            text = f"{text}\n\n{notes}" if text.strip() and notes else text or notes
        if name == "evaluation" and (verdicts := verdict_markdown(entry)):
            text = f"{text}\n\n{verdicts}" if text.strip() else verdicts
        lines += [f"**{heading}:**", text, ""] if text else [f"**{heading}:**", ""]
    return "\n".join(lines).rstrip("\n")


def to_markdown(entries: Iterable[Entry]) -> str:
    return "\n\n".join(entry_markdown(e) for e in entries) + "\n"


def parse_markdown(text: str) -> list[Entry]:
    """Entries written in the seed's journal format, as historical (imported) entries."""
    entries: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    section: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        match = ENTRY_RE.match(line)
        if match:
            current = {"created": match.group(1), "title": unescape_title(match.group(2))}
            current["_sections"] = {}
            entries.append(current)
            section = None
            continue
        if current is None:
            continue
        if OUTER_HEADING_RE.match(line):
            current = None
            section = None
            continue
        head = SECTION_RE.match(line)
        if head:
            section = dict(SECTIONS)[head.group(1)]
            current["_sections"][section] = []
            continue
        if section is not None:
            current["_sections"][section].append(line)
    if entries:  # counted before any is checked: a million entries are refused at once
        try:
            schema.check_entry_count(len(entries))
        except schema.ImportLimitError as err:
            raise ImportFileError(str(err)) from None
    out = []
    for number, raw in enumerate(entries, start=1):
        values: dict[str, Any] = {"title": raw["title"], "origin": "imported"}
        for name, lines in raw["_sections"].items():
            while lines and not lines[0].strip():
                lines.pop(0)
            while lines and not lines[-1].strip():
                lines.pop()
            values[name] = unescape_body("\n".join(lines))
        values["status"] = (
            EntryStatus.COMPLETED if values.get("results", "").strip() else EntryStatus.DRAFT
        ).value
        values["created"] = values["updated"] = raw["created"]
        try:
            out.append(Entry.from_dict(values))
        except SpecError as err:
            raise ImportFileError(f"{schema.entry_label(number, raw)}: {err}") from None
    return out


# ---------------------------------------------------------------- JSON


def to_json(entries: Iterable[Entry]) -> str:
    doc = {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "fmtui": __version__,
        "exported": now_text(),
        "entries": [e.to_dict() | {"rerun_command": run_command(e)} for e in entries],
    }
    return json.dumps(to_json_safe(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def parse_json(text: str) -> list[Entry]:
    try:
        doc = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError as err:
        raise ImportFileError(f"not valid JSON: {err}") from None
    except RecursionError:
        raise ImportFileError("not an fmtui journal export: values nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise ImportFileError(f'not an fmtui journal export (expected "format": "{JSON_FORMAT}")')
    version = doc.get("format_version")
    if not isinstance(version, int) or version > JSON_FORMAT_VERSION:
        raise ImportFileError(
            f"export format version {version!r} is newer than this fmtui reads "
            f"({JSON_FORMAT_VERSION}); upgrade fmtui"
        )
    if not isinstance(doc.get("entries"), list):
        raise ImportFileError("the export holds no list of entries")
    try:
        schema.check_entry_count(len(doc["entries"]))
    except schema.ImportLimitError as err:
        raise ImportFileError(str(err)) from None
    out = []
    for number, data in enumerate(doc["entries"], start=1):
        try:
            entry = Entry.from_dict(data)
        except (SpecError, TypeError) as err:
            raise ImportFileError(f"{schema.entry_label(number, data)}: {err}") from None
        # The id it had in its file, so an import can relink reruns (it gets a new one).
        file_id = data.get("id") if isinstance(data, dict) else None
        entry.id = file_id if type(file_id) is int and file_id > 0 else None
        if type(entry.parent_id) is not int or entry.parent_id <= 0:
            entry.parent_id = None
        out.append(entry)
    return out


# ---------------------------------------------------------------- CSV

SPEC_COLUMNS = [f.name for f in fields(RunSpec)]
CSV_COLUMNS = [
    "entry_id",
    "title",
    "entry_status",
    "arm",
    "repeat",
    *SPEC_COLUMNS,
    "status",
    "epochs_run",
    "best_epoch",
    "stopped_early",
    "test_loss",
    "test_acc",
    "best_val_acc",
    "duration_s",
    "ran_on",
    "torch",
    "error",
    *VERDICT_COLUMNS,
]
# Measured values are rounded in CSV (a spreadsheet reads 0.8612 better than
# 0.8611999750137329); the JSON export keeps full precision. Spec values are inputs
# and stay exact (a learning rate of 1e-5 must not become 0).
CSV_DECIMALS = 4


def _rounded(value: Any) -> Any:
    return round(value, CSV_DECIMALS) if isinstance(value, float) else value


def _best_val_acc(run: dict[str, Any]) -> float | None:
    accs = [e.get("val_acc") for e in run.get("epochs") or []]
    return max((a for a in accs if isinstance(a, int | float)), default=None)


# OWASP's CSV-injection rule: a spreadsheet reads a cell starting with one of these
# as a formula (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`), so such text gets a leading `'`.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Text that is a plain number (`-0.5`, `+1e-3`) is a number to a spreadsheet, never a
# formula: it stays as it is so the column keeps sorting and summing as numbers.
_PLAIN_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """A value made safe for a spreadsheet cell: numbers as numbers, formulas as text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value  # int, float and bool print as themselves: no formula prefix to fear
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def to_csv(entries: Iterable[Entry]) -> str:
    """One row per run, every spec field in its own column; safe to open in a spreadsheet.

    Rows end in CR LF (RFC 4180): the csv module quotes a cell holding any character
    of the line terminator, so a bare CR inside a title is quoted instead of ending
    the row in a spreadsheet that reads CR as a line break.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        for run in entry.runs:
            spec = dict(run["spec"])
            spec["layers"] = format_layers(spec["layers"], compact=True)
            row = {
                "entry_id": entry.id,
                "title": entry.title,
                "entry_status": entry.status,
                "arm": run.get("arm", ""),
                "repeat": run.get("repeat", 0),
                **spec,
                "status": run.get("status"),
                "epochs_run": len(run.get("epochs") or []),
                "best_epoch": run.get("best_epoch"),
                "stopped_early": run.get("stopped_early"),
                "test_loss": _rounded(run.get("test_loss")),
                "test_acc": _rounded(run.get("test_acc")),
                "best_val_acc": _rounded(_best_val_acc(run)),
                "duration_s": _rounded(run.get("duration_s")),
                "ran_on": run.get("device"),
                "torch": (run.get("environment") or {}).get("torch"),
                "error": run.get("error"),
                **csv_columns(entry, run),
            }
            writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


# ---------------------------------------------------------------- selection and I/O


def export_text(entries: Sequence[Entry], fmt: str) -> str:
    if fmt == "md":
        return to_markdown(entries)
    if fmt == "json":
        return to_json(entries)
    if fmt == "csv":
        return to_csv(entries)
    raise FieldError("format", f"expected one of {', '.join(FORMATS)}, got {fmt!r}")


def write_entries(
    entries: Sequence[Entry], fmt: str, target: Path, *, journal: Path, overwrite: bool = False
) -> Path:
    """Write `entries` as `fmt` to the file `target` by write_export's rules (never onto
    the journal); raises TargetExists for a file the user must agree to replace."""
    from fmtui.core.export_target import write_export

    text = export_text(entries, fmt)
    return write_export(target, text, journal=journal, overwrite=overwrite) or target


def select(
    journal: Journal, ids: Sequence[int] | None = None, statuses: Sequence[str] | None = None
) -> list[Entry]:
    """The entries to export: by id (in the order given) or all, oldest first."""
    if ids:
        entries = [journal.get(i) for i in ids]
    else:
        entries = journal.full(journal.query(sort="date", reverse=False))
    if statuses:
        entries = [e for e in entries if e.status in set(statuses)]
    return entries


def parse_import(text: str, name: str = "") -> list[Entry]:
    """Entries from an export: JSON when it looks like JSON, else seed-format Markdown."""
    if name.lower().endswith(".json") or text.lstrip().startswith("{"):
        return parse_json(text)
    entries = parse_markdown(text)
    if not entries:
        raise ImportFileError(
            "no journal entries found; expected lines like "
            "'#### 2025-10-07 15:00:51 Title' followed by **Objective:** … **Conclusion:**"
        )
    return entries


def import_entries(journal: Journal, entries: Sequence[Entry]) -> list[int]:
    """Add validated entries in one write (all or nothing); returns their new ids."""
    return journal.add_many(entries)
