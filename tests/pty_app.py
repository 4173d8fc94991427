"""Provides a real `fmtui` process in a pseudo-terminal: keys in, every output byte back."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class PtyApp:
    """`python -m fmtui ARGS` on a 120×40 xterm-256color pty, read as a terminal would."""

    args: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    # What runs before ARGS: `-m fmtui`, or `-c CODE` that patches fmtui and calls main.
    python: Sequence[str] = ("-m", "fmtui")
    columns: int = 120
    rows: int = 40
    output: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        env = os.environ | {"TERM": "xterm-256color", "COLUMNS": "", "LINES": ""} | self.env
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(ROOT)) if p)
        self.master = master
        self.process = subprocess.Popen(
            [sys.executable, *self.python, *self.args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={k: v for k, v in env.items() if v},
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)

    def read_until(self, marker: bytes, timeout: float = 60.0) -> bool:
        """Read output until `marker` has been seen (True) or `timeout` passed."""
        deadline = time.monotonic() + timeout
        while marker not in self.output and time.monotonic() < deadline:
            if not self._read(min(0.5, deadline - time.monotonic())):
                if self.process.poll() is not None:
                    return marker in self.output
        return marker in self.output

    def read_for(self, seconds: float) -> None:
        """Keep reading for `seconds` (output that comes after the first frame)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(max(0.0, min(0.2, deadline - time.monotonic())))

    def _read(self, wait: float) -> bool:
        ready, _w, _x = select.select([self.master], [], [], max(wait, 0.0))
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the process closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 60.0) -> int:
        """Wait for the process to exit, reading its last output; its exit status."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        while self._read(0.1):
            pass
        os.close(self.master)
        return self.process.returncode
