"""Provides FieldError: bad input, with the field it is about named for the message."""

from __future__ import annotations


class FieldError(ValueError):
    """An invalid value; `field` names where it was given (a field, a flag, a path)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message
