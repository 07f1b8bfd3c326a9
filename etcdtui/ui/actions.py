"""The one action registry.

Each entry names an action once: its binding id (what users remap in the config's
``ui.keymap``), default key, description, group, whether it changes the cluster,
and its ``:`` command. Key bindings, the footer, the help screen, the command
palette and the command line are all generated from this list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from etcdtui.i18n import N_, _
from etcdtui.ui.panes import PANES


@dataclass(frozen=True)
class ActionSpec:
    id: str
    key: str
    description: str
    group: str
    action: str
    scope: str = "main"  # "app": everywhere; "main": on the main screen
    mutating: bool = False
    command: str | None = None
    show: bool = True
    key_display: str | None = None
    arg: str | None = None  # `:command ARG` passes ARG as the action's last argument
    # A member action (add-learner, promote, ...): ``:promote m2`` opens it for member m2.
    member_kind: str | None = None

    # ``description`` and ``group`` hold the English source (marked with N_): bindings are
    # built once at import, and the footer, help and palette translate when they show them,
    # so `:lang` can switch the language at run time.
    @property
    def label(self) -> str:
        return _(self.description)

    @property
    def group_label(self) -> str:
        return _(self.group)


def _member_action(action_id: str, key: str, description: str, group: str, kind: str) -> ActionSpec:
    return ActionSpec(
        action_id,
        key,
        description,
        group,
        f"member_action('{kind}')",
        mutating=True,
        command=kind,
        member_kind=kind,
    )


def _base() -> list[ActionSpec]:
    g_nav, g_member, g_app = N_("Navigation"), N_("Member actions"), N_("Application")
    specs = [
        ActionSpec("app.quit", "q", N_("Quit"), g_app, "quit", "app", command="quit"),
        ActionSpec(
            "app.help",
            "question_mark",
            N_("Help"),
            g_app,
            "help",
            "app",
            command="help",
            key_display="?",
        ),
        ActionSpec(
            "app.palette",
            "ctrl+p",
            N_("Command palette"),
            g_app,
            "command_palette",
            "app",
            show=False,
        ),
        ActionSpec(
            "main.command", "colon", N_("Command line"), g_nav, "command_line", key_display=":"
        ),
        ActionSpec("main.filter", "slash", N_("Filter members"), g_nav, "filter", key_display="/"),
        ActionSpec("main.back", "escape", N_("Back / clear filter"), g_nav, "back", show=False),
        ActionSpec("main.refresh", "r", N_("Refresh now"), g_nav, "refresh_now", command="refresh"),
        ActionSpec(
            "member.detail",
            "enter",
            N_("Member detail"),
            g_member,
            "member_detail",
            command="detail",
            show=False,
        ),
        _member_action("member.add_learner", "a", N_("Add learner"), g_member, "add-learner"),
        _member_action("member.promote", "p", N_("Promote learner"), g_member, "promote"),
        _member_action("member.remove", "ctrl+d", N_("Remove member"), g_member, "remove"),
        _member_action(
            "member.update_peer_urls", "u", N_("Update peer URLs"), g_member, "update-peer-urls"
        ),
        _member_action("member.move_leader", "l", N_("Move leader here"), g_member, "move-leader"),
    ]
    specs += _maintenance()
    specs += _checks()
    specs += _wizards_and_security()
    specs += _snapshot_browser()
    for i, pane in enumerate(PANES, start=1):
        specs.append(
            ActionSpec(
                f"view.{pane.id}",
                pane.key or str(i),
                pane.title,
                g_nav,
                f"show_pane('{pane.id}')",
                command=pane.id,
                show=False,
            )
        )
    return specs


def _maintenance() -> list[ActionSpec]:
    """`etcdtui maintenance ...` in the console (palette words: nospace, defrag, ...)."""
    g = N_("Maintenance")
    return [
        ActionSpec(
            "maintenance.nospace",
            "N",
            N_("Recover from NOSPACE: compact, defrag, disarm alarm"),
            g,
            "maintenance('nospace')",
            mutating=True,
            command="nospace",
            show=False,
        ),
        ActionSpec(
            "maintenance.defrag",
            "D",
            N_("Defragment every member, leader last"),
            g,
            "maintenance('defrag')",
            mutating=True,
            command="defrag",
            show=False,
        ),
        ActionSpec(
            "maintenance.compact",
            "C",
            N_("Compact history to the current revision"),
            g,
            "maintenance('compact')",
            mutating=True,
            command="compact",
            show=False,
        ),
        ActionSpec(
            "maintenance.disarm",
            "X",
            N_("Disarm alarms (after compact and defrag)"),
            g,
            "maintenance('disarm')",
            mutating=True,
            command="disarm",
            show=False,
        ),
    ]


def _checks() -> list[ActionSpec]:
    """`etcdtui check perf` and `etcdtui evidence` in the console."""
    g = N_("Checks")
    return [
        ActionSpec(
            "checks.perf",
            "P",
            N_("Check performance (etcdctl check perf)"),
            g,
            "check('perf')",
            mutating=True,
            command="perf",
            show=False,
            arg="LOAD",
        ),
        ActionSpec(
            "checks.evidence",
            "E",
            N_("Evidence: which data dir to rebuild from"),
            g,
            "check('evidence')",
            command="evidence",
            show=False,
            arg="DIR…",
        ),
    ]


def _wizards_and_security() -> list[ActionSpec]:
    g_wiz, g_sec = N_("Guided wizards"), N_("Certificates & security")
    return [
        ActionSpec(
            "wizard.replace",
            "R",
            N_("Replace this member (guided wizard)"),
            g_wiz,
            "app.wizard('replace')",
            command="replace",
            show=False,
            arg="NAME",
        ),
        ActionSpec(
            "wizard.scale",
            "S",
            N_("Scale the cluster (guided wizard)"),
            g_wiz,
            "app.wizard('scale')",
            command="scale",
            show=False,
            arg="N",
        ),
        ActionSpec(
            "wizard.restore",
            "ctrl+r",
            N_("Restore every member from one snapshot (guided wizard)"),
            g_wiz,
            "app.wizard('restore')",
            command="restore",
            show=False,
            arg="FILE",
        ),
        ActionSpec(
            "wizard.resume",
            "W",
            N_("Saved wizards: resume one"),
            g_wiz,
            "app.wizards",
            command="wizards",
            show=False,
        ),
        ActionSpec(
            "certs.recheck",
            "r",
            N_("Re-check certificates now"),
            g_sec,
            "recheck",
            "pane:certs",
            command="recheck-certs",
        ),
        ActionSpec(
            "security.scan",
            "s",
            N_("Run the security posture scan"),
            g_sec,
            "scan",
            "pane:security",
            command="scan",
        ),
    ]


def _snapshot_browser() -> list[ActionSpec]:
    """Keys of the snapshot pane (etcdtui.ui.snapshots). ``:snapshots DIR`` opens DIR;
    this entry comes before the pane's own view entry so it takes the command."""
    g_snap, scope = N_("Snapshots"), "pane:snapshots"
    return [
        ActionSpec(
            "snapshots.open",
            "r",
            N_("Reload snapshots"),
            g_snap,
            "open_dir",
            scope,
            command="snapshots",
            arg="DIR",
        ),
        ActionSpec("snapshots.contents", "c", N_("Contents"), g_snap, "contents", scope),
        ActionSpec("snapshots.mark", "m", N_("Mark for diff"), g_snap, "mark", scope),
        ActionSpec("snapshots.diff", "d", N_("Diff with mark"), g_snap, "diff", scope),
        ActionSpec("snapshots.save", "s", N_("Save snapshot"), g_snap, "save", scope),
        ActionSpec("snapshots.keys", "k", N_("Decryption keys"), g_snap, "keys", scope),
        ActionSpec(
            "snapshots.restore",
            "ctrl+r",
            N_("Restore every member from this snapshot (guided wizard)"),
            g_snap,
            "restore",
            scope,
        ),
    ]


