"""Provides Input and TextArea that never send a control character to the terminal.

Their value is the user's or the journal's text, kept exactly (saving a form must
not change a title it did not touch), but what they draw is made safe: each control,
bidi or surrogate character is drawn as one visible character (ESC as ␛, DEL as ␡,
C1 and bidi controls as �), so an imported title cannot clear the screen or write
the clipboard while it is being edited, and the cursor stays on its character.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Input, TextArea

from fmtui.core.safe_text import UNSAFE_RE, pictured


def safe_strip(strip: Strip) -> Strip:
    """`strip` with control characters drawn as pictures, at the same cell width."""
    segments = list(strip)
    if not any(UNSAFE_RE.search(s.text) or "\t" in s.text or "\n" in s.text for s in segments):
        return strip
    width = strip.cell_length  # Rich counts controls as zero cells; pictures take one
    shown = Strip([Segment(pictured(s.text), s.style, s.control) for s in segments])
    return shown.adjust_cell_length(width)


class SafeInput(Input):
    """An Input whose drawing is terminal-safe; its value is kept as typed or loaded."""

    def render_line(self, y: int) -> Strip:
        return safe_strip(super().render_line(y))


class SafeTextArea(TextArea):
    """A TextArea whose drawing is terminal-safe; its text is kept as typed or loaded."""

    def render_line(self, y: int) -> Strip:
        return safe_strip(super().render_line(y))
