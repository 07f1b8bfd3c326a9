"""`etcdtui snapshot save FILE`: stream a member's database to a file, optionally age-encrypted.

Hooked into the `snapshot` command group by :func:`add_save_parser`.
"""

from __future__ import annotations

import argparse
import sys
import time

from etcdtui.cli import add_connection_flags, add_output_flag
from etcdtui.cli.output import print_json
from etcdtui.domain.formatting import human_bytes
from etcdtui.errors import UsageError
from etcdtui.i18n import _

TYPE_CHECKING = False  # typing costs start-up (see etcdtui/records.py)
if TYPE_CHECKING:
    from typing import Any, TextIO


def add_save_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "save",
        help=_("stream a snapshot from one member to FILE (0600, verified, optional age)"),
        description=_(
            "Save a snapshot of the cluster's database. The source is the leader (or, "
            "without a leader, a member whose HashKV matches the majority). The file is "
            "written to FILE.part, checked against etcd's sha256 trailer, then renamed; "
            "FILE.json records where it came from."
        ),
    )
    p.add_argument("file", metavar="FILE", help=_("where to write the snapshot"))
    p.add_argument(
        "--endpoint",
        help=_("take the snapshot from this member's client URL, even if unhealthy or lagging"),
    )
    p.add_argument(
        "--encrypt-to",
        action="append",
        default=[],
        metavar="AGE_RECIPIENT",
        help=_("encrypt to an age X25519 recipient (age1...); repeatable"),
    )
    p.add_argument(
        "--encrypt-ssh",
        action="append",
        default=[],
        metavar="PUBKEY_FILE",
        help=_("encrypt to an ssh-ed25519 or ssh-rsa public key file; repeatable"),
    )
    p.add_argument(
        "--passphrase",
        action="store_true",
        help=_("encrypt with a passphrase asked twice on the terminal"),
    )
    p.add_argument(
        "--passphrase-file",
        metavar="F",
        help=_("encrypt with the passphrase on the first line of F"),
    )
    p.add_argument("--force", action="store_true", help=_("replace FILE if it exists"))
    add_output_flag(p)
    # The same connection flags as the top level, so they may follow the command.
    # SUPPRESS keeps values given before the command from being reset to None.
    add_connection_flags(p, suppress=True)
    p.set_defaults(func=cmd_save)


def _passphrase(args: argparse.Namespace) -> str | None:
    from etcdtui.ops.snapshot_save import PassphraseInvalid, read_passphrase_file

    if args.passphrase and args.passphrase_file:
        raise UsageError(
            _("--passphrase and --passphrase-file exclude each other"), fix=_("Use one of them.")
        )
    if (args.passphrase or args.passphrase_file) and (args.encrypt_to or args.encrypt_ssh):
        raise UsageError(
            _("a passphrase cannot be combined with --encrypt-to or --encrypt-ssh"),
            fix=_("age allows a passphrase only as the sole recipient: choose one kind."),
        )
    if args.passphrase_file:
        return read_passphrase_file(args.passphrase_file)
    if not args.passphrase:
        return None
    if not sys.stdin.isatty():
        raise UsageError(
            _("--passphrase needs a terminal to ask for the passphrase"),
            fix=_("Use --passphrase-file FILE in scripts."),
        )
    import getpass

    first = getpass.getpass(_("Passphrase for the snapshot: "))
    second = getpass.getpass(_("Same passphrase again: "))
    if first != second:
        raise PassphraseInvalid(_("the two passphrases differ"))
    return first


class ProgressPrinter:
    """A bar redrawn in place on a terminal; a plain line every 10 % otherwise."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self._next_decile = 1
        self._last_draw = 0.0

    def __call__(self, p: Any) -> None:
        frac = p.fraction
        rate = human_bytes(p.rate) + "/s"
        done = human_bytes(p.received)
        total = human_bytes(p.total) if p.total else "?"
        if self.tty:
            now = time.monotonic()
            if not p.done and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            width = 30
            filled = int(width * (frac or 0))
            bar = "#" * filled + "-" * (width - filled)
            pct = f"{(frac or 0) * 100:5.1f}%"
            self.stream.write(f"\r[{bar}] {pct}  {done} / {total}  {rate}   ")
            if p.done:
                self.stream.write("\n")
            self.stream.flush()
            return
        while frac is not None and frac * 10 >= self._next_decile and self._next_decile <= 10:
            if self._next_decile < 10 or p.done:
                self.stream.write(
                    _("received {pct}%: {done} of {total}, {rate}").format(
                        pct=self._next_decile * 10, done=done, total=total, rate=rate
                    )
                    + "\n"
                )
                self.stream.flush()
            elif not p.done:
                break
            self._next_decile += 1


def cmd_save(args: argparse.Namespace) -> int:
    from etcdtui.cli.invocation import run, settings_from_args
    from etcdtui.ops.snapshot_save import build_encryption, save_snapshot

    encryption = build_encryption(args.encrypt_to, args.encrypt_ssh, _passphrase(args))
    settings = settings_from_args(args)
    printer = ProgressPrinter(sys.stderr, sys.stderr.isatty())

    async def go() -> Any:
        from etcdtui.ops.audit import AuditLog

        return await save_snapshot(
            settings,
            args.file,
            endpoint=args.endpoint,
            encryption=encryption,
            progress=printer,
            audit=AuditLog(),
            force=args.force,
        )

    result = run(go)
    if result.source.warning:
        print(_("warning: {w}").format(w=result.source.warning), file=sys.stderr)
    if args.output == "json":
        print_json(result.metadata)
        return 0
    meta = result.metadata
    src = meta["source"]
    print(_("Snapshot saved to {path}").format(path=result.path))
    print(
        "  "
        + _("source: {name} ({id}) at {url}").format(
            name=src["name"] or "?", id=src["member_id"], url=src["endpoint"]
        )
    )
    print("  " + _("why this member: {reason}").format(reason=src["reason"]))
    rev = meta["revision"] if meta["revision_exact"] else f">= {meta['revision']}"
    print(
        "  "
        + _("cluster {cid}, etcd {ver}, revision {rev}").format(
            cid=meta["cluster_id"], ver=meta["etcd_version"], rev=rev
        )
    )
    print(
        "  "
        + _("size {size}, sha256 {sha}").format(size=human_bytes(meta["size"]), sha=meta["sha256"])
    )
    print("  " + _("etcd's sha256 trailer: valid"))
    if meta["encrypted"]:
        print("  " + _("encrypted (age) for: {who}").format(who=", ".join(meta["recipients"])))
    else:
        print("  " + _("not encrypted: the file holds every Kubernetes secret in clear"))
    print("  " + _("metadata: {path}").format(path=result.sidecar))
    return 0


# `etcdtui.cli.snapshot_cmds.SUBCOMMAND_MODULES` calls ``register(snapshot_subparsers)``.
register = add_save_parser
