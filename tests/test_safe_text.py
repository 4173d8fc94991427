"""Terminal-safe text: every control, C1 and bidi character is escaped visibly, nothing else."""

from __future__ import annotations

import io
import json
import os

import pytest

from fmtui.core.safe_text import (
    SafeWriter,
    is_terminal_safe,
    json_terminal_safe,
    one_line,
    pictured,
    raw_stream,
    safe_stream,
    terminal_safe,
    write_export,
)
from tests.hostile import PAYLOAD

UNSAFE = [chr(c) for c in (*range(0, 9), *range(11, 32), *range(0x7F, 0xA0))] + [
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
]


@pytest.mark.parametrize("char", UNSAFE, ids=lambda c: f"U+{ord(c):04X}")
def test_each_unsafe_character_is_shown_as_its_escape(char: str) -> None:
    shown = terminal_safe(f"a{char}b")
    assert char not in shown
    code = ord(char)
    expected = "\\r" if char == "\r" else (f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")
    assert shown == f"a{expected}b"


def test_hostile_sequences_become_readable_text() -> None:
    shown = terminal_safe("\x1b[2J\x1b]52;c;ZQ==\x07\x9b31m\u202eevil")
    assert shown == "\\x1b[2J\\x1b]52;c;ZQ==\\x07\\x9b31m\\u202eevil"
    assert is_terminal_safe(shown) and not is_terminal_safe(PAYLOAD)


def test_ordinary_text_is_unchanged() -> None:
    text = (
        "Effect of batch size — 32 vs 64: ±0.005, naïve, 日本語, emoji 🙂, C:\\path [b]x[/b]\n\tok"
    )
    assert terminal_safe(text) == text


def test_newline_and_tab_are_kept_crlf_reads_as_a_newline() -> None:
    assert terminal_safe("a\nb\tc\r\nd\re") == "a\nb\tc\nd\\re"


def test_one_line_joins_lines_and_still_escapes() -> None:
    assert one_line("a\nb\r\nc\td\x1b") == "a b c d\\x1b"


def test_lone_surrogates_are_escaped_so_the_text_can_be_encoded() -> None:
    shown = terminal_safe("x\ud800y")
    assert shown == "x\\ud800y"
    shown.encode("utf-8")


def test_json_stays_valid_and_exact() -> None:
    data = {"title": PAYLOAD + "\u2066 end", "n": [1, -0.5]}
    text = json_terminal_safe(json.dumps(data, ensure_ascii=False))
    assert is_terminal_safe(text)
    assert json.loads(text) == data


def test_pictured_keeps_the_length_and_shows_each_control() -> None:
    text = "a\x1bb\x7fc\x9bd\u202ee\n"
    shown = pictured(text)
    assert len(shown) == len(text)
    assert shown == "a␛b␡c\ufffdd\ufffde␊"


def test_safe_writer_escapes_everything_written() -> None:
    buffer = io.StringIO()
    out = safe_stream(buffer)
    print("title:", "\x1b]0;x\x07", file=out)
    out.writelines(["\x9b", "\n"])
    assert buffer.getvalue() == "title: \\x1b]0;x\\x07\n\\x9b\n"
    assert raw_stream(out) is buffer and isinstance(out, SafeWriter)


def test_export_to_a_pipe_is_exact() -> None:
    buffer = io.StringIO()
    write_export(safe_stream(buffer), f"# {PAYLOAD}\n", "md")
    assert buffer.getvalue() == f"# {PAYLOAD}\n"


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_export_to_a_terminal_is_made_safe(fmt: str) -> None:
    master, slave = os.openpty()
    try:
        with open(slave, "w", encoding="utf-8", closefd=False) as tty:
            text = json.dumps({"t": PAYLOAD}, ensure_ascii=False) if fmt == "json" else PAYLOAD
            write_export(safe_stream(tty), text + "\n", fmt)
        shown = os.read(master, 65536).decode("utf-8")
    finally:
        os.close(master)
        os.close(slave)
    assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown
    if fmt == "json":
        assert json.loads(shown) == {"t": PAYLOAD}
