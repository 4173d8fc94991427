"""SVG snapshots of every screen (blink off, fixed entries, fixed devices)."""

from __future__ import annotations

import pytest

from tests.scenarios import SCENARIOS, SIZE, scenario_app


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_screen_snapshot(name: str, snap_compare, tmp_path) -> None:
    _with_entries, run_before = SCENARIOS[name]
    assert snap_compare(scenario_app(name, tmp_path), terminal_size=SIZE, run_before=run_before)
