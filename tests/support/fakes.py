"""A fake cluster service with fixed data, for deterministic screen snapshots.

It satisfies ``etcdtui.ui.service.ClusterLike``. Behaviour claims are proven against
real etcd in the other UI tests; this fake only feeds the screens stable numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import (
    Alarm,
    ConnectionSettings,
    EndpointHealth,
    EndpointStatus,
    Member,
    MemberList,
)

CLUSTER_ID = 0x1C4A6B5D8E9F0A21
MiB = 1024 * 1024


def fake_settings(read_only: bool = False, context: str = "prod-eu1") -> ConnectionSettings:
    return ConnectionSettings(
        endpoints=tuple(f"https://10.0.0.{i}:2379" for i in (1, 2, 3)),
        cacert=None,
        cert=None,
        key=None,
        context=context,
        read_only=read_only,
        source="config",
    )


def _member(i: int, *, learner: bool = False, started: bool = True) -> Member:
    return Member(
        id=0x8E9E05C52164694D + i * 0x1111,
        name=f"m{i}" if started else "",
        peer_urls=(f"https://10.0.0.{i}:2380",),
        client_urls=(f"https://10.0.0.{i}:2379",) if started else (),
        is_learner=learner,
    )


@dataclass
class Scenario:
    members: list[Member]
    down: set[int] = field(default_factory=set)  # member indexes that time out
    version: dict[int, str] = field(default_factory=dict)
    raft_index: dict[int, int] = field(default_factory=dict)
    db_size: int = 24 * MiB
    quota: int = 0
    alarms: tuple[Alarm, ...] = ()
    leader: int = 1


def scenario(name: str) -> Scenario:
    three = [_member(i) for i in (1, 2, 3)]
    if name == "healthy":
        return Scenario(three)
    if name == "one-down":
        return Scenario(three, down={3})
    if name == "quorum-lost":
        return Scenario(three, down={2, 3}, leader=0)
    if name == "learner":
        return Scenario([*three, _member(4, learner=True)], raft_index={4: 41_250})
    if name == "degraded":
        return Scenario(
            three,
            version={2: "3.5.1"},
            db_size=int(1.7 * 1024 * MiB),
            alarms=(Alarm(_member(2).id, "NOSPACE"),),
        )
    raise KeyError(name)


class FakeCluster:
    def __init__(self, settings: ConnectionSettings, sc: Scenario) -> None:
        self.settings = settings
        self.sc = sc
        self.calls: dict[str, int] = {}
        self.scrapes: dict[str, int] = {}
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self.sent: list[tuple[str, Any]] = []

    def _index(self, url: str) -> int:
        return int(url.split(":")[1].rsplit(".", 1)[1])

    async def close(self) -> None:
        return None

    def configured_endpoints(self) -> list[str]:
        return list(self.settings.endpoints)

    def metrics_urls(self) -> list[str]:
        return self.all_endpoints()

    def all_endpoints(self) -> list[str]:
        urls = [u for m in self.sc.members for u in m.client_urls]
        return list(dict.fromkeys([*self.settings.endpoints, *urls]))

    async def members(self) -> MemberList:
        if len(self.sc.down) * 2 >= len(self.sc.members):
            raise errors.DeadlineExceeded("context deadline exceeded (no quorum)")
        return MemberList(CLUSTER_ID, tuple(self.sc.members))

    async def alarms(self) -> tuple[Alarm, ...]:
        return self.sc.alarms

    def _latency(self, url: str) -> float:
        n = self.calls.get(url, 0)
        self.calls[url] = n + 1
        i = self._index(url)
        return 1.0 + ((n * 7 + i * 3) % 11) / 4.0

    async def endpoint_status(self, url: str) -> EndpointStatus:
        i = self._index(url)
        latency = self._latency(url)
        m = next((m for m in self.sc.members if f"10.0.0.{i}:" in ",".join(m.client_urls)), None)
        if i in self.sc.down or m is None:
            return EndpointStatus(
                url,
                False,
                error="context deadline exceeded",
                error_code="deadline",
                latency_ms=2000.0,
            )
        leader = _member(self.sc.leader).id if self.sc.leader else 0
        return EndpointStatus(
            endpoint=url,
            ok=True,
            member_id=m.id,
            leader=leader,
            raft_term=7,
            raft_index=self.sc.raft_index.get(i, 48_210),
            applied_index=48_210,
            db_size=self.sc.db_size,
            db_size_in_use=self.sc.db_size // 2,
            db_size_quota=self.sc.quota,
            version=self.sc.version.get(i, "3.5.13"),
            is_learner=m.is_learner,
            latency_ms=latency,
            cluster_id=CLUSTER_ID,
            revision=30_001,
        )

    async def endpoint_health(self, url: str) -> EndpointHealth:
        i = self._index(url)
        if i in self.sc.down or (self.sc.leader == 0):
            return EndpointHealth(url, False, "context deadline exceeded", "deadline", 2000.0)
        return EndpointHealth(url, True, None, None, 1.5)

    async def health(self, urls: Sequence[str] | None = None) -> tuple[EndpointHealth, ...]:
        return tuple([await self.endpoint_health(u) for u in (urls or self.all_endpoints())])

    async def leader(self) -> int | None:
        return _member(self.sc.leader).id if self.sc.leader else None

    async def member_add(
        self, peer_urls: Sequence[str], *, learner: bool = True, name: str = ""
    ) -> Member:
        new = Member(0xABCDEF, "", tuple(peer_urls), (), learner)
        self.sc.members.append(new)
        self.sent.append(("add", tuple(peer_urls)))
        return new

    async def member_remove(self, member_id: int) -> MemberList:
        self.sc.members = [m for m in self.sc.members if m.id != member_id]
        self.sent.append(("remove", member_id))
        return await self.members()

    async def member_update(self, member_id: int, peer_urls: Sequence[str]) -> MemberList:
        self.sc.members = [
            replace(m, peer_urls=tuple(peer_urls)) if m.id == member_id else m
            for m in self.sc.members
        ]
        self.sent.append(("update", member_id))
        return await self.members()

    async def promote_with_retry(
        self,
        member_id: int,
        *,
        attempts: int = 10,
        first_delay: float = 0.5,
        max_delay: float = 5.0,
        on_retry: Callable[[int, float, Any], None] | None = None,
    ) -> MemberList:
        self.sc.members = [
            replace(m, is_learner=False) if m.id == member_id else m for m in self.sc.members
        ]
        self.sent.append(("promote", member_id))
        return await self.members()

    async def move_leader(self, target_id: int) -> None:
        self.sent.append(("move-leader", target_id))

    async def hashkv(self, revision: int | None = None) -> Any:
        from etcdtui.cluster_data import HashKV

        out = []
        for url in self.all_endpoints():
            st = await self.endpoint_status(url)
            if st.ok:
                out.append(HashKV(url, st.member_id, 0xC0FFEE, revision or 30_001, 0))
            else:
                out.append(HashKV(url, 0, 0, revision or 30_001, 0, st.error))
        return tuple(out)

    # The security panes' two checks: the real ones, run against this fake's settings
    # (FakeSecureCluster answers them with fixed reports instead).
    async def cert_report(self) -> Any:
        from etcdtui.ui.console_service import collect_cert_report

        return await collect_cert_report(self.settings)

    async def security_scan(self) -> Any:
        from etcdtui.ui.console_service import run_security_scan

        return await run_security_scan(self.settings)

    async def scrape_metrics(self, url: str) -> Any:
        """Fixed, slowly varying histograms and counters per member and scrape, so the
        signal sparklines have a shape (degraded: m2's disk is slow)."""
        from etcdtui.services.metrics import Histogram, MemberMetrics

        st = await self.endpoint_status(url)
        if not st.ok:
            return MemberMetrics(url, False, st.error)
        i = self._index(url)
        n = self.scrapes.get(url, 0)
        self.scrapes[url] = n + 1
        slow = 9 if (self.sc.version.get(2) and i == 2) else 0  # "degraded": m2 at ~1 s

        def hist(family: str, base: int) -> Histogram:
            counts = self._buckets.setdefault((url, family), [0] * 16)
            counts[base + (n * 5 + i * 3) % 3] += 10
            bounds = [0.0005 * 2**k for k in range(15)] + [float("inf")]
            total, cumulative = 0, []
            for le, c in zip(bounds, counts, strict=True):
                total += c
                cumulative.append((le, float(total)))
            return Histogram(tuple(cumulative))

        peers = [m for m in self.sc.members if f"10.0.0.{i}:" not in ",".join(m.client_urls)]
        return MemberMetrics(
            url,
            True,
            member_id=st.member_id,
            quota_bytes=self.sc.quota or 2 * 1024 * MiB,
            db_size=st.db_size,
            db_size_in_use=st.db_size_in_use + (n % 4) * 64 * 1024,
            has_leader=bool(self.sc.leader),
            is_leader=st.is_leader,
            leader_changes=1 + (1 if n >= 6 and i == 3 else 0),
            proposals_failed=0,
            proposals_pending=n % 3 if i == 1 else 0,
            proposals_applied=48_000 + n * 7,
            proposals_committed=48_000 + n * 7,
            wal_fsync=hist("fsync", 2 + slow),
            backend_commit=hist("commit", 3),
            apply=hist("apply", 0),
            peer_rtt={f"{p.id:x}": hist(f"rtt-{p.id:x}", 1) for p in peers},
        )


# --- certificates and security posture (fixed data for the security panes) -------------------


def fake_cert_report() -> Any:
    """Three server certs (one expiring in 21 days, one with a SAN mismatch), the CA and
    the client cert; days left are fixed, not computed from the clock."""
    import datetime as dt

    from etcdtui.services.tls.cert_report import CertInfo, CertReport

    def cert(role: str, source: str, cn: str, days: int, **kw: Any) -> CertInfo:
        after = dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=days)
        return CertInfo(
            role=role,
            source=source,
            subject=f"CN={cn},O=prod-eu1",
            issuer="CN=etcd-ca,O=prod-eu1",
            serial=f"{days:x}",
            not_before=after - dt.timedelta(days=365),
            not_after=after,
            days_left=days,
            key_type="EC secp256r1",
            key_size=256,
            **kw,
        )

    server_usages = ("serverAuth", "clientAuth")
    return CertReport(
        (
            cert("server", "https://10.0.0.1:2379", "m1", 340, sans=("m1", "10.0.0.1")),
            cert(
                "server",
                "https://10.0.0.2:2379",
                "m2",
                21,
                sans=("m2", "10.0.0.2"),
                usages=server_usages,
                problems=("expires in 21 days (2027-01-22)",),
                severity="warning",
            ),
            cert(
                "server",
                "https://10.0.0.3:2379",
                "m3",
                340,
                sans=("m3", "10.0.0.30"),
                problems=("no SAN matches 10.0.0.3 (SANs: m3, 10.0.0.30)",),
                severity="critical",
            ),
            cert("ca", "/etc/etcdtui/pki/ca.crt", "etcd-ca", 3600),
            cert(
                "client", "/etc/etcdtui/pki/operator.crt", "operator", 300, usages=("clientAuth",)
            ),
        )
    )


