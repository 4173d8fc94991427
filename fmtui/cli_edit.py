"""Provides `fmtui journal edit`: set an entry's text fields and tags from the shell."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from fmtui.core.status import EntryStatus

EDITABLE_TEXT = ("objective", "hypothesis", "methodology", "results", "evaluation", "conclusion")


def add_edit_parser(journal_sub: Any) -> None:
    """The `edit` action under `fmtui journal`."""
    jedit = journal_sub.add_parser(
        "edit",
        help="change an entry's text fields or tags",
        description="Set an entry's title, text fields or tags; the rest stays as it is.",
    )
    jedit.add_argument("id", help="entry id (see journal list)")
    jedit.add_argument("--title", help="new title")
    for name in EDITABLE_TEXT:
        jedit.add_argument(f"--{name}", metavar="TEXT", help=f"new {name} text")
    jedit.add_argument("--tag", action="append", default=[], help="add a tag (repeatable)")
    jedit.add_argument("--untag", action="append", default=[], help="remove a tag (repeatable)")
    jedit.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)


def cmd_journal_edit(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Set text fields and tags of one entry, under the journal's write lock."""
    from fmtui import cli_common as cli
    from fmtui.core.journal import JournalError
    from fmtui.core.spec import SpecError

    changes = {name: getattr(args, name) for name in ("title", *EDITABLE_TEXT)}
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes and not args.tag and not args.untag:
        print(
            "fmtui journal edit: nothing to change; give --title, --"
            + ", --".join(EDITABLE_TEXT)
            + ", --tag or --untag",
            file=err,
        )
        return 2
    try:
        entry_id = cli._entry_id(args.id)
        with cli._open_journal(args, err) as journal:
            entry = journal.get(entry_id)
            if entry.status == EntryStatus.RUNNING:
                raise JournalError(
                    f"Entry {entry_id} is still training; edit it when it has finished."
                )
            values = entry.to_dict() | changes
            tags = [t for t in [*entry.tags, *args.tag] if t not in set(args.untag)]
            values["tags"] = tags
            edited = type(entry).from_dict(values, entry_id)  # validates every field
            journal.update(edited)
    except (JournalError, SpecError) as exc:
        print(f"fmtui journal edit: {exc}", file=err)
        return 2
    named = ", ".join([*changes, *(["tags"] if args.tag or args.untag else [])])
    print(f"entry {entry_id}: updated {named}", file=out)
    return 0
