"""Errors raised while reading snapshot files, and while saving one (:class:`SaveError`).

Every problem with a snapshot file is a :class:`SnapshotError`. Damage to the file
itself is a :class:`SnapshotCorrupt` with a stable ``reason`` (``empty``, ``not-bolt``,
``truncated``, ``corrupt``...) that ``verify`` and JSON output report as-is.
"""

from __future__ import annotations

from etcdtui.errors import EtcdtuiError
from etcdtui.i18n import N_


class SnapshotError(EtcdtuiError):
    code = "snapshot"
    default_title = N_("Snapshot problem")


class SnapshotUnreadable(SnapshotError):
    """The file cannot be opened at all (missing, a directory, no permission)."""

    code = "snapshot-unreadable"
    exit_code = 2
    default_title = N_("Cannot read the snapshot file")
    default_fix = N_("Check the path and that your user may read the file.")


class SnapshotCorrupt(SnapshotError):
    """The bytes are not a sound bbolt database."""

    code = "snapshot-corrupt"
    default_title = N_("Snapshot file is corrupt")
    default_fix = N_(
        "Do not restore from this file. Take a new snapshot (etcdtui snapshot save) or use "
        "an older verified one (etcdtui snapshot ls)."
    )
    reason = "corrupt"

    def __init__(self, cause: str, *, reason: str | None = None, **kwargs: str | None) -> None:
        super().__init__(cause, **kwargs)  # type: ignore[arg-type]
        if reason is not None:
            self.reason = reason

    def as_dict(self) -> dict[str, str | None]:
        data = super().as_dict()
        data["reason"] = self.reason
        return data


class SnapshotEmpty(SnapshotCorrupt):
    code = "snapshot-empty"
    default_title = N_("Snapshot file is empty")
    reason = "empty"


class NotBoltFile(SnapshotCorrupt):
    code = "snapshot-not-bolt"
    default_title = N_("Not an etcd snapshot (bbolt) file")
    default_fix = N_(
        "Pass a file written by `etcdtui snapshot save` or `etcdctl snapshot save`, or a copy "
        "of a member's member/snap/db. Encrypted files start with age-encryption.org/v1."
    )
    reason = "not-bolt"


class SnapshotTruncated(SnapshotCorrupt):
    code = "snapshot-truncated"
    default_title = N_("Snapshot file is truncated")
    default_fix = N_(
        "The copy or download stopped early. Copy the file again from its source, or take a "
        "new snapshot."
    )
    reason = "truncated"


class EncryptedSnapshotError(SnapshotError):
    code = "snapshot-encrypted"
    default_title = N_("Cannot decrypt the snapshot")


class IdentityRequired(EncryptedSnapshotError):
    code = "snapshot-identity-required"
    exit_code = 2
    default_title = N_("The snapshot is encrypted")
    default_fix = N_(
        "Pass --identity FILE (an age X25519 identity or an ssh private key) or "
        "--passphrase-file FILE, or run interactively to be asked for the passphrase."
    )
    default_console_fix = N_(
        "Press 4 for the snapshots pane, then k to give the identity file or passphrase "
        "(kept for this session only), and try again."
    )


class BadIdentity(EncryptedSnapshotError):
    code = "snapshot-bad-identity"
    exit_code = 2
    default_title = N_("Cannot use the identity file")
    default_fix = N_(
        "Use an age identity file (lines starting with AGE-SECRET-KEY-1, as written by "
        "age-keygen) or an unencrypted OpenSSH ed25519/RSA private key."
    )


class DecryptionFailed(EncryptedSnapshotError):
    code = "snapshot-decrypt-failed"
    default_title = N_("Decryption failed")
    default_fix = N_(
        "Check that the identity matches one of the file's recipients (or that the "
        "passphrase is right) and that the file is complete."
    )


class PassphraseInvalid(SnapshotError):
    code = "snapshot-bad-passphrase"
    exit_code = 2
    default_title = N_("Unusable passphrase")
    default_fix = N_(
        "Put the passphrase on the first line of a file readable only by you and pass "
        "--passphrase-file FILE, or use --passphrase to be asked for it."
    )
    default_console_fix = N_(
        "Type a passphrase that is not empty, the same twice, in the save dialog; to read "
        "a snapshot, give it with k in the snapshots pane (4)."
    )


# --- snapshot save ------------------------------------------------------------------------


class SaveError(SnapshotError):
    code = "snapshot-save"
    default_title = N_("Snapshot not saved")


class TargetExists(SaveError):
    code = "snapshot-exists"
    exit_code = 2
    default_title = N_("The snapshot file already exists")
    default_fix = N_("Choose another file name, or pass --force to replace it.")
    default_console_fix = N_("Type another file name in the save dialog.")


class NoSafeSource(SaveError):
    code = "snapshot-no-source"
    default_title = N_("No member is safe to snapshot")
    default_fix = N_(
        "Restore quorum or bring a healthy member back; or, knowing the risk, name a member "
        "with --endpoint URL."
    )
    default_console_fix = N_(
        "Restore quorum or bring a healthy member back; or, knowing the risk, type a "
        "member's client URL in the save dialog's Source member field."
    )


class StreamCorrupt(SaveError):
    code = "snapshot-stream-corrupt"
    default_title = N_("The snapshot stream failed its integrity check")
    default_fix = N_(
        "No file was kept. Retry; if it fails again, try another member with --endpoint."
    )
    default_console_fix = N_(
        "No file was kept. Retry; if it fails again, type another member's client URL in "
        "the save dialog's Source member field."
    )
