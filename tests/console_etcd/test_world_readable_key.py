"""The console warns about a client key other users may read (issue 11's up-front TLS
file checks). The CLI's refusals and warnings are in tests/integration/test_tls_file_safety.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from etcdtui.services.sandbox import Sandbox
from tests.support.tls_files import copy_with_mode

pytestmark = pytest.mark.etcd


async def test_the_console_warns_about_a_world_readable_key(
    cluster: Sandbox, tmp_path: Path
) -> None:
    from dataclasses import replace

    from etcdtui.services.audit import AuditLog
    from tests.support.pilot_helpers import real_app, rows, until

    key = copy_with_mode(cluster.settings().key, tmp_path / "client.key", 0o644)
    app = real_app(replace(cluster.settings(), key=key), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 3, what="the members")
        texts = [str(n.message) for n in app._notifications]
        assert any("mode 0644" in t and "chmod 600" in t for t in texts), texts
