"""Provides `fmtui journal check`: every run log verified against its checksums and entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fmtui.core.journal.api import Journal
from fmtui.core.journal.model import Entry
from fmtui.core.journal.runlog import RunLogDamaged, read_log
from fmtui.core.journal_errors import JournalError
from fmtui.core.spec import SpecError

_LOG_NAME = re.compile(r"(\d+)\.jsonl")
_MOVED_NAME = re.compile(r"(\d+)\.jsonl\.corrupt-.*")


@dataclass
class CheckReport:
    """One line per entry (and per stray file); `problems` counts the lines that need action."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"ok       {text}")

    def note(self, text: str) -> None:
        self.lines.append(f"note     {text}")

    def problem(self, text: str) -> None:
        self.lines.append(f"PROBLEM  {text}")
        self.problems += 1


def check_journal(journal: Journal) -> CheckReport:
    """Read every run log in full: checksums, run counts, and logs without entries."""
    report = CheckReport()
    logs = journal._logs
    summaries = {e.id or 0: e for e in journal.summaries()}
    for entry_id, reason in journal.damaged():
        report.problem(f"entry {entry_id}: damaged in the index: {reason}")
    for entry_id, entry in sorted(summaries.items()):
        path = logs.path(entry_id)
        try:
            found = read_log(path)
        except RunLogDamaged as err:
            report.problem(
                f"entry {entry_id}: {err} Opening the entry for writing moves the log aside "
                "and keeps the runs' summaries."
            )
            continue
        except JournalError as err:
            report.problem(f"entry {entry_id}: {err}")
            continue
        runs = entry.run_count
        if found is None:
            if runs and entry.id not in journal._inline_runs:
                report.problem(f"entry {entry_id}: {runs} run(s) but the run log {path} is missing")
            else:
                report.ok(f"entry {entry_id}: {runs} run(s), no run log needed")
            continue
        text = f"entry {entry_id}: {runs} run(s), {found.lines} log line(s) verified"
        if found.good_end < found.size:
            report.note(f"{text}; a torn last line (an interrupted write) is ignored")
        elif len(found.runs) > runs:
            report.note(f"{text}; the log has {len(found.runs)} runs (a run started unsaved)")
        elif len(found.runs) < runs:
            report.problem(f"{text}; the log has only {len(found.runs)} of them")
        else:
            report.ok(text)
        try:  # every field of every run against the schema, as an import would check it
            Entry.from_dict(journal.get(entry_id).to_dict())
        except JournalError as err:
            report.problem(f"entry {entry_id}: {err}")
        except SpecError as err:
            report.problem(f"entry {entry_id}: its run log holds a value out of range: {err}")
    _check_stray_files(journal, set(summaries), report)
    return report


def _check_stray_files(journal: Journal, known: set[int], report: CheckReport) -> None:
    folder = journal._logs.folder
    if not folder.is_dir():
        return
    damaged = {entry_id for entry_id, _ in journal.damaged()}
    for path in sorted(folder.iterdir()):
        if (match := _LOG_NAME.fullmatch(path.name)) is not None:
            entry_id = int(match.group(1))
            if entry_id not in known and entry_id not in damaged:
                report.problem(f"run log {path} belongs to no entry (delete it or restore one)")
        elif _MOVED_NAME.fullmatch(path.name) is not None:
            report.note(f"a damaged run log was moved aside to {path}")
