"""Who follows a sandbox's membership: after a member joins or is removed, the sandbox
tells each follower. The entry point (etcdtui.main) makes the config's contexts that
dial the sandbox follow it, so the service layer never imports the config.

Deliberately tiny: registering a follower must not load the sandbox module."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Follower = Callable[[Any], None]  # called with the Sandbox whose members changed

_followers: list[Follower] = []


def follow(follower: Follower) -> None:
    """Call ``follower(sandbox)`` after every membership change (once per follower)."""
    if follower not in _followers:
        _followers.append(follower)


def members_changed(sandbox: Any) -> None:
    for follower in list(_followers):
        follower(sandbox)
