"""Helpers every command uses: settings from flags, the event loop, confirmations."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator

from etcdtui.cluster_data import ConnectionSettings
from etcdtui.errors import ConnectionFailure, EtcdtuiError, ReadOnlyMode
from etcdtui.i18n import N_, _

TYPE_CHECKING = False  # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    import asyncio
    from typing import Any, TypeVar

    T = TypeVar("T")


def sandbox_settings(sandbox: object, args: argparse.Namespace) -> ConnectionSettings:
    """A sandbox's connection settings with the operator's own --user (password from the
    environment or a prompt), --timeout and --read-only on top: a flag the operator
    gave is never dropped because the cluster was named by --sandbox-dir."""
    import dataclasses

    from etcdtui.config import password_from_env
    from etcdtui.errors import ConfigError

    settings: ConnectionSettings = sandbox.settings()  # type: ignore[attr-defined]
    user = getattr(args, "user", None)
    if user:
        if ":" in user:
            raise ConfigError(
                _("--user contains ':' (a password on the command line)"),
                fix=_("Pass only the user name and set ETCDTUI_PASSWORD, or answer the prompt."),
            )
        password = password_from_env(user, os.environ)
        if password is None and sys.stdin.isatty():
            import getpass

            password = getpass.getpass(_("Password for etcd user {user}: ").format(user=user))
        settings = dataclasses.replace(settings, user=user, password=password)
    timeout = getattr(args, "timeout", None)
    if timeout is not None:
        try:
            settings = dataclasses.replace(settings, timeout=float(timeout))
        except (TypeError, ValueError):
            pass
    if getattr(args, "read_only", False):
        settings = dataclasses.replace(settings, read_only=True)
    return settings


def settings_from_args(args: argparse.Namespace) -> ConnectionSettings:
    """Resolve the cluster to talk to: flags > ETCDCTL_* env > config file > kubeadm."""
    from etcdtui.config import precheck_tls_files, resolve_settings

    settings = resolve_settings(args, os.environ)
    for warning in precheck_tls_files(settings):  # a stat per file; raises on a hard problem
        print(_("warning: {w}").format(w=warning), file=sys.stderr)
    if settings.user and settings.password is None and sys.stdin.isatty():
        import dataclasses
        import getpass

        password = getpass.getpass(_("Password for etcd user {user}: ").format(user=settings.user))
        settings = dataclasses.replace(settings, password=password)
    return settings


def run(coro_fn: Callable[[], Awaitable[T]], settings: ConnectionSettings | None = None) -> T:
    """Run one async service call from a synchronous command handler.

    When it fails to connect and ``settings`` are given, the TLS files are checked
    (key matches cert, validity, PEM) so the error names a local cause if there is one.
    The check costs start-up time, so it only runs on failure."""

    import asyncio  # here, not at the top: `etcdtui status` runs without it

    async def wrapper() -> T:
        with _signals_cancel(asyncio.current_task()) as received:
            try:
                return await coro_fn()
            except asyncio.CancelledError:
                if received:
                    raise Terminated(received[0]) from None
                raise

    try:
        return asyncio.run(wrapper())
    except ConnectionFailure:
        _check_tls_files(settings)
        raise


def run_blocking(fn: Callable[[], T], settings: ConnectionSettings | None = None) -> T:
    """:func:`run` for a call that needs no event loop (the threaded reads of `etcdtui
    status`): the same check of the TLS files when it fails to connect, and SIGTERM or
    SIGHUP end it as :class:`Terminated` (exit 128 + the signal), as they end :func:`run`."""
    try:
        with _signals_raise():
            try:
                return fn()
            except ConnectionFailure:
                _check_tls_files(settings)
                raise
    except _Signalled as sig:
        raise Terminated(sig.signum) from None


class _Signalled(BaseException):
    """SIGTERM or SIGHUP arrived (a BaseException, like KeyboardInterrupt, so that no
    ``except EtcdtuiError`` on the way swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """While the body runs on the main thread, SIGTERM and SIGHUP raise there (its waits
    are sliced, so the handler runs soon even when another thread got the signal)."""

    def on_signal(signum: int, _frame: object) -> None:
        raise _Signalled(signum)

    previous: list[tuple[int, Any]] = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous.append((signum, signal.signal(signum, on_signal)))
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        yield
    finally:
        for sig, handler in previous:
            signal.signal(sig, handler)


def _check_tls_files(settings: ConnectionSettings | None) -> None:
    if settings is not None:
        from etcdtui.config import check_tls_files

        for warning in check_tls_files(settings):  # raises on a hard file problem
            print(_("warning: {w}").format(w=warning), file=sys.stderr)


class Terminated(EtcdtuiError):
    """SIGTERM or SIGHUP arrived: the command was cancelled and cleaned up after itself."""

    code = "terminated"
    default_title = N_("Stopped by a signal")

    def __init__(self, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(
            _("{signal} arrived; the command stopped and removed what it had half-written").format(
                signal=name
            )
        )
        self.exit_code = 128 + signum


@contextlib.contextmanager
def _signals_cancel(task: asyncio.Task[Any] | None) -> Iterator[list[int]]:
    """While the body runs, SIGTERM and SIGHUP cancel ``task`` as Ctrl-C does (asyncio.run
    turns SIGINT into a cancel itself): every ``finally`` runs, so a snapshot save removes
    its ``.part`` and a wizard records where it stopped. Yields the signals received."""
    import asyncio

    received: list[int] = []
    loop = asyncio.get_running_loop()
    installed = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        if task is not None:
            task.cancel()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    try:
        yield received
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def require_writable(settings: ConnectionSettings, action: str) -> None:
    if settings.read_only:
        raise ReadOnlyMode(
            _("{action} changes the cluster, and this session is read-only").format(action=action)
        )


def confirm_typed(expected: str, prompt: str, *, assume_yes: bool, also: str = "") -> None:
    """Ask the operator to type ``expected`` (a member name), or ``also`` (its hex ID: a
    name may hold characters nobody can type), to go on."""
    from etcdtui.terminal_text import printable

    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise EtcdtuiError(
            _("confirmation needed but standard input is not a terminal"),
            title=_("Not confirmed"),
            fix=_("Run it in a terminal, or pass --yes after checking the plan."),
        )
    print(printable(prompt), file=sys.stderr)
    if also and also != expected:
        question = _("Type {expected} or {also} to confirm: ").format(
            expected=printable(expected), also=printable(also)
        )
    else:
        question = _("Type {expected} to confirm: ").format(expected=printable(expected))
    answer = input(question).strip()
    if answer not in {expected, also} - {""}:
        raise EtcdtuiError(
            _("you typed {answer!r}, not {expected!r}; nothing was changed").format(
                answer=answer, expected=expected
            ),
            title=_("Not confirmed"),
        )
