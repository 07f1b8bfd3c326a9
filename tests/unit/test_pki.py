"""PKI building blocks, `pki init`/`renew` on disk, certificate checks (no etcd)."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509

from etcdtui.errors import UsageError
from etcdtui.services.tls import cert_report, pki, pki_dir, posture

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def test_parse_member_and_errors() -> None:
    m = pki_dir.parse_member("etcd-1=10.0.0.1, etcd-1.example.org,::1")
    assert m == pki_dir.MemberSpec("etcd-1", ("10.0.0.1", "etcd-1.example.org", "::1"))
    for bad in ("etcd-1", "etcd-1=", "=10.0.0.1", "../x=10.0.0.1", "a=bad host"):
        with pytest.raises(UsageError) as info:
            pki_dir.parse_member(bad)
        assert info.value.fix


@pytest.mark.parametrize(("text", "days"), [("30d", 30), ("4w", 28), ("7", 7), (" 10d ", 10)])
def test_parse_duration(text: str, days: int) -> None:
    assert pki_dir.parse_duration_days(text) == days


@pytest.mark.parametrize("text", ["30x", "", "-3d", "1.5d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        pki_dir.parse_duration_days(text)


def test_host_matching_and_key_pairing() -> None:
    ca = pki.create_ca()
    leaf = pki.issue(ca, "m1", hosts=["10.0.0.1", "*.etcd.example.org", "etcd-a"], server=True)
    assert pki.host_matches(leaf.cert, "10.0.0.1")
    assert not pki.host_matches(leaf.cert, "10.0.0.2")
    assert pki.host_matches(leaf.cert, "m1.etcd.example.org")
    assert not pki.host_matches(leaf.cert, "a.b.etcd.example.org")
    assert pki.host_matches(leaf.cert, "ETCD-A")
    assert pki.key_matches_cert(leaf.cert, leaf.key)
    assert not pki.key_matches_cert(leaf.cert, pki.new_key())
    assert pki.issued_by(leaf.cert, ca.cert)
    assert not pki.issued_by(leaf.cert, pki.create_ca().cert)
    assert pki.usages_of(leaf.cert) == ["serverAuth"]
    assert pki.is_ca(ca.cert) and not pki.is_ca(leaf.cert)


def test_init_layout_modes_and_no_partial_files(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    members = [pki_dir.parse_member("a=10.0.0.1"), pki_dir.parse_member("b=10.0.0.2")]
    written = pki_dir.init(root, members, days=30)
    for d in (root, root / "members", root / "members/a", root / "clients"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert len(written) == 2 + 2 * 4 + 2 * 2
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o600 if path.suffix == ".key" else 0o644), path
    peer = x509.load_pem_x509_certificate((root / "members/a/peer.crt").read_bytes())
    assert pki.sans_of(peer) == ["10.0.0.1"]
    client = x509.load_pem_x509_certificate(
        (root / "clients/apiserver-etcd-client.crt").read_bytes()
    )
    assert pki.usages_of(client) == ["clientAuth"]

    # One file in the way: nothing at all is written for the new member.
    (root / "members/c").mkdir()
    (root / "members/c/peer.key").write_text("in the way")
    with pytest.raises(pki.PKIError) as info:
        pki_dir.init(root, [pki_dir.parse_member("c=10.0.0.3")], clients=["x"])
    assert "members/c/peer.key" in info.value.cause
    assert not (root / "members/c/server.crt").exists()
    assert not (root / "clients/x.crt").exists()


def test_flags_for_etcd_and_apiserver(tmp_path: Path) -> None:
    layout = pki_dir.Layout(tmp_path)
    m = pki_dir.parse_member("e1=10.0.0.1")
    flags = pki_dir.etcd_flags(layout, m)
    assert "--client-cert-auth=true" in flags and "--peer-client-cert-auth=true" in flags
    assert f"--trusted-ca-file={tmp_path}/ca.crt" in flags
    assert "--advertise-client-urls=https://10.0.0.1:2379" in flags
    api = pki_dir.apiserver_flags(layout, [m, pki_dir.parse_member("e2=fd00::2")])
    assert api[0] == "--etcd-servers=https://10.0.0.1:2379,https://[fd00::2]:2379"
    assert f"--etcd-keyfile={tmp_path}/clients/apiserver-etcd-client.key" in api


def test_renew_only_what_expires_and_keeps_backups(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    pki_dir.init(root, [pki_dir.parse_member("a=10.0.0.1")], clients=["op"], days=20)
    ca = pki.load_issued(root / "ca.crt", root / "ca.key")
    long_lived = pki.issue(ca, "backup", client=True, days=300)
    pki.save(long_lived, root / "clients/backup.crt", root / "clients/backup.key")

    assert pki_dir.renew(root, within_days=10) == []  # 20 days left: not yet
    planned = pki_dir.renew(root, within_days=30, dry_run=True)
    assert sorted(r.cert.name for r in planned) == ["op.crt", "peer.crt", "server.crt"]
    assert not (root / "clients/op.crt.bak").exists()

    old_server = (root / "members/a/server.crt").read_bytes()
    done = pki_dir.renew(root, within_days=30, days=90)
    assert len(done) == 3
    assert (root / "members/a/server.crt.bak").read_bytes() == old_server
    new = x509.load_pem_x509_certificate((root / "members/a/server.crt").read_bytes())
    assert pki.sans_of(new) == ["10.0.0.1", "localhost", "127.0.0.1"]
    assert pki.usages_of(new) == ["serverAuth", "clientAuth"]
    assert pki.issued_by(new, ca.cert)
    assert stat.S_IMODE((root / "members/a/server.key").stat().st_mode) == 0o600
    # renewing again never overwrites the first backup
    pki_dir.renew(root, within_days=400, days=90)
    assert (root / "members/a/server.crt.bak").read_bytes() == old_server
    assert (root / "members/a/server.crt.bak.1").exists()


def test_renew_needs_the_ca(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        pki_dir.renew(tmp_path)
    assert "ca.key" in info.value.cause


def test_expiry_thresholds() -> None:
    ca = pki.create_ca()
    leaf = pki.issue(ca, "x", client=True, not_before=NOW, days=100).cert
    at = lambda days_left: NOW + dt.timedelta(days=100 - days_left)  # noqa: E731
    assert cert_report.describe(leaf, "client", "f", now=at(31)).severity == "ok"
    assert cert_report.describe(leaf, "client", "f", now=at(30)).severity == "warning"
    assert cert_report.describe(leaf, "client", "f", now=at(7)).severity == "critical"
    gone = cert_report.describe(leaf, "client", "f", now=at(-1))
    assert gone.severity == "critical" and "expired" in gone.problems[0]
    early = cert_report.describe(leaf, "client", "f", now=NOW - dt.timedelta(days=1))
    assert "not valid before" in early.problems[0]
    a = cert_report.describe(leaf, "client", "a", now=NOW)
    b = cert_report.describe(
        pki.issue(ca, "y", days=10, not_before=NOW).cert, "client", "b", now=NOW
    )
    assert cert_report.nearest_expiry([a, b]) is b
    assert cert_report.nearest_expiry([]) is None


@pytest.mark.parametrize(
    ("head", "provider"),
    [
        (b"k8s:enc:aescbc:v1:key1:\x01", "aescbc"),
        (b"k8s:enc:kms:v2:x", "kms"),
        (b"k8s\x00\n\x0c\n\x02v1", None),
        (b'{"kind":"Secret"', None),
        (b"k8s:enc:", "unknown"),
    ],
)
def test_classify_secret_prefix(head: bytes, provider: str | None) -> None:
    assert posture.classify_value(head[: posture.PREFIX_BYTES]) == provider


def test_local_files_in_a_kubeadm_layout(tmp_path: Path) -> None:
    """kubeadm keeps etcd's PKI in /etc/kubernetes/pki/etcd; the root is overridable."""
    from etcdtui.cluster_data import ConnectionSettings

    etcd = tmp_path / "etc/kubernetes/pki/etcd"
    ca = pki.create_ca("etcd-ca")
    pki.save(ca, etcd / "ca.crt", etcd / "ca.key")
    for name, server in (("server", True), ("peer", True), ("healthcheck-client", False)):
        hosts = ["10.0.0.1"] if server else []
        leaf = pki.issue(ca, name, hosts=hosts, server=server, client=True, days=20)
        pki.save(leaf, etcd / f"{name}.crt", etcd / f"{name}.key")
    # a peer key that belongs to another certificate
    (etcd / "peer.key").unlink()
    other = pki.issue(ca, "x", client=True)
    pki.write_new(etcd / "peer.key", other.key_pem(), mode=0o600)

    settings = ConnectionSettings(endpoints=("https://10.0.0.1:2379",))
    assert cert_report.default_local_roots(settings, kubeadm_root=etcd) == [etcd]
    assert cert_report.default_local_roots(settings, kubeadm_root=tmp_path / "nope") == []
    found = {c.role: c for c in cert_report.local_files([etcd])}
    assert set(found) == {"etcd/ca", "etcd/server", "etcd/peer", "etcd/healthcheck-client"}
    assert found["etcd/ca"].severity == "ok"
    assert found["etcd/server"].severity == "warning"  # 20 days left
    assert any("does not belong" in p for p in found["etcd/peer"].problems)
    assert found["etcd/peer"].severity == "critical"
