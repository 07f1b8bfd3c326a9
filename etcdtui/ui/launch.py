"""`etcdtui` with no sub-command: open the console (called by etcdtui.main)."""

from __future__ import annotations

import argparse
import os

from etcdtui.errors import EtcdtuiError


def run_console(args: argparse.Namespace) -> int:
    import gc

    # Start-up allocates many long-lived objects (Textual's DOM, CSS, our modules); the
    # cyclic collector scanning them again and again cost about a tenth of the time to
    # the first full frame. The app freezes them and turns collection back on once the
    # first poll is on screen (EtcdtuiApp.resume_gc).
    gc.disable()

    from etcdtui.config import NothingConfigured, load_config, precheck_tls_files, resolve_settings
    from etcdtui.ui.app import EtcdtuiApp

    cfg = load_config(getattr(args, "config", None))  # a broken config file stops here, exit 2
    settings = None
    nothing: EtcdtuiError | None = None
    sandbox = bool(getattr(args, "sandbox", False))
    if not sandbox:
        try:
            settings = resolve_settings(args, os.environ)
        except NothingConfigured as exc:
            nothing = exc
    if settings is not None:
        precheck_tls_files(settings)  # hard problems stop here, exit 2; the app warns
    app = EtcdtuiApp(
        settings,
        refresh_interval=cfg.refresh_interval,
        theme=cfg.theme,
        keymap=cfg.keymap,
        start_sandbox=sandbox,
        nothing_configured=nothing,
        config_path=getattr(args, "config", None),
        cli_read_only=bool(getattr(args, "read_only", False)),
        consistency_every=cfg.consistency_check_interval,
    )
    code = app.run()
    return int(app.return_code or code or 0)  # 128+N after SIGTERM / SIGHUP
