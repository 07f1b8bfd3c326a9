"""The snapshot browser's pure helpers (no etcd, no console): what an object row shows of
a Secret, the order of a diff, the recipients of a save."""

from __future__ import annotations

from pathlib import Path


def test_secret_rows_show_key_size_and_encryption_only() -> None:
    from etcdtui.ui.snapshots.pane_data import object_rows

    rows = dict(
        object_rows(
            {
                "key": "/registry/secrets/default/x",
                "size": 12,
                "encryption": "aescbc",
                "resource": "secrets",
                "namespace": "default",
                "kind": "Secret",  # anything else is dropped, even if a caller adds it
            }
        )
    )
    assert set(rows) == {"key", "size", "encryption", "resource", "namespace", "data"}
    assert rows["encryption"] == "aescbc" and "hidden" in rows["data"]


def test_plaintext_secret_rows_show_type_and_labels_never_data() -> None:
    from etcdtui.ui.snapshots.pane_data import object_rows

    rows = dict(
        object_rows(
            {
                "key": "/registry/secrets/default/tls",
                "size": 900,
                "encryption": "plaintext",
                "resource": "secrets",
                "namespace": "default",
                "name": "tls",
                "type": "kubernetes.io/tls",
                "labels": {"app": "web"},
                "object": {"data": {"tls.key": "c2VjcmV0"}},  # never shown even if present
            }
        )
    )
    assert rows["type"] == "kubernetes.io/tls" and rows["labels"] == "app=web"
    assert "c2VjcmV0" not in repr(rows) and "hidden" in rows["data"]


def test_diff_order_and_recipient_split() -> None:
    import datetime as dt

    from etcdtui.domain.formatting import short_age as age_text
    from etcdtui.services.snapshots.catalog import CatalogEntry
    from etcdtui.ui.snapshots.pane_data import order_for_diff
    from etcdtui.ui.snapshots.save_dialog import split_recipients

    t0 = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    old = CatalogEntry(Path("x"), 1, t0 + dt.timedelta(hours=1), None, [], None, revision=5)
    new = CatalogEntry(Path("y"), 1, t0, None, [], None, revision=9)
    assert order_for_diff(new, old) == (old, new)  # revision wins over time
    new.revision = None
    assert order_for_diff(old, new) == (new, old)  # else time
    assert [age_text(s) for s in (5, 90, 7200, 200000)] == ["5s", "1m", "2h", "2d"]
    assert split_recipients("age1abc, ~/.ssh/k.pub age1def") == (
        ["age1abc", "age1def"],
        ["~/.ssh/k.pub"],
    )


def test_an_unchecked_encrypted_file_is_described_in_the_consoles_words(tmp_path: Path) -> None:
    """The catalogue tells the CLI to pass --identity or --passphrase-file; the console's
    detail names its own way to a key (k), and no CLI flag."""
    import pyrage

    from etcdtui.ops.snapshots import UNCHECKED, list_snapshots
    from etcdtui.ui.snapshots.views import detail_rows

    recipient = pyrage.x25519.Identity.generate().to_public()
    (tmp_path / "s.db.age").write_bytes(pyrage.encrypt(b"not a real snapshot", [recipient]))
    [entry] = list_snapshots(tmp_path)
    assert entry.state == UNCHECKED and "--identity" in entry.message  # the CLI's words
    rows = dict(detail_rows(entry, None, 0.0, loading=False))
    assert rows["verify"] == "encrypted, not verified"
    assert "press k" in rows["keys"]
    assert not [v for v in rows.values() if "--" in v], rows