def fake_scan_report() -> Any:
    from etcdtui.services.tls.posture import Finding, ScanReport

    return ScanReport(
        (
            Finding(
                "auth-disabled",
                "low",
                "etcd auth (users and roles) is off",
                "AuthStatus: disabled; client certificates are the only gate",
                "Issue client certificates only to kube-apiservers and operators.",
            ),
            Finding(
                "client-cert-not-required",
                "critical",
                "etcd accepts TLS clients without a certificate",
                "a TLS client with no certificate was served on: https://10.0.0.1:2379",
                "Start etcd with --client-cert-auth=true and --trusted-ca-file=<etcd CA>.",
            ),
            Finding(
                "version-advisory",
                "medium",
                "etcd 3.5.1 is older than the minimum 3.5.11",
                "m2 runs 3.5.1",
                "Upgrade to 3.5.11 or later.",
            ),
            Finding(
                "old-client-failover",
                "info",
                "Old etcd clients fail over badly with TLS endpoints",
                "etcd clients up to 3.3.13 pin to the first secure endpoint",
                "Run kube-apiserver 1.16 or later.",
            ),
        ),
        ("client-plaintext", "peer-plaintext", "member-count"),
    )


class FakeSecureCluster(FakeCluster):
    """FakeCluster that also answers the certificates and security panes."""

    async def cert_report(self) -> Any:
        return fake_cert_report()

    async def security_scan(self) -> Any:
        return fake_scan_report()
