"""Provides the merge of imported entries into a journal: duplicates skipped, reruns relinked.

Importing the same export twice must not double the journal, and an export's ids mean
nothing in another journal: a rerun's `parent_id` is mapped to the id its original gets
(or already has) here, and a rerun whose original is in neither is unlinked with a note.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fmtui.core.journal import Entry, Journal

DUPLICATE_CHOICES = ("skip", "keep")
NOT_HERE = "rerun of an entry not in this journal"
# Fields that differ between two copies of one entry in two journals.
_LOCAL_FIELDS = ("id", "parent_id", "link_note", "reproduction", "pid")
_RERUN_SUFFIX = re.compile(rf" \((rerun of \d+|{NOT_HERE})\)$")


def _same_title(title: str) -> str:
    """The title without the rerun suffix an import may have rewritten."""
    return _RERUN_SUFFIX.sub("", title)


@dataclass(frozen=True)
class ImportResult:
    ids: list[int]
    skipped: int
    unlinked: int

    def message(self, journal_path: object) -> str:
        def count(n: int) -> str:
            return f"{n} entr{'y' if n == 1 else 'ies'}"

        text = f"imported {count(len(self.ids))}"
        if self.skipped:
            text += f", skipped {self.skipped} already in the journal"
        where = str(journal_path)
        if self.ids:
            span = str(self.ids[0]) if len(self.ids) == 1 else f"{self.ids[0]}–{self.ids[-1]}"
            where = f"new {'id' if len(self.ids) == 1 else 'ids'} {span} in {where}"
        text += f" ({where})"
        if self.unlinked:
            text += f"; {count(self.unlinked)} now marked '{NOT_HERE}'"
        return text


def content_key(entry: Entry) -> str:
    """A hash of the entry's data without what is local to one journal (id, links)."""
    data = entry.to_dict()
    for name in _LOCAL_FIELDS:
        data.pop(name, None)
    data["title"] = _same_title(entry.title)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def retitle(title: str, old: int, new: int | None) -> str:
    """A rerun's title names its original by id: follow the link to its new id."""
    replacement = f"(rerun of {new})" if new is not None else f"({NOT_HERE})"
    return re.sub(rf"\(rerun of {old}\)$", replacement, title)


def merge(journal: Journal, entries: Sequence[Entry], duplicates: str = "skip") -> ImportResult:
    """Add `entries` (ids as in their file) in one write; see the module docstring."""
    if duplicates not in DUPLICATE_CHOICES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_CHOICES}")
    present: dict[object, int] = {}
    for e in journal.all():  # whole entries: duplicates are judged on every run field
        if e.id is None:
            continue
        present.setdefault((e.created, _same_title(e.title)), e.id)
        present.setdefault(content_key(e), e.id)
    here: dict[int, int] = {}  # id in the file → id in this journal
    new: list[Entry] = []
    skipped = 0
    for entry in entries:
        key = (entry.created, _same_title(entry.title))
        found = present.get(key) or present.get(content_key(entry))
        if duplicates == "skip" and found is not None:
            skipped += 1
            if entry.id is not None:
                here[entry.id] = found
            continue
        new.append(entry)
    unlinked = 0

    def relink(ids: list[int]) -> None:
        nonlocal unlinked
        for entry, new_id in zip(new, ids, strict=True):
            if entry.id is not None:
                here[entry.id] = new_id
        for entry in new:
            if entry.parent_id is None:
                continue
            old = entry.parent_id
            entry.parent_id = here.get(old)
            entry.title = retitle(entry.title, old, entry.parent_id)
            if entry.parent_id is None:
                entry.link_note = NOT_HERE
                entry.reproduction = None  # it named an entry that is not here
                unlinked += 1
            elif isinstance(entry.reproduction, dict):
                entry.reproduction = {**entry.reproduction, "original_id": entry.parent_id}

    ids = journal.add_many(new, before_write=relink) if new else []
    return ImportResult(ids, skipped, unlinked)
