"""Provides `export_report`: a report and its entries written as Markdown + figures, or HTML."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fmtui.core.journal import Entry, Journal, JournalError, atomic_write
from fmtui.core.report import document, figures, html
from fmtui.core.report.model import Report, Reports

# A report is for sharing: a new file gets the umask's mode, as its figures do.
SHARED_MODE = 0o666

FORMATS = ("md", "html")


@dataclass
class ExportResult:
    """What an export wrote, and what the user should know about it."""

    document: Path
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_report(journal: Journal, report_id: int) -> tuple[Report, list[Entry], list[str]]:
    """The report, its entries in the report's order, and notes on entries since deleted."""
    report = Reports(journal).get(report_id)
    entries, notes = [], []
    for entry_id in report.entry_ids:
        try:
            entries.append(journal.get(entry_id))
        except JournalError:
            notes.append(f"entry {entry_id} is no longer in the journal; left out")
    return report, entries, notes


def markdown(report: Report, entries: list[Entry]) -> tuple[str, list[figures.Figure], bool]:
    """The Markdown text, the figures it references and whether they can be drawn."""
    planned = figures.plan(entries)
    drawn = bool(planned) and figures.matplotlib_available()
    return document.build(report, entries, planned, drawn), planned, drawn


def export_report(
    report: Report, entries: list[Entry], folder: Path, fmt: str = "md"
) -> ExportResult:
    """Write report.md and figures/ (md) or one self-contained report.html (html) in `folder`.

    Figures are written before the document, so a document never names a missing file.
    """
    if fmt not in FORMATS:
        raise JournalError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise JournalError(f"cannot create {folder}: {err.strerror or err}") from err
    text, planned, drawn = markdown(report, entries)
    notes = []
    if planned and not drawn:
        notes.append(
            f"{len(planned)} figure(s) not drawn: Matplotlib is not installed "
            f"({figures.INSTALL_HINT})"
        )
    try:
        if fmt == "md":
            written = figures.draw(planned, entries, folder / document.FIGURES_DIR) if drawn else []
            target = folder / "report.md"
            atomic_write(target, text, new_mode=SHARED_MODE)
            _remove_stale(folder / document.FIGURES_DIR, written)
            return ExportResult(target, written, notes)
        images: dict[str, bytes] = {}
        if drawn:
            with tempfile.TemporaryDirectory(prefix="fmtui-report-") as tmp:
                for path in figures.draw(planned, entries, Path(tmp)):
                    if path.suffix == ".svg":
                        images[f"{document.FIGURES_DIR}/{path.stem}.png"] = path.read_bytes()
        target = folder / "report.html"
        atomic_write(
            target,
            html.render(text, report.title, images, report.front_matter),
            new_mode=SHARED_MODE,
        )
        return ExportResult(target, [], notes)
    except OSError as err:
        raise JournalError(f"cannot write the report in {folder}: {err.strerror or err}") from err


STALE_RE = re.compile(r"^(accuracy-by-architecture|entry-\d+-(grid|curves))\.(png|svg)$")


def _remove_stale(folder: Path, written: list[Path]) -> None:
    """Figures an earlier export drew that this one did not (only names fmtui gives)."""
    if not folder.is_dir():
        return
    keep = {p.name for p in written}
    for path in folder.iterdir():
        if STALE_RE.match(path.name) and path.name not in keep:
            path.unlink(missing_ok=True)
