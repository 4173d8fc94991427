"""Provides the app-wide messages: training progress and journal changes.

`RunnerMessages` turns the runner's reports, made on its thread, into these messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.message import Message

from fmtui.core import events as train
from fmtui.core.runner import Job, RunnerListener
from fmtui.core.runner.reuse import Reused


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


class RunnerMessages(RunnerListener):
    """The runner's reports as messages to the app, posted from the runner's thread."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app

    def started(self, job: Job) -> None:
        self.app.post_message(JournalChanged(job.entry.id))

    def event(self, job: Job, event: train.Event) -> None:
        self.app.post_message(TrainingEvent(job.entry.id or 0, event))

    def reused(self, job: Job, found: list[Reused]) -> None:
        self.app.post_message(RunsReused(job.entry.id or 0, job.reuse_note))

    def done(self, job: Job) -> None:
        if job.error:
            self.app.log.error(f"training of entry {job.entry.id} failed: {job.error}")
        self.app.post_message(ExperimentDone(job.entry.id or 0, job.status, job.error))
