"""Provides the command-line preprocessing argparse needs for negative number values.

argparse reads `--lr -inf` or `--lr -1e-3` as two options (only plain `-1` and
`-.5` count as numbers), so the user saw "expected one argument" instead of the
range. A value that looks like a signed number after a numeric flag is joined to
it (`--lr=-inf`), and the flag's own check then names the accepted range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

NUMERIC_FLAGS = frozenset(
    {
        "--lr",
        "--dropout",
        "--momentum",
        "--weight-decay",
        "--min-delta",
        "--val-fraction",
        "--alpha",
        "--margin",
        "--epochs",
        "--batch-size",
        "--patience",
        "--seed",
        "--seeds",
    }
)
_SIGNED = re.compile(r"-(\d|\.\d|inf|nan)", re.IGNORECASE)


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """`--lr -inf` → `--lr=-inf`; everything else unchanged (nothing after `--`)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return out + list(argv[i:])
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if token in NUMERIC_FLAGS and nxt is not None and _SIGNED.match(nxt):
            out.append(f"{token}={nxt}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out
