"""The snapshot browser pane (etcdtui.ui.snapshots) against snapshots of real etcd.

One private single-member sandbox (mutual TLS on 127.0.0.1) gets a Kubernetes-like
keyspace; etcdctl saves snapshot A, the keyspace changes (2 pods added, 1 removed,
1 changed, 1 Secret added), etcdctl saves B. A truncated copy of B is the corrupt file.
The screen snapshot uses fixed files built in-process and a frozen clock.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static, Tree

from etcdtui.services.audit import AuditLog
from etcdtui.services.cluster import ClusterService
from etcdtui.services.sandbox import Sandbox
from etcdtui.ui.errors import ErrorModal
from etcdtui.ui.screens.start import NothingConfiguredScreen
from etcdtui.ui.snapshots.save_dialog import SaveSnapshotDialog
from etcdtui.ui.snapshots.views import ContentsView
from tests.support.helpers import etcdctl, etcdutl_status
from tests.support.k8s_builders import json_object, k8s_object
from tests.support.pilot_helpers import real_app, until
from tests.support.screen_apps import SIZE
from tests.support.snapshot_pane import (
    offline_app,
    open_catalog,
    pane_of,
    plain_text,
    select,
    shows,
)

MARK = b"PANE-SECRET-PLAINTEXT"


def _pod(name: str, ns: str, payload: bytes = b"") -> bytes:
    return k8s_object("v1", "Pod", name, ns, labels={"app": "web"}, payload=payload)


PHASE_A = [
    ("/registry/pods/default/web-0", _pod("web-0", "default")),
    ("/registry/pods/default/web-1", _pod("web-1", "default")),
    ("/registry/pods/default/web-2", _pod("web-2", "default")),
    ("/registry/pods/kube-system/dns-0", k8s_object("v1", "Pod", "dns-0", "kube-system")),
    (
        "/registry/secrets/default/db-pass",
        k8s_object("v1", "Secret", "db-pass", "default", payload=MARK),
    ),
    ("/registry/minions/node-1", k8s_object("v1", "Node", "node-1")),
    (
        "/registry/cert-manager.io/certificates/prod/cert-a",
        json_object("cert-manager.io/v1", "Certificate", "cert-a", "prod"),
    ),
]
PHASE_B = [
    ("/registry/pods/default/web-3", _pod("web-3", "default")),
    ("/registry/pods/kube-system/dns-1", k8s_object("v1", "Pod", "dns-1", "kube-system")),
    ("/registry/pods/default/web-0", _pod("web-0", "default", payload=b"v2")),
    (
        "/registry/secrets/default/api-token",
        k8s_object("v1", "Secret", "api-token", "default", payload=MARK),
    ),
]


async def _put_all(sandbox: Sandbox, puts: list[tuple[str, bytes]]) -> None:
    async with ClusterService(sandbox.settings(timeout=10)) as svc:
        for key, value in puts:
            await svc.put(key.encode(), value)


def _etcdutl_revision(path: Path) -> int:
    return etcdutl_status(path)["revision"]


@pytest.fixture(scope="module")
def k8s_snaps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("pane")
    sandbox = Sandbox(base / "sandbox")
    snaps = base / "snaps"
    snaps.mkdir()
    try:
        sandbox.up(1)
        asyncio.run(_put_all(sandbox, PHASE_A))
        etcdctl(sandbox, "snapshot", "save", str(snaps / "a.db"))
        asyncio.run(_put_all(sandbox, PHASE_B))
        etcdctl(sandbox, "del", "/registry/pods/default/web-2")
        etcdctl(sandbox, "snapshot", "save", str(snaps / "b.db"))
        data = (snaps / "b.db").read_bytes()
        (snaps / "cut.db").write_bytes(data[: len(data) // 2])
        yield {"sandbox": sandbox, "dir": snaps}
    finally:
        sandbox.down()
        shutil.rmtree(base, ignore_errors=True)  # 64 MB WAL segments per member


# --- catalog, detail, corrupt file ---------------------------------------------------------


@pytest.mark.etcd
async def test_catalog_detail_and_corrupt_cause_offline(k8s_snaps: dict[str, Any]) -> None:
    snaps: Path = k8s_snaps["dir"]
    app = offline_app()  # nothing configured: no cluster at all
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, NothingConfiguredScreen)
        await pilot.press("b")  # browse snapshot files
        await until(pilot, lambda: app.screen is app.main and pane_of(app).display)
        pane = await open_catalog(pilot, app, snaps)
        table = pane.query_one("#snapshot-table", DataTable)
        names = {str(table.get_cell(k, "name")) for k in table.rows}
        assert names == {"a.db", "b.db", "cut.db"}
        states = {e.path.name: e.state for e in pane.entries}
        assert states == {"a.db": "verified", "b.db": "verified", "cut.db": "failed"}

        await select(pilot, pane, "a.db")
        detail = pane.query_one("#snapshot-detail", Static)
        want = _etcdutl_revision(snaps / "a.db")
        await until(pilot, lambda: shows(detail, "a.db", "revision"), what="status of a.db")
        text = plain_text(detail)
        assert f"revision              {want}" in " ".join(text.split("\n")) or (
            f"revision {want}" in " ".join(text.split())
        ), text
        assert "snapshot is sound" in text and "valid" in text

        await select(pilot, pane, "cut.db")
        await until(pilot, lambda: shows(detail, "cut.db", "cause"), what="verify of cut.db")
        text = " ".join(plain_text(detail).split())
        assert "cause truncated" in text, text
        assert "✖" in text


# --- contents tree ---------------------------------------------------------------------------


def _find(node: Any, label: str) -> Any:
    for child in node.children:
        if str(child.label).split("  ")[0] == label:
            return child
    raise AssertionError(
        f"{label!r} not under {node.label}: {[str(c.label) for c in node.children]}"
    )


@pytest.mark.etcd
async def test_contents_tree_shows_a_known_object_and_hides_secrets(
    k8s_snaps: dict[str, Any],
) -> None:
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        pane = await open_catalog(pilot, app, k8s_snaps["dir"])
        await select(pilot, pane, "b.db")
        await pilot.press("c")
        view = pane.query_one(ContentsView)
        await until(pilot, lambda: view.index is not None, what="contents of b.db")
        tree: Tree[Any] = view.tree_widget
        pods = _find(tree.root, "pods")
        assert "(5," in str(pods.label)  # web-0, web-1, web-3, dns-0, dns-1
        pods.expand()
        await pilot.pause()
        default = _find(pods, "default")
        default.expand()
        await pilot.pause()
        assert sorted(str(c.label) for c in default.children) == ["web-0", "web-1", "web-3"]
        tree.move_cursor(_find(default, "web-1"))
        await pilot.pause()
        box = pane.query_one("#snapshot-object", Static)
        text = " ".join(plain_text(box).split())
        assert "kind Pod" in text and "apiVersion v1" in text
        assert "name web-1" in text and "namespace default" in text
        assert "labels app=web" in text and "created 2023-11-14T22:13:20.5" in text

        secrets = _find(tree.root, "secrets")
        secrets.expand()
        await pilot.pause()
        ns = _find(secrets, "default")
        ns.expand()
        await pilot.pause()
        tree.move_cursor(_find(ns, "db-pass"))
        await pilot.pause()
        text = " ".join(plain_text(box).split())
        assert "encryption plaintext" in text and "hidden" in text
        assert MARK.decode() not in text
        assert MARK.decode() not in app.export_screenshot()


# --- diff ------------------------------------------------------------------------------------


@pytest.mark.etcd
async def test_diff_counts_by_resource_and_namespace(k8s_snaps: dict[str, Any]) -> None:
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        pane = await open_catalog(pilot, app, k8s_snaps["dir"])
        await select(pilot, pane, "b.db")  # marking the newer first: the pane orders A/B
        await pilot.press("m")
        await select(pilot, pane, "a.db")
        await pilot.press("d")
        table = pane.query_one("#snapshot-diff-table", DataTable)
        await until(pilot, lambda: table.row_count > 0, what="diff rows")
        rows = []
        for key in table.rows:
            rows.append(tuple(str(c) for c in table.get_row(key)))
        resource = ""
        counts: dict[tuple[str, str], tuple[int, int, int]] = {}
        for res, ns, added, removed, changed in rows:
            resource = res or resource
            counts[(resource, ns)] = (int(added), int(removed), int(changed))
        assert counts[("pods", "")] == (2, 1, 1)
        assert counts[("pods", "default")] == (1, 1, 1)
        assert counts[("pods", "kube-system")] == (1, 0, 0)
        assert counts[("secrets", "")] == (1, 0, 0)
        assert {r for r, _ns in counts} == {"pods", "secrets"}
        summary = plain_text(pane.query_one("#snapshot-diff-summary", Static))
        assert "A = a.db" in summary and "B = b.db" in summary
        assert "3 added, 1 removed, 1 changed" in summary


# --- save ------------------------------------------------------------------------------------


@pytest.mark.etcd
async def test_save_dialog_writes_a_private_file_the_catalog_lists(
    k8s_snaps: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox: Sandbox = k8s_snaps["sandbox"]
    target_dir = tmp_path / "saved"
    target_dir.mkdir()
    seen: list[Any] = []  # every progress report the dialog received from the service
    original = SaveSnapshotDialog.on_save_progressed

    def spy(self: SaveSnapshotDialog, message: Any) -> None:
        seen.append(message.data)
        original(self, message)

    monkeypatch.setattr(SaveSnapshotDialog, "on_save_progressed", spy)
    app = real_app(sandbox.settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane = await open_catalog(pilot, app, target_dir)
        assert pane.entries == []
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveSnapshotDialog))
        dialog = app.screen
        target = target_dir / "from-tui.db"
        dialog.query_one("#save-path", Input).value = str(target)
        dialog.query_one("#save-path", Input).focus()
        await pilot.press("enter")
        await until(
            pilot,
            lambda: not isinstance(app.screen, SaveSnapshotDialog),
            timeout=60,
            what="save to finish",
        )
        errors = [s.err.cause for s in app.screen_stack if isinstance(s, ErrorModal)]
        assert not errors, errors
        assert target.is_file()
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert not target.with_name("from-tui.db.part").exists()
        sidecar = json.loads(target.with_name("from-tui.db.json").read_text())
        assert sidecar["trailer_valid"] is True
        assert seen and seen[-1].done and seen[-1].received == seen[-1].total
        assert seen[-1].total == target.stat().st_size  # plain file: every byte streamed
        assert _etcdutl_revision(target) >= _etcdutl_revision(k8s_snaps["dir"] / "b.db")
        await until(
            pilot,
            lambda: pane.checked and [e.path.name for e in pane.entries] == ["from-tui.db"],
            what="catalog to list the new file",
        )
        assert pane.entries[0].state == "verified"
        assert pane.selected() is not None and pane.selected().path == target  # type: ignore[union-attr]
    # The save is in the console's audit log, like a member action (issue 12, item 13).
    saves = [r for r in app.audit_log.read() if r["action"] == "snapshot-save"]
    assert len(saves) == 1 and saves[0]["ok"]
    assert saves[0]["params"]["path"] == str(target)
    assert saves[0]["result"]["sha256"] == sidecar["sha256"]
    assert saves[0]["cluster_id"] is not None


# --- screen snapshot (fixed files, frozen clock) -----------------------------------------------


@pytest.mark.etcd
async def test_save_dialog_encrypts_to_an_age_recipient(
    k8s_snaps: dict[str, Any], tmp_path: Path
) -> None:
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    app = real_app(k8s_snaps["sandbox"].settings(), AuditLog(tmp_path / "audit.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        pane = await open_catalog(pilot, app, tmp_path)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveSnapshotDialog))
        dialog = app.screen
        target = tmp_path / "enc.db.age"
        dialog.query_one("#save-path", Input).value = str(target)
        dialog.query_one("#save-recipients", Input).value = str(identity.to_public())
        dialog.query_one("#save-path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, SaveSnapshotDialog), timeout=60)
        assert not [s for s in app.screen_stack if isinstance(s, ErrorModal)]
        assert target.read_bytes().startswith(b"age-encryption.org/v1")
        plain = pyrage.decrypt(target.read_bytes(), [identity])
        assert plain[16:20] == bytes.fromhex("ed0cdaed")[::-1]  # bbolt magic, little-endian
        await until(pilot, lambda: pane.checked and len(pane.entries) == 1, what="catalog")
        entry = pane.entries[0]
        assert entry.encryption == "age" and entry.state == "sidecar-sha256-ok"
        table = pane.query_one("#snapshot-table", DataTable)
        row = [str(c) for c in table.get_row_at(0)]
        assert "age" in row and "✔ sidecar sha256 ok" in row


@pytest.mark.etcd
async def test_encrypted_file_opens_with_an_identity(
    k8s_snaps: dict[str, Any], tmp_path: Path
) -> None:
    import pyrage

    from etcdtui.ui.snapshots.keys_dialog import DecryptKeysDialog

    identity = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "key.txt"
    key_file.write_text(str(identity) + "\n")
    snaps = tmp_path / "enc"
    snaps.mkdir()
    plain = (k8s_snaps["dir"] / "b.db").read_bytes()
    (snaps / "b.db.age").write_bytes(pyrage.encrypt(plain, [identity.to_public()]))
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        pane = await open_catalog(pilot, app, snaps)
        assert [(e.encryption, e.state) for e in pane.entries] == [("age", "unchecked")]
        detail = pane.query_one("#snapshot-detail", Static)
        await until(pilot, lambda: shows(detail, "b.db.age", "press k"), what="key hint")
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, DecryptKeysDialog))
        app.screen.query_one("#keys-identity", Input).value = str(key_file)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: pane.checked and pane.entries and pane.entries[0].state == "verified",
            what="encrypted file verified with the identity",
        )
        want = _etcdutl_revision(k8s_snaps["dir"] / "b.db")
        await until(pilot, lambda: shows(detail, "b.db.age", "total keys"), what="status")
        assert f"revision {want}" in " ".join(plain_text(detail).split())
        await pilot.press("c")
        view = pane.query_one(ContentsView)
        await until(pilot, lambda: view.index is not None, what="contents")
        assert view.index is not None and view.index.resources["pods"].count == 5
        assert list(snaps.iterdir()) == [snaps / "b.db.age"]  # no plaintext left behind
