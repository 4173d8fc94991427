"""Provides plural-aware counts for messages ("1 entry", "2 entries")."""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "was": "were"}


def count(n: int, word: str, plural: str | None = None) -> str:
    """`n` and `word`, in the plural unless n is 1: count(1, "run") → "1 run"."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {plural or _IRREGULAR.get(word) or word + 's'}"
