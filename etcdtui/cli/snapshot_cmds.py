"""`etcdtui snapshot ...`: offline snapshot tools (status, verify, inspect, diff, ls, prune).

Everything here reads files only, except ``diff A --live``. ``snapshot save`` plugs in
through ``SUBCOMMAND_MODULES``: each listed module's ``register(snapshot_subparsers)``
adds its own parser to the ``snapshot`` group.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from etcdtui.cli import add_output_flag, narrowed_action
from etcdtui.cli.output import print_json, print_table
from etcdtui.domain.formatting import human_bytes, short_age
from etcdtui.errors import EtcdtuiError, UsageError
from etcdtui.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Parser = argparse.ArgumentParser
    Actions = argparse._SubParsersAction[argparse.ArgumentParser]

# Modules that add more `snapshot` subcommands (e.g. save): dotted names.
SUBCOMMAND_MODULES: list[str] = ["etcdtui.cli.snapshot_save"]


def register(sub: Actions) -> None:
    snap = sub.add_parser("snapshot", help=_("inspect, verify, compare and prune snapshot files"))
    ssub = snap.add_subparsers(dest="snapshot_command", metavar=_("ACTION"), required=True)
    actions = _actions()
    # only the action the command line names is built (the parser serves one parse);
    # a word that names none of these (help, a typo, an action of SUBCOMMAND_MODULES)
    # gets them all
    only = narrowed_action()
    if only not in actions:
        only = None
    for name, (build, func, output) in actions.items():
        if only is None or only == name:
            p = build(ssub)
            add_decrypt_flags(p)
            if output:
                add_output_flag(p)
            p.set_defaults(func=func)
    if only is None:
        for module in SUBCOMMAND_MODULES:
            importlib.import_module(module).register(ssub)


def _actions() -> dict[str, tuple[Callable[[Actions], Parser], Callable[..., int], bool]]:
    """Each action: its parser's own arguments, its command, whether it has -o. In the
    order of `snapshot --help`; every one also takes the decryption flags."""
    return {
        "status": (_status_args, cmd_status, True),
        "verify": (_verify_args, cmd_verify, True),
        "inspect": (_inspect_args, cmd_inspect, True),
        "diff": (_diff_args, cmd_diff, True),
        "ls": (_ls_args, cmd_ls, True),
        "prune": (_prune_args, cmd_prune, False),
    }


def _status_args(ssub: Actions) -> Parser:
    p = ssub.add_parser("status", help=_("hash, revision, keys and size, as etcdutl prints them"))
    p.add_argument("file", help=_("snapshot file (plain or age-encrypted)"))
    p.add_argument(
        "--verify",
        action="store_true",
        help=_("also check the sha256 trailer and the bbolt structure now (reads the whole file)"),
    )
    return p


def _verify_args(ssub: Actions) -> Parser:
    p = ssub.add_parser("verify", help=_("check the sha256 trailer and the bbolt structure"))
    p.add_argument("file", help=_("snapshot file (plain or age-encrypted)"))
    return p


def _inspect_args(ssub: Actions) -> Parser:
    p = ssub.add_parser("inspect", help=_("Kubernetes view of the live keys"))
    p.add_argument("file", help=_("snapshot file (plain or age-encrypted)"))
    p.add_argument(
        "--objects",
        action="store_true",
        help=_("list each object's decoded metadata instead of the summary"),
    )
    p.add_argument("--prefix", default="", help=_("only keys starting with this prefix"))
    p.add_argument(
        "--key", default=None, help=_("show one key's decoded object (never a Secret's value)")
    )
    return p


def _diff_args(ssub: Actions) -> Parser:
    p = ssub.add_parser("diff", help=_("what a restore of A would roll back (A older, B newer)"))
    p.add_argument("a", help=_("the older snapshot (the one a restore would bring back)"))
    p.add_argument("b", nargs="?", help=_("the newer snapshot"))
    p.add_argument(
        "--live",
        action="store_true",
        help=_("compare A with the live cluster instead of a second file"),
    )
    p.add_argument("--limit", type=int, default=1000, help=_("keys listed per kind (default 1000)"))
    return p


def _ls_args(ssub: Actions) -> Parser:
    p = ssub.add_parser("ls", help=_("list the snapshots in a directory"))
    p.add_argument("dir", help=_("directory holding snapshots and their .json sidecars"))
    p.add_argument(
        "--no-verify",
        action="store_true",
        help=_("skip reading the files (faster; state shows unchecked)"),
    )
    return p


def _prune_args(ssub: Actions) -> Parser:
    p = ssub.add_parser("prune", help=_("delete the oldest snapshots, keeping N"))
    p.add_argument("dir", help=_("directory holding snapshots"))
    p.add_argument("--keep", type=int, required=True, help=_("how many snapshots to keep"))
    p.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    return p


def add_decrypt_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(_("encrypted snapshots"))
    g.add_argument(
        "--identity",
        action="append",
        default=[],
        metavar="FILE",
        help=_("age identity file or ssh private key (repeatable)"),
    )
    g.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help=_("file whose first line is the passphrase (never pass it in argv)"),
    )


def decrypt_keys(args: argparse.Namespace, *paths: str) -> Any:
    """Keys from the flags; prompt for a passphrase when a file needs one and we can ask."""
    from etcdtui.ops.snapshot_verify import keys_from_files, needs_passphrase

    keys = keys_from_files(args.identity, args.passphrase_file)
    if keys:
        return keys
    for path in paths:
        if needs_passphrase(path) and sys.stdin.isatty():
            import getpass

            keys.passphrase = getpass.getpass(_("Passphrase for {path}: ").format(path=path))
            break
    return keys


# --- status and verify ------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    early = _early_hash(args.file) if args.verify else None
    from etcdtui.ops.snapshot_verify import snapshot_status

    try:
        keys = decrypt_keys(args, args.file)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    st = snapshot_status(args.file, keys, verify=args.verify, early=early)
    if st["sha256"]["state"] != "absent":
        _warn_trailer(args.file, st["sha256"])
    if args.output == "json":
        print_json(st)
        return 0
    print_table(
        [
            _("hash"),
            _("revision"),
            _("total keys"),
            _("total size"),
            _("storage version"),
            _("sha256 trailer"),
        ],
        [
            [
                f"{st['hash']:x}",
                st["revision"],
                st["totalKey"],
                human_bytes(st["totalSize"]),
                st["version"] or _("- (written before etcd 3.6)"),
                _trailer_text(st["sha256"]),
            ]
        ],
    )
    return 0


def _trailer_text(sha: dict[str, Any]) -> str:
    text = {
        "valid": _("valid"),
        "mismatch": _("MISMATCH"),
        "unchecked": _("present"),
        "absent": _("absent (raw db copy?)"),
        "cut-short": _("CUT SHORT"),
        "extra-bytes": _("DAMAGED (extra bytes)"),
    }.get(str(sha.get("state")), _("unknown"))
    last = sha.get("verified")
    if sha.get("state") == "unchecked":
        if not last:
            return text + ", " + _("not verified (snapshot verify FILE, or --verify)")
        if last.get("result") == "ok":
            return text + ", " + _("verified OK {at}").format(at=last.get("at"))
        if last.get("result") == "sha256-ok-at-save":
            return text + ", " + _("matched when saved {at}").format(at=last.get("at"))
        return (
            text
            + ", "
            + _("last verify FAILED {at}: {result}").format(
                at=last.get("at"), result=last.get("result")
            )
        )
    return text


def _warn_trailer(path: str, sha: dict[str, Any] | None) -> None:
    """Every command that reads a snapshot says when its sha256 trailer proves nothing."""
    if sha and sha.get("problem"):
        print(
            _("warning: {path}: {problem}").format(path=path, problem=sha["problem"]),
            file=sys.stderr,
        )


def _early_hash(path: str) -> Any:
    """Start the sha256 of ``path`` before the reader is imported: verify's floor is
    that hash, and this overlaps it with the rest of the start-up (see earlyhash)."""
    from etcdtui.ops.snapshot_verify import start_hash

    return start_hash(path)


def cmd_verify(args: argparse.Namespace) -> int:
    early = _early_hash(args.file)
    from etcdtui.ops.snapshot_verify import verify

    try:
        keys = decrypt_keys(args, args.file)
    except BaseException:
        early.cancel()
        raise
    # The proof of the content is the sha256: etcdutl's CRC of every value (status's
    # `hash`) would add a second read of all the data to the walk beside the hash.
    res = verify(args.file, keys, early=early, content_hash=False)
    if args.output == "json":
        print_json(res.as_dict())
    else:
        label = {"ok": _("OK"), "warning": _("WARNING"), "error": _("FAILED")}[res.severity]
        print(f"{label}: {args.file}: {res.message}")
        if res.cause != "ok":
            print("  " + _("cause") + f": {res.cause}")
        for warning in res.warnings:
            print("  " + _("warning") + f": {warning}")
        if res.status is not None:
            s = res.status
            print(
                "  "
                + _("revision {rev}, {keys} keys, {size}").format(
                    rev=s["revision"], keys=s["totalKey"], size=human_bytes(s["totalSize"])
                )
            )
    return 0 if res.ok else 1


# --- inspect --------------------------------------------------------------------------


def cmd_inspect(args: argparse.Namespace) -> int:
    from etcdtui.ops import snapshot_browse as k8s

    keys = decrypt_keys(args, args.file)
    if args.key is not None:
        found = [
            o
            for o in k8s.objects(args.file, keys, prefix=args.key.encode(), full=True)
            if o["key"] == args.key
        ]
        if not found:
            raise EtcdtuiError(
                _("no live key {key!r} in {file}").format(key=args.key, file=args.file),
                title=_("Key not found"),
            )
        if args.output == "json":
            print_json(found[0])
        else:
            _print_object(found[0])
        return 0
    if args.objects:
        objs = list(k8s.objects(args.file, keys, prefix=args.prefix.encode()))
        if args.output == "json":
            print_json(objs)
        else:
            print_table(
                [_("key"), _("kind"), _("size"), _("created"), _("state")],
                [
                    [
                        o["key"],
                        o.get("kind", ""),
                        o["size"],
                        o.get("creationTimestamp", ""),
                        o.get("encryption") or o.get("encoding", ""),
                    ]
                    for o in objs
                ],
            )
        return 0
    report = k8s.inspect(args.file, keys)
    _warn_trailer(args.file, report.get("sha256"))
    if args.output == "json":
        print_json(report)
    else:
        _print_inspect(report)
    return 0


def _print_object(obj: dict[str, Any]) -> None:
    for field, value in obj.items():
        if field == "object":
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        print(f"{field}: {value}")
    if "object" in obj:
        import json

        print(json.dumps(obj["object"], indent=2))


def _print_inspect(r: dict[str, Any]) -> None:
    keys = r["keys"]
    print(
        _(
            "revision {rev} (compacted at {comp}); cluster version {ver} (the major.minor the "
            "cluster ran at, not a server release); storage version {storage}"
        ).format(
            rev=r["revision"],
            comp=r["compact_revision"] or "-",
            ver=r["cluster_version"] or "-",
            storage=r.get("storage_version") or _("- (written before etcd 3.6)"),
        )
    )
    print(
        _(
            "{live} live keys, {revs} revisions kept, {deleted} deleted keys, {leases} leases"
        ).format(
            live=keys["live"], revs=keys["revisions"], deleted=keys["deleted"], leases=r["leases"]
        )
    )
    print()
    rows = []
    for name, slot in r["resources"].items():
        top = sorted(slot["namespaces"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        more = len(slot["namespaces"]) - len(top)
        ns = ", ".join(f"{n}={c}" for n, c in top) + (f" +{more}" if more > 0 else "")
        rows.append([name, slot["count"], human_bytes(slot["bytes"]), ns])
    if r["other"]["count"]:
        rows.append(
            [_("(outside /registry/)"), r["other"]["count"], human_bytes(r["other"]["bytes"]), ""]
        )
    print_table([_("resource"), _("count"), _("bytes"), _("namespaces")], rows)
    print()
    enc = ", ".join(f"{k}={v}" for k, v in r["secrets_encryption"].items())
    print(_("Secrets at rest: {enc}").format(enc=enc))
    print()
    print_table(
        [_("largest keys"), _("size")], [[e["key"], human_bytes(e["size"])] for e in r["largest"]]
    )


# --- diff -----------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    from etcdtui.ops import snapshot_browse as diffmod

    if args.live == (args.b is not None):
        raise UsageError(_("give either a second snapshot B or --live, not both or neither"))
    keys = decrypt_keys(args, args.a, *([args.b] if args.b else []))
    if args.live:
        report = _diff_live(args, keys)
    else:
        report = diffmod.diff(args.a, args.b, keys, keys, limit=args.limit)
    for side in ("a", "b"):
        _warn_trailer(str(report[side]["path"]), report[side].get("sha256"))
    if args.output == "json":
        print_json(report)
        return 0
    s = report["summary"]
    print(
        _("A = {a} (revision {ra}), B = {b} (revision {rb})").format(
            a=report["a"]["path"],
            ra=report["a"]["revision"],
            b=report["b"]["path"],
            rb=report["b"]["revision"],
        )
    )
    print(
        _("since A: {added} added, {removed} removed, {changed} changed, {same} unchanged").format(
            added=s["added"], removed=s["removed"], changed=s["changed"], same=s["unchanged"]
        )
    )
    print(
        _(
            "restoring A would delete the added keys, bring back the removed ones and revert "
            "the changed ones."
        )
    )
    print()
    print_table(
        [_("resource"), _("added"), _("removed"), _("changed")],
        [[n, v["added"], v["removed"], v["changed"]] for n, v in report["by_resource"].items()],
    )
    labels = {"added": _("added"), "removed": _("removed"), "changed": _("changed")}
    for kind, label in labels.items():
        if report["keys"][kind]:
            print()
            print(f"{label}:")
            for key in report["keys"][kind]:
                print(f"  {key}")
    if report["truncated"]:
        print(_("(lists cut at {n} keys per kind; use --limit)").format(n=args.limit))
    return 0


def _diff_live(args: argparse.Namespace, keys: Any) -> dict[str, Any]:
    from etcdtui.cli.invocation import run, settings_from_args
    from etcdtui.ops.cluster import connect
    from etcdtui.ops.snapshot_browse import diff_live, live_entries

    settings = settings_from_args(args)

    async def fetch() -> Any:
        async with connect(settings) as svc:
            return await live_entries(svc)

    entries, revision = run(fetch)
    return diff_live(args.a, entries, keys, live_revision=revision, limit=args.limit)


# --- ls and prune -----------------------------------------------------------------------


def cmd_ls(args: argparse.Namespace) -> int:
    from etcdtui.ops.snapshots import list_snapshots

    keys = decrypt_keys(args)
    entries = list_snapshots(args.dir, keys=keys, check=not args.no_verify)
    if args.output == "json":
        print_json([e.as_dict() for e in entries])
        return 0
    rows = []
    for e in entries:
        d = e.as_dict()
        rows.append(
            [
                e.path.name,
                d["time"],
                short_age(d["age_seconds"]),
                human_bytes(e.size),
                e.encryption or "-",
                e.revision if e.revision is not None else "-",
                e.state,
            ]
        )
    print_table(
        [_("name"), _("time"), _("age"), _("size"), _("encryption"), _("revision"), _("state")],
        rows,
    )
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from etcdtui.ops.snapshots import delete, doomed_paths, plan_prune, scan

    listing = scan(args.dir, keys=decrypt_keys(args))
    entries = listing.entries
    for name, target in sorted(listing.links.items()):
        print(
            _("{name} is a symbolic link (to {target}): not a snapshot, never deleted").format(
                name=name, target=target
            )
        )
    doomed = plan_prune(entries, args.keep)
    for e in entries:
        if e.linked_from and e not in doomed:
            print(
                _("{name} is kept: the link {links} points to it").format(
                    name=e.path.name, links=", ".join(e.linked_from)
                )
            )
    if not doomed:
        print(
            _("nothing to prune: {n} snapshots, keeping {keep}").format(
                n=len(entries), keep=args.keep
            )
        )
        return 0
    kept = [e for e in entries if e not in doomed]
    newest = next(e for e in reversed(kept) if e.verified)
    print(
        _("Kept: {n} snapshots; the newest verified one is {name} ({time}).").format(
            n=len(kept), name=newest.path.name, time=newest.as_dict()["time"]
        )
    )
    paths = doomed_paths(doomed)
    print(_("These {n} files will be deleted:").format(n=len(paths)))
    for e in doomed:
        print(f"  {e.path}  {e.as_dict()['time']}  {e.state}")
        side = e.path.with_name(e.path.name + ".json")
        if side in paths:
            print(f"  {side}")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(
                _("confirmation needed but standard input is not a terminal"),
                fix=_("Check the list above, then run again with --yes."),
            )
        answer = input(_("Type yes to delete them: ")).strip()
        if answer != "yes":
            print(_("nothing deleted"))
            return 1
    from pathlib import Path

    from etcdtui.ops.audit import AuditLog

    params = {
        "dir": str(Path(args.dir).absolute()),
        "keep": args.keep,
        "files": [e.path.name for e in doomed],
    }
    try:
        removed = delete(doomed)
    except OSError as exc:
        AuditLog().append(action="snapshot-prune", params=params, error=exc)
        raise
    AuditLog().append(action="snapshot-prune", params=params, result={"deleted": removed})
    for path in removed:
        print(_("deleted {path}").format(path=path))
    return 0
