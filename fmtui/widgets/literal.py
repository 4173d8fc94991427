"""Provides the one way text from the journal or the user enters a widget: literally.

A title, an arm name, a verdict or an error message that echoes input is data, not
markup: `[/]` in it must show as `[/]`, not end the app with a MarkupError, and an
escape sequence in it must not reach the terminal. Screens pass such text through
these helpers instead of handing a string to a widget that would parse it.
"""

from __future__ import annotations

from rich.text import Text
from textual.markup import escape

from fmtui.core.safe_text import one_line, terminal_safe


def literal(text: object, style: str = "") -> Text:
    """Multi-line text shown as written: no markup, control characters escaped visibly."""
    return Text(terminal_safe(str(text)), style=style)


def literal_line(text: object, style: str = "") -> Text:
    """One line (a table cell, a headline): newlines and tabs become spaces."""
    return Text(one_line(str(text)), style=style)


def markup_line(text: object) -> str:
    """One line for an API that only takes markup (command palette titles), escaped."""
    return escape(one_line(str(text)))
