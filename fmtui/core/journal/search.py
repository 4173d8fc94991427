"""Provides the browser's search syntax: free words plus status, tag and verdict filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Search:
    """A browser search: free words plus `status:`, `tag:` and `verdict:` filters."""

    words: str = ""
    status: tuple[str, ...] = ()
    tag: str | None = None
    verdict: str | None = None

    @classmethod
    def parse(cls, text: str) -> Search:
        words, status, tag, verdict = [], [], None, None
        for token in text.split():
            key, sep, value = token.partition(":")
            key = key.lower()
            if sep and value and key == "status":
                status.append(value.lower())
            elif sep and value and key == "tag":
                tag = value
            elif sep and value and key == "verdict":
                verdict = value.lower()
            else:
                words.append(token)
        return cls(" ".join(words), tuple(status), tag, verdict)

    def query_args(self) -> dict[str, Any]:
        return {
            "text": self.words or None,
            "status": self.status or None,
            "tag": self.tag,
            "verdict": self.verdict,
        }
