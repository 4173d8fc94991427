"""Provides the journal's recovery and migration: parse, salvage, schema versions, backups."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fmtui.core.journal.model import strict_loads
from fmtui.core.schema import TEXT_FIELDS
from fmtui.core.status import EntryStatus

SCHEMA_VERSION = 3
ENTRIES_TABLE = "entries"
META_TABLE = "_meta"


# ---------------------------------------------------------------- recovery


@dataclass(frozen=True)
class Recovery:
    """What happened when an unreadable journal was found."""

    path: Path
    moved_to: Path
    recovered: int
    reason: str

    def message(self) -> str:
        return (
            f"The journal {self.path} could not be read ({self.reason}). It was moved, "
            f"unchanged, to {self.moved_to}; {self.recovered} "
            f"entr{'y was' if self.recovered == 1 else 'ies were'} recovered into a fresh "
            f"journal at {self.path}."
        )


class _Invalid(Exception):
    pass


def _parse_journal(raw: bytes) -> dict[str, Any]:
    """The TinyDB document of a journal file, or _Invalid saying why not."""
    if not raw.strip():
        raise _Invalid("the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid("the file is not text") from None
    try:
        doc = strict_loads(text)
    except ValueError as err:
        raise _Invalid(f"not valid JSON: {err}") from None
    except RecursionError:
        raise _Invalid("not a journal: values nested too deeply") from None
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise _Invalid("not a journal: expected tables of entries")
    table = doc.get(ENTRIES_TABLE, {})
    for key, value in table.items():
        if not key.isdigit() or not isinstance(value, dict):
            raise _Invalid("not a journal: entries table holds something else")
    return doc


_KEY_RE = re.compile(r'\s*,?\s*"(\d+)"\s*:\s*')


def _salvage(raw: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Entries that can still be read from a damaged file, in file order."""
    try:
        return _salvage_text(raw.decode("utf-8", errors="replace"))
    except RecursionError:  # values nested thousands deep: nothing worth keeping
        return []


def _salvage_text(text: str) -> list[tuple[int, dict[str, Any]]]:
    decoder = json.JSONDecoder()  # lenient: NaN is read here and stored as null later
    # Trailing garbage: the first complete document may be intact.
    try:
        doc, _ = decoder.raw_decode(text.lstrip())
        if isinstance(doc, dict) and isinstance(doc.get(ENTRIES_TABLE), dict):
            return [
                (int(k), v)
                for k, v in doc[ENTRIES_TABLE].items()
                if k.isdigit() and isinstance(v, dict)
            ]
        if isinstance(doc, dict) and isinstance(doc.get("entries"), list):  # an export
            return [(0, v) for v in doc["entries"] if isinstance(v, dict)]
    except ValueError:
        pass
    # Truncated: read "id": {...} pairs one by one until the damage.
    table = re.search(rf'"{ENTRIES_TABLE}"\s*:\s*\{{', text)
    if table is None:
        return []
    pos = table.end()
    found = []
    while True:
        match = _KEY_RE.match(text, pos)
        if not match:
            break
        try:
            value, pos = decoder.raw_decode(text, match.end())
        except ValueError:
            break
        if isinstance(value, dict):
            found.append((int(match.group(1)), value))
    return found


# ---------------------------------------------------------------- migrations


def _migrate_0_to_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0: a TinyDB file with entries but no schema record (early files)."""
    entries = doc.get(ENTRIES_TABLE, {})
    for value in entries.values():
        value.setdefault("tags", [])
        value.setdefault("runs", [])
        value.setdefault(
            "status", EntryStatus.COMPLETED.value if value.get("runs") else EntryStatus.DRAFT.value
        )
        value.setdefault("origin", "fmtui")
        for name in TEXT_FIELDS:
            value.setdefault(name, "")
    return doc


def _migrate_1_to_2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 moves bulky run data to run logs; the opener writes them (see opening),
    and an entry whose runs stay inline (a read-only open) reads the same."""
    return doc


def _migrate_2_to_3(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 3 keeps no run in the index, only a summary per entry; the opener joins
    version 2's run summaries with their logs and writes whole runs (see opening)."""
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: _migrate_0_to_1,
    1: _migrate_1_to_2,
    2: _migrate_2_to_3,
}


class UnknownSchemaVersion(ValueError):
    """A schema_version that is not a whole number fmtui ever wrote ("99", 2.0, true, -1)."""


def _schema_version(doc: dict[str, Any]) -> int:
    """The stored schema version; 0 when there is none (early files).

    Only a non-negative JSON integer is a version: anything else stored there is a
    file this fmtui does not understand, refused rather than migrated.
    """
    meta = doc.get(META_TABLE, {})
    for value in meta.values():
        if not isinstance(value, dict) or "schema_version" not in value:
            continue
        version = value["schema_version"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise UnknownSchemaVersion(repr(version)[:40])
        return version
    return 0


def _stamp(path: Path) -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _aside_path(path: Path, label: str) -> Path:
    candidate = path.with_name(f"{path.name}.{label}-{_stamp(path)}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{label}-{_stamp(path)}-{n}")
    return candidate
