"""Provides what the command line's modules share: flag names, data and journal options."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from fmtui.cli_spec import field_flag_names

# Spec field → the flag that sets it, so errors name what the user typed.
FLAG_FOR_FIELD = {
    **field_flag_names(),
    "grid": "--grid",
    "variant": "--variant",
    "variants": "--variant",
    "arm": "--arm-name",
    "metric": "--metric",
    "direction": "--direction",
    "baseline": "--baseline",
    "alpha": "--alpha",
    "margin": "--margin",
    "adjust": "--adjust",
    "max_seeds": "--max-seeds",
    "smallest_effect": "--smallest-effect",
    "until_decided": "--until-decided",
    "title": "--title",
    "objective": "--objective",
    "hypothesis": "--hypothesis",
    "methodology": "--methodology",
    "tags": "--tag",
}


def _flag(field_name: str) -> str:
    """The flag for a field path such as `tags[2]`."""
    base = field_name.split("[")[0].split(".")[0]
    return FLAG_FOR_FIELD.get(base, field_name)


def _data_dir(args: argparse.Namespace) -> str | None:
    for name in ("run_data_dir", "status_data_dir", "data_dir"):
        value = getattr(args, name, None)
        if value:
            return value
    return None


def _journal_path(args: argparse.Namespace) -> str | None:
    for name in ("run_journal", "sub_journal", "journal"):
        value = getattr(args, name, None)
        if value:
            return value
    return None


def _open_journal(args: argparse.Namespace, err: TextIO, read_only: bool = False) -> Any:
    """Open the journal, telling the user about any recovery or migration."""
    from fmtui.core.journal import open_journal

    journal = open_journal(_journal_path(args), read_only=read_only)
    if journal.recovery is not None:
        print(f"warning: {journal.recovery.message()}", file=err)
    if journal.backup is not None:
        print(
            f"note: migrated the journal from schema {journal.migrated_from}; "
            f"backup at {journal.backup}",
            file=err,
        )
    for entry_id in journal.interrupted:
        print(f"note: entry {entry_id} was running when its process ended: interrupted", file=err)
    return journal


def _entry_id(text: str) -> int:
    from fmtui.core.spec import parse_int

    return parse_int("id", text, 1, 10**9)
