"""The CLI never writes a control character from journal or typed text to the terminal.

Each test runs the real `fmtui` in a child process against a journal whose every
text field holds ESC/CSI/OSC 0/OSC 52/OSC 8 sequences, C1 controls, DEL and bidi
overrides, and reads the bytes it wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fmtui.core import export
from fmtui.core.journal import Journal
from tests.hostile import ARM_PAYLOAD, PAYLOAD, bad_control_bytes, write_hostile_journal

ROOT = Path(__file__).resolve().parent.parent


def fmtui(*args: str, journal: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    if journal is not None:
        env["FMTUI_JOURNAL"] = str(journal)
    return subprocess.run(
        [sys.executable, "-m", "fmtui", *args], capture_output=True, env=env, timeout=300
    )


def assert_terminal_safe(output: bytes) -> str:
    """No byte below 0x20 but newline and tab, no DEL, no C1 or bidi code point."""
    assert bad_control_bytes(output) == []
    text = output.decode("utf-8")
    bad = sorted({f"U+{ord(c):04X}" for c in text if 0x7F <= ord(c) <= 0x9F})
    bad += sorted({f"U+{ord(c):04X}" for c in text if 0x202A <= ord(c) <= 0x202E})
    bad += sorted({f"U+{ord(c):04X}" for c in text if 0x2066 <= ord(c) <= 0x2069})
    assert bad == []
    return text


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.json"
    write_hostile_journal(path)
    return path


def test_journal_list_shows_hostile_titles_escaped(hostile: Path) -> None:
    result = fmtui("journal", "list", journal=hostile)
    assert result.returncode == 0
    text = assert_terminal_safe(result.stdout + result.stderr)
    # Visible, not dropped: the reader sees that the title holds an escape sequence.
    assert "T \\x1b[2J\\x1b]0;PWNED\\x07\\x1b]52;c;" in text
    assert "\\x9b31m" in text and "\\u202eevil" in text
    # The header, a line per entry, and the hand-edited entry listed as damaged, its
    # reason quoting the hostile verdict escaped.
    assert len(text.splitlines()) == 4
    assert "damaged" in text and "[/]\\x1b[2J\\x9b" in text


@pytest.mark.parametrize("entry", ["1", "2"])
def test_journal_show_markdown_is_terminal_safe(hostile: Path, entry: str) -> None:
    result = fmtui("journal", "show", entry, journal=hostile)
    assert result.returncode == 0
    text = assert_terminal_safe(result.stdout + result.stderr)
    if entry == "1":
        assert "**Conclusion:**\nconclusion \\x1b[2J" in text
        assert "second line\t\\x1b]8;;http://evil.example/" in text


def test_journal_show_json_is_terminal_safe_and_exact(hostile: Path) -> None:
    result = fmtui("journal", "show", "1", "--format", "json", journal=hostile)
    assert result.returncode == 0
    text = assert_terminal_safe(result.stdout + result.stderr)
    (shown,) = json.loads(text)["entries"]
    with Journal(hostile, read_only=True) as journal:
        stored = journal.get(1)
    assert shown["title"] == stored.title and shown["verdict"] == stored.verdict
    assert shown["runs"][0]["arm"] == ARM_PAYLOAD and shown["tags"] == stored.tags


def test_export_into_a_pipe_keeps_the_exact_text(hostile: Path) -> None:
    result = fmtui("export", "--format", "md", journal=hostile)
    assert result.returncode == 0
    with Journal(hostile, read_only=True) as journal:
        # `query` lists summaries; exports are of whole entries, as the CLI's.
        expected = export.to_markdown(journal.full(journal.query(sort="date", reverse=False)))
    assert result.stdout.decode("utf-8") == expected
    assert PAYLOAD.encode() in result.stdout


def test_errors_that_echo_input_are_escaped(hostile: Path, tmp_path: Path) -> None:
    bad_file = tmp_path / "bad\x1b]0;PWNED\x07.md"
    bad_file.write_text("# nothing\x9b here\n")
    results = [
        fmtui("journal", "show", "1\x1b[2J", journal=hostile),
        fmtui("import", str(bad_file), journal=tmp_path / "other.json"),
        fmtui(
            "run",
            "--arm-name",
            ARM_PAYLOAD,
            "--variant",
            "b\x9b\u202e: batch_size=32",
            "--baseline",
            "missing",
            journal=tmp_path / "other.json",
        ),
    ]
    for result in results:
        assert result.returncode == 2
        text = assert_terminal_safe(result.stdout + result.stderr)
        assert "\\x1b" in text or "\\x9b" in text
    assert "arms: a\\x1b[2J\\x1b]0;T\\x07\\x9b\\x7f\\u202e[/], b\\x9b\\u202e" in text


def test_run_output_escapes_arm_names(fixture_dir: Path, tmp_path: Path) -> None:
    journal = tmp_path / "run.json"
    result = fmtui(
        "run",
        "--allow-subset",
        "--data-dir",
        str(fixture_dir),
        "--layers",
        "8",
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--arm-name",
        ARM_PAYLOAD,
        "--variant",
        "b\x1b[2J\x9b: batch_size=32",
        "--title",
        f"T {PAYLOAD}",
        journal=journal,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = assert_terminal_safe(result.stdout + result.stderr)
    assert "arm a\\x1b[2J\\x1b]0;T\\x07" in text and "b\\x1b[2J\\x9b " in text
    with Journal(journal, read_only=True) as j:  # the journal keeps the exact text
        assert j.get(1).title == f"T {PAYLOAD}"


@pytest.mark.parametrize(
    "args",
    [
        ["journal", "list", "\x1b]0;PWNED\x07"],
        ["journal", "\x1b[2J\x9b"],
        ["export", "--bogus\x1b]52;c;QQ==\x07"],
    ],
    ids=["unrecognized", "invalid-choice", "unknown-flag"],
)
def test_usage_errors_that_echo_arguments_are_escaped(args: list[str], tmp_path: Path) -> None:
    result = fmtui(*args, journal=tmp_path / "j.json")
    assert result.returncode == 2
    text = assert_terminal_safe(result.stdout + result.stderr)
    assert "error:" in text and "\\x1b" in text
