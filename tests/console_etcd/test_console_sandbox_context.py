"""`etcdtui --sandbox` (the console starting its own sandbox) writes the context that
`sandbox status` tells the operator to use, and makes it current (issue 11, item 18).
The sandbox's other records are in tests/integration/test_sandbox_records.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from etcdtui.config import load_config
from etcdtui.services.sandbox import Sandbox

pytestmark = pytest.mark.etcd


async def test_console_sandbox_writes_the_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from etcdtui.ui.app import EtcdtuiApp

    monkeypatch.setenv("ETCDTUI_SANDBOX_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("ETCDTUI_CONFIG_DIR", str(tmp_path / "config"))
    app = EtcdtuiApp(None, start_sandbox=True, nothing_configured=None, theme_dirs=[])
    try:
        async with app.run_test(size=(120, 40)) as pilot:

            def connected() -> Any:
                return app.settings is not None and app.settings.source == "sandbox"

            for _ in range(900):
                if connected():
                    break
                await pilot.pause(0.1)
            assert connected()
        ctx = load_config().contexts.get("sandbox")
        assert ctx is not None
        assert set(ctx.endpoints) == set(Sandbox(tmp_path / "sandbox").settings().endpoints)
        assert load_config().current_context == "sandbox"
    finally:
        Sandbox(tmp_path / "sandbox").down()
