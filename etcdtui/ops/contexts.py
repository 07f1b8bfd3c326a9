"""The config's contexts for the local sandbox: the one `sandbox status` tells the
operator to use, and every saved context that dials a sandbox follows its membership.

Light to import (the config and the sandbox load only when used): etcdtui.cli.main calls
:func:`follow_sandboxes` before every command, and the console opens through it too."""

from __future__ import annotations

from etcdtui import errors

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any

    from etcdtui.services.sandbox import Sandbox


def register_context(sandbox: Sandbox, name: str = "sandbox", config_path: Any = None) -> None:
    """Write (or refresh) the context that `sandbox status` tells the operator to use;
    it becomes the current one when there is none yet."""
    from etcdtui.config import load_config, save_context

    make_current = load_config(config_path).current_context in (None, name)
    save_context(sandbox.settings(context=name), config_path, make_current=make_current)


def refresh_contexts(sandbox: Sandbox) -> None:
    """Membership changed: every saved context that dials this sandbox (its CA) gets
    the current endpoints, so it never points at a removed member or misses a new one."""
    from pathlib import Path

    from etcdtui.config import load_config, save_context

    try:
        cfg = load_config(None)
        for ctx in cfg.contexts.values():
            if ctx.cacert is not None and Path(ctx.cacert) == sandbox.ca_cert:
                save_context(sandbox.settings(context=ctx.name), None)
    except errors.EtcdtuiError:
        return  # the config file is the operator's; a broken one is reported elsewhere


def follow_sandboxes() -> None:
    """From now on, the saved contexts follow every sandbox's membership changes."""
    from etcdtui.services import sandbox_followers

    sandbox_followers.follow(refresh_contexts)
