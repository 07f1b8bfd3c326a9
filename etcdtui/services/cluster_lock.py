"""One wizard per cluster: advisory locks under ``<state dir>/locks``, one per cluster
key, held while a wizard runs (the executor takes them), and the check a snapshot save
makes right before it writes: no snapshot of a cluster a restore is rebuilding.

Imports nothing of the executor or the procedures, so both they and snapshot save can
use it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from etcdtui import errors
from etcdtui.cluster_data import ConnectionSettings
from etcdtui.i18n import N_, _
from etcdtui.paths import ensure_private_dir, state_dir

# --- one wizard per cluster -----------------------------------------------------------------


class ClusterBusy(errors.EtcdtuiError):
    code = "cluster-busy"
    exit_code = 2
    default_title = N_("Another wizard is changing this cluster")


def lock_keys(settings: ConnectionSettings, cluster_id: int | None) -> list[str]:
    """What identifies the cluster: its ID when known, and every endpoint dialled (a
    restore of a cluster that does not answer has no ID to offer)."""
    import hashlib

    keys = {f"cluster-{cluster_id:x}"} if cluster_id else set()
    for url in settings.endpoints:
        keys.add("endpoint-" + hashlib.sha256(url.strip().lower().encode()).hexdigest()[:16])
    return sorted(keys)


class ClusterLock:
    """Advisory locks (flock) under ``<state dir>/locks``, one per cluster key, held
    while a wizard runs. The kernel drops them when the holder exits, even on SIGKILL,
    so a crash never leaves the cluster locked. Each lock file names its holder."""

    def __init__(self, keys: list[str], holder: Mapping[str, Any]) -> None:
        self.keys = keys
        self.holder = dict(holder)
        self._fds: list[int] = []

    def acquire(self) -> None:
        import fcntl

        d = state_dir() / "locks"
        ensure_private_dir(d)
        try:
            for key in self.keys:
                fd = os.open(d / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    other = _read_holder(fd)
                    os.close(fd)
                    raise ClusterBusy(
                        _(
                            "wizard {plan} ({kind}) holds this cluster: pid {pid}, user {user} "
                            "on {host}, since {since}"
                        ).format(
                            plan=other.get("plan", "?"),
                            kind=other.get("kind", "?"),
                            pid=other.get("pid", "?"),
                            user=other.get("user", "?"),
                            host=other.get("host", "?"),
                            since=other.get("since", "?"),
                        ),
                        fix=_(
                            "Wait until it finishes (or stop that process); nothing was changed "
                            "by this one. Its progress is saved: it can go on with --resume."
                        ),
                        console_fix=_(
                            "Wait until it finishes (or stop that process); nothing was changed "
                            "by this one. Its progress is saved: W (saved wizards) resumes it."
                        ),
                    ) from None
                self._fds.append(fd)
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(self.holder).encode(), 0)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)


class RestoreInProgress(ClusterBusy):
    """A restore is rebuilding this cluster: a snapshot taken now would capture a
    cluster that is half torn down or half rebuilt."""

    code = "restore-in-progress"
    default_title = N_("A restore is rebuilding this cluster")
    default_fix = N_(
        "Wait until the restore finishes, then save; for a copy of what is being restored, "
        "copy the snapshot file the restore reads."
    )


def restore_holding(settings: ConnectionSettings, cluster_id: int | None) -> dict[str, Any] | None:
    """The holder record of a restore that holds this cluster's lock now, or None. Only
    looks: a shared, non-blocking flock that fails means someone holds the lock."""
    import fcntl

    d = state_dir() / "locks"
    for key in lock_keys(settings, cluster_id):
        try:
            fd = os.open(d / f"{key}.lock", os.O_RDONLY)
        except OSError:
            continue  # never locked, or not readable: nobody we can see holds it
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                if holder.get("kind") == "restore":
                    return holder
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return None


def refuse_during_restore(settings: ConnectionSettings, cluster_id: int | None) -> None:
    """Raise :class:`RestoreInProgress` when a restore holds this cluster (checked right
    before a snapshot is written)."""
    holder = restore_holding(settings, cluster_id)
    if holder is not None:
        raise RestoreInProgress(
            _("restore {plan} is rebuilding this cluster: pid {pid}, user {user} on {host}").format(
                plan=holder.get("plan", "?"),
                pid=holder.get("pid", "?"),
                user=holder.get("user", "?"),
                host=holder.get("host", "?"),
            )
        )


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
