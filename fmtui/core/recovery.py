"""Provides recovery drafts: the text of open forms, saved when the app stops on an error.

An unexpected exception ends the app; what the user typed and had not saved would
go with it. The app collects every form field still on screen and this module
writes them as JSON beside the journal, with fsync, so the text survives and the
user is told where it is.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fmtui.core.journal import atomic_write, now_text

RECOVERY_FORMAT = "fmtui-recovery"


def recovery_name(when: datetime | None = None) -> str:
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"fmtui-recovery-{stamp}-{os.getpid()}.json"


def write_recovery(folder: Path, forms: list[dict[str, Any]], reason: str) -> Path:
    """Write `forms` (one object per open form) to a new file in `folder`; its path.

    Falls back to the temporary folder when `folder` cannot be written, so the text
    is kept even when the journal's folder is the problem. Raises OSError only when
    neither can be written.
    """
    doc = {"format": RECOVERY_FORMAT, "saved": now_text(), "reason": reason, "forms": forms}
    # ensure_ascii: a lone surrogate in a field cannot stop the text being saved.
    text = json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
    name = recovery_name()
    error: OSError | None = None
    for place in (folder, Path(tempfile.gettempdir())):
        path = place / name
        try:
            atomic_write(path, text)
        except OSError as err:
            error = error or err
            continue
        return path
    assert error is not None
    raise error
