#!/usr/bin/env python3
"""Write the README screenshots (SVG) into screenshots/ from the fake service.

The fake has fixed data and the clock is frozen, so the files are reproducible:
    .venv/bin/python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ui.snapshot_apps import SIZE, builders  # noqa: E402

SHOTS = {
    "main": "healthy",
    "member-action-modal": "remove_modal",
    "health-pane": "health_pane",
    "help": "help",
    "one-member-down": "one_down",
    "quorum-lost": "quorum_lost",
}


async def shoot(name: str, case: str, out: Path) -> Path:
    app, run_before = builders()[case]
    async with app.run_test(size=SIZE) as pilot:
        await run_before(pilot)
        await pilot.pause()
        path = out / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(out))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, case in SHOTS.items():
        print(asyncio.run(shoot(name, case, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
