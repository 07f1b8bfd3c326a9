"""`etcdtui drill ...`: training drills on a sandbox, checked against the real cluster."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from etcdtui.cli import add_output_flag
from etcdtui.cli.output import print_json, print_table
from etcdtui.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    drill = sub.add_parser(
        "drill",
        help=_("training drills: realistic incidents on a sandbox"),
        description=_(
            "Each drill starts its own sandbox (context 'drill'), writes a Kubernetes-like "
            "keyspace, injects a fault and checks your fix against the real cluster."
        ),
    )
    dsub = drill.add_subparsers(dest="drill_command", metavar=_("ACTION"), required=True)
    for verb, text, func in (
        ("list", _("the drills"), cmd_list),
        ("status", _("the running drill: briefing, objectives, time"), cmd_status),
        ("check", _("check the objectives (exit 0 only when all hold)"), cmd_check),
        ("hint", _("the next hint (the count is recorded)"), cmd_hint),
        ("reset", _("start the running drill again from scratch"), cmd_reset),
        ("report", _("time, hints, actions taken and results"), cmd_report),
        ("stop", _("stop the drill's sandbox processes"), cmd_stop),
    ):
        p = dsub.add_parser(verb, help=text)
        add_output_flag(p)
        p.set_defaults(func=func)
    p = dsub.add_parser("start", help=_("set up a drill and inject its fault"))
    p.add_argument("name", help=_("drill name (see: etcdtui drill list)"))
    add_output_flag(p)
    p.set_defaults(func=cmd_start)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills.runner import catalog

    drills = catalog().values()
    if args.output == "json":
        print_json([{"name": d.name, "title": d.title_text()} for d in drills])
        return 0
    print_table([_("name"), _("incident")], [(d.name, d.title_text()) for d in drills])
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills import runner

    if getattr(args, "context", None) or getattr(args, "endpoints", None):
        from etcdtui.cli.invocation import settings_from_args

        runner.refuse_real_cluster(settings_from_args(args))
    state = runner.start(args.name, progress=_say)
    return _show(state, args.output, with_briefing=True)


def _show(state: Any, output: str, *, with_briefing: bool) -> int:
    from etcdtui.ops.drills import runner

    drill = runner.get_drill(state.name)
    results = runner.check(state)
    doc = runner.report(state, results)
    if output == "json":
        doc["briefing"] = _(drill.briefing)
        print_json(doc)
    else:
        print(f"{drill.name}: {drill.title_text()}")
        if with_briefing:
            print()
            print(_(drill.briefing))
            print()
        for r in results:
            mark = "✔" if r.ok else "✖"
            print(f"  {mark} {r.text}: {r.detail}")
        print(
            _(
                "elapsed {s:.0f} s, hints used {h}; the drill's context is 'drill' "
                "(etcdtui --context drill), its sandbox {dir}"
            ).format(s=doc["elapsed_s"], h=state.hints_used, dir=state.sandbox_dir)
        )
    return 0 if doc["passed"] else 1


def cmd_status(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills.runner import load_state

    _show(load_state(), args.output, with_briefing=True)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills.runner import load_state

    return _show(load_state(), args.output, with_briefing=False)


def cmd_hint(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills import runner

    state = runner.load_state()
    n, text = runner.hint(state)
    if args.output == "json":
        print_json({"hint": n, "text": text, "hints_used": state.hints_used})
    else:
        print(_("hint {n}: {text}").format(n=n, text=text))
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills import runner

    return _show(runner.reset(progress=_say), args.output, with_briefing=True)


def cmd_report(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills import runner

    state = runner.load_state()
    doc = runner.report(state)
    if args.output == "json":
        print_json(doc)
        return 0
    print(
        _("drill {name}: {verdict}").format(
            name=doc["drill"], verdict=_("passed") if doc["passed"] else _("not passed yet")
        )
    )
    print(_("time {s:.0f} s, hints used {h}").format(s=doc["elapsed_s"], h=doc["hints_used"]))
    for o in doc["objectives"]:
        print(f"  {'✔' if o['ok'] else '✖'} {o['text']}: {o['detail']}")
    if doc["actions"]:
        print(_("actions (audit log):"))
        for a in doc["actions"]:
            print(f"  {a['time']}  {a['action']}  {a['result']}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from etcdtui.ops.drills import runner

    stopped = runner.stop()
    print(_("stopped: {names}").format(names=", ".join(stopped) or _("nothing was running")))
    return 0
