"""Provides the `fmtui` command: the app with no arguments, headless subcommands otherwise."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fmtui import __version__
from fmtui.cli_check import add_check_parser, cmd_journal_check
from fmtui.cli_common import (
    _data_dir,
    _entry_id,
    _open_journal,
)
from fmtui.cli_edit import add_edit_parser, cmd_journal_edit
from fmtui.cli_run import cmd_rerun, cmd_run
from fmtui.cli_run_parser import add_run_parser
from fmtui.core.safe_text import (
    json_terminal_safe,
    one_line,
    safe_stream,
    terminal_safe,
)
from fmtui.core.safe_text import (
    write_export as print_export,
)
from fmtui.core.words import count

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


class SafeArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors, which echo what was typed, reach the terminal escaped."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        super()._print_message(terminal_safe(message), file)


def _add_journal_parsers(sub: Any) -> None:
    """The journal's commands: journal list/show/edit/check, export, rerun and import."""
    journal = sub.add_parser("journal", help="list, show and edit journal entries")
    journal_sub = journal.add_subparsers(dest="journal_command", metavar="ACTION")
    jlist = journal_sub.add_parser("list", help="list entries, newest first")
    jlist.add_argument("--sort", default="date", help="date, title, best or status")
    jlist.add_argument("--status", action="append", help="only entries with this status")
    jlist.add_argument("--tag", help="only entries with this tag")
    jlist.add_argument("--search", help="words that must all appear in the entry")
    add_edit_parser(journal_sub)
    add_check_parser(journal_sub)
    jshow = journal_sub.add_parser("show", help="show one entry")
    jshow.add_argument("id", help="entry id (see journal list)")
    jshow.add_argument("--format", default="md", help="md or json")
    for p_ in (jlist, jshow):
        p_.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    export = sub.add_parser("export", help="export entries as Markdown, JSON or CSV")
    export.add_argument(
        "--format", default="md", help="md (the report's journal format), json, csv"
    )
    export.add_argument("--id", action="append", default=[], help="entry id (repeatable)")
    export.add_argument("--status", action="append", default=[], help="only this status")
    export.add_argument("--tag", help="only entries with this tag")
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write here instead of stdout ('-' is stdout)"
    )
    export.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (its mode is kept)"
    )
    export.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    rerun = sub.add_parser("rerun", help="repeat an entry exactly and check the metrics match")
    rerun.add_argument("id", help="entry id (see journal list)")
    rerun.add_argument("--data-dir", dest="run_data_dir", metavar="DIR", help=argparse.SUPPRESS)
    rerun.add_argument("--allow-subset", action="store_true", help=argparse.SUPPRESS)
    rerun.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    imp = sub.add_parser("import", help="import seed-format Markdown or a JSON export")
    imp.add_argument("file", help="a .md journal or an fmtui .json export")
    imp.add_argument(
        "--duplicates",
        default="skip",
        help="skip (default) or keep entries already in the journal: same created time "
        "and title, or the same content",
    )
    imp.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
        prog="fmtui",
        description="Disciplined neural-network experiments on Fashion-MNIST. "
        "With no command, opens the terminal app.",
    )
    parser.add_argument("--version", action="version", version=f"fmtui {__version__}")
    parser.add_argument("--journal", metavar="PATH", help="journal file (env FMTUI_JOURNAL)")
    parser.add_argument("--data-dir", metavar="DIR", help="folder with the four IDX files")
    parser.add_argument(
        "--cluster",
        dest="app_cluster",
        metavar="ADDRESS",
        help="a Dask cluster the app's designer offers to train on, e.g. tcp://host:8786 "
        "(env FMTUI_CLUSTER); needs pip install 'fmtui[cluster]'",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    add_run_parser(sub)

    _add_journal_parsers(sub)

    from fmtui import cli_report

    cli_report.add_parser(sub)

    data = sub.add_parser("data", help="data set location and status")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    status = data_sub.add_parser("status", help="show where Fashion-MNIST is found")
    status.add_argument("--data-dir", dest="status_data_dir", metavar="DIR", help=argparse.SUPPRESS)

    cluster = sub.add_parser("cluster", help="a Dask cluster to train on")
    cluster_sub = cluster.add_subparsers(dest="cluster_command", metavar="ACTION")
    local = cluster_sub.add_parser(
        "local", help="start a cluster on this machine and print its address (Ctrl-C stops it)"
    )
    local.add_argument("--workers", default="2", help="worker processes, 1 to 64 (default 2)")
    local.add_argument("--threads", default="1", help="threads per worker, 1 to 64 (default 1)")
    local.add_argument("--port", default="8786", help="scheduler port, 0 to 65535 (default 8786)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from fmtui.argv import join_negative_values

    try:
        return _main(join_negative_values(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside training
        print("\nfmtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fmtui journal list | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _open_app(args)
    # Journal text, paths and messages that echo input reach the terminal escaped.
    stdout, stderr = safe_stream(sys.stdout), safe_stream(sys.stderr)
    if args.command == "run":
        return cmd_run(args, stdout, stderr)
    if args.command == "data":
        if args.data_command != "status":
            parser.parse_args(["data", "--help"])
        return cmd_data_status(args, stdout)
    if args.command == "journal":
        if args.journal_command is None:
            parser.parse_args(["journal", "--help"])
        return cmd_journal(args, stdout, stderr)
    if args.command == "export":
        return cmd_export(args, stdout, stderr)
    if args.command == "import":
        return cmd_import(args, stdout, stderr)
    if args.command == "rerun":
        return cmd_rerun(args, stdout, stderr)
    if args.command == "cluster":
        if args.cluster_command != "local":
            parser.parse_args(["cluster", "--help"])
        from fmtui.cluster_cli import cmd_cluster_local

        return cmd_cluster_local(args, stdout, stderr)
    if args.command == "report":
        from fmtui import cli_report

        if args.report_command is None:
            parser.parse_args(["report", "--help"])
        return cli_report.cmd_report(args, stdout, stderr)
    parser.error(f"unknown command {args.command}")
    return 2


def _open_app(args: argparse.Namespace) -> int:
    from fmtui.app import make_app
    from fmtui.cluster_cli import cluster_address
    from fmtui.core.journal import JournalError

    err = safe_stream(sys.stderr)
    try:
        app = make_app(
            journal_path=args.journal, data_dir=args.data_dir, cluster=cluster_address(args)
        )
    except JournalError as exc:
        print(f"fmtui: {exc}", file=err)
        return 2
    try:
        app.run()
    finally:
        if not app.join_training(timeout=5.0):
            print("fmtui: training did not stop within 5 s", file=err)
        app.journal.close()
    if app.recovery_path is not None:
        print(f"fmtui: unsaved text was kept in {app.recovery_path}", file=err)
    # Textual sets 1 when an unexpected exception ended the app.
    return app.return_code or 0


def cmd_data_status(args: argparse.Namespace, out: TextIO) -> int:
    from fmtui.core import data

    lines, found = data.status_lines(_data_dir(args))
    for line in lines:
        print(line, file=out)
    return 0 if found else 1


def cmd_journal(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export
    from fmtui.core.errors import FieldError
    from fmtui.core.journal import JournalError
    from fmtui.core.spec import parse_choice

    if args.journal_command == "edit":
        return cmd_journal_edit(args, out, err)
    if args.journal_command == "check":
        return cmd_journal_check(args, out, err)
    try:
        statuses = _statuses(getattr(args, "status", None), damaged=True)
        with _open_journal(args, err, read_only=True) as journal:
            if args.journal_command == "show":
                fmt = parse_choice("format", args.format, ("md", "json"))
                entry = journal.get(_entry_id(args.id))
                if entry.runs_note:  # a damaged run log: say why the curves are missing
                    print(f"warning: {one_line(entry.runs_note)}", file=err)
                text = export.export_text([entry], fmt)
                out.write(json_terminal_safe(text) if fmt == "json" else text)
                return 0
            wanted = [s for s in statuses if s != "damaged"]
            entries = []
            if wanted or not statuses:
                entries = journal.query(
                    sort=args.sort, status=wanted or None, tag=args.tag, text=args.search
                )
            damaged = journal.damaged()
            total = len(journal)
    except (JournalError, FieldError) as exc:
        print(f"fmtui journal: {exc}", file=err)
        return 2
    # Damaged entries (failing the schema) are listed, not hidden; no filter matches them
    # but `--status damaged`.
    if args.tag or args.search or (statuses and "damaged" not in statuses):
        damaged = []
    if not entries and not damaged:
        if total == 0:
            print("The journal is empty.", file=out)
            return 0
        print(f"No entry matches (the journal holds {count(total, 'entry')}).", file=err)
        return 1
    print(
        f"{'id':>4}  {'created':<19}  {'status':<11}  {'verdict':<12}  {'best':>6}  {'runs':>4}  "
        "title",
        file=out,
    )
    for e in entries:
        best = f"{e.best_accuracy:.4f}" if e.best_accuracy is not None else "—"
        print(
            f"{e.id:>4}  {e.created:<19}  {e.status:<11}  {one_line(e.verdict or '—'):<12}  "
            f"{best:>6}  {e.run_count:>4}  {one_line(e.title)}",
            file=out,
        )
    for entry_id, reason in damaged:
        print(
            f"{entry_id:>4}  {'—':<19}  {'damaged':<11}  {'—':<12}  {'—':>6}  {'—':>4}  {reason}",
            file=out,
        )
    return 0


def _statuses(given: Sequence[str] | None, *, damaged: bool = False) -> list[str]:
    """--status values, each one of the journal's statuses (SpecError names them).

    `journal list` also takes `damaged`: the entries that fail the journal's schema.
    """
    from fmtui.core.journal import ENTRY_STATUSES
    from fmtui.core.spec import parse_choice

    choices = (*ENTRY_STATUSES, "damaged") if damaged else ENTRY_STATUSES
    return [parse_choice("--status", value, choices) for value in given or ()]


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export
    from fmtui.core.errors import FieldError
    from fmtui.core.export_target import TargetExists, write_export
    from fmtui.core.journal import JournalError
    from fmtui.core.spec import parse_choice

    try:
        fmt = parse_choice("format", args.format, export.FORMATS)
        ids = [_entry_id(i) for i in args.id]
        statuses = _statuses(args.status)
        with _open_journal(args, err, read_only=True) as journal:
            entries = export.select(journal, ids, statuses)
            damaged = [] if ids else journal.damaged()
        if args.tag is not None:
            entries = [e for e in entries if args.tag in e.tags]
        if damaged:
            shown = ", ".join(str(i) for i, _ in damaged[:10])
            more = f" and {len(damaged) - 10} more" if len(damaged) > 10 else ""
            print(
                f"fmtui export: skipped {count(len(damaged), 'damaged entry')} "
                f"(id {shown}{more}); `fmtui journal show ID` says what is wrong",
                file=err,
            )
        text = export.export_text(entries, fmt)
        if args.output == "-":
            print_export(out, text, fmt)
        elif args.output:
            written = write_export(
                args.output, text, journal=journal.path, overwrite=args.force, stdout=out
            )
            if written is not None:
                noun = "entry" if len(entries) == 1 else "entries"
                print(f"wrote {len(entries)} {noun} as {fmt} to {written}", file=err)
        else:
            print_export(out, text, fmt)
    except TargetExists as exc:
        print(f"fmtui export: {exc.path} exists; add --force to replace it", file=err)
        return 2
    except (JournalError, FieldError) as exc:
        print(f"fmtui export: {exc}", file=err)
        return 2
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export, importing, schema
    from fmtui.core.journal import JournalError
    from fmtui.core.spec import SpecError, parse_choice

    try:
        duplicates = parse_choice("--duplicates", args.duplicates, importing.DUPLICATE_CHOICES)
    except SpecError as exc:
        print(f"fmtui import: {exc}", file=err)
        return 2
    path = Path(args.file).expanduser()
    try:
        try:
            text = schema.read_import(path)
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise JournalError(f"cannot read {path}: {reason}") from exc
        except schema.ImportLimitError as exc:
            raise JournalError(str(exc)) from None
        entries = export.parse_import(text, path.name)
        with _open_journal(args, err) as journal:
            result = importing.merge(journal, entries, duplicates)
    except JournalError as exc:
        print(f"fmtui import: {path}: {exc}", file=err)
        return 2
    print(result.message(journal.path), file=out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
