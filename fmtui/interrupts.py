"""Provides the headless commands' handling of Ctrl-C and SIGTERM while training.

Both ask training to stop after the current step; the finished epochs are kept and
the entry is saved. A second signal aborts at once. The exit status says which
signal stopped the work (130 for Ctrl-C, 143 for SIGTERM, as a shell would show),
but only when it did stop something: a request that comes after the last run has
finished leaves a completed experiment, and exit status 0.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, TextIO

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class StopRequests:
    """Turns SIGINT and SIGTERM into `cancel` while installed (main thread only)."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.cancel = threading.Event()
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.cancel.is_set():
            raise KeyboardInterrupt
        self.signum = signum
        name = NAMES.get(signal.Signals(signum), "a signal")
        print(f"\n{name}: stopping after this step… (Ctrl-C again to abort)", file=self.err)
        self.cancel.set()

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for signum in EXIT_CODES:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def exit_code(self) -> int:
        """130 or 143 for the signal that asked to stop."""
        return EXIT_CODES.get(signal.Signals(self.signum or signal.SIGINT), 130)
