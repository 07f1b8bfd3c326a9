"""`etcdtui pki init|renew`: an etcd PKI (CA, member server and peer certs, clients)."""

from __future__ import annotations

import argparse

from etcdtui.i18n import _
from etcdtui.safeio import expand_user


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "pki", help=_("create or renew the certificates of an etcd cluster")
    )
    sub = parser.add_subparsers(dest="pki_command", metavar=_("ACTION"), required=True)

    init = sub.add_parser("init", help=_("create a CA and every member and client certificate"))
    init.add_argument("dir", help=_("directory for the PKI (created 0700)"))
    init.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="NAME=HOST[,HOST...]",
        required=True,
        help=_("a member and the IPs/DNS names it is dialled by (repeat per member)"),
    )
    init.add_argument(
        "--client",
        action="append",
        default=None,
        metavar="NAME",
        help=_(
            "a client certificate to issue (repeatable; default: apiserver-etcd-client "
            "and etcdtui-operator)"
        ),
    )
    init.add_argument("--days", type=int, default=365, help=_("leaf validity in days"))
    init.add_argument("--ca-days", type=int, default=3650, help=_("CA validity in days"))
    init.add_argument("--client-port", type=int, default=2379)
    init.add_argument("--peer-port", type=int, default=2380)
    init.set_defaults(func=_init)

    renew = sub.add_parser(
        "renew", help=_("re-issue certificates that expire soon; old files kept as .bak")
    )
    renew.add_argument("dir", help=_("a directory made by `etcdtui pki init`"))
    renew.add_argument(
        "--expiring-within",
        default="30d",
        metavar="DAYS",
        help=_("renew what expires within this long (30d, 4w)"),
    )
    renew.add_argument("--days", type=int, default=365, help=_("new validity in days"))
    renew.add_argument("--dry-run", action="store_true", help=_("only list what would change"))
    renew.set_defaults(func=_renew)


def _init(args: argparse.Namespace) -> int:
    from etcdtui.ops import pki as pki_dir

    members = [pki_dir.parse_member(m) for m in args.member]
    clients = [pki_dir.check_name(c, "--client") for c in (args.client or pki_dir.DEFAULT_CLIENTS)]
    layout = pki_dir.Layout(expand_user(args.dir).absolute())
    written = pki_dir.init(layout.root, members, clients, days=args.days, ca_days=args.ca_days)
    print(
        _("Created {n} files in {dir} (keys are mode 0600):").format(
            n=len(written), dir=layout.root
        )
    )
    for path in written:
        print(f"  {path}")
    for m in members:
        print()
        print(_("# etcd flags for member {name}").format(name=m.name))
        flags = pki_dir.etcd_flags(
            layout, m, client_port=args.client_port, peer_port=args.peer_port
        )
        print(" \\\n  ".join(["etcd", *flags]))
    if "apiserver-etcd-client" in clients:
        print()
        print(_("# kube-apiserver flags"))
        print(
            " \\\n  ".join(pki_dir.apiserver_flags(layout, members, client_port=args.client_port))
        )
    print()
    print(_("Copy each member's files to its host only; the CA key (ca.key) belongs offline."))
    return 0


def _renew(args: argparse.Namespace) -> int:
    from etcdtui.cli.output import print_table
    from etcdtui.ops import pki as pki_dir

    within = pki_dir.parse_duration_days(args.expiring_within)
    done = pki_dir.renew(
        expand_user(args.dir).absolute(),
        within_days=within,
        days=args.days,
        dry_run=args.dry_run,
    )
    if not done:
        print(_("Nothing expires within {n} days.").format(n=within))
        return 0
    print_table(
        [_("certificate"), _("old expiry"), _("new expiry"), _("old file kept as")],
        [[r.cert, r.old_not_after.date(), r.new_not_after.date(), r.backup_cert] for r in done],
    )
    if args.dry_run:
        print(_("Dry run: nothing was changed."))
    else:
        print(
            _(
                "Restart each etcd member (one at a time) and the kube-apiservers to load the "
                "new files."
            )
        )
    return 0
