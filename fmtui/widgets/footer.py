"""Provides a footer that rebuilds its keys only when they change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class QuietFooter(Footer):
    """Textual's footer, minus the rebuild when nothing it shows has changed.

    Footer remounts every key whenever its screen's bindings are refreshed, which
    happens on each screen switch and focus change: about a third of the cost of
    switching between the journal and the training screen, CPU that training could
    have had.
    """

    _shown: tuple[tuple[object, ...], ...] | None = None

    def _keys(self) -> tuple[tuple[object, ...], ...]:
        return tuple(
            (binding.key, binding.key_display, binding.description, binding.action, enabled, tip)
            for _node, binding, enabled, tip in self.screen.active_bindings.values()
            if binding.show
        )

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            keys = self._keys()
            if keys == self._shown:
                return
            self._shown = keys
        super().bindings_changed(screen)
