#!/usr/bin/env python3
"""Write the README screenshots (SVG) into screenshots/ from the fake service.

The fake has fixed data and the clock is frozen, so the files are reproducible:
    .venv/bin/python scripts/screenshots.py [--out screenshots]
    .venv/bin/python scripts/screenshots.py --lang id     # into screenshots/id/
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.screen_apps import SIZE, builders  # noqa: E402

SHOTS = {
    "main": "healthy",
    "member-action-modal": "remove_modal",
    "health-pane": "health_pane",
    "help": "help",
    "one-member-down": "one_down",
    "quorum-lost": "quorum_lost",
}
# The Indonesian set (docs/id/) adds a wizard step.
SHOTS_ID = {**SHOTS, "wizard-step": "wizard_step"}


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
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--lang", default="en", help="id: the console in Bahasa Indonesia")
    args = parser.parse_args()
    from etcdtui.i18n import set_language

    set_language(args.lang)
    shots = SHOTS if args.lang == "en" else SHOTS_ID
    out = args.out or ROOT / "screenshots" / ("" if args.lang == "en" else args.lang)
    out.mkdir(parents=True, exist_ok=True)
    args.out = out
    for name, case in shots.items():
        print(asyncio.run(shoot(name, case, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
