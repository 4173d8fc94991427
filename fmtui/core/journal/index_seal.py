"""Provides the index's seal: a checksum of the entries table that fmtui itself wrote.

Every entry was checked against the schema when it was built, before it was saved, so
checking each one again on every read only costs time (at 1,000 entries, most of the
first paint). A write therefore records a CRC-32 of the entries table's JSON text and
the ids of entries already known to be damaged; a read whose table still matches
trusts the others. A file edited by hand or another tool no longer matches and is
checked entry by entry, as before. Imports are always checked in full.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

CRC_KEY = "entries_crc32"
DAMAGED_KEY = "damaged"
ENTRIES_TABLE = "entries"
META_TABLE = "_meta"


def _table_text(entries: Any) -> bytes:
    # The exact text a strict JSON round trip gives: the same whether just written or read.
    text = json.dumps(entries, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def seal(doc: dict[str, Any], damaged: set[int] | None) -> None:
    """Record the entries table's checksum in `doc` (plain JSON), or drop a stale one."""
    meta = doc.get(META_TABLE)
    record = meta.get("1") if isinstance(meta, dict) else None
    if not isinstance(record, dict):
        return
    record.pop(CRC_KEY, None)
    record.pop(DAMAGED_KEY, None)
    entries = doc.get(ENTRIES_TABLE)
    if damaged is None or not isinstance(entries, dict):
        return  # nothing known about the entries: the next read checks them all
    record[CRC_KEY] = zlib.crc32(_table_text(entries))
    record[DAMAGED_KEY] = sorted(i for i in damaged if str(i) in entries)


def trusted_damaged(doc: dict[str, Any]) -> set[int] | None:
    """The damaged ids recorded by the last write, when the table is still as written;
    None when the entries must be checked one by one."""
    meta = doc.get(META_TABLE)
    record = meta.get("1") if isinstance(meta, dict) else None
    if not isinstance(record, dict):
        return None
    crc, damaged = record.get(CRC_KEY), record.get(DAMAGED_KEY)
    if type(crc) is not int or not isinstance(damaged, list):
        return None
    if not all(type(i) is int for i in damaged):
        return None
    if zlib.crc32(_table_text(doc.get(ENTRIES_TABLE, {}))) != crc:
        return None
    return set(damaged)
