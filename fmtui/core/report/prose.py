"""Provides reading a report's prose back from Markdown: front matter and `## ` sections.

This lets a researcher start from a report written by hand (the seed report's shape)
or from fmtui's own export: only the prose is taken; generated parts and the
appendix are rebuilt from the journal on the next export.
"""

from __future__ import annotations

import re
from typing import Any

from fmtui.core.export import unescape_body

SECTION_NAMES = {
    "introduction": "introduction",
    "method": "method",
    "methods": "method",
    "results": "results",
    "discussion": "discussion",
    "conclusion": "conclusion",
    "conclusions": "conclusion",
}
HEADING_RE = re.compile(r"^## (.+?)\s*$")
# Generated Results parts start with these; the researcher's text is what comes before.
GENERATED_START = ("The best configuration found is ", "No entry in this report has completed")


def _front_matter(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        return {}, lines
    values: dict[str, Any] = {"front_matter": True}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            continue
        if key == "layout":
            values["layout"] = value
        elif key == "title":
            values["title"] = _unquote(value)
        elif key == "tags":
            values["tags"] = value.strip("[]").replace(",", " ").split()
    return values, lines[end + 1 :]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if value[0] == '"' else inner
    return value


def _results_prose(lines: list[str]) -> list[str]:
    """Only the researcher's part of a Results section fmtui wrote (before the generated)."""
    for i, line in enumerate(lines):
        if line.startswith(GENERATED_START) or line.startswith("### Experiments"):
            return lines[:i]
    return lines


def parse_report_markdown(text: str) -> dict[str, Any]:
    """Report fields (title, front matter, preamble and prose sections) found in `text`."""
    lines = text.replace("\r\n", "\n").split("\n")
    values, lines = _front_matter(lines)
    if "title" not in values and lines:
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None and lines[first].startswith("# "):
            values["title"] = lines[first][2:].strip()
            lines = lines[first + 1 :]
    current = "preamble"
    sections: dict[str, list[str]] = {"preamble": []}
    for line in lines:
        match = HEADING_RE.match(line)
        if match:
            name = SECTION_NAMES.get(match.group(1).strip().lower())
            current = name or "_other"  # Appendix and unknown sections are not prose
            sections[current] = []
            continue
        sections.setdefault(current, []).append(line)
    sections.pop("_other", None)
    if "results" in sections:
        sections["results"] = _results_prose(sections["results"])
    for name, body in sections.items():
        values[name] = unescape_body("\n".join(body).strip("\n"))
    return values
