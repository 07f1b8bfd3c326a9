"""A poll that raises something other than an etcdtui error (a bug: the service's polls
never raise by contract) must not end its loop: a dead loop froze the member's row (or
the whole member list) at its last answer for the rest of the session."""

from __future__ import annotations

from typing import Any

import pytest

from etcdtui.cluster_data import EndpointStatus, MemberList
from etcdtui.ui import poller
from tests.support.fakes import FakeCluster
from tests.support.pilot_helpers import until
from tests.support.screen_apps import SIZE, fake_app


class Surprising(FakeCluster):
    """Each poll kind raises a RuntimeError on its first call, then answers as usual."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.raised: set[str] = set()
        self.scrapes: dict[str, int] = {}

    def _once(self, what: str) -> None:
        if what not in self.raised:
            self.raised.add(what)
            raise RuntimeError(f"surprise in {what}")

    async def members(self) -> MemberList:
        self._once("members")
        return await super().members()

    async def endpoint_status(self, url: str) -> EndpointStatus:
        self._once(url)
        return await super().endpoint_status(url)

    async def scrape_metrics(self, url: str) -> Any:
        self.scrapes[url] = self.scrapes.get(url, 0) + 1
        self._once("metrics " + url)
        return await super().scrape_metrics(url)


async def test_every_poll_loop_goes_on_after_a_surprise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poller, "METRICS_EVERY_S", 0.2)
    app = fake_app("healthy", cluster=Surprising, refresh_interval=0.2, autopoll=True)
    async with app.run_test(size=SIZE) as pilot:
        svc: Any = app.service
        urls = svc.all_endpoints()

        def answered() -> list[str]:
            tracks = app.state.tracks
            return [u for u in urls if u in tracks and (s := tracks[u].status) and s.ok]

        await until(pilot, lambda: "members" in svc.raised, what="the first member list")
        await until(
            pilot,
            lambda: app.state.members is not None,
            what="a member list after the surprise",
        )
        await until(
            pilot,
            lambda: answered() == urls,
            what="every endpoint answering after its surprise",
            show=lambda: (answered(), sorted(svc.raised)),
        )
        scraped = svc.metrics_urls() or urls
        await until(
            pilot,
            lambda: all(svc.scrapes.get(u, 0) >= 2 for u in scraped),
            what="each member scraped again after its surprise",
            show=lambda: svc.scrapes,
        )
        assert app.is_running
