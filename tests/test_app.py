"""The app opens, shows where the data is, and quits from the keyboard."""

from __future__ import annotations

from textual.widgets import Static

from fmtui.app import make_app

FIXED_DATA_DIR = "/nonexistent/fashion-mnist"


async def test_app_opens_and_quits_with_q(fixture_dir) -> None:
    app = make_app(data_dir=fixture_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        text = str(app.query_one("#welcome", Static).render())
        assert "fmtui run --layers 384,512" in text
        assert str(fixture_dir) in text
        await pilot.press("q")
    assert app.return_code == 0


def test_home_snapshot(snap_compare) -> None:
    assert snap_compare(make_app(data_dir=FIXED_DATA_DIR), terminal_size=(120, 40))
