"""The console's consistency sentinel on the fake service: a diverged member is advised by
name, and a sentinel switched off asks for no hash at all. Its twin on real etcd is in
tests/console_etcd/test_console_sentinel.py."""

from __future__ import annotations

from typing import Any

from etcdtui.cluster_data import HashKV
from tests.support.fakes import FakeCluster
from tests.support.pilot_helpers import until
from tests.support.screen_apps import fake_app


class _Diverged(FakeCluster):
    async def hashkv(self, revision: int | None = None) -> Any:
        out = list(await super().hashkv(revision))
        out[2] = HashKV(out[2].endpoint, out[2].member_id, 0xBAD, out[2].revision, 0)
        return tuple(out)


async def test_sentinel_mismatch_is_advised_with_the_member() -> None:
    app = fake_app(cluster=_Diverged, refresh_interval=1.0, consistency_every=60.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.consistency is not None, what="a consistency check")
        advice = [a for a in app.state.advisories(2 * 1024**3) if a.code == "hash-mismatch"]
        assert len(advice) == 1
        odd = app.state.consistency.mismatched if app.state.consistency else []
        assert len(odd) == 1 and app.state.member_label(odd[0].member_id) in advice[0].title


async def test_sentinel_off_means_no_hashkv() -> None:
    calls: list[int | None] = []
    polls: list[int] = []

    class _Counting(FakeCluster):
        async def hashkv(self, revision: int | None = None) -> Any:
            calls.append(revision)
            return await super().hashkv(revision)

        async def members(self) -> Any:
            polls.append(1)
            return await super().members()

    app = fake_app(cluster=_Counting, refresh_interval=0.2, consistency_every=0.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.members is not None, what="members")
        # a sentinel that is on checks after two refreshes: let four go by
        await until(pilot, lambda: len(polls) >= 4, what="four member polls")
        assert not [w for w in app.workers if w.name == "consistency"]
    assert calls == []
