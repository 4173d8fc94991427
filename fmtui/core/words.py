"""Provides plural-aware counts for messages ("1 entry", "2 entries")."""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "was": "were"}


def count(n: int, word: str, plural: str | None = None) -> str:
    """`n` and `word`, in the plural unless n is 1: count(1, "run") → "1 run"."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {plural or _plural(word)}"


def _plural(phrase: str) -> str:
    """The plural of a phrase's last word: "damaged entry" → "damaged entries"."""
    head, _, last = phrase.rpartition(" ")
    if last in _IRREGULAR:
        last = _IRREGULAR[last]
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last
