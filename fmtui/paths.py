"""Provides the on-disk locations fmtui uses, with environment overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "fmtui"
DEBIAN_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")


def data_dir_override(env: dict[str, str] | None = None) -> Path | None:
    """The data directory named by FMTUI_DATA_DIR, if any."""
    value = (env if env is not None else os.environ).get("FMTUI_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else None


def cache_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where a downloaded copy of Fashion-MNIST lives (FMTUI_CACHE_DIR overrides)."""
    value = (env if env is not None else os.environ).get("FMTUI_CACHE_DIR", "").strip()
    base = Path(value).expanduser() if value else platformdirs.user_cache_path(APP_NAME)
    return base / "fashion-mnist"


def journal_path(env: dict[str, str] | None = None) -> Path:
    """The journal file: FMTUI_JOURNAL, else journal.json in the user data dir."""
    value = (env if env is not None else os.environ).get("FMTUI_JOURNAL", "").strip()
    if value:
        return Path(value).expanduser()
    return platformdirs.user_data_path(APP_NAME) / "journal.json"
