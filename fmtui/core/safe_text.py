"""Provides terminal-safe text: control and bidi characters from files and people, made visible.

Journal text is hostile until shown safe: a title imported from a colleague's file
may hold an escape sequence that clears the screen, renames the window, writes the
clipboard (OSC 52) or plants a link (OSC 8). Every place that shows such text in a
terminal passes it through `terminal_safe` (multi-line text) or `one_line` (a table
cell or a list line), and the CLI writes through `SafeWriter`.

The escaped characters are shown *visibly*, as the Python escape a programmer would
type, so the reader sees that they are there and what they are:

- C0 controls except newline and tab (ESC → ``\\x1b``, CR → ``\\r``, BEL → ``\\x07``),
- DEL (``\\x7f``) and the C1 controls U+0080–U+009F (``\\x9b`` is a one-character CSI),
- the bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069,
  which reorder what is shown (``\\u202e``),
- lone surrogates, which no terminal encoding can carry (``\\ud800``).

A backslash itself is left alone, so paths and LaTeX read as typed; the escapes are
for the eye, not for parsing. Files written by export keep the exact text.
"""

from __future__ import annotations

import re
from typing import Any, TextIO, cast

_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
UNSAFE_RE = re.compile(f"[{_UNSAFE}]")
# In one-line contexts newline, tab and CR-LF become one space each.
_LINE_BREAK_RE = re.compile(r"\r\n|[\n\t]")
# Characters `json.dumps(ensure_ascii=False)` leaves raw inside strings (it escapes
# only C0): DEL, C1, bidi controls and surrogates. JSON strings can carry them as \\u.
_JSON_RAW_RE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with every control, bidi and surrogate character escaped visibly.

    Newline and tab are kept: multi-line text (a Markdown pane, `journal show`)
    needs them, and they move the cursor only in ways a reader expects. A CR-LF
    line end is shown as the newline it means.
    """
    return UNSAFE_RE.sub(_visible, text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """Terminal-safe text for one line: newlines and tabs become spaces."""
    return terminal_safe(_LINE_BREAK_RE.sub(" ", text))


# One visible character per unsafe one, for editable fields whose cursor positions
# must not move: C0 controls as their Unicode control pictures (ESC → ␛), DEL as ␡,
# C1, bidi controls and lone surrogates as the replacement character �.
PICTURES = (
    {c: 0x2400 + c for c in range(0x20)}
    | {0x7F: 0x2421}
    | {c: 0xFFFD for c in (*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
    | {c: 0xFFFD for c in range(0xD800, 0xE000)}
)


def pictured(text: str) -> str:
    """`text` with each control character replaced by one visible character (same length).

    Newlines and tabs are replaced too: it is meant for one rendered line.
    """
    return text.translate(PICTURES)


def is_terminal_safe(text: str) -> bool:
    return UNSAFE_RE.search(text) is None


def json_terminal_safe(text: str) -> str:
    """JSON text (from `json.dumps`) that shows safely and still parses to the same data.

    `ensure_ascii=False` escapes C0 controls but leaves DEL, C1 and bidi controls raw;
    outside strings JSON holds none of these, so a ``\\uXXXX`` escape is exact.
    """
    return _JSON_RAW_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeWriter:
    """A text stream that escapes what it writes with `terminal_safe`.

    The CLI's stdout and stderr are wrapped in one, so no journal text, path or
    error message that echoes input can reach the terminal raw, whichever command
    printed it. `raw` is the stream underneath, for exact exports into a pipe or file.
    """

    def __init__(self, stream: TextIO) -> None:
        self.raw = stream

    def write(self, text: str) -> int:
        return self.raw.write(terminal_safe(text))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, buffer…
        return getattr(self.raw, name)


def safe_stream(stream: TextIO) -> TextIO:
    """`stream` wrapped in a `SafeWriter`, typed as the text stream it stands in for."""
    return cast(TextIO, SafeWriter(stream))


def raw_stream(stream: TextIO) -> TextIO:
    """The stream under a `SafeWriter` (or `stream` itself)."""
    return stream.raw if isinstance(stream, SafeWriter) else stream


def write_export(stream: TextIO, text: str, fmt: str) -> None:
    """An export written to stdout: exact into a pipe or file, made safe on a terminal.

    On a terminal JSON stays valid JSON of the same data (``\\uXXXX`` escapes).
    """
    raw = raw_stream(stream)
    if raw.isatty():
        text = json_terminal_safe(text) if fmt == "json" else terminal_safe(text)
    raw.write(text)
