"""SVG snapshots of every screen at 120×40 and 80×24 (blink off, fixed entries, no toasts)."""

from __future__ import annotations

from functools import partial

import pytest

from tests.scenarios import SCENARIOS, SIZE, SMALL, prepare, scenario_app


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_screen_snapshot(name: str, snap_compare, tmp_path) -> None:
    run_before = partial(prepare, name=name)
    assert snap_compare(scenario_app(name, tmp_path), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_screen_snapshot_80x24(name: str, snap_compare, tmp_path) -> None:
    run_before = partial(prepare, name=name)
    assert snap_compare(scenario_app(name, tmp_path), terminal_size=SMALL, run_before=run_before)
