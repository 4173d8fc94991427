"""Provides the statuses of runs and journal entries, as string enums.

Members are `str`: they compare equal to the stored strings and serialise to them, so
the journal and every export keep the same bytes while the code names each status once.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Where one run stands: stored in the journal, or only shown while training."""

    QUEUED = "queued"  # planned, not started yet (live view only)
    NOT_STARTED = "not started"  # the experiment ended before it started (live view only)
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DIVERGED = "diverged"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died; found by the journal's recovery


# What a run in the journal can hold: the live-only statuses are never saved.
STORED_RUN_STATUSES = tuple(
    s for s in RunStatus if s not in (RunStatus.QUEUED, RunStatus.NOT_STARTED)
)
# A run in one of these has ended and will not change.
FINISHED_RUN_STATUSES = (
    RunStatus.COMPLETED,
    RunStatus.CANCELLED,
    RunStatus.DIVERGED,
    RunStatus.FAILED,
    RunStatus.INTERRUPTED,
)


class EntryStatus(StrEnum):
    """Where a journal entry stands."""

    DRAFT = "draft"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
