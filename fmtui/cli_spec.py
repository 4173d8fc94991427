"""Provides the `fmtui run` flags of the spec's fields, made from the one field table."""

from __future__ import annotations

from typing import Any

from fmtui.core.spec_fields import TABLE, FieldInfo, cli_default, format_value


def add_field_flag(group: Any, info: FieldInfo) -> None:
    """One field's flag in `group`: its help, its default (shown by the help formatter)."""
    if info.repeatable:
        # One value per arm: no argparse default, or the first --layers would add an arm.
        shown = format_value(info.name, info.default)
        group.add_argument(
            info.flag,
            action="append",
            metavar=info.metavar,
            help=f"{info.help} (default: {shown})",
        )
        return
    group.add_argument(info.flag, default=cli_default(info), metavar=info.metavar, help=info.help)


def add_field_flags(group: Any, section: str, after: dict[str, Any] | None = None) -> None:
    """The flags of one `--help` section in table order; `after[name]` adds flags after one."""
    for info in TABLE:
        if info.group != section:
            continue
        add_field_flag(group, info)
        if after and info.name in after:
            after[info.name](group)


def field_flag_names() -> dict[str, str]:
    """Field name → its flag, so that errors name what the user typed."""
    return {info.name: info.flag for info in TABLE}
