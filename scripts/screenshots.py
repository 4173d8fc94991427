"""Regenerates screenshots/*.svg: each screen at 120×40 (`name.svg`) and 80×24 (`name-80x24.svg`).

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

from tests.scenarios import SCENARIOS, SIZES, prepare, scenario_app  # noqa: E402

OUT = ROOT / "screenshots"


async def shoot(name: str, folder: Path, suffix: str, size: tuple[int, int]) -> None:
    app = scenario_app(name, folder)
    filename = f"{name}{suffix}.svg"
    async with app.run_test(size=size) as pilot:
        await prepare(pilot, name)
        app.save_screenshot(filename=filename, path=str(OUT))
    app.journal.close()
    print(f"wrote {OUT / filename}")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.svg"):
        old.unlink()
    for name in SCENARIOS:
        for suffix, size in SIZES.items():
            with tempfile.TemporaryDirectory() as tmp:  # a fresh journal for each shot
                await shoot(name, Path(tmp), suffix, size)


if __name__ == "__main__":
    asyncio.run(main())
