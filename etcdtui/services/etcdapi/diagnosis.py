"""What went wrong with a call, in etcdtui's words: shared by every transport.

The gRPC channel and the gateway transport both hand a failure over as a gRPC status
name and its details; :func:`classify_status` names etcd's own refusals, deadlines and
auth failures, and for a vague transport failure runs the TLS probe
(:mod:`etcdtui.services.etcdapi.probe`) to find the exact cause.
"""

from __future__ import annotations

from etcdtui import errors
from etcdtui.i18n import _

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Protocol

    from etcdtui.cluster_data import ConnectionSettings
    from etcdtui.services.etcdapi.endpoint import Endpoint

    class Dialled(Protocol):
        """What the diagnosis needs of a client: its endpoint and settings."""

        @property
        def url(self) -> str: ...

        endpoint: Endpoint
        settings: ConnectionSettings


_CLUSTER_ERRORS: list[tuple[str, type[errors.EtcdtuiError]]] = [
    ("unhealthy cluster", errors.UnhealthyCluster),
    ("not enough started members", errors.UnhealthyCluster),
    ("no leader", errors.NoLeader),
    ("not leader", errors.NotLeader),
    ("leader changed", errors.NotLeader),
    ("member not found", errors.MemberNotFound),
    ("database space exceeded", errors.NoSpace),
    ("can only promote a learner member which is in sync", errors.LearnerNotReady),
    ("too many learner members", errors.TooManyLearners),
    ("peer urls already exists", errors.PeerURLExists),
    ("authentication failed", errors.AuthFailed),
    ("invalid auth token", errors.AuthFailed),
    ("user name is empty", errors.AuthFailed),
    ("user name not found", errors.AuthFailed),
    ("permission denied", errors.PermissionDenied),
]


async def classify_status(
    code: str, details: str, client: Dialled, *, remaining: float | None = None
) -> errors.EtcdtuiError:
    """Turn a failed call into the most specific etcdtui error we can prove.

    ``code`` is the gRPC status name (``UNAVAILABLE``, ``DEADLINE_EXCEEDED``...): the
    gRPC channel's own, or the one the gateway transport reports for the same failure.
    ``remaining`` is what is left of the caller's deadline: the diagnostic probe only
    runs within it, so a failing endpoint never makes a caller wait past its deadline."""
    named = _named(code, details, client, remaining)
    if named is not None:
        return named
    # Imported here, not at the top: the probe loads cryptography, which the console's
    # start-up does not need. (Not a cycle: the probe imports only etcdapi.endpoint.)
    from etcdtui.services.etcdapi.probe import diagnose

    diagnosis = await diagnose(
        client.endpoint, client.settings, details, budget=_budget(client, remaining)
    )
    return diagnosis or _vague(code, details, client)


def classify_status_blocking(
    code: str, details: str, client: Dialled, *, remaining: float | None = None
) -> errors.EtcdtuiError:
    """:func:`classify_status` for a caller on a thread of its own (the gateway reads
    of `etcdtui status`, which run without asyncio): the probe runs on this thread."""
    named = _named(code, details, client, remaining)
    if named is not None:
        return named
    from etcdtui.services.etcdapi.probe import diagnose_blocking

    diagnosis = diagnose_blocking(
        client.endpoint, client.settings, details, budget=_budget(client, remaining)
    )
    return diagnosis or _vague(code, details, client)


def _budget(client: Dialled, remaining: float | None) -> float:
    return client.settings.timeout if remaining is None else max(remaining, 0.2)


def _vague(code: str, details: str, client: Dialled) -> errors.EtcdtuiError:
    return errors.ConnectionFailure(details or f"StatusCode.{code}", endpoint=client.url)


def _named(
    code: str, details: str, client: Dialled, remaining: float | None
) -> errors.EtcdtuiError | None:
    """The error the code and details prove by themselves; None when only the TLS probe
    can tell (a vague transport failure)."""
    low = details.lower()
    url = client.url
    for needle, cls in _CLUSTER_ERRORS:
        if needle in low:
            return cls(details.removeprefix("etcdserver: "), endpoint=url)
    if code == "DEADLINE_EXCEEDED" or (
        remaining is not None and remaining < 0.05 and code == "UNAVAILABLE"
    ):
        return errors.DeadlineExceeded(
            _("no answer within {t:.1f} s").format(t=client.settings.timeout), endpoint=url
        )
    if code == "UNAUTHENTICATED":
        return errors.AuthFailed(details, endpoint=url)
    if code == "PERMISSION_DENIED":
        return errors.PermissionDenied(details, endpoint=url)
    if code in ("UNAVAILABLE", "UNKNOWN", "INTERNAL", "UNIMPLEMENTED", "CANCELLED"):
        if code == "UNAVAILABLE" and low.startswith("etcdserver:"):
            return errors.ClusterError(details, endpoint=url)
        return None
    return errors.ClusterError(details or f"StatusCode.{code}", endpoint=url)
