"""Provides the journal package: entries (model), storage, recovery and the Journal API.

Every name other modules import from `fmtui.core.journal` is re-exported here.
"""

from __future__ import annotations

import os  # noqa: F401  (tests patch `journal.os` to fake full disks)

from fmtui.core.atomic import atomic_write
from fmtui.core.journal.api import SORTS, Journal, open_journal
from fmtui.core.journal.model import (
    Claim,
    Entry,
    dumps,
    now_text,
    strict_loads,
    to_json_safe,
)
from fmtui.core.journal.recovery import (
    ENTRIES_TABLE,
    META_TABLE,
    SCHEMA_VERSION,
    Recovery,
    UnknownSchemaVersion,
)
from fmtui.core.journal.runlog import BULKY, epoch_count
from fmtui.core.journal.search import Search
from fmtui.core.journal.storage import AtomicJSONStorage
from fmtui.core.journal_errors import JournalError, JournalLocked, JournalWriteError
from fmtui.core.schema import ENTRY_STATUSES
from fmtui.core.spec import SpecError

__all__ = [
    "BULKY",
    "ENTRIES_TABLE",
    "ENTRY_STATUSES",
    "META_TABLE",
    "SCHEMA_VERSION",
    "SORTS",
    "AtomicJSONStorage",
    "Claim",
    "Entry",
    "Journal",
    "JournalError",
    "JournalLocked",
    "JournalWriteError",
    "Recovery",
    "Search",
    "SpecError",
    "UnknownSchemaVersion",
    "atomic_write",
    "dumps",
    "epoch_count",
    "now_text",
    "open_journal",
    "strict_loads",
    "to_json_safe",
]
