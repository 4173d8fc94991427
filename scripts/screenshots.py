"""Regenerates screenshots/*.svg: one SVG per screen at 120×40.

Run from the repository root: `python scripts/screenshots.py`. The screens are the
same scenarios the snapshot tests use (tests/scenarios.py).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scenarios import SCENARIOS, SIZE, scenario_app  # noqa: E402

OUT = ROOT / "screenshots"


async def shoot(name: str, folder: Path) -> None:
    app = scenario_app(name, folder)
    _with_entries, run_before = SCENARIOS[name]
    async with app.run_test(size=SIZE) as pilot:
        await run_before(pilot)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    app.journal.close()
    print(f"wrote {OUT / (name + '.svg')}")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.svg"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        for name in SCENARIOS:
            await shoot(name, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
