"""docs/errors.md and docs/keys.md must be exactly what scripts/gen_docs writes from the
error classes and the console's action registry (as tests/unit/test_proto_fresh.py does
for the gRPC code)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["docs/errors.md", "docs/keys.md"]


def test_generated_docs_are_fresh(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    stale = [
        page
        for page in PAGES
        if (tmp_path / page).read_text(encoding="utf-8")
        != (ROOT / page).read_text(encoding="utf-8")
    ]
    assert not stale, f"stale generated docs, run .venv/bin/python scripts/gen_docs: {stale}"


def test_pages_name_every_code_and_key(tmp_path: Path) -> None:
    """What the pages are for: each error code has its anchor, each registry key a row."""
    errors = (ROOT / "docs/errors.md").read_text(encoding="utf-8")
    keys = (ROOT / "docs/keys.md").read_text(encoding="utf-8")
    for code in ("tls-expired", "read-only", "snapshot-exists", "nospace", "error"):
        assert f"\n## {code}\n" in errors, code
    for row in ("`member.remove`", "`:remove`", "`ctrl+d`", "`wizard.execute`", "`snapshots.keys`"):
        assert row in keys, row
    assert "docs/errors.md" in (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    assert "keys.md" in (ROOT / "docs/console.md").read_text(encoding="utf-8")
