"""Provides a journal whose every text field holds terminal control sequences and markup.

It is what a colleague's file could hold: screen clear, window title (OSC 0), clipboard
write (OSC 52), hyperlink (OSC 8), C1 controls, DEL, bidi overrides and Rich/Textual
markup. Tests show it through the CLI and the app and look for these bytes in the output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fmtui.core.journal import Entry, Journal
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec

CLEAR = "\x1b[2J"
TITLE_OSC = "\x1b]0;PWNED\x07"
CLIPBOARD_OSC = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
LINK_OSC = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
C1 = "\x9b31m\x85\x90\x9d"  # CSI, NEL, DCS, OSC as single C1 bytes
BIDI = "\u202eevil\u202c\u2066x\u2069"
MARKUP = "[/][bold]b[/bold][link=http://evil.example/]l[/link][@click=app.quit]q[/]"
# Short enough for an arm name (80 characters) and a title (300).
PAYLOAD = f"{CLEAR}{TITLE_OSC}{CLIPBOARD_OSC}{C1}\x7f\x01{BIDI}"
ARM_PAYLOAD = f"a{CLEAR}\x1b]0;T\x07\x9b\x7f\u202e[/]"

# Sequences that must never reach a terminal from journal text (the app's own
# escape codes are built from other sequences: CSI with parameters for colours
# and cursor moves, never these).
FORBIDDEN = (
    b"\x1b[2J",
    b"\x1b]0;PWNED",
    b"\x1b]0;T",
    b"\x1b]52;",
    b"\x1b]8;;http://evil",
    b"PWNED\x07",
)
# C1 controls and DEL as UTF-8 (as they reach a UTF-8 terminal) and as raw bytes.
C1_UTF8 = tuple(chr(c).encode() for c in range(0x80, 0xA0)) + (b"\x7f",)
BIDI_UTF8 = tuple(chr(c).encode() for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def text_field(name: str) -> str:
    return f"{name} {PAYLOAD} {MARKUP}\nsecond line\t{LINK_OSC}"


def hostile_entries() -> list[Entry]:
    arm = ARM_PAYLOAD
    spec = RunSpec(epochs=3, patience=0)
    experiment = ExperimentSpec(
        arms=(Arm(arm, spec), Arm("b[/]", spec.with_changes(batch_size=32))), seeds=2
    )
    runs = [
        {
            "arm": name,
            "repeat": i,
            "spec": spec.with_changes(seed=i, batch_size=bs).to_dict(),
            "status": "completed" if name == arm else "failed",
            "test_acc": 0.85 + i / 100,
            "epochs": [{"epoch": 1, "val_acc": 0.8}, {"epoch": 2, "val_acc": 0.81}],
            "device": f"cpu{CLEAR}",
            "error": None if name == arm else f"boom {PAYLOAD} [/]",
            "duration_s": 3.0,
        }
        for name, bs in ((arm, 64), ("b[/]", 32))
        for i in range(2)
    ]
    first = Entry(
        title=f"T {PAYLOAD} {MARKUP}",
        status="completed",
        created="2025-10-07 15:00:51",
        updated="2025-10-07 15:00:51",
        tags=[f"tag{CLEAR}", "[/]", f"\x9b{TITLE_OSC}"],
        experiment=experiment.to_dict(),
        runs=runs,
        verdict="inconclusive",  # a hostile verdict is refused by the schema: see below
        claim={"metric": "test_acc", "direction": "higher", "baseline": arm},
        **{
            name: text_field(name)
            for name in (
                "objective",
                "hypothesis",
                "methodology",
                "results",
                "evaluation",
                "conclusion",
            )
        },
    )
    second = Entry(
        title=f"[/] second {CLIPBOARD_OSC}",
        status="draft",
        created="2025-10-08 09:00:00",
        updated="2025-10-08 09:00:00",
        hypothesis=MARKUP,
    )
    return [first, second]


HOSTILE_VERDICT = f"[/]{CLEAR}\x9b"


def write_hostile_journal(path: Path) -> list[int]:
    """The hostile entries, plus one edited by hand to hold a hostile verdict.

    The schema refuses such a verdict, so that entry is listed as damaged, with its
    reason (which quotes the verdict) shown instead of the entry.
    """
    with Journal(path) as journal:
        ids = [journal.add(entry) for entry in hostile_entries()]
    doc = json.loads(path.read_text("utf-8"))
    table = doc["entries"]
    damaged = dict(table[str(ids[1])], verdict=HOSTILE_VERDICT)
    table[str(max(ids) + 1)] = damaged
    path.write_text(json.dumps(doc), "utf-8")
    return ids


def leaks(output: bytes) -> list[bytes]:
    """The forbidden sequences, C1 controls, DEL and bidi controls found in `output`."""
    found = [seq for seq in FORBIDDEN if seq in output]
    # A link to the journal's URL in any form: raw OSC 8, or Textual's own
    # (`ESC ]8;id=…;URL`) had `[link=…]` been read as markup.
    found += re.findall(rb"\x1b\]8;[^;\x1b]*;http://evil", output)
    found += [seq for seq in C1_UTF8 + BIDI_UTF8 if seq in output]
    return found


def bad_control_bytes(output: bytes) -> list[int]:
    """Bytes below 0x20 other than newline and tab, and DEL, in plain CLI output."""
    return sorted({b for b in output if (b < 0x20 and b not in (0x0A, 0x09)) or b == 0x7F})
