"""Provides the building blocks of a declarative schema: checks that return a value as
stored or raise a SpecError naming the field by its path and the accepted range.

`fmtui.core.schema` builds the journal's tables (an entry, its runs, its claim) from
these; the checks know nothing of entries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from fmtui.core.spec import ExperimentSpec, RunSpec, SpecError

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_NAME = 80  # arm names, tags, metric names, keys
MAX_NOTE = 4_000  # a run's error, environment values

Check = Callable[[str, Any], Any]
_MISSING = object()


def shown(value: Any, limit: int = 60) -> str:
    """A value for a message: its repr, cut short (a 10 MB title is not repeated back)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def _within(path: str, step: str, err: SpecError) -> SpecError:
    """The error of an item checked under `path`, renamed to say which item (`[3]`, `.arm`).

    Items are checked with their container's path and the step is only added on failure:
    building a path string per number would make reading a journal several times slower.
    """
    return SpecError(path + step + err.field[len(path) :], err.message)


def valid_unicode(path: str, value: str) -> str:
    """Text that can be written as UTF-8: lone surrogates (from JSON escapes or from
    undecodable command-line bytes) are refused where they come in."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = value[err.start]
        raise SpecError(
            path,
            f"holds a character that is not valid Unicode ({bad!r} at position {err.start}); "
            "expected UTF-8 text",
        ) from None
    return value


# ---------------------------------------------------------------- field kinds


def text(limit: int, *, null: bool = True, empty: bool = True) -> Check:
    """Text of at most `limit` characters; null reads as "" when `null`."""

    def check(path: str, value: Any) -> Any:
        if value is None and null:
            return ""
        if not isinstance(value, str):
            raise SpecError(path, f"expected text, got {_type_name(value)} {shown(value)}")
        if len(value) > limit:
            raise SpecError(path, f"at most {limit} characters, got {len(value)}")
        if not empty and not value.strip():
            raise SpecError(path, "expected non-empty text")
        return valid_unicode(path, value)

    return check


def optional_text(limit: int) -> Check:
    """Text of at most `limit` characters, or null (kept as null)."""
    inner = text(limit, null=False)
    return lambda path, value: None if value is None else inner(path, value)


def integer(lo: int, hi: int, *, null: bool = False) -> Check:
    def check(path: str, value: Any) -> Any:
        if type(value) is int and lo <= value <= hi:
            return value
        if value is None and null:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            extra = " or null" if null else ""
            raise SpecError(
                path, f"expected a whole number from {lo} to {hi}{extra}, got {shown(value)}"
            )
        return value

    return check


def number(lo: float | None = None, hi: float | None = None, *, null: bool = True) -> Check:
    """A finite number in [lo, hi], or null (a non-finite value is stored as null)."""
    span = f" from {lo:g}" if lo is not None else ""
    span += f" to {hi:g}" if hi is not None else ""
    extra = " or null" if null else ""

    def check(path: str, value: Any) -> Any:
        kind = type(value)  # exact types: true/false are not numbers here
        if kind is float or kind is int:
            if (
                (kind is int or math.isfinite(value))
                and (lo is None or value >= lo)
                and (hi is None or value <= hi)
            ):
                return value
        elif value is None and null:
            return None
        raise SpecError(path, f"expected a finite number{span}{extra}, got {shown(value)}")

    return check


def boolean(*, null: bool = True) -> Check:
    def check(path: str, value: Any) -> Any:
        if (value is None and null) or isinstance(value, bool):
            return value
        raise SpecError(path, f"expected true or false, got {shown(value)}")

    return check


def choice(options: Sequence[str], *, null: bool = False) -> Check:
    def check(path: str, value: Any) -> Any:
        if value is None and null:
            return None
        if not isinstance(value, str) or value not in options:
            extra = " or null" if null else ""
            raise SpecError(
                path, f"expected one of {', '.join(options)}{extra}, got {shown(value)}"
            )
        return value

    return check


def time_text() -> Check:
    def check(path: str, value: Any) -> Any:
        try:
            if not isinstance(value, str) or len(value) != 19:
                raise ValueError
            datetime.strptime(value, TIME_FORMAT)
        except ValueError:
            raise SpecError(
                path, f"expected a time like 2025-10-07 15:00:51, got {shown(value)}"
            ) from None
        return value

    return check


def list_of(item: Check, max_items: int, *, exact: int | None = None, null: bool = False) -> Check:
    def check(path: str, value: Any) -> Any:
        if value is None and null:
            return None
        if not isinstance(value, list | tuple):
            raise SpecError(path, f"expected a list, got {_type_name(value)} {shown(value)}")
        if exact is not None and len(value) != exact:
            raise SpecError(path, f"expected a list of {exact} items, got {len(value)}")
        if len(value) > max_items:
            raise SpecError(path, f"at most {max_items} items, got {len(value)}")
        out = []
        for i, v in enumerate(value):
            try:
                out.append(item(path, v))
            except SpecError as err:
                raise _within(path, f"[{i}]", err) from None
        return out

    return check


def record(
    table: Mapping[str, Check], *, required: Sequence[str] = (), null: bool = False
) -> Check:
    """An object whose keys are those of `table` (absent ones stay absent)."""

    def check(path: str, value: Any) -> Any:
        if value is None and null:
            return None
        if not isinstance(value, Mapping):
            raise SpecError(path, f"expected an object, got {_type_name(value)} {shown(value)}")
        unknown = [k for k in value if k not in table]
        if unknown:
            raise SpecError(path, f"unknown key {shown(unknown[0])}; allowed: {', '.join(table)}")
        for name in required:
            if name not in value:
                raise SpecError(f"{path}.{name}", "is missing")
        out = {}
        for k, v in value.items():
            try:
                out[k] = table[k](path, v)
            except SpecError as err:
                raise _within(path, f".{k}", err) from None
        return out

    return check


def scalar(path: str, value: Any) -> Any:
    """Free-form information (the run's environment): short text, numbers, flat lists."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return text(MAX_NOTE)(path, value)
    if isinstance(value, int | float):
        return number()(path, value)
    if isinstance(value, list):
        return list_of(scalar_leaf, 64)(path, value)
    raise SpecError(path, f"expected text, a number or a flat list, got {_type_name(value)}")


def scalar_leaf(path: str, value: Any) -> Any:
    if isinstance(value, list | dict):
        raise SpecError(path, "expected text or a number, not a nested list or object")
    return scalar(path, value)


def mapping(value_check: Check, max_items: int) -> Check:
    """An object with free keys (short text) and checked values."""

    def check(path: str, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise SpecError(path, f"expected an object, got {_type_name(value)} {shown(value)}")
        if len(value) > max_items:
            raise SpecError(path, f"at most {max_items} keys, got {len(value)}")
        out = {}
        for key, item in value.items():
            text(MAX_NAME, null=False)(f"{path} key", key)
            try:
                out[key] = value_check(path, item)
            except SpecError as err:
                raise _within(path, f".{key}", err) from None
        return out

    return check


def free(depth: int = 4, max_items: int = 1_000, *, null: bool = True) -> Check:
    """Nested objects and lists of short text and numbers, bounded in depth and size.

    For records whose shape belongs to one analysis (a trend test, the looks of a
    sequential design, a rerun check): they are data to show, never code to run,
    and must only be kept from growing without bound or nesting without end.
    """

    def check(path: str, value: Any, level: int = 0) -> Any:
        if value is None and null:
            return None
        if isinstance(value, Mapping | list) and level >= depth:
            raise SpecError(path, f"nested deeper than {depth} levels")
        if isinstance(value, Mapping):
            if len(value) > max_items:
                raise SpecError(path, f"at most {max_items} keys, got {len(value)}")
            out = {}
            for key, item in value.items():
                text(MAX_NAME, null=False)(f"{path} key", key)
                out[key] = check(f"{path}.{key}", item, level + 1)
            return out
        if isinstance(value, list):
            if len(value) > max_items:
                raise SpecError(path, f"at most {max_items} items, got {len(value)}")
            return [check(f"{path}[{i}]", item, level + 1) for i, item in enumerate(value)]
        return scalar(path, value)

    return lambda path, value: check(path, value)


def spec_of(kind: type[RunSpec] | type[ExperimentSpec], *, null: bool) -> Check:
    """A run or experiment spec, re-validated by its own class; stored as its dict."""

    def check(path: str, value: Any) -> Any:
        if value is None and null:
            return None
        try:
            return kind.from_dict(value).to_dict()
        except SpecError as err:
            raise SpecError(f"{path}.{err.field}", err.message) from None
        except (TypeError, ValueError) as err:
            raise SpecError(path, f"not a valid spec ({err})") from None

    return check
