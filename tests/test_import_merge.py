"""Importing twice adds nothing new; reruns keep pointing at their originals after import."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmtui.cli import main
from fmtui.core import export, importing
from fmtui.core.journal import Entry, Journal
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec

EXPERIMENT = ExperimentSpec(arms=(Arm("a", RunSpec(layers=(16,), epochs=1)),), seeds=1).to_dict()


def _run(acc: float) -> dict:
    return {
        "arm": "a",
        "repeat": 0,
        "spec": RunSpec(layers=(16,), epochs=1).to_dict(),
        "status": "completed",
        "test_acc": acc,
        "epochs": [{"epoch": 1, "train_loss": 0.5, "val_acc": acc - 0.01}],
    }


def _journal_with_a_rerun(path: Path) -> None:
    with Journal(path) as j:
        j.add(Entry(title="unrelated", created="2025-01-01 10:00:00"))
        original = Entry(
            title="base", created="2025-01-02 10:00:00", experiment=EXPERIMENT, runs=[_run(0.8)]
        )
        j.add(original)
        j.add(
            Entry(
                title=f"base (rerun of {original.id})",
                created="2025-01-03 10:00:00",
                experiment=EXPERIMENT,
                runs=[_run(0.8)],
                parent_id=original.id,
            )
        )


def _export(journal: Path, target: Path, *ids: str) -> None:
    id_args = [a for i in ids for a in ("--id", i)]
    args = ["export", "--journal", str(journal), "--format", "json", "-o", str(target)]
    assert main([*args, *id_args]) == 0


def test_importing_the_same_file_twice_skips_what_is_there(tmp_path: Path, capsys) -> None:
    source, target, dump = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "x.json"
    _journal_with_a_rerun(source)
    _export(source, dump)
    capsys.readouterr()
    assert main(["import", str(dump), "--journal", str(target)]) == 0
    assert capsys.readouterr().out.startswith("imported 3 entries (new ids 1–3 in")
    assert main(["import", str(dump), "--journal", str(target)]) == 0
    assert capsys.readouterr().out.startswith(
        "imported 0 entries, skipped 3 already in the journal ("
    )
    with Journal(target, read_only=True) as j:
        assert len(j) == 3


def test_duplicates_keep_imports_again(tmp_path: Path, capsys) -> None:
    source, target, dump = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "x.json"
    _journal_with_a_rerun(source)
    _export(source, dump)
    for _ in range(2):
        assert main(["import", str(dump), "--journal", str(target), "--duplicates", "keep"]) == 0
    with Journal(target, read_only=True) as j:
        assert len(j) == 6
    assert main(["import", str(dump), "--journal", str(target), "--duplicates", "maybe"]) == 2
    assert "--duplicates: expected one of skip, keep" in capsys.readouterr().err


def test_markdown_import_twice_matches_on_time_and_title(tmp_path: Path, capsys) -> None:
    report = tmp_path / "r.md"
    report.write_text(
        "#### 2025-10-07 15:00:51 Widths\n\n**Objective:**\nx\n\n"
        "#### 2025-10-08 15:00:51 Depth\n\n**Objective:**\ny\n"
    )
    target = tmp_path / "j.json"
    assert main(["import", str(report), "--journal", str(target)]) == 0
    more = "\n#### 2025-10-09 15:00:51 Batch\n\n**Objective:**\nz\n"
    report.write_text(report.read_text() + more)
    capsys.readouterr()
    assert main(["import", str(report), "--journal", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("imported 1 entry, skipped 2 already in the journal (new id 3 in")


def test_rerun_links_follow_the_new_ids(tmp_path: Path) -> None:
    source, target, dump = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "x.json"
    _journal_with_a_rerun(source)
    _export(source, dump, "2", "3")  # the original (id 2) and its rerun (id 3)
    with Journal(target) as j:
        for title in ("one", "two", "three", "four"):
            j.add(Entry(title=title))
        j.delete(4)  # TinyDB's counter is cached past a deleted last id
    assert main(["import", str(dump), "--journal", str(target)]) == 0
    with Journal(target, read_only=True) as j:
        by_title = {e.title: e for e in j.all()}
    original = by_title["base"]
    rerun = next(e for e in by_title.values() if e.title.startswith("base (rerun"))
    assert rerun.parent_id == original.id != 2
    assert rerun.title == f"base (rerun of {original.id})"
    assert rerun.link_note == ""


def test_rerun_of_an_entry_not_in_the_file_is_unlinked_with_a_note(tmp_path: Path, capsys) -> None:
    source, target, dump = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "x.json"
    _journal_with_a_rerun(source)
    _export(source, dump, "1", "3")  # the rerun without its original
    capsys.readouterr()
    assert main(["import", str(dump), "--journal", str(target)]) == 0
    assert "1 entry now marked 'rerun of an entry not in this journal'" in capsys.readouterr().out
    with Journal(target, read_only=True) as j:
        rerun = j.get(2)
    assert rerun.parent_id is None
    assert rerun.link_note == importing.NOT_HERE
    assert rerun.title == "base (rerun of an entry not in this journal)"
    assert "Note: rerun of an entry not in this journal." in export.entry_markdown(rerun)


def test_skipped_original_still_links_its_rerun(tmp_path: Path) -> None:
    source, target, first, second = (tmp_path / n for n in ("a.json", "b.json", "1.json", "2.json"))
    _journal_with_a_rerun(source)
    _export(source, first, "2")
    _export(source, second, "2", "3")
    assert main(["import", str(first), "--journal", str(target)]) == 0
    assert main(["import", str(second), "--journal", str(target)]) == 0
    with Journal(target, read_only=True) as j:
        assert len(j) == 2 and j.get(2).parent_id == 1


@pytest.mark.parametrize("bad", ["7", "true", "-3"])
def test_hostile_file_ids_refuse_the_file_naming_the_field(tmp_path: Path, bad: str) -> None:
    text = (
        '{"format": "fmtui-journal", "format_version": 1, "entries": '
        f'[{{"title": "x", "id": {bad}, "parent_id": "{bad}"}}]}}'
    )
    with pytest.raises(export.ImportFileError, match=r"entry 1 .*(id|parent_id)"):
        export.parse_import(text, "x.json")


def test_an_unlinked_rerun_is_still_found_when_imported_again(tmp_path: Path, capsys) -> None:
    source, target, first, second = (tmp_path / n for n in ("a.json", "b.json", "1.json", "2.json"))
    _journal_with_a_rerun(source)
    _export(source, first, "3")  # the rerun alone: imported unlinked, title rewritten
    _export(source, second, "2", "3")
    assert main(["import", str(first), "--journal", str(target)]) == 0
    capsys.readouterr()
    assert main(["import", str(second), "--journal", str(target)]) == 0
    assert "imported 1 entry, skipped 1 already in the journal" in capsys.readouterr().out
    with Journal(target, read_only=True) as j:
        assert sorted(e.title for e in j.all()) == [
            "base",
            "base (rerun of an entry not in this journal)",
        ]


def test_ids_stay_unique_after_an_import_in_the_same_session(tmp_path: Path) -> None:
    source = tmp_path / "a.json"
    _journal_with_a_rerun(source)
    with Journal(source, read_only=True) as j:
        entries = export.parse_import(export.to_json(j.all()), "x.json")
    with Journal(tmp_path / "b.json") as j:
        for title in ("one", "two", "three"):
            j.add(Entry(title=title))
        j.delete(3)  # TinyDB's cached counter now points past a free id
        result = importing.merge(j, entries)
        later = j.add(Entry(title="after"))
        ids = [e.id for e in j.all()]
    assert result.ids == [4, 5, 6] and later == 7  # 3 is not handed out again
    assert len(ids) == len(set(ids)) == 6
