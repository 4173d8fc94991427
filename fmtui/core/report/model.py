"""Provides the report record (title, entries in order, the researcher's prose) and its store.

A report lives in the journal file's own `reports` table, so it is saved by the same
lock and atomic write as the entries, and the entries table is never touched.
Every field is validated on the way in and on the way out: a hand-edited journal
cannot smuggle a wrong type or an oversized text into an export.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from fmtui.core.errors import FieldError
from fmtui.core.journal import Journal, JournalError, now_text, to_json_safe

REPORTS_TABLE = "reports"
PROSE_FIELDS = ("preamble", "introduction", "method", "results", "discussion", "conclusion")
MAX_PROSE = 100_000
MAX_TITLE = 300
MAX_ENTRIES = 500
MAX_TAGS = 20
LAYOUT_RE = re.compile(r"^[A-Za-z0-9_-]{0,40}$")
TAG_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,40}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def _text(name: str, value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(name, f"expected text, got {type(value).__name__}")
    if len(value) > limit:
        raise FieldError(name, f"at most {limit} characters, got {len(value)}")
    return value


def _entry_ids(value: Any) -> list[int]:
    if not isinstance(value, list | tuple):
        raise FieldError("entries", "expected a list of entry ids")
    if len(value) > MAX_ENTRIES:
        raise FieldError("entries", f"at most {MAX_ENTRIES} entries, got {len(value)}")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 10**9:
            raise FieldError("entries", f"entry ids are whole numbers from 1 to 10^9, got {item!r}")
        if item in ids:
            raise FieldError("entries", f"entry {item} is listed twice")
        ids.append(item)
    return ids


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise FieldError("tags", "expected words like machine-learning report")
    tags = list(dict.fromkeys(t.strip() for t in value if t.strip()))
    if len(tags) > MAX_TAGS:
        raise FieldError("tags", f"at most {MAX_TAGS} tags, got {len(tags)}")
    for tag in tags:
        if not TAG_RE.match(tag):
            raise FieldError(
                "tags", f"a tag is 1–40 letters, digits or _ . + - (no spaces), got {tag!r}"
            )
    return tags


@dataclass
class Report:
    """A document built from journal entries: the prose is the researcher's, the rest generated."""

    title: str = ""
    entry_ids: list[int] = field(default_factory=list)
    preamble: str = ""
    introduction: str = ""
    method: str = ""
    results: str = ""
    discussion: str = ""
    conclusion: str = ""
    front_matter: bool = False
    layout: str = ""
    tags: list[str] = field(default_factory=list)
    created: str = field(default_factory=now_text)
    updated: str = field(default_factory=now_text)
    id: int | None = None

    def __post_init__(self) -> None:
        self.title = _text("title", self.title, MAX_TITLE)
        if not self.title.strip():
            raise FieldError("title", "a report needs a title (1 to 300 characters)")
        self.entry_ids = _entry_ids(self.entry_ids)
        for name in PROSE_FIELDS:
            setattr(self, name, _text(name, getattr(self, name), MAX_PROSE))
        if not isinstance(self.front_matter, bool):
            raise FieldError("front_matter", "expected true or false")
        self.layout = _text("layout", self.layout, 40)
        if not LAYOUT_RE.match(self.layout):
            raise FieldError("layout", f"letters, digits, _ or - (up to 40), got {self.layout!r}")
        self.tags = _tags(self.tags)
        for name in ("created", "updated"):
            value = getattr(self, name)
            if not isinstance(value, str) or not TIME_RE.match(value):
                raise FieldError(name, f"expected a time like 2025-10-07 15:00:51, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return to_json_safe(asdict(self))

    @classmethod
    def from_dict(cls, data: Any, report_id: int | None = None) -> Report:
        if not isinstance(data, Mapping):
            raise FieldError("report", f"expected an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if report_id is not None:
            values["id"] = report_id
        return cls(**values)


class Reports:
    """The reports of one journal: add, update, get, list, delete."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def _check_entries(self, report: Report) -> None:
        """Every listed entry must exist now (a report of nothing is allowed)."""
        missing = []
        for entry_id in report.entry_ids:
            try:
                self.journal.get(entry_id)
            except JournalError:
                missing.append(entry_id)
        if missing:
            listed = ", ".join(str(i) for i in missing)
            raise FieldError("entries", f"no entry {listed} in the journal (see journal list)")

    def add(self, report: Report) -> int:
        data = report.to_dict()
        data.pop("id", None)
        with self.journal.table(REPORTS_TABLE, write=True) as table:
            self._check_entries(report)  # under the lock: no entry vanishes meanwhile
            report.id = table.insert(data)
        return report.id

    def update(self, report: Report) -> None:
        """Save an existing report, stamping `updated`; on failure nothing changes."""
        previous = report.updated
        report.updated = now_text()
        data = report.to_dict()
        data.pop("id", None)
        try:
            with self.journal.table(REPORTS_TABLE, write=True) as table:
                self._check_entries(report)
                if report.id is None or not table.contains(doc_id=report.id):
                    raise JournalError(f"No report {report.id} in the journal.")
                table.update(_replace_with(data), doc_ids=[report.id])  # one write
        except BaseException:
            report.updated = previous
            raise

    def get(self, report_id: int) -> Report:
        with self.journal.table(REPORTS_TABLE) as table:
            doc = table.get(doc_id=report_id)
        if doc is None:
            raise JournalError(f"No report {report_id} in the journal {self.journal.path}.")
        try:
            return Report.from_dict(doc, report_id)
        except (FieldError, TypeError) as err:
            raise JournalError(f"Report {report_id} in the journal is damaged: {err}") from None

    def all(self) -> list[Report]:
        with self.journal.table(REPORTS_TABLE) as table:
            docs = [(doc.doc_id, dict(doc)) for doc in table.all()]
        out = []
        for doc_id, doc in docs:
            try:
                out.append(Report.from_dict(doc, doc_id))
            except (FieldError, TypeError):
                continue  # a damaged record is skipped in lists; `get` names it
        return out

    def delete(self, report_id: int) -> None:
        with self.journal.table(REPORTS_TABLE, write=True) as table:
            if not table.contains(doc_id=report_id):
                raise JournalError(f"No report {report_id} in the journal.")
            table.remove(doc_ids=[report_id])


def _replace_with(data: dict[str, Any]) -> Callable[[MutableMapping[Any, Any]], None]:
    """A TinyDB update that replaces the whole record (fields removed stay removed)."""

    def transform(doc: MutableMapping[Any, Any]) -> None:
        doc.clear()
        doc.update(copy.deepcopy(data))

    return transform


def parse_entry_ids(texts: Sequence[str]) -> list[int]:
    """Entry ids typed as `3 5 7`, `3,5,7`, `1-12` or repeated flags."""
    ids: list[Any] = []
    for text in texts:
        for part in text.replace(",", " ").split():
            first, dash, last = part.partition("-")
            if not first.isdigit() or (dash and not last.isdigit()):
                raise FieldError(
                    "entries", f"entry ids are whole numbers or ranges like 1-12, got {part!r}"
                )
            if not dash:
                ids.append(int(first))
                continue
            lo, hi = int(first), int(last)
            if not lo <= hi or hi - lo >= MAX_ENTRIES:
                raise FieldError("entries", f"a range goes up, at most {MAX_ENTRIES} ids: {part!r}")
            ids += range(lo, hi + 1)
    return _entry_ids(ids)
