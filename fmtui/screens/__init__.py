"""Provides the app's screens, one module each, and what they share."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, overload

from textual import getters
from textual.dom import DOMNode
from textual.message_pump import MessagePump, NoActiveAppError
from textual.screen import Screen

if TYPE_CHECKING:
    from fmtui.app import FmtuiApp


@cache
def _app_getter() -> getters.app[FmtuiApp]:
    from fmtui.app import FmtuiApp

    return getters.app(FmtuiApp)


class FmtuiAppGetter:
    """`app = FmtuiAppGetter()` on a screen: `self.app` typed as the running FmtuiApp.

    Textual's `getters.app(FmtuiApp)` needs the class when the screen's class is
    made, but `fmtui.app` imports the screens; so the getter is made at first use.
    """

    @overload
    def __get__(self, obj: None, obj_type: type[MessagePump]) -> FmtuiAppGetter: ...

    @overload
    def __get__(self, obj: MessagePump, obj_type: type[MessagePump]) -> FmtuiApp: ...

    def __get__(
        self, obj: MessagePump | None, obj_type: type[MessagePump]
    ) -> FmtuiApp | FmtuiAppGetter:
        if obj is None:  # looked up on the class (monkeypatch, inspect): the descriptor
            return self
        return _app_getter().__get__(obj, obj_type)


def closing(node: DOMNode) -> bool:
    """Whether `node` is being taken down: the app quits, or its screen was removed.

    A worker's report (`call_from_thread`) or a message posted before then can still
    arrive, and the widgets it would update may be gone: a query for them raises.
    Textual has no public flag for a node being removed; `_pruning` is the one it sets.
    """
    try:
        app = node.app
    except NoActiveAppError:
        return True
    quitting = app.return_code is not None or not app.is_running
    return quitting or not node.is_attached or node._pruning


def on_top(screen: Screen) -> bool:
    """Whether `screen` is the one the user sees now.

    False under another screen, and while the app takes its screens down on exit
    (`App.screen` raises then). `Screen.is_current` also counts the screen right
    under the top one as visible, which would redraw the journal under training.
    """
    if closing(screen):
        return False
    stack = screen.app.screen_stack
    return bool(stack) and stack[-1] is screen
