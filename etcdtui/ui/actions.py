"""The one action registry.

Each entry names an action once: its binding id (what users remap in the config's
``ui.keymap``), default key, description, group, whether it changes the cluster,
and its ``:`` command. Key bindings, the footer, the help screen, the command
palette and the command line are all generated from this list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from etcdtui.i18n import _
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


def _base() -> list[ActionSpec]:
    g_nav, g_member, g_app = _("Navigation"), _("Member actions"), _("Application")
    specs = [
        ActionSpec("app.quit", "q", _("Quit"), g_app, "quit", "app", command="quit"),
        ActionSpec(
            "app.help",
            "question_mark",
            _("Help"),
            g_app,
            "help",
            "app",
            command="help",
            key_display="?",
        ),
        ActionSpec(
            "app.palette",
            "ctrl+p",
            _("Command palette"),
            g_app,
            "command_palette",
            "app",
            show=False,
        ),
        ActionSpec(
            "main.command", "colon", _("Command line"), g_nav, "command_line", key_display=":"
        ),
        ActionSpec("main.filter", "slash", _("Filter members"), g_nav, "filter", key_display="/"),
        ActionSpec("main.back", "escape", _("Back / clear filter"), g_nav, "back", show=False),
        ActionSpec("main.refresh", "r", _("Refresh now"), g_nav, "refresh_now", command="refresh"),
        ActionSpec(
            "member.detail",
            "enter",
            _("Member detail"),
            g_member,
            "member_detail",
            command="detail",
            show=False,
        ),
        ActionSpec(
            "member.add_learner",
            "a",
            _("Add learner"),
            g_member,
            "member_action('add-learner')",
            mutating=True,
            command="add-learner",
        ),
        ActionSpec(
            "member.promote",
            "p",
            _("Promote learner"),
            g_member,
            "member_action('promote')",
            mutating=True,
            command="promote",
        ),
        ActionSpec(
            "member.remove",
            "ctrl+d",
            _("Remove member"),
            g_member,
            "member_action('remove')",
            mutating=True,
            command="remove",
        ),
        ActionSpec(
            "member.update_peer_urls",
            "u",
            _("Update peer URLs"),
            g_member,
            "member_action('update-peer-urls')",
            mutating=True,
            command="update-peer-urls",
        ),
        ActionSpec(
            "member.move_leader",
            "l",
            _("Move leader here"),
            g_member,
            "member_action('move-leader')",
            mutating=True,
            command="move-leader",
        ),
    ]
    specs += _maintenance()
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
    g = _("Maintenance")
    return [
        ActionSpec(
            "maintenance.nospace",
            "N",
            _("Recover from NOSPACE: compact, defrag, disarm alarm"),
            g,
            "maintenance('nospace')",
            mutating=True,
            command="nospace",
            show=False,
        ),
        ActionSpec(
            "maintenance.defrag",
            "D",
            _("Defragment every member, leader last"),
            g,
            "maintenance('defrag')",
            mutating=True,
            command="defrag",
            show=False,
        ),
        ActionSpec(
            "maintenance.compact",
            "C",
            _("Compact history to the current revision"),
            g,
            "maintenance('compact')",
            mutating=True,
            command="compact",
            show=False,
        ),
        ActionSpec(
            "maintenance.disarm",
            "X",
            _("Disarm alarms (after compact and defrag)"),
            g,
            "maintenance('disarm')",
            mutating=True,
            command="disarm",
            show=False,
        ),
    ]


def _wizards_and_security() -> list[ActionSpec]:
    g_wiz, g_sec = _("Guided wizards"), _("Certificates & security")
    return [
        ActionSpec(
            "wizard.replace",
            "R",
            _("Replace this member (guided wizard)"),
            g_wiz,
            "app.wizard('replace')",
            command="replace",
            show=False,
            arg="NAME",
        ),
        ActionSpec(
            "wizard.scale",
            "S",
            _("Scale the cluster (guided wizard)"),
            g_wiz,
            "app.wizard('scale')",
            command="scale",
            show=False,
            arg="N",
        ),
        ActionSpec(
            "wizard.restore",
            "ctrl+r",
            _("Restore every member from one snapshot (guided wizard)"),
            g_wiz,
            "app.wizard('restore')",
            command="restore",
            show=False,
            arg="FILE",
        ),
        ActionSpec(
            "wizard.resume",
            "W",
            _("Saved wizards: resume one"),
            g_wiz,
            "app.wizards",
            command="wizards",
            show=False,
        ),
        ActionSpec(
            "certs.recheck",
            "r",
            _("Re-check certificates now"),
            g_sec,
            "recheck",
            "pane:certs",
            command="recheck-certs",
        ),
        ActionSpec(
            "security.scan",
            "s",
            _("Run the security posture scan"),
            g_sec,
            "scan",
            "pane:security",
            command="scan",
        ),
    ]


def _snapshot_browser() -> list[ActionSpec]:
    """Keys of the snapshot pane (etcdtui.ui.snapshots). ``:snapshots DIR`` opens DIR;
    this entry comes before the pane's own view entry so it takes the command."""
    g_snap, scope = _("Snapshots"), "pane:snapshots"
    return [
        ActionSpec(
            "snapshots.open",
            "r",
            _("Reload snapshots"),
            g_snap,
            "open_dir",
            scope,
            command="snapshots",
            arg="DIR",
        ),
        ActionSpec("snapshots.contents", "c", _("Contents"), g_snap, "contents", scope),
        ActionSpec("snapshots.mark", "m", _("Mark for diff"), g_snap, "mark", scope),
        ActionSpec("snapshots.diff", "d", _("Diff with mark"), g_snap, "diff", scope),
        ActionSpec("snapshots.save", "s", _("Save snapshot"), g_snap, "save", scope),
        ActionSpec("snapshots.keys", "k", _("Decryption keys"), g_snap, "keys", scope),
        ActionSpec(
            "snapshots.restore",
            "ctrl+r",
            _("Restore every member from this snapshot (guided wizard)"),
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
    return sorted({*words, "context", "theme"})


def key_for(spec: ActionSpec, keymap: Mapping[str, str]) -> str:
    """The key a user sees: the keymap override if any, else the default."""
    return keymap.get(spec.id, spec.key_display or spec.key)


def mutating_actions() -> Iterable[str]:
    return (s.action for s in registry() if s.mutating)
