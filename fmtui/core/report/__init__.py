"""Provides reports: documents built from journal entries, with prose, tables and figures."""

from fmtui.core.report.build import ExportResult, export_report, load_report
from fmtui.core.report.model import PROSE_FIELDS, Report, Reports, parse_entry_ids

__all__ = [
    "PROSE_FIELDS",
    "ExportResult",
    "Report",
    "Reports",
    "export_report",
    "load_report",
    "parse_entry_ids",
]
