"""Regenerates screenshots/*.svg: one SVG per screen at 120×40.

Run from the repository root: `python scripts/screenshots.py`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fmtui.app import make_app

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (120, 40)


async def shoot(name: str, app, keys: tuple[str, ...] = ()) -> None:
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote {OUT / (name + '.svg')}")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot("home", make_app(data_dir="/nonexistent/fashion-mnist"))


if __name__ == "__main__":
    asyncio.run(main())
