"""The environment every child process gets: ours, minus anything secret.

etcdtui reads the etcd password from ``ETCDTUI_PASSWORD`` (or ``ETCDCTL_PASSWORD``, or
``ETCDCTL_USER=user:password``). A child started with the inherited environment would keep
that password in ``/proc/<pid>/environ`` for its whole life: an etcd member started by
a wizard lives for months. Every ``subprocess`` call in etcdtui passes
``env=scrubbed_env(...)``; ``tests/unit/test_child_env.py`` fails when one does not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Names that carry a secret whatever their prefix.
_SECRET_WORDS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL")
# ETCDCTL_USER may be "user:password".
_SECRET_NAMES = frozenset({"ETCDCTL_USER"})


def is_secret(name: str) -> bool:
    upper = name.upper()
    return upper in _SECRET_NAMES or any(word in upper for word in _SECRET_WORDS)


def scrubbed_env(
    extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) without secrets, plus ``extra``.

    ``extra`` is what the caller sets on purpose (a plan's ETCDCTL_* paths, say); a
    secret name in it is dropped as well: secrets never travel through a child's env."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not is_secret(k)}
    for k, v in (extra or {}).items():
        if not is_secret(k):
            env[k] = v
    return env


__all__ = ["is_secret", "scrubbed_env"]
