"""Plan generation and rendering (no etcd): fixed facts in, stable runbooks out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from etcdtui import errors
from etcdtui.services.plans import Plan, render
from etcdtui.services.procedures.replace import (
    MemberNotFailed,
    ReplaceRequest,
    build_replace_plan,
)
from etcdtui.services.procedures.restore import (
    RestoreRefused,
    build_restore_plan,
    parse_members,
)
from etcdtui.services.procedures.scale import ScaleRequest, build_scale_plan, parse_new_members
from tests.support.plans import (
    IDS,
    clock,
    facts,
    replace_plan,
    restore_request,
    snap_facts,
    tokens,
)

RUNBOOKS = Path(__file__).parent / "runbooks"


def compare_with_file(text: str, name: str) -> None:
    path = RUNBOOKS / name
    if os.environ.get("UPDATE_RUNBOOKS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"runbook changed; UPDATE_RUNBOOKS=1 rewrites {path}"


# --- replace -----------------------------------------------------------------------------


def test_replace_markdown_matches_checked_in_runbook() -> None:
    compare_with_file(render(replace_plan(), "markdown"), "replace-3-members.md")


def test_replace_markdown_is_stable() -> None:
    assert render(replace_plan(), "markdown") == render(replace_plan(), "markdown")


def test_replace_has_the_twelve_steps_in_order() -> None:
    ids = [s.id for s in replace_plan().steps]
    assert ids == [
        "detect",
        "quorum",
        "move-leader",
        "drop-from-apiservers",
        "remove",
        "wait-peer-url",
        "add-learner",
        "start",
        "catch-up",
        "promote",
        "verify",
        "update-apiservers",
    ]


def test_replace_start_command_three_ways() -> None:
    start = replace_plan().step("start")
    cluster = "m1=https://10.0.0.1:2380,m3=https://10.0.0.3:2380,m2=https://10.0.0.2:2380"
    assert f"--initial-cluster={cluster}" in start.shown_command
    assert "--initial-cluster-state=existing" in start.shown_command
    assert "--peer-client-cert-auth" in start.shown_command
    env_form, kube_form = list(start.alternatives.values())
    assert "ETCD_INITIAL_CLUSTER_STATE=existing" in env_form
    assert f"ETCD_INITIAL_CLUSTER={cluster}" in env_form
    assert "    - --initial-cluster-state=existing" in kube_form
    assert start.where.kind == "host" and start.where.host == "10.0.0.2"


def test_replace_new_etcd_servers_and_rollback() -> None:
    plan = replace_plan(new_peer_url="https://10.0.0.9:2380", new_name="m9")
    assert plan.step("update-apiservers").shown_command == (
        "--etcd-servers=https://10.0.0.1:2379,https://10.0.0.3:2379,https://10.0.0.9:2379"
    )
    assert plan.step("start").rollback is not None
    assert plan.step("start").rollback.name == "remove-new-member"


def test_replace_json_round_trips() -> None:
    plan = replace_plan()
    again = Plan.from_dict(json.loads(render(plan, "json")))
    assert again == plan


def test_replace_shell_comments_host_steps() -> None:
    text = render(replace_plan(), "shell")
    lines = text.splitlines()
    assert f"etcdctl member remove {IDS['m2']:x}" in lines
    assert "export ETCDCTL_API=3" in lines
    assert not any(line.startswith("etcd ") or line.startswith("'etcd'") for line in lines)
    assert any(line.startswith("# etcd") for line in lines)


def test_replace_explains_how_failure_was_decided() -> None:
    plan = replace_plan()
    assert "no status answer" in plan.summary[0] and "connection refused" in plan.summary[0]


def test_replace_refused_when_quorum_is_lost() -> None:
    f = facts(down=("m2", "m3"))
    with pytest.raises(errors.QuorumRefusal) as exc:
        build_replace_plan(f, ReplaceRequest("m2"), tokens=tokens, clock=clock)
    assert "Quorum is lost" in exc.value.cause


def test_replace_refuses_a_healthy_member_without_force() -> None:
    with pytest.raises(MemberNotFailed) as exc:
        build_replace_plan(facts(down=()), ReplaceRequest("m3"), tokens=tokens, clock=clock)
    assert "answers status and health" in exc.value.cause
    plan = build_replace_plan(
        facts(down=()), ReplaceRequest("m3", force=True), tokens=tokens, clock=clock
    )
    assert plan.step("remove").destructive


def test_replace_unknown_member() -> None:
    with pytest.raises(errors.MemberNotFound) as exc:
        build_replace_plan(facts(), ReplaceRequest("m7"), tokens=tokens, clock=clock)
    assert "m1" in exc.value.cause


# --- restore -----------------------------------------------------------------------------


def test_restore_markdown_matches_checked_in_runbook() -> None:
    plan = build_restore_plan(snap_facts(), restore_request(), tokens=tokens, clock=clock)
    compare_with_file(render(plan, "markdown"), "restore-3-members.md")


def test_restore_351_has_no_bump_and_warns_about_watch_caches() -> None:
    plan = build_restore_plan(snap_facts(), restore_request(), tokens=tokens, clock=clock)
    cmd = plan.step("restore-m1").command
    assert "--bump-revision=1000000000" not in cmd
    assert "--initial-cluster-token=etcd-restore-abababababab" in cmd
    assert "--data-dir=/var/lib/etcd" in cmd
    assert any("watch caches" in w for w in plan.warnings)


def test_restore_3510_bumps_and_marks_compacted() -> None:
    plan = build_restore_plan(
        snap_facts(), restore_request(tool_version="3.5.10"), tokens=tokens, clock=clock
    )
    cmd = plan.step("restore-m2").command
    assert cmd[-2:] == ("--bump-revision=1000000000", "--mark-compacted")
    assert not any("watch caches" in w for w in plan.warnings)


def test_restore_with_etcd34_uses_etcdctl() -> None:
    plan = build_restore_plan(
        snap_facts("3.4.0"),
        restore_request(tool="/usr/bin/etcdctl", tool_version="3.4.30"),
        tokens=tokens,
        clock=clock,
    )
    step = plan.step("restore-m3")
    assert step.command[:3] == ("/usr/bin/etcdctl", "snapshot", "restore")
    assert step.env == {"ETCDCTL_API": "3"}
    assert "--mark-compacted" in step.command


def test_restore_refuses_other_minor_version() -> None:
    with pytest.raises(RestoreRefused) as exc:
        build_restore_plan(snap_facts("3.4.0"), restore_request(), tokens=tokens, clock=clock)
    assert "same major.minor" in exc.value.cause


# --- restore on etcd 3.6+ (docs/etcd-versions.md): etcdutl only ---------------------------


def _all_text(plan: Plan) -> str:
    return "\n".join(render(plan, fmt) for fmt in ("markdown", "shell", "json"))


def test_restore_36_runbook_uses_etcdutl_with_bump() -> None:
    plan = build_restore_plan(
        snap_facts("3.6.0"),
        restore_request(tool="/usr/local/bin/etcdutl", tool_version="3.6.14"),
        tokens=tokens,
        clock=clock,
    )
    compare_with_file(render(plan, "markdown"), "restore-3-members-36.md")
    for name in ("m1", "m2", "m3"):
        cmd = plan.step(f"restore-{name}").command
        assert cmd[:3] == ("/usr/local/bin/etcdutl", "snapshot", "restore")
        assert cmd[-2:] == ("--bump-revision=1000000000", "--mark-compacted")
        assert plan.step(f"restore-{name}").env == {}
    text = _all_text(plan)
    assert "etcdctl snapshot restore" not in text
    assert "etcdctl snapshot status" not in text
    assert "defrag --data-dir" not in text
    assert "cluster version 3.6" in text and "etcd 3.6.0" not in text


@pytest.mark.parametrize("force", [False, True])
def test_restore_refuses_etcdctl_36_even_with_force(force: bool) -> None:
    with pytest.raises(RestoreRefused) as exc:
        build_restore_plan(
            snap_facts("3.6.0"),
            restore_request(tool="/usr/bin/etcdctl", tool_version="3.6.14", force=force),
            tokens=tokens,
            clock=clock,
        )
    assert "etcdctl" in exc.value.cause and "3.6" in exc.value.cause
    assert "etcdutl" in (exc.value.fix or "")


def test_restore_refuses_etcdctl_35_for_a_36_cluster() -> None:
    with pytest.raises(RestoreRefused) as exc:
        build_restore_plan(
            snap_facts("3.6.0"),
            restore_request(
                tool="etcdctl", tool_version="3.5.30", cluster_version="3.6.14", force=True
            ),
            tokens=tokens,
            clock=clock,
        )
    assert "etcdutl" in exc.value.cause


def test_restore_refuses_etcdutl_older_than_35() -> None:
    with pytest.raises(RestoreRefused):
        build_restore_plan(
            snap_facts("3.4.0"),
            restore_request(tool="etcdutl", tool_version="3.4.30"),
            tokens=tokens,
            clock=clock,
        )


def test_restore_with_etcdctl_3510_bumps() -> None:
    # CHANGELOG-3.5.md v3.5.10 'etcdctl v3': --bump-revision/--mark-compacted
    plan = build_restore_plan(
        snap_facts(),
        restore_request(tool="etcdctl", tool_version="3.5.30"),
        tokens=tokens,
        clock=clock,
    )
    assert plan.step("restore-m1").command[-2:] == (
        "--bump-revision=1000000000",
        "--mark-compacted",
    )


def test_restore_summary_labels_the_cluster_version_not_a_release() -> None:
    plan = build_restore_plan(
        snap_facts("3.5.0"), restore_request(tool_version="3.5.30"), tokens=tokens, clock=clock
    )
    assert "cluster version 3.5" in plan.summary[0]
    assert "etcd 3.5.0" not in render(plan, "markdown")


def test_restore_steps_stop_apiservers_before_etcd() -> None:
    ids = [
        s.id
        for s in build_restore_plan(
            snap_facts(), restore_request(), tokens=tokens, clock=clock
        ).steps
    ]
    assert ids.index("stop-apiservers") < ids.index("stop-m1") < ids.index("move-aside-m1")
    assert ids.index("move-aside-m3") < ids.index("restore-m1") < ids.index("start-m1")
    assert ids[-3:] == ["verify", "start-apiservers", "restart-components"]


def test_restore_refuses_existing_target_dir(tmp_path: Path) -> None:
    (tmp_path / "m2").mkdir()
    req = restore_request(data_dir_template=str(tmp_path / "{name}"), check_local_dirs=True)
    with pytest.raises(RestoreRefused) as exc:
        build_restore_plan(snap_facts(), req, tokens=tokens, clock=clock)
    assert str(tmp_path / "m2") in exc.value.cause


def test_parse_members_rejects_garbage() -> None:
    with pytest.raises(errors.UsageError):
        parse_members("m1:10.0.0.1")


# --- scale -------------------------------------------------------------------------------


def test_scale_refuses_even_target_unless_forced() -> None:
    healthy = facts(down=())
    new = parse_new_members(["m4=https://10.0.0.4:2380"])
    with pytest.raises(errors.QuorumRefusal) as exc:
        build_scale_plan(healthy, ScaleRequest(4, new), tokens=tokens, clock=clock)
    assert "same as 3 voters" in exc.value.cause
    assert exc.value.title == "Refused: 4 voters is an even size"  # not "would risk quorum"
    with pytest.raises(errors.QuorumRefusal) as exc6:
        build_scale_plan(healthy, ScaleRequest(6, new), tokens=tokens, clock=clock)
    assert "even size" in exc6.value.title
    plan = build_scale_plan(healthy, ScaleRequest(4, new, force=True), tokens=tokens, clock=clock)
    assert plan.steps[0].id == "m4-add-learner"


def test_scale_adds_one_learner_at_a_time() -> None:
    new = parse_new_members(["m4=https://10.0.0.4:2380", "m5=https://10.0.0.5:2380"])
    plan = build_scale_plan(facts(down=()), ScaleRequest(5, new), tokens=tokens, clock=clock)
    ids = [s.id for s in plan.steps]
    assert ids.index("m4-verify") < ids.index("m5-add-learner")
    assert "m4=https://10.0.0.4:2380,m5=https://10.0.0.5:2380" in (
        plan.step("m5-start").shown_command
    )


def test_scale_refused_while_a_voter_is_down() -> None:
    new = parse_new_members(["m4=https://10.0.0.4:2380", "m5=https://10.0.0.5:2380"])
    with pytest.raises(errors.QuorumRefusal) as exc:
        build_scale_plan(facts(down=("m3",)), ScaleRequest(5, new), tokens=tokens, clock=clock)
    assert "even" not in exc.value.title
