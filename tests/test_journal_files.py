"""The journal file's own properties survive writes: symlinks, mode, owner and group,
for the journal, its backups and its quarantined copies."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from fmtui.core.journal import Entry, Journal


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def real(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "journal.json"
    with Journal(path) as j:
        j.add(Entry(title="first"))
    return path


def test_a_journal_reached_by_symlink_is_written_at_its_target(real: Path, tmp_path: Path) -> None:
    link = tmp_path / "home" / "journal.json"
    link.parent.mkdir()
    link.symlink_to(real)
    with Journal(link) as j:
        assert (real.parent / "journal.json.lock").exists(), "one lock for every link"
        j.add(Entry(title="through the link"))
    assert link.is_symlink() and os.readlink(link) == str(real)
    with Journal(real, read_only=True) as j:
        assert [e.title for e in j] == ["first", "through the link"]
    assert sorted(p.name for p in link.parent.iterdir()) == ["journal.json"]


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o640])
def test_a_write_keeps_the_journals_mode(real: Path, mode: int) -> None:
    real.chmod(mode)
    with Journal(real) as j:
        j.add(Entry(title="second"))
    assert _mode(real) == mode


def test_a_new_journal_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    with Journal(path) as j:
        j.add(Entry(title="x"))
    assert _mode(path) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_a_write_keeps_owner_and_group(real: Path) -> None:
    os.chown(real, 4242, 4343)
    with Journal(real) as j:
        j.add(Entry(title="second"))
    st = real.stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343)


def test_a_migration_backup_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    entry = {"title": "early", "created": "2025-10-07 15:00:51", "updated": "2025-10-07 15:00:51"}
    path.write_text(json.dumps({"entries": {"1": entry}}))
    path.chmod(0o664)
    with Journal(path) as j:
        assert j.backup is not None
        backup = j.backup
    assert _mode(backup) == 0o664 and _mode(path) == 0o664


def test_quarantine_keeps_the_mode_and_the_symlink(real: Path, tmp_path: Path) -> None:
    real.write_text('{"entries": {"1": {"title": "trunc')
    real.chmod(0o664)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with Journal(link) as j:
        assert j.recovery is not None
        moved = j.recovery.moved_to
    assert moved.parent == real.parent and _mode(moved) == 0o664
    assert moved.read_text() == '{"entries": {"1": {"title": "trunc'
    assert link.is_symlink() and _mode(real) == 0o664
    json.loads(real.read_text())
