"""`etcdtui certs`: every certificate the cluster runs on, with expiry and checks."""

from __future__ import annotations

import argparse
from pathlib import Path

from etcdtui.cli import add_output_flag
from etcdtui.i18n import _
from etcdtui.safeio import expand_user


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "certs", help=_("server, client and member certificates: expiry, SANs, chain")
    )
    add_output_flag(p)
    p.add_argument(
        "--pki-dir",
        action="append",
        default=[],
        metavar="DIR",
        help=_("also check the certificates in this directory (repeatable)"),
    )
    p.add_argument(
        "--kubeadm-pki-root",
        metavar="DIR",
        help=_("kubeadm etcd PKI directory (default /etc/kubernetes/pki/etcd)"),
    )
    p.add_argument("--no-local", action="store_true", help=_("skip certificate files on this host"))
    p.set_defaults(func=cmd_certs)


def cmd_certs(args: argparse.Namespace) -> int:
    from etcdtui.cli.invocation import run, settings_from_args
    from etcdtui.cli.output import print_json, print_table
    from etcdtui.ops import certs as cert_report
    from etcdtui.ops.security import collect_cert_report

    settings = settings_from_args(args)
    roots: list[Path] = [expand_user(d) for d in args.pki_dir]
    local = not args.no_local
    kube = expand_user(args.kubeadm_pki_root) if local and args.kubeadm_pki_root else None
    report = run(
        lambda: collect_cert_report(settings, pki_dirs=roots, local=local, kubeadm_root=kube)
    )
    if args.output == "json":
        print_json(report.as_dict())
    else:
        print_table(
            [_("role"), _("source"), _("subject"), _("expires"), _("days"), _("key"), _("status")],
            [
                [
                    c.role,
                    c.source,
                    c.subject,
                    c.not_after.date() if c.not_after else "",
                    c.days_left,
                    f"{c.key_type} {c.key_size}".strip(),
                    c.severity,
                ]
                for c in report.certs
            ],
        )
        problems = [(c, p) for c in report.certs for p in c.problems]
        if problems or report.errors:
            print()
        for c, problem in problems:
            print(f"{c.severity.upper()}: {c.role} {c.source}: {problem}")
        for err in report.errors:
            print(_("note: {e}").format(e=err))
        near = cert_report.nearest_expiry(report.certs)
        if near is not None:
            print()
            print(
                _("Nearest expiry: {role} {source} in {n} days").format(
                    role=near.role, source=near.source, n=near.days_left
                )
            )
    return 1 if report.worst == "critical" or report.errors else 0
