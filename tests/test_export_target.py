"""`fmtui export -o`: the journal's own files refused, devices and FIFOs written in place,
existing files replaced only with --force and with their mode, symlinks kept."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from fmtui.cli import main
from fmtui.core.journal import Entry, Journal


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "j" / "journal.json"
    with Journal(path) as j:
        j.add(Entry(title="Kept safe"))
    return path


def _export(journal: Path, *extra: str) -> int:
    return main(["export", "--journal", str(journal), *extra])


def _protected_targets(journal: Path) -> dict[str, Path]:
    folder = journal.parent
    (folder / "journal.json.lock").write_text("")  # as a live writer leaves it
    (folder / "journal.json.v0-backup-20250101-000000").write_text("{}")
    (folder / "journal.json.corrupt-20250101-000000").write_text("x")
    (folder / ".journal.json.tmp-1-2").write_text("t")
    link = folder.parent / "link-to-journal.md"
    link.symlink_to(journal)
    hard = folder.parent / "hard-link.md"
    os.link(journal, hard)
    hard_backup = folder.parent / "hard-backup.md"
    os.link(folder / "journal.json.v0-backup-20250101-000000", hard_backup)
    return {
        "journal": journal,
        "lock": folder / "journal.json.lock",
        "backup": folder / "journal.json.v0-backup-20250101-000000",
        "quarantine": folder / "journal.json.corrupt-20250101-000000",
        "temp": folder / ".journal.json.tmp-1-2",
        "symlink": link,
        "hard link": hard,
        "hard link to a backup": hard_backup,
        "relative": Path(os.path.relpath(journal)),
    }


@pytest.mark.parametrize(
    "which",
    [
        "journal",
        "lock",
        "backup",
        "quarantine",
        "temp",
        "symlink",
        "hard link",
        "hard link to a backup",
        "relative",
    ],
)
def test_export_refuses_the_journal_and_its_own_files(journal: Path, capsys, which) -> None:
    target = _protected_targets(journal)[which]
    before = {p: p.read_bytes() for p in journal.parent.iterdir()}
    assert _export(journal, "-o", str(target), "--force") == 2
    assert "refusing to write to" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in journal.parent.iterdir()} == before
    with Journal(journal) as j:
        assert [e.title for e in j] == ["Kept safe"]


def test_export_to_an_existing_file_needs_force_and_keeps_its_mode(
    journal: Path, tmp_path: Path, capsys
) -> None:
    for mode in (0o644, 0o664):
        target = tmp_path / f"report-{mode:o}.md"
        target.write_text("old")
        target.chmod(mode)
        assert _export(journal, "-o", str(target)) == 2
        assert "exists; add --force to replace it" in capsys.readouterr().err
        assert target.read_text() == "old"
        assert _export(journal, "-o", str(target), "--force") == 0
        assert "Kept safe" in target.read_text()
        assert stat.S_IMODE(target.stat().st_mode) == mode


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's group needs root")
def test_export_keeps_owner_and_group_as_root(journal: Path, tmp_path: Path) -> None:
    target = tmp_path / "shared.md"
    target.write_text("old")
    os.chown(target, 4242, 4343)
    assert _export(journal, "-o", str(target), "--force") == 0
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343) and "Kept safe" in target.read_text()


def test_export_through_a_symlink_writes_the_target_and_keeps_the_link(
    journal: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    real.chmod(0o664)
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert _export(journal, "-o", str(link), "--force") == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "Kept safe" in real.read_text() and stat.S_IMODE(real.stat().st_mode) == 0o664


def test_export_new_file_gets_the_umask_mode(journal: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert _export(journal, "-o", str(tmp_path / "new.md")) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_export_to_the_null_device_leaves_the_device_alone(journal: Path, tmp_path: Path) -> None:
    # The null device (1, 3) through a private node: the same device as /dev/null, but a
    # regression here replaces a file of this test's, not the machine's /dev/null.
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert _export(journal, "-o", str(node)) == 0
    assert stat.S_ISCHR(node.lstat().st_mode) and node.stat().st_rdev == os.makedev(1, 3)


def test_export_to_a_fifo_writes_through_it(journal: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    opened = threading.Event()

    def reader() -> None:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open without waiting for a writer
        opened.set()
        chunks = []
        try:
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    threading.Event().wait(0.01)
                    continue
                if not chunk:  # no writer yet, or the writer is done
                    if chunks:
                        break
                    threading.Event().wait(0.01)
                    continue
                chunks.append(chunk)
        finally:
            os.close(fd)
        got.append(b"".join(chunks))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert opened.wait(10)
    assert _export(journal, "-o", str(fifo)) == 0
    thread.join(timeout=30)
    assert got and b"Kept safe" in got[0]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_to_a_fifo_nobody_reads_is_refused_without_hanging(
    journal: Path, tmp_path: Path, capsys
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert _export(journal, "-o", str(fifo)) == 2
    assert "nothing is reading from it" in capsys.readouterr().err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_export_to_a_folder_is_refused(journal: Path, tmp_path: Path, capsys) -> None:
    assert _export(journal, "-o", str(tmp_path), "--force") == 2
    assert "is a folder; name a file inside it" in capsys.readouterr().err


def test_export_dash_writes_stdout(journal: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _export(journal, "-o", "-") == 0
    assert "Kept safe" in capsys.readouterr().out
    assert not (tmp_path / "-").exists()


def test_write_export_core_rules(journal: Path, tmp_path: Path) -> None:
    from fmtui.core.export_target import ExportTargetError, TargetExists, write_export

    target = tmp_path / "x.md"
    assert write_export(target, "a", journal=journal) == target
    with pytest.raises(TargetExists):
        write_export(target, "b", journal=journal)
    with pytest.raises(ExportTargetError, match="standard output"):
        write_export("-", "b", journal=journal)  # the app has no stdout to give
    with pytest.raises(ExportTargetError, match="does not exist"):
        write_export(tmp_path / "nope" / "x.md", "b", journal=journal)
    assert target.read_text() == "a"
