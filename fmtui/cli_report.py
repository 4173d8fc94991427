"""Provides `fmtui report new|edit|show|export`: reports from the shell.

`show` and `export` only read the journal (no lock, no torch); `new` and `edit` write
through the journal's lock and atomic save. Prose comes from flags, from files
(`-` reads standard input) or from a Markdown report (`--from`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

PROSE_HELP = {
    "preamble": "text before the first section (links, notes)",
    "introduction": "the Introduction",
    "method": "the Method",
    "results": "your text at the top of Results (the rest is generated)",
    "discussion": "the Discussion",
    "conclusion": "the Conclusion",
}


def add_parser(sub: Any) -> None:
    """The `report` command and its actions, under `fmtui`'s subparsers."""
    report = sub.add_parser("report", help="write, show and export reports built from entries")
    actions = report.add_subparsers(dest="report_command", metavar="ACTION")
    new = actions.add_parser("new", help="create a report")
    edit = actions.add_parser("edit", help="change a report (only the fields given)")
    edit.add_argument("id", help="report id (see report show)")
    for p in (new, edit):
        p.add_argument("--title", help="the report's title (1 to 300 characters)")
        p.add_argument(
            "--entries", action="append", help="entry ids in report order: 3,5,7 (replaces)"
        )
        p.add_argument(
            "--from",
            dest="from_file",
            metavar="FILE",
            help="take title, front "
            "matter and prose from a Markdown report (sections named ## Introduction …)",
        )
        for name, text in PROSE_HELP.items():
            p.add_argument(f"--{name}", metavar="TEXT", help=text)
            p.add_argument(
                f"--{name}-file", metavar="FILE", help=f"{text}, from a file (- for stdin)"
            )
        p.add_argument("--front-matter", choices=("on", "off"), help="write a Jekyll block")
        p.add_argument("--layout", help="front matter layout, like post")
        p.add_argument("--tag", action="append", help="front matter tag (repeatable; replaces)")
    show = actions.add_parser("show", help="list reports, or print one as Markdown")
    show.add_argument("id", nargs="?", help="report id; without it, list the reports")
    export = actions.add_parser("export", help="write report.md + figures/, or report.html")
    export.add_argument("id", help="report id (see report show)")
    export.add_argument("-o", "--output", metavar="DIR", help="folder to write into (required)")
    export.add_argument("--format", default="md", help="md (with figures/) or html (one file)")
    for p in (new, edit, show, export):
        p.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)


def _read(path_text: str) -> str:
    from fmtui.core.journal import JournalError

    if path_text == "-":
        return sys.stdin.read()
    path = Path(path_text).expanduser()
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise JournalError(f"cannot read {path}: {reason}") from exc


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    """The fields the flags set; --from first, so explicit flags win over it."""
    from fmtui.core.report import parse_entry_ids
    from fmtui.core.report.prose import parse_report_markdown

    values: dict[str, Any] = {}
    if args.from_file:
        values.update(parse_report_markdown(_read(args.from_file)))
    if args.title is not None:
        values["title"] = args.title
    if args.entries:
        values["entry_ids"] = parse_entry_ids(args.entries)
    for name in PROSE_HELP:
        text, file = getattr(args, name), getattr(args, f"{name}_file")
        if file is not None:
            values[name] = _read(file)
        elif text is not None:
            values[name] = text
    if args.front_matter is not None:
        values["front_matter"] = args.front_matter == "on"
    if args.layout is not None:
        values["layout"] = args.layout
    if args.tag is not None:
        values["tags"] = args.tag
    return values


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.cli_common import _entry_id, _open_journal
    from fmtui.core.errors import FieldError
    from fmtui.core.journal import JournalError

    command = args.report_command
    try:
        if command in ("new", "edit"):
            with _open_journal(args, err) as journal:
                return _write(journal, args, out)
        with _open_journal(args, err, read_only=True) as journal:
            if command == "show" and args.id is None:
                return _list(journal, out)
            report_id = _entry_id(args.id)
            if command == "show":
                return _show(journal, report_id, out, err)
            return _export(journal, report_id, args, out, err)
    except FieldError as exc:
        print(f"fmtui report {command}: {exc.field}: {exc.message}", file=err)
    except JournalError as exc:
        print(f"fmtui report {command}: {exc}", file=err)
    return 2


def _write(journal: Any, args: argparse.Namespace, out: TextIO) -> int:
    from fmtui.cli_common import _entry_id
    from fmtui.core.report import Report, Reports

    reports = Reports(journal)
    changes = _changes(args)
    if args.report_command == "new":
        report = Report(**changes)
        report_id = reports.add(report)
        print(f"report {report_id} created in {journal.path}", file=out)
        return 0
    report = reports.get(_entry_id(args.id))
    # Validate the whole changed record before saving: a bad field changes nothing.
    updated = Report.from_dict(report.to_dict() | changes, report.id)
    reports.update(updated)
    print(f"report {updated.id} saved", file=out)
    return 0


def _list(journal: Any, out: TextIO) -> int:
    from fmtui.core.report import Reports

    reports = Reports(journal).all()
    if not reports:
        print("No reports yet: fmtui report new --title TITLE --entries 1,2,3", file=out)
        return 0
    print(f"{'id':>4}  {'updated':<19}  {'entries':>7}  title", file=out)
    for r in reports:
        title = r.title.replace("\n", " ").replace("\r", " ")
        print(f"{r.id:>4}  {r.updated:<19}  {len(r.entry_ids):>7}  {title}", file=out)
    return 0


def _show(journal: Any, report_id: int, out: TextIO, err: TextIO) -> int:
    from fmtui.core.report import load_report
    from fmtui.core.report.build import markdown

    report, entries, notes = load_report(journal, report_id)
    for note in notes:
        print(f"note: {note}", file=err)
    text, _, _ = markdown(report, entries)
    out.write(text)
    return 0


def _export(
    journal: Any, report_id: int, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    from fmtui.core.errors import FieldError
    from fmtui.core.report import export_report, load_report
    from fmtui.core.report.build import FORMATS
    from fmtui.core.spec import parse_choice

    fmt = parse_choice("format", args.format, FORMATS)
    if not args.output:
        raise FieldError("output", "name the folder to write into with -o DIR")
    report, entries, notes = load_report(journal, report_id)
    result = export_report(report, entries, Path(args.output).expanduser(), fmt)
    for note in notes + result.notes:
        print(f"note: {note}", file=err)
    figures = len([p for p in result.figures if p.suffix == ".png"])
    extra = f" and {figures} figure(s) in {result.document.parent / 'figures'}" if figures else ""
    print(f"wrote {result.document.resolve()}{extra}", file=out)
    return 0
