"""Provides `fmtui journal check`: verify the journal's run logs and report per entry."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from fmtui.core.safe_text import one_line


def add_check_parser(journal_sub: Any) -> None:
    """The `check` action under `fmtui journal`."""
    jcheck = journal_sub.add_parser(
        "check",
        help="verify run logs (checksums, links) and report per entry",
        description="Read every entry's run log, verify each line's checksum and that logs "
        "and entries match; exit 1 when something needs action. Changes nothing.",
    )
    jcheck.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)


def cmd_journal_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui import cli_common as cli
    from fmtui.core.journal import JournalError
    from fmtui.core.journal.check import check_journal

    try:
        with cli._open_journal(args, err, read_only=True) as journal:
            report = check_journal(journal)
    except JournalError as exc:
        print(f"fmtui journal check: {one_line(str(exc))}", file=err)
        return 2
    for line in report.lines:
        print(one_line(line), file=out)
    if report.problems:
        print(f"{report.problems} problem(s) found.", file=err)
        return 1
    print("No problems found.", file=out)
    return 0
