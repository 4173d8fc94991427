"""Provides what the app does on an unexpected error: keep the text of its open forms.

Textual ends the app on an unhandled exception (status 1). Before it does, every
form still open (the hypothesis form, the designer, the training write-up, a
dialog) gives up its fields, and they are written as a recovery draft beside the
journal, so a crash never costs the user what they typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, TextArea

from fmtui.core.recovery import write_recovery

# The journal's search box is not a form: nothing in it is worth recovering.
SKIPPED_FIELDS = frozenset({"search"})


def form_fields(screen: Screen[Any]) -> dict[str, Any]:
    """The screen's text fields by id, and its own `values()` (Selects too) when it has one."""
    fields: dict[str, Any] = {}
    for widget in screen.query("Input, TextArea"):
        if widget.id and widget.id not in SKIPPED_FIELDS:
            if isinstance(widget, Input):
                fields[widget.id] = widget.value
            elif isinstance(widget, TextArea):
                fields[widget.id] = widget.text
    values = getattr(screen, "values", None)
    if callable(values):
        fields.update({str(k): v for k, v in dict(values()).items()})
    return fields


def open_forms(app: App[Any]) -> list[dict[str, Any]]:
    """One object per screen with text in its fields: screen, entry id and fields."""
    screens: list[Screen[Any]] = list(app.screen_stack)
    if app.is_screen_installed("training"):
        training = app.get_screen("training")
        if training not in screens:
            screens.append(training)
    forms = []
    for screen in screens:
        try:
            fields = form_fields(screen)
        except Exception:  # noqa: BLE001 - one broken screen must not lose the others
            continue
        if not any(isinstance(v, str) and v.strip() for v in fields.values()):
            continue
        entry = getattr(screen, "entry", None)
        entry_id = getattr(entry, "id", None) or getattr(screen, "entry_id", None)
        forms.append(
            {"screen": type(screen).__name__, "entry_id": entry_id, "fields": _plain(fields)}
        )
    return forms


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """JSON values only (a Select with nothing chosen holds a sentinel object)."""
    return {
        k: v if isinstance(v, str | int | float | bool | type(None) | list) else str(v)
        for k, v in fields.items()
    }


def save_open_forms(app: App[Any], folder: Path, error: BaseException) -> Path | None:
    """Write the open forms to a recovery draft in `folder`; its path, or None if none."""
    forms = open_forms(app)
    if not forms:
        return None
    return write_recovery(folder, forms, f"{type(error).__name__}: {error}")
