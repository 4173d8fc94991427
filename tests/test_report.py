"""Reports: the record in the journal, the generated document, figures and HTML."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from fmtui.core import export
from fmtui.core import journal as jmod
from fmtui.core.errors import FieldError
from fmtui.core.journal import Entry, Journal, JournalError
from fmtui.core.report import Report, Reports, export_report, load_report, parse_entry_ids
from fmtui.core.report import figures as figmod
from fmtui.core.report.analysis import learning_curves, width_grid
from fmtui.core.report.build import markdown
from fmtui.core.report.prose import parse_report_markdown
from tests.report_fixtures import add_fixture_entries, depth_entry, grid_entry

# The seed report beside the checkout (../shared), or one folder further up.
SEED = next(
    (
        p / "shared" / "seed" / "000_393ed98be3ef1edf.txt"
        for p in Path(__file__).resolve().parents[2:4]
        if (p / "shared" / "seed" / "000_393ed98be3ef1edf.txt").exists()
    ),
    Path("/nonexistent"),
)
NASTY = "[/bold] <script>alert(1)</script>\n## Appendix\n#### 2025-01-01 00:00:00 fake\n\x1b[31m"


def _journal_with_report(path: Path, **fields: object) -> tuple[int, list[int]]:
    with Journal(path) as j:
        ids = add_fixture_entries(j)
        report = Report(title="Widths and depth", entry_ids=ids, **fields)  # type: ignore[arg-type]
        return Reports(j).add(report), ids


# ---------------------------------------------------------------- the record


def test_report_is_stored_in_its_own_table_and_entries_are_untouched(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    with Journal(path) as j:
        ids = add_fixture_entries(j)
        before = json.loads(path.read_text())["entries"]
        report_id = Reports(j).add(Report(title="R", entry_ids=[ids[2], ids[0]], method="M"))
    doc = json.loads(path.read_text())
    assert doc["entries"] == before
    assert doc["reports"][str(report_id)]["entry_ids"] == [ids[2], ids[0]]
    with Journal(path, read_only=True) as j:
        report = Reports(j).get(report_id)
        assert report.method == "M" and report.entry_ids == [ids[2], ids[0]]
        assert len(j) == 3  # the reports table is not read as entries


def test_report_update_keeps_its_id_and_stamps_updated(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.json") as j:
        reports = Reports(j)
        report_id = reports.add(Report(title="R", created="2025-01-01 00:00:00"))
        report = reports.get(report_id)
        report.updated = "2025-01-01 00:00:00"
        report.discussion = "new text"
        reports.update(report)
        again = reports.get(report_id)
    assert again.discussion == "new text" and again.id == report_id
    assert again.updated != "2025-01-01 00:00:00"
    assert [r.id for r in Reports(j).all()] == [report_id]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "R", "introduction": 5}, "introduction"),
        ({"title": "R", "method": "x" * 100_001}, "method"),
        ({"title": "R", "entry_ids": [1, 1]}, "entries"),
        ({"title": "R", "entry_ids": ["1"]}, "entries"),
        ({"title": "R", "entry_ids": [True]}, "entries"),
        ({"title": "R", "entry_ids": "1,2"}, "entries"),
        ({"title": "R", "layout": "post\ntitle: x"}, "layout"),
        ({"title": "R", "tags": ["ok", "no space"]}, "tags"),
        ({"title": "R", "front_matter": "yes"}, "front_matter"),
        ({"title": "R", "created": "yesterday"}, "created"),
    ],
)
def test_invalid_report_fields_are_named(values: dict, field: str) -> None:
    with pytest.raises(FieldError) as err:
        Report.from_dict(values)
    assert err.value.field == field


def test_a_report_of_missing_entries_is_refused_and_nothing_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    with Journal(path) as j:
        ids = add_fixture_entries(j)
        before = path.read_bytes()
        with pytest.raises(FieldError, match="no entry 99"):
            Reports(j).add(Report(title="R", entry_ids=[ids[0], 99]))
    assert path.read_bytes() == before


def test_a_failed_report_save_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "j.json"
    with Journal(path) as j:
        reports = Reports(j)
        report_id = reports.add(Report(title="R", conclusion="kept"))
        report = reports.get(report_id)
        before = path.read_bytes()
        stamp = report.updated = "2025-01-01 00:00:00"

        def full(fd: int, data: object) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(jmod.os, "write", full)
        report.conclusion = "lost?"
        with pytest.raises(JournalError, match="Nothing on disk was changed"):
            reports.update(report)
        monkeypatch.undo()
        assert report.updated == stamp
        assert reports.get(report_id).conclusion == "kept"
    assert path.read_bytes() == before


def test_a_read_only_journal_refuses_report_writes(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    Journal(path).close()
    with Journal(path, read_only=True) as j, pytest.raises(JournalError, match="read-only"):
        Reports(j).add(Report(title="R"))


def test_the_entries_table_is_not_handed_out(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.json") as j, pytest.raises(JournalError):
        with j.table("entries", write=True):
            pass


def test_entry_ids_parse_lists_and_ranges() -> None:
    assert parse_entry_ids(["3,1", "7-9"]) == [3, 1, 7, 8, 9]
    for bad in ("a", "5-2", "1-x", "0"):
        with pytest.raises(FieldError):
            parse_entry_ids([bad])


# ---------------------------------------------------------------- the document


def test_generated_results_name_the_best_configuration_with_seeds(tmp_path: Path) -> None:
    report_id, ids = _journal_with_report(tmp_path / "j.json")
    with Journal(tmp_path / "j.json", read_only=True) as j:
        report, entries, notes = load_report(j, report_id)
    text, planned, _ = markdown(report, entries)
    assert not notes
    assert (
        "The best configuration found is **512 x 512** (relu, adam lr 0.001, batch 64, "
        f"up to 4 epochs; arm `512x512` of entry {ids[0]}, “Width grid”): test accuracy "
        "**0.8966 ± 0.0007** over 2 seeds (0, 1)."
    ) in text
    # one row per experiment, with the claim and verdict of the batch-size entry
    row = next(line for line in text.splitlines() if "Effect of Batch Size" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:] == [
        "test accuracy higher than b64",
        "contradicted",  # paired seeds: the per-seed differences agree
        "b64 (384 x 512)",
        "0.8895 ± 0.0017",
        "3 (0, 1, 2)",
    ]
    assert [f.kind for f in planned] == ["architecture", "grid", "curves", "curves", "curves"]


def test_document_follows_the_seed_section_order_with_the_export_as_appendix(
    tmp_path: Path,
) -> None:
    report_id, ids = _journal_with_report(
        tmp_path / "j.json", introduction="I", front_matter=True, layout="post", tags=["a", "b"]
    )
    with Journal(tmp_path / "j.json", read_only=True) as j:
        report, entries, _ = load_report(j, report_id)
    text, _, _ = markdown(report, entries)
    assert text.startswith('---\nlayout: post\ntitle: "Widths and depth"\ntags: a b\n---\n')
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Introduction",
        "## Method",
        "## Results",
        "## Discussion",
        "## Conclusion",
        "## Appendix",
    ]
    appendix = text.split("### Journal Entries\n\n", 1)[1].split("\n\n### Reproducibility")[0]
    assert appendix + "\n" == export.to_markdown(entries)
    assert "Generated by fmtui 0.1.0" in text
    assert text.count("fmtui run --layers") == 3  # each entry's rerun command


def test_same_journal_gives_the_same_bytes(tmp_path: Path) -> None:
    report_id, _ = _journal_with_report(tmp_path / "j.json")
    with Journal(tmp_path / "j.json", read_only=True) as j:
        report, entries, _ = load_report(j, report_id)
        first = export_report(report, entries, tmp_path / "a")
        second = export_report(*load_report(j, report_id)[:2], tmp_path / "b")
    assert first.document.read_bytes() == second.document.read_bytes()
    for path in first.figures:
        if path.suffix == ".svg":
            assert path.read_bytes() == (tmp_path / "b" / "figures" / path.name).read_bytes()


def test_prose_is_data_and_never_breaks_the_structure(tmp_path: Path) -> None:
    report = Report(title="T\n## fake", introduction=NASTY, discussion="**Results:**")
    text, _, _ = markdown(report, [])
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[0] == "# T ## fake"
    assert "## Appendix" in headings and headings.count("## Appendix") == 1
    assert "\\## Appendix" in text and "\\#### 2025-01-01" in text
    back = parse_report_markdown(text)
    assert back["introduction"] == NASTY and back["discussion"] == "**Results:**"


def test_exported_appendix_imports_back_as_the_same_entries(tmp_path: Path) -> None:
    report_id, _ = _journal_with_report(tmp_path / "j.json")
    with Journal(tmp_path / "j.json", read_only=True) as j:
        report, entries, _ = load_report(j, report_id)
    text, _, _ = markdown(report, entries)
    back = export.parse_markdown(text)
    assert [e.title for e in back] == [e.title for e in entries]
    assert back[-1].conclusion == entries[-1].conclusion


def test_deleted_entries_are_left_out_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    report_id, ids = _journal_with_report(path)
    with Journal(path) as j:
        j.delete(ids[1])
    with Journal(path, read_only=True) as j:
        _, entries, notes = load_report(j, report_id)
    assert [e.id for e in entries] == [ids[0], ids[2]]
    assert notes == [f"entry {ids[1]} is no longer in the journal; left out"]


def test_seed_report_prose_is_read_section_by_section() -> None:
    if not SEED.exists():
        pytest.skip("the seed report is not beside this checkout")
    values = parse_report_markdown(SEED.read_text())
    assert values["title"] == "Neural Networks Assignment Report"
    assert values["layout"] == "post" and values["tags"] == ["machine-learning", "report"]
    assert values["introduction"].startswith("For the lectures of Deep Learning")
    assert values["method"].endswith(
        "5. Repeat steps 2-4 to explore more aspects of neural networks."
    )
    assert values["conclusion"].endswith("in machine learning.")
    assert values["preamble"].startswith("[notebook]")
    Report.from_dict(values)  # every field valid


# ---------------------------------------------------------------- figures and HTML


def test_figures_are_written_as_png_and_svg_of_sane_size(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report_id, ids = _journal_with_report(tmp_path / "j.json")
    with Journal(tmp_path / "j.json", read_only=True) as j:
        result = export_report(*load_report(j, report_id)[:2], tmp_path / "out")
    names = sorted(p.name for p in result.figures)
    assert "accuracy-by-architecture.png" in names and f"entry-{ids[0]}-grid.svg" in names
    assert len(names) == 10
    for path in result.figures:
        size = path.stat().st_size
        assert 5_000 < size < 2_000_000, (path.name, size)
        head = path.read_bytes()[:100]
        assert (
            head.startswith(b"\x89PNG")
            if path.suffix == ".png"
            else b"<svg" in head or (b"<?xml" in head)
        )
    png = (tmp_path / "out" / "figures" / "accuracy-by-architecture.png").read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (800, 500)
    text = result.document.read_text()
    for path in result.figures:
        if path.suffix == ".png":
            assert f"](figures/{path.name})" in text


def test_without_matplotlib_the_report_says_how_to_get_figures(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(figmod, "matplotlib_available", lambda: False)
    report_id, _ = _journal_with_report(tmp_path / "j.json")
    with Journal(tmp_path / "j.json", read_only=True) as j:
        result = export_report(*load_report(j, report_id)[:2], tmp_path / "out")
    assert not (tmp_path / "out" / "figures").exists() and result.figures == []
    assert "pip install 'fmtui[report]'" in result.document.read_text()
    assert result.notes and "Matplotlib is not installed" in result.notes[0]


def test_html_is_one_file_with_inline_figures_and_escaped_text(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "j.json"
    with Journal(path) as j:
        ids = j.add_many([grid_entry()])
        report_id = Reports(j).add(
            Report(title="<b>T</b>", entry_ids=ids, introduction=NASTY + "\n[x](javascript:a)")
        )
    with Journal(path, read_only=True) as j:
        result = export_report(*load_report(j, report_id)[:2], tmp_path / "out", "html")
    html = result.document.read_text()
    assert result.document.name == "report.html" and not (tmp_path / "out" / "figures").exists()
    # the architecture figure, the grid and the curves
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert "<title>&lt;b&gt;T&lt;/b&gt;</title>" in html
    assert "<table>" in html


def test_export_into_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(JournalError, match="cannot create"):
        export_report(Report(title="R"), [], blocker / "out")


def test_grid_and_curves_come_from_the_runs() -> None:
    grid = width_grid(grid_entry())
    assert grid is not None and grid.rows == (128, 384, 512) and grid.cols == (128, 384, 512)
    assert grid.means[2][2] == pytest.approx(0.8966)
    curves = learning_curves(depth_entry())
    assert [c.arm for c in curves] == ["384x512", "512x384x384", "256x512x256"]
    first = curves[0]
    assert first.epochs == (1, 2, 3, 4) and first.seeds == 3
    assert first.sd[0] == pytest.approx(0.0005)  # seeds 0.0005 apart in the fixture
    assert width_grid(depth_entry()) is None and width_grid(Entry(title="x")) is None


def test_one_epoch_runs_get_no_learning_curve_figure() -> None:
    entry = depth_entry()
    entry.id = 4
    for run in entry.runs:
        run["epochs"] = run["epochs"][:1]
    assert [f.kind for f in figmod.plan([entry])] == ["architecture"]
    text, _, _ = markdown(Report(title="R"), [entry])
    assert "up to 3 epochs" in text


def test_a_hand_damaged_report_is_named_not_exported(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    with Journal(path) as j:
        Reports(j).add(Report(title="Good"))
    doc = json.loads(path.read_text())
    doc["reports"]["2"] = {"title": ["not", "text"], "entry_ids": "1"}
    path.write_text(json.dumps(doc))
    with Journal(path, read_only=True) as j:
        assert [r.title for r in Reports(j).all()] == ["Good"]
        with pytest.raises(JournalError, match="Report 2 in the journal is damaged: title"):
            Reports(j).get(2)


def test_a_new_export_removes_figures_it_no_longer_draws(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report_id, ids = _journal_with_report(tmp_path / "j.json")
    out = tmp_path / "out"
    mine = out / "figures" / "my-own.png"
    with Journal(tmp_path / "j.json", read_only=True) as j:
        report, entries, _ = load_report(j, report_id)
        export_report(report, entries, out)
        mine.write_bytes(b"kept")
        grid = out / "figures" / f"entry-{ids[0]}-grid.svg"
        assert grid.exists()
        export_report(report, entries[1:], out)  # the grid entry left the report
    assert not grid.exists() and mine.read_bytes() == b"kept"
    assert (out / "figures" / "accuracy-by-architecture.png").exists()


def test_a_new_report_file_gets_the_umask_mode_like_its_figures(tmp_path: Path) -> None:
    report_id, _ids = _journal_with_report(tmp_path / "j.json")
    old = os.umask(0o022)
    try:
        with Journal(tmp_path / "j.json", read_only=True) as j:
            result = export_report(*load_report(j, report_id)[:2], tmp_path / "out")
    finally:
        os.umask(old)
    assert (result.document.stat().st_mode & 0o777) == 0o644
