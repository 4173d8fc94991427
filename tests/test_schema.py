"""Every entry field is checked against one schema: imports refuse, readers show damage."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from fmtui.cli import main
from fmtui.core import data
from fmtui.core.journal import Entry, Journal, JournalError
from fmtui.core.spec import RunSpec, SpecError
from tests.idx_fixtures import write_dataset

GOOD = {"title": "good", "created": "2025-01-01 10:00:00", "updated": "2025-01-01 10:00:00"}


def _export(path: Path, entries: list[Any]) -> Path:
    doc = {"format": "fmtui-journal", "format_version": 1, "entries": entries}
    path.write_text(json.dumps(doc), "utf-8")
    return path


def _run(**changes: Any) -> dict[str, Any]:
    return {"arm": "b", "spec": RunSpec().to_dict(), "status": "completed", **changes}


def _import(capsys: pytest.CaptureFixture[str], path: Path, journal: Path) -> tuple[int, str]:
    code = main(["import", str(path), "--journal", str(journal)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


BAD_FIELDS = [
    ({"verdict": ["supported"]}, "verdict", "expected one of supported, contradicted"),
    ({"runs": [_run(arm=["b"])]}, "runs[0].arm", "expected text"),
    ({"runs": [_run(arm={"n": 1})]}, "runs[0].arm", "expected text"),
    ({"claim": "higher"}, "claim", "expected an object"),
    ({"stats": {"p": 0.01}}, "stats", "unknown key 'p'"),
    ({"stats": [1, 2]}, "stats", "expected an object"),
    ({"pid": -4}, "pid", "from 1 to 2147483647 or null"),
    ({"pid": "12"}, "pid", "whole number"),
    ({"parent_id": 0}, "parent_id", "from 1 to 1000000000 or null"),
    ({"parent_id": 1.5}, "parent_id", "whole number"),
    ({"runs": [_run(epochs=[{"epoch": 1, "val_acc": "high"}])]}, "runs[0].epochs[0].val_acc", ""),
    ({"runs": [_run(test_acc=7)]}, "runs[0].test_acc", "from 0 to 1"),
    ({"runs": [_run(surprise=1)]}, "runs[0]", "unknown key 'surprise'"),
    ({"tags": "one"}, "tags", "expected a list"),
    ({"origin": "elsewhere"}, "origin", "expected one of fmtui, imported"),
    ({"title": "x" * 10_000_000}, "title", "at most 300 characters, got 10000000"),
    ({"title": "lone \ud800"}, "title", "not valid Unicode"),
    ({"unknown_field": 1}, "entry.unknown_field", "unknown field"),
]


@pytest.mark.parametrize(("bad", "field", "words"), BAD_FIELDS)
def test_import_refuses_the_whole_file_naming_entry_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: dict, field: str, words: str
) -> None:
    journal = tmp_path / "j.json"
    with Journal(journal) as j:
        j.add(Entry(title="kept"))
    before = journal.read_bytes()
    path = _export(tmp_path / "in.json", [GOOD, {"title": "second", **bad}])
    code, err = _import(capsys, path, journal)
    assert code == 2
    shown_title = "second" if "title" not in bad else ""
    assert f"entry 2 ('{shown_title}" in err or "entry 2 (" in err
    assert f"{field}:" in err and words in err
    assert len(err) < 600  # a 10 MB value is not repeated back
    assert journal.read_bytes() == before  # nothing was written


def test_empty_entries_list_is_refused(tmp_path: Path, capsys) -> None:
    code, err = _import(capsys, _export(tmp_path / "e.json", []), tmp_path / "j.json")
    assert code == 2 and "holds no entries" in err
    assert not (tmp_path / "j.json").exists()


def test_deep_nesting_is_a_message_not_a_recursion_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "deep.json"
    deep = "[" * 5000 + "]" * 5000
    path.write_text(f'{{"format":"fmtui-journal","format_version":1,"entries":[{deep}]}}')
    code, err = _import(capsys, path, tmp_path / "j.json")
    assert code == 2 and "nested too deeply" in err


def test_a_million_entries_are_refused_before_checking(tmp_path: Path, capsys) -> None:
    path = _export(tmp_path / "many.json", [{"verdict": ["x"]}] * 1_000_000)
    code, err = _import(capsys, path, tmp_path / "j.json")
    assert code == 2
    assert "1,000,000 entries; at most 100,000" in err


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # sparse: 200 MB that takes no disk space
        fh.truncate(200 * 2**20)
    code, err = _import(capsys, path, tmp_path / "j.json")
    assert code == 2 and "limited to 104,857,600 bytes" in err


def test_markdown_import_is_checked_too(tmp_path: Path, capsys) -> None:
    path = tmp_path / "notes.md"
    path.write_text("#### 2025-10-07 15:00:51 " + "t" * 400 + "\n\n**Objective:**\nx\n")
    code, err = _import(capsys, path, tmp_path / "j.json")
    assert code == 2 and "entry 1 ('ttt" in err and "title: at most 300 characters" in err


# ---------------------------------------------------------------- readers


def _hand_written_journal(path: Path) -> None:
    entries = {
        "1": GOOD,
        "2": {**GOOD, "title": "bad verdict", "verdict": ["x"]},
        "3": {**GOOD, "title": "bad run", "runs": [_run(arm={"x": 1})]},
        "4": {**GOOD, "title": "bad claim", "claim": "higher"},
    }
    doc = {"_meta": {"1": {"schema_version": 1}}, "entries": entries}
    path.write_text(json.dumps(doc), "utf-8")


def test_journal_api_reports_damaged_entries(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    _hand_written_journal(path)
    with Journal(path, read_only=True) as j:
        assert [e.id for e in j.all()] == [1]
        damaged = j.damaged()
        assert [i for i, _ in damaged] == [2, 3, 4]
        assert damaged[0][1].startswith("verdict:")
        assert damaged[1][1].startswith("runs[0].arm:")
        with pytest.raises(JournalError, match="Entry 3 .* is damaged: runs\\[0\\].arm"):
            j.get(3)
    with Journal(path) as j:  # a writer can delete one
        j.delete(2)
        assert [i for i, _ in j.damaged()] == [3, 4]


def test_cli_lists_shows_and_skips_damaged_entries(tmp_path: Path, capsys) -> None:
    path = tmp_path / "j.json"
    _hand_written_journal(path)
    assert main(["journal", "list", "--journal", str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.split()[:2] == ["1", "2025-01-01"] for line in lines)
    damaged = [line for line in lines if "damaged" in line]
    assert [line.split()[0] for line in damaged] == ["2", "3", "4"]
    assert "claim: expected an object" in damaged[2]
    assert main(["journal", "show", "3", "--journal", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Entry 3" in err and "damaged" in err and "runs[0].arm" in err
    assert main(["export", "--format", "json", "--journal", str(path)]) == 0
    captured = capsys.readouterr()
    assert "skipped 3 damaged entries (id 2, 3, 4)" in captured.err
    assert [e["title"] for e in json.loads(captured.out)["entries"]] == ["good"]
    for search in (["--search", "bad"], ["--status", "draft"]):
        main(["journal", "list", "--journal", str(path), *search])
        assert "damaged" not in capsys.readouterr().out


def test_entry_checks_go_through_the_schema_table() -> None:
    from fmtui.core import schema

    for name in schema.ENTRY:
        assert name in {f for f in Entry.__dataclass_fields__}
    with pytest.raises(SpecError) as info:
        Entry(runs=[_run(epochs=[{"epoch": 1, "train_loss": -1.0}])])
    assert info.value.field == "runs[0].epochs[0].train_loss"
    stored = Entry(runs=[_run(epochs=[{"epoch": 1, "train_loss": float("nan")}])]).runs[0]
    assert stored["epochs"][0]["train_loss"] is None  # non-finite → null, as before


# ---------------------------------------------------------------- data files


def test_gzip_bomb_among_the_data_files_is_refused(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "fx")
    raw = folder / "train-labels-idx1-ubyte"
    raw.unlink()
    bomb = folder / "train-labels-idx1-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as fh:
        chunk = bytes(2**20)
        for _ in range(60):  # 60 MiB of zeros, a few dozen KiB compressed
            fh.write(chunk)
    with pytest.raises(data.DataError, match="more than 47,040,016 bytes when decompressed"):
        data.read_split(folder, "train", require_full=False)
    assert bomb.stat().st_size < 1_000_000


def test_running_entry_with_odd_pid_and_runs_is_read_not_a_crash(tmp_path: Path, capsys) -> None:
    path = tmp_path / "j.json"
    entries = {
        "1": {**GOOD, "status": "running", "pid": 10**30, "runs": 5},
        "2": {**GOOD, "status": "running", "pid": True, "runs": [1]},
    }
    path.write_text(json.dumps({"_meta": {"1": {"schema_version": 1}}, "entries": entries}))
    assert main(["journal", "list", "--journal", str(path)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "entry 1 was running when its process ended" in captured.err
    assert "runs: expected a list, got int 5" in captured.out