def with_args(action: str, args: Sequence[str]) -> str:
    """``wizard('replace')`` + ``["m2"]`` -> ``wizard('replace', 'm2')`` (safely quoted)."""
    extra = repr(" ".join(args))
    if action.endswith("()"):
        return f"{action[:-1]}{extra})"
    if action.endswith(")"):
        return f"{action[:-1]}, {extra})"
    return f"{action}({extra})"


def registry() -> list[ActionSpec]:
    return _base()


def by_id(action_id: str) -> ActionSpec | None:
    return next((s for s in registry() if s.id == action_id), None)


def by_command(name: str) -> ActionSpec | None:
    return next((s for s in registry() if s.command == name), None)


def bindings(scope: str) -> list[BindingType]:
    return [
        Binding(
            s.key,
            s.action,
            s.description,
            show=s.show,
            id=s.id,
            key_display=s.key_display,
        )
        for s in registry()
        if s.scope == scope
    ]


def commands() -> list[str]:
    """Every `:` command word (for completion)."""
    words = [s.command for s in registry() if s.command]
    return sorted({*words, "context", "theme", "lang"})


def key_for(spec: ActionSpec, keymap: Mapping[str, str]) -> str:
    """The key a user sees: the keymap override if any, else the default."""
    return keymap.get(spec.id, spec.key_display or spec.key)
