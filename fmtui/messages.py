"""Provides the app-wide messages: training progress and journal changes."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from fmtui.core import events as train


class TrainingEvent(Message, bubble=False):
    """An engine event for a journal entry, posted from the training thread."""

    def __init__(self, entry_id: int, event: train.Event) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.event = event


class ExperimentDone(Message, bubble=False):
    """An experiment ended (completed, cancelled or failed); its entry is saved."""

    def __init__(self, entry_id: int, status: str, error: str | None = None) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.status = status
        self.error = error


class RunsReused(Message, bubble=False):
    """Some planned runs were answered by finished ones (`note`: how many, from where)."""

    def __init__(self, entry_id: int, note: str) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.note = note


class JournalChanged(Message, bubble=False):
    """The journal changed; `entry_id` is the entry to select, if any."""

    def __init__(self, entry_id: int | None = None) -> None:
        super().__init__()
        self.entry_id = entry_id


@dataclass(frozen=True)
class ExportRequest:
    """What the export dialog asks for."""

    fmt: str
    scope: str  # selected | shown | all
    path: str
