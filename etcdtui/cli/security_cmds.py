"""`etcdtui security`: a read-only posture scan of the cluster."""

from __future__ import annotations

import argparse

from etcdtui.cli import add_output_flag
from etcdtui.i18n import _


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "security", help=_("read-only security scan: TLS, client certs, auth, versions, secrets")
    )
    add_output_flag(p)
    p.add_argument(
        "--secrets-sample",
        type=int,
        default=200,
        metavar="N",
        help=_("how many Kubernetes Secrets to sample for encryption (0: skip)"),
    )
    p.add_argument(
        "--secrets-prefix",
        default="/registry/secrets/",
        help=_("key prefix of the Secrets (kube-apiserver --etcd-prefix)"),
    )
    p.set_defaults(func=cmd_security)


def cmd_security(args: argparse.Namespace) -> int:
    from etcdtui.cli.invocation import run, settings_from_args
    from etcdtui.cli.output import print_json, print_table
    from etcdtui.errors import UsageError
    from etcdtui.ops.security import run_security_scan

    if args.secrets_sample < 0:
        raise UsageError(_("--secrets-sample must be 0 or more"))
    prefix = args.secrets_prefix.encode()
    if not prefix.endswith(b"/"):
        prefix += b"/"
    settings = settings_from_args(args)
    report = run(
        lambda: run_security_scan(
            settings, secrets_sample=args.secrets_sample, secrets_prefix=prefix
        )
    )
    if args.output == "json":
        print_json(report.as_dict())
    else:
        print_table(
            [_("severity"), _("id"), _("finding"), _("evidence")],
            [[f.severity, f.id, f.title, f.evidence] for f in report.findings],
        )
        print()
        for f in report.findings:
            if f.severity != "info":
                print(f"{f.id}: " + _("fix") + f": {f.fix}")
        if report.passed:
            print(_("Passed: {ids}").format(ids=", ".join(report.passed)))
    return 1 if report.worst in ("high", "critical") else 0
