"""NOSPACE: the write error is classified, the alarm is shown, and the documented
recovery (compact, defragment each member, disarm) clears it. Real etcd, mTLS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace

import pytest

from etcdtui import errors
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd

QUOTA = 16 * 1024 * 1024


async def test_nospace_alarm_and_recovery(fresh_cluster: Callable[..., Sandbox]) -> None:
    sandbox = fresh_cluster(1, quota_bytes=QUOTA)
    value = os.urandom(512 * 1024)
    async with ClusterService(sandbox.settings(timeout=5)) as svc:
        raised: errors.EtcdtuiError | None = None
        for i in range(200):  # bounded: 100 MB at most against a 16 MB quota
            try:
                await svc.put(f"/fill/{i % 8}".encode(), value)  # 4 MB live, the rest history
            except errors.NoSpace as exc:
                raised = exc
                break
        assert isinstance(raised, errors.NoSpace), "the quota was never hit"
        assert "defragment" in raised.fix.lower() and "disarm" in raised.fix.lower()
        alarms = await svc.alarms()
        assert [a.kind for a in alarms] == ["NOSPACE"]

        settings = sandbox.settings()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "etcdtui",
                *conn_flags(replace(settings, endpoints=settings.endpoints[:1])),
                "status",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 1
        assert json.loads(proc.stdout)["alarms"][0]["alarm"] == "NOSPACE"

        # recovery as etcd's maintenance guide prescribes (etcd.io/docs/v3.5/op-guide/
        # maintenance/, "Space quota"): compact, defragment, disarm
        head = (await svc.get(b"/fill/0")).header.revision
        await svc.compact(head)
        for url in svc.all_endpoints():
            await svc.defragment(url)
        disarmed = await svc.disarm_alarms()
        assert [a.kind for a in disarmed] == ["NOSPACE"]
        assert await svc.alarms() == ()
        await svc.put(b"/after", b"writes work again")
        assert (await svc.get(b"/after")).kvs[0].value == b"writes work again"
