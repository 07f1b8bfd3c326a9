"""The console's registries agree with each other: every pane has a widget, and every
member action carries its kind as a field (the `:` command line reads it from there)."""

from __future__ import annotations

from etcdtui.ui import actions, pane_widgets, panes


def test_every_pane_has_a_widget_and_every_widget_a_pane() -> None:
    assert [p.id for p in panes.PANES] == list(pane_widgets.FACTORIES)


def test_member_actions_carry_their_kind() -> None:
    member = [s for s in actions.registry() if s.action.startswith("member_action(")]
    assert {s.member_kind for s in member} == {
        "add-learner",
        "promote",
        "remove",
        "update-peer-urls",
        "move-leader",
    }
    for spec in member:
        assert spec.action == f"member_action('{spec.member_kind}')"
        assert spec.command == spec.member_kind
    assert all(s.member_kind is None for s in actions.registry() if s not in member)


def test_command_arguments_are_passed_quoted() -> None:
    from etcdtui.ui import actions

    spec = actions.by_command("replace")
    assert spec is not None and spec.arg == "NAME"
    assert actions.with_args(spec.action, ["m2"]) == "app.wizard('replace', 'm2')"
    assert actions.with_args("wizards", ["x'); quit("]) == 'wizards("x\'); quit(")'
