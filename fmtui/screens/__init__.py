"""Provides the app's screens, one module each, and what they share."""

from __future__ import annotations

from textual.screen import Screen


def on_top(screen: Screen) -> bool:
    """Whether `screen` is the one the user sees now.

    False under another screen, and while the app takes its screens down on exit
    (`App.screen` raises then). `Screen.is_current` also counts the screen right
    under the top one as visible, which would redraw the journal under training.
    """
    stack = screen.app.screen_stack
    return bool(stack) and stack[-1] is screen
