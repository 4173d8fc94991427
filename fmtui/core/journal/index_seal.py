"""Provides the index's seal: proof that the journal file is the text fmtui last wrote.

Every entry was checked against the schema when it was built, before it was saved, so
checking each one again on every read only costs time (at 1,000 entries, most of a
first paint). Each write therefore ends the file with one more table, `_seal`: the
CRC-32 of the text before it and the ids of entries already known to be damaged. A
read of a file whose text still matches trusts the other entries; a file edited by
hand or by another tool no longer matches and is checked entry by entry, as before.
Imports are always checked in full.
"""

from __future__ import annotations

import json
import zlib

SEAL_TABLE = "_seal"
_OPENING = f',"{SEAL_TABLE}":{{"1":'


def sealed_text(body: str, damaged: set[int] | None) -> str:
    """`body` (a compact JSON object without a seal) ended by its seal; as is when
    nothing is known about its entries (the next read checks them all)."""
    if damaged is None or not body.endswith("}"):
        return body
    seal = json.dumps({"crc32": zlib.crc32(body.encode("utf-8")), "damaged": sorted(damaged)})
    if body == "{}":
        return "{" + _OPENING[1:] + seal + "}}"
    return body[:-1] + _OPENING + seal + "}}"


def read_seal(text: str) -> set[int] | None:
    """The damaged ids sealed with `text`, or None when it is not as fmtui wrote it."""
    at = text.rfind(_OPENING[1:])
    if at <= 0 or not text.endswith("}}}"):
        return None
    body = text[: at - 1] + "}" if text[at - 1] == "," else text[:at] + "}"
    try:
        seal = json.loads(text[at + len(_OPENING) - 1 : -2])
    except ValueError:
        return None
    if not isinstance(seal, dict) or set(seal) != {"crc32", "damaged"}:
        return None
    crc, damaged = seal["crc32"], seal["damaged"]
    if type(crc) is not int or not isinstance(damaged, list):
        return None
    if not all(type(i) is int for i in damaged):
        return None
    if zlib.crc32(body.encode("utf-8")) != crc:
        return None
    return set(damaged)
