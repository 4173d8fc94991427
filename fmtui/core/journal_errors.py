"""Provides the journal's exceptions, shared by the store, its lock and export targets."""

from __future__ import annotations


class JournalError(Exception):
    """A journal problem the user can act on; the message names the file."""


class JournalLocked(JournalError):
    """Another live process holds the journal for writing."""


class JournalWriteError(JournalError):
    """A write failed; the journal on disk is unchanged."""
