"""Security posture scan: active, read-only checks against a live cluster.

Each check dials the endpoints or asks etcd, never changes anything, and reports
a :class:`Finding` with an id, a severity, the evidence and the fix. Kubernetes
Secrets are sampled by key first; for each value only the first 16 bytes are kept
(enough to read the ``k8s:enc:<provider>:`` prefix) and none is ever returned.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings, EndpointStatus, MemberList
from etcdtui.i18n import _
from etcdtui.services import advisories
from etcdtui.services import versions as etcd_versions
from etcdtui.services.cluster import ClusterService
from etcdtui.services.etcdapi.endpoint import Endpoint, split_endpoint
from etcdtui.services.tls import cert_report, peek

SEVERITIES = ("ok", "info", "low", "medium", "high", "critical")
SECRETS_PREFIX = b"/registry/secrets/"
PREFIX_BYTES = 16


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str  # info | low | medium | high | critical
    title: str
    evidence: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "evidence": self.evidence,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class SecretsSample:
    sampled: int = 0
    total_keys_seen: int = 0
    plaintext: int = 0
    encrypted: dict[str, int] = field(default_factory=dict)  # provider -> count
    example_plaintext_keys: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "sampled": self.sampled,
            "plaintext": self.plaintext,
            "encrypted": dict(self.encrypted),
            "example_plaintext_keys": list(self.example_plaintext_keys),
        }


@dataclass(frozen=True)
class ScanReport:
    findings: tuple[Finding, ...]
    passed: tuple[str, ...]
    secrets: SecretsSample | None = None

    @property
    def worst(self) -> str:
        return max((f.severity for f in self.findings), key=SEVERITIES.index, default="ok")

    def ids(self) -> set[str]:
        return {f.id for f in self.findings}

    def as_dict(self) -> dict[str, object]:
        return {
            "worst": self.worst,
            "findings": [f.as_dict() for f in self.findings],
            "passed": list(self.passed),
            "secrets": self.secrets.as_dict() if self.secrets else None,
        }


# --- active transport checks (blocking, run in threads) -------------------------------


def plaintext_answer(host: str, port: int, timeout: float) -> bool:
    """Does the port answer an unencrypted HTTP request as etcd?"""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            return peek.looks_like_etcd(peek.ask_version(raw))
    except OSError:
        return False


def tls_without_client_cert(host: str, port: int, timeout: float) -> bool:
    """Does the port serve etcd over TLS to a client that shows no certificate?"""
    ctx = peek.unverified_context()
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                return peek.looks_like_etcd(peek.ask_version(tls))
    except (OSError, ssl.SSLError):
        return False


# --- the scan ---------------------------------------------------------------------------


async def scan(
    settings: ConnectionSettings,
    *,
    secrets_sample: int = 200,
    secrets_prefix: bytes = SECRETS_PREFIX,
    now: dt.datetime | None = None,
) -> ScanReport:
    findings: list[Finding] = []
    passed: list[str] = []
    async with ClusterService(settings) as svc:
        try:
            members: MemberList | None = await svc.members()
        except errors.EtcdtuiError as exc:
            members = None
            findings.append(
                Finding(
                    "cluster-unreachable",
                    "high",
                    _("Member list unavailable"),
                    f"{exc.title}: {exc.cause}",
                    exc.fix,
                )
            )
        urls = svc.all_endpoints()
        statuses = await svc.statuses(urls)
        auth = await svc.auth_enabled()
        sample: SecretsSample | None = None
        if secrets_sample > 0 and members is not None:
            try:
                sample = await sample_secrets(svc, secrets_prefix, secrets_sample)
            except errors.EtcdtuiError as exc:
                findings.append(
                    Finding(
                        "secrets-unreadable",
                        "info",
                        _("Secrets not sampled"),
                        f"{exc.title}: {exc.cause}",
                        _("Run the scan with a client certificate allowed to read {p}.").format(
                            p=secrets_prefix.decode(errors="replace")
                        ),
                    )
                )
    endpoints = [split_endpoint(u, insecure=True) for u in urls]
    open_tls = await _transport_checks(endpoints, settings, findings, passed)
    _auth_check(auth, open_tls, findings, passed)
    _peer_check(members, findings, passed)
    _member_count_check(members, findings, passed)
    _version_checks(statuses, findings, passed)
    report = await cert_report.collect(
        settings, urls=[e.url for e in endpoints if e.secure], now=now
    )
    _cert_checks(report, findings, passed)
    if sample is not None:
        _secrets_check(sample, secrets_prefix, findings, passed)
    findings.append(
        Finding(
            "old-client-failover",
            "info",
            _("Old etcd clients fail over badly with TLS endpoints"),
            _(
                "etcd clients up to 3.3.13 pin to the first secure endpoint and do not fail over "
                "correctly (kube-apiserver before 1.16 embeds such a client)."
            ),
            _("Run kube-apiserver 1.16 or later (etcd client 3.3.15+) when etcd uses TLS."),
        )
    )
    order = sorted(findings, key=lambda f: -SEVERITIES.index(f.severity))
    return ScanReport(tuple(order), tuple(passed), sample)


async def _transport_checks(
    endpoints: Sequence[Endpoint],
    settings: ConnectionSettings,
    findings: list[Finding],
    passed: list[str],
) -> bool:
    """Plaintext client URLs, ports that answer plaintext, TLS without client certs."""
    timeout = max(settings.timeout, 0.5)
    plain_urls = [e.url for e in endpoints if not e.secure]
    answers_plain = await asyncio.gather(
        *(asyncio.to_thread(plaintext_answer, e.host, e.port, timeout) for e in endpoints)
    )
    plain = sorted(
        {*plain_urls, *(e.url for e, ok in zip(endpoints, answers_plain, strict=True) if ok)}
    )
    if plain:
        findings.append(
            Finding(
                "client-plaintext",
                "critical",
                _("Client port answers without TLS"),
                _("etcd answered unencrypted HTTP on: {urls}").format(urls=", ".join(plain)),
                _(
                    "Serve clients over https only: --listen-client-urls and "
                    "--advertise-client-urls with https://, plus --cert-file and --key-file."
                ),
            )
        )
    else:
        passed.append("client-plaintext")
    secure = [e for e in endpoints if e.secure]
    open_tls = await asyncio.gather(
        *(asyncio.to_thread(tls_without_client_cert, e.host, e.port, timeout) for e in secure)
    )
    no_cert = [e.url for e, ok in zip(secure, open_tls, strict=True) if ok]
    if no_cert:
        findings.append(
            Finding(
                "client-cert-not-required",
                "critical",
                _("etcd accepts TLS clients without a certificate"),
                _("a TLS client with no certificate was served on: {urls}").format(
                    urls=", ".join(no_cert)
                ),
                _(
                    "Start etcd with --client-cert-auth=true and --trusted-ca-file=<etcd CA>, so "
                    "only holders of a client certificate (the kube-apiservers) get in."
                ),
            )
        )
    elif secure:
        passed.append("client-cert-not-required")
    return bool(plain or no_cert)


def _auth_check(
    auth: bool | None, open_door: bool, findings: list[Finding], passed: list[str]
) -> None:
    if auth is None:
        findings.append(
            Finding(
                "auth-unknown",
                "info",
                _("etcd auth status unknown"),
                _("AuthStatus did not answer"),
                _("Re-run when etcd answers."),
            )
        )
    elif auth:
        passed.append("auth-disabled")
    elif open_door:
        findings.append(
            Finding(
                "auth-disabled",
                "critical",
                _("Anyone who reaches the client port is root"),
                _("etcd auth is off and clients need no certificate"),
                _(
                    "Require client certificates (--client-cert-auth); optionally enable etcd "
                    "auth (etcdctl auth enable) as a second layer."
                ),
            )
        )
    else:
        findings.append(
            Finding(
                "auth-disabled",
                "low",
                _("etcd auth (users and roles) is off"),
                _(
                    "AuthStatus: disabled; client certificates are the only gate (the kubeadm "
                    "default)"
                ),
                _(
                    "Keep the etcd CA private and issue client certificates only to "
                    "kube-apiservers and operators."
                ),
            )
        )


def _peer_check(members: MemberList | None, findings: list[Finding], passed: list[str]) -> None:
    if members is None:
        return
    plain = [
        f"{m.name or m.hex_id}: {u}"
        for m in members.members
        for u in m.peer_urls
        if u.startswith("http://")
    ]
    if plain:
        findings.append(
            Finding(
                "peer-plaintext",
                "high",
                _("Peer traffic is not encrypted"),
                "; ".join(plain),
                _(
                    "Use https:// peer URLs with --peer-cert-file, --peer-key-file, "
                    "--peer-client-cert-auth and --peer-trusted-ca-file."
                ),
            )
        )
    else:
        passed.append("peer-plaintext")


def _member_count_check(
    members: MemberList | None, findings: list[Finding], passed: list[str]
) -> None:
    if members is None:
        return
    voters = sum(1 for m in members.members if not m.is_learner)
    if voters % 2 == 0:
        findings.append(
            Finding(
                "member-count-even",
                "medium",
                _("Even number of voting members"),
                _("{n} voters tolerate no more failures than {m}").format(n=voters, m=voters - 1),
                _("Run an odd number of voters (3 or 5)."),
            )
        )
    elif voters == 1:
        findings.append(
            Finding(
                "member-count-single",
                "medium",
                _("A single member: no fault tolerance"),
                _("1 voter"),
                _("Run 3 or 5 voters in production."),
            )
        )
    else:
        passed.append("member-count-even")


def _version_checks(
    statuses: Sequence[EndpointStatus], findings: list[Finding], passed: list[str]
) -> None:
    versions = sorted({s.version for s in statuses if s.ok and s.version})
    parsed = [(v, advisories.parse_version(v)) for v in versions]
    low, hi = advisories.INCONSISTENCY_BUG
    buggy = [v for v, p in parsed if p is not None and low <= p <= hi]
    old = [v for v, p in parsed if p is not None and advisories.below_minimum(p)]
    if buggy:
        findings.append(
            Finding(
                "version-data-inconsistency",
                "critical",
                _("etcd 3.5.0-3.5.2 can lose writes after a crash"),
                _("running: {v}").format(v=", ".join(buggy)),
                _(
                    "Upgrade to 3.5.11 or later; until then run with "
                    "--experimental-initial-corrupt-check=true."
                ),
            )
        )
    if old:
        findings.append(
            Finding(
                "version-below-minimum",
                "high",
                _("etcd older than the recommended minimum"),
                _("running: {v}; minimum 3.4.{a} or 3.5.{b}").format(
                    v=", ".join(old), a=advisories.MIN_PATCH[(3, 4)], b=advisories.MIN_PATCH[(3, 5)]
                ),
                _("Upgrade one member at a time to the latest patch release of your minor."),
            )
        )
    _upgrade_gate_check(parsed, old, findings)
    if versions and not buggy and not old:
        passed.append("version")


def _upgrade_gate_check(
    parsed: Sequence[tuple[str, tuple[int, int, int] | None]],
    old: Sequence[str],
    findings: list[Finding],
) -> None:
    """Informational: members below the patch etcd's upgrade guide requires before the
    next minor upgrade (etcdtui/services/versions.py UPGRADE_GATES)."""
    by_gate: dict[etcd_versions.UpgradeGate, list[str]] = {}
    for text, p in parsed:
        gate = etcd_versions.next_minor_gate(text)
        if p is not None and gate is not None and p[2] < gate.min_patch:
            by_gate.setdefault(gate, []).append(text)
    for gate, below in sorted(by_gate.items(), key=lambda kv: kv[0].from_minor):
        to = f"{gate.to_minor[0]}.{gate.to_minor[1]}"
        findings.append(
            Finding(
                "version-upgrade-gate",
                "low" if any(v in old for v in below) else "info",
                _("etcd {v} cannot be upgraded to {to} directly").format(v=", ".join(below), to=to),
                _(
                    "running: {v}; etcd's upgrade guide requires {req} or later first ({src})"
                ).format(v=", ".join(below), req=gate.required, src=gate.source),
                _(
                    "Before the upgrade to {to}, take every member to the latest {minor}.x "
                    "patch ({req} or later), one member at a time."
                ).format(
                    to=to,
                    minor=f"{gate.from_minor[0]}.{gate.from_minor[1]}",
                    req=gate.required,
                ),
            )
        )


def _cert_checks(
    report: cert_report.CertReport, findings: list[Finding], passed: list[str]
) -> None:
    bad = [c for c in report.certs if c.severity != "ok"]
    for c in bad:
        findings.append(
            Finding(
                f"cert-{c.role}",
                "critical" if c.severity == "critical" else "medium",
                _("Certificate problem: {role}").format(role=c.role),
                f"{c.source}: " + "; ".join(c.problems),
                _(
                    "Renew or re-issue it (etcdtui pki renew, kubeadm certs renew) and restart the "
                    "members one at a time."
                ),
            )
        )
    if not bad:
        passed.append("certificates")


def _secrets_check(
    sample: SecretsSample, prefix: bytes, findings: list[Finding], passed: list[str]
) -> None:
    if sample.sampled == 0:
        passed.append("secrets-encryption")
        return
    enc = ", ".join(f"{p}: {n}" for p, n in sorted(sample.encrypted.items())) or _("none")
    evidence = _("{n} values under {p} sampled: {plain} plaintext, encrypted {enc}").format(
        n=sample.sampled, p=prefix.decode(errors="replace"), plain=sample.plaintext, enc=enc
    )
    if sample.plaintext:
        findings.append(
            Finding(
                "secrets-plaintext",
                "high",
                _("Kubernetes Secrets stored unencrypted"),
                evidence,
                _(
                    "Configure kube-apiserver --encryption-provider-config (aescbc, aesgcm, "
                    "secretbox or kms), then rewrite all secrets: kubectl get secrets -A -o json | "
                    "kubectl replace -f -"
                ),
            )
        )
    else:
        passed.append("secrets-encryption")


async def sample_secrets(svc: ClusterService, prefix: bytes, limit: int) -> SecretsSample:
    """Keys first (paged), then values page by page, keeping 16 bytes of each."""
    end = _prefix_end(prefix)
    start, keys_seen = prefix, 0
    plaintext = 0
    providers: Counter[str] = Counter()
    examples: list[str] = []
    page = min(limit, 100)
    while keys_seen < limit:
        resp = await svc.get(start, end, limit=min(page, limit - keys_seen), keys_only=True)
        keys = [kv.key for kv in resp.kvs]
        if not keys:
            break
        keys_seen += len(keys)
        values = await svc.get(keys[0], keys[-1] + b"\x00", limit=len(keys))
        for kv in values.kvs:
            head = bytes(kv.value[:PREFIX_BYTES])
            provider = classify_value(head)
            if provider is None:
                plaintext += 1
                if len(examples) < 3:
                    examples.append(kv.key.decode(errors="replace"))
            else:
                providers[provider] += 1
        del values, resp
        if len(keys) < page:
            break
        start = keys[-1] + b"\x00"
    return SecretsSample(keys_seen, keys_seen, plaintext, dict(providers), tuple(examples))


def classify_value(head: bytes) -> str | None:
    """The encryption provider named by a ``k8s:enc:<provider>:`` prefix, else None."""
    if not head.startswith(b"k8s:enc:"):
        return None
    provider = head[len(b"k8s:enc:") :].split(b":", 1)[0]
    return provider.decode("ascii", "replace") or "unknown"


def _prefix_end(prefix: bytes) -> bytes:
    b = bytearray(prefix)
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        return b"\x00"
    b[-1] += 1
    return bytes(b)
