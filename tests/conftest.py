"""Shared fixtures: tiny IDX data sets and an isolated environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmtui.core import data
from tests.idx_fixtures import write_dataset


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's real journal, cache and data settings."""
    monkeypatch.setenv("FMTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FMTUI_JOURNAL", str(tmp_path / "journal" / "journal.json"))
    monkeypatch.delenv("FMTUI_DATA_DIR", raising=False)
    data.clear_cache()


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "fmnist")


@pytest.fixture
def fixture_source(fixture_dir: Path) -> data.DataSource:
    return data.DataSource("explicit", fixture_dir)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.json"
