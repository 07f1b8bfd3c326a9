"""The version facts of etcdtui/services/versions.py (docs/etcd-versions.md), table-driven."""

from __future__ import annotations

import pytest

from etcdtui.services import versions as V


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("3.5.30", (3, 5, 30)),
        ("v3.6.1", (3, 6, 1)),
        ("3.7.0-rc.0", (3, 7, 0)),
        ("3.6", (3, 6, 0)),
        ("", None),
        ("latest", None),
        (None, None),
    ],
)
def test_parse(text: str | None, want: V.Version | None) -> None:
    assert V.parse(text) == want


def test_every_row_names_its_source() -> None:
    rows = list(V.UPGRADE_GATES) + list(V.EXPERIMENTAL_FLAGS) + list(V.REMOVED_FLAGS)
    for row in rows:
        assert row.source and ".md" in row.source, row


@pytest.mark.parametrize(
    ("frm", "to", "patch"),
    [((3, 4), (3, 5), 0), ((3, 5), (3, 6), 32), ((3, 6), (3, 7), 11)],
)
def test_gate_table(frm: V.MinorVersion, to: V.MinorVersion, patch: int) -> None:
    gate = V.gate_for(frm, to)
    assert gate is not None and gate.min_patch == patch


@pytest.mark.parametrize(
    ("members", "target", "want"),
    [
        # 3.4 -> 3.5: the guide names no patch level
        ({"m1": "3.4.23", "m2": "3.4.0"}, "3.5.30", {}),
        # 3.5 -> 3.6: 3.5.32 on every member first
        ({"m1": "3.5.32", "m2": "3.5.33"}, "3.6.14", {}),
        (
            {"m1": "3.5.30", "m2": "3.5.32", "m3": "3.5.16"},
            "3.6",
            {"m1": "below-gate", "m3": "below-gate"},
        ),
        # a member already upgraded is fine; the others still need the gate
        ({"m1": "3.6.14", "m2": "3.5.1"}, "3.6.14", {"m2": "below-gate"}),
        # 3.6 -> 3.7: 3.6.11
        ({"m1": "3.6.11", "m2": "3.6.14"}, "3.7.1", {}),
        ({"m1": "3.6.10", "m2": "3.6.11"}, "3.7.0", {"m1": "below-gate"}),
        # skipping a minor is refused, whatever the patch
        ({"m1": "3.5.33"}, "3.7.1", {"m1": "skips-minor"}),
        ({"m1": "3.4.39"}, "3.6.0", {"m1": "skips-minor"}),
        # downgrade is not an upgrade
        ({"m1": "3.6.1"}, "3.5.30", {"m1": "downgrade"}),
        ({"m1": "garbage"}, "3.6.0", {"m1": "unknown-version"}),
    ],
)
def test_upgrade_gate_problems(members: dict[str, str], target: str, want: dict[str, str]) -> None:
    got = {p.member: p.kind for p in V.upgrade_gate_problems(members, target)}
    assert got == want


def test_gate_problem_names_the_patch_and_the_source() -> None:
    (p,) = V.upgrade_gate_problems({"m2": "3.5.16"}, "3.6.0")
    assert p.required == "3.5.32"
    assert "3.5.32" in p.message and "m2" in p.message
    assert "upgrade_3_6.md" in p.source
    (q,) = V.upgrade_gate_problems({"m1": "3.6.2"}, "3.7")
    assert q.required == "3.6.11" and "upgrade_3_7.md" in q.source


@pytest.mark.parametrize(
    ("frm", "to", "ok"),
    [
        ("3.4.23", "3.5.30", True),
        ("3.5.32", "3.6.0", True),
        ("3.6.11", "3.7.1", True),
        ("3.5.30", "3.5.33", True),
        ("3.4.23", "3.6.0", False),
        ("3.5.32", "3.7.0", False),
        ("3.6.0", "3.5.30", False),
        ("3.6.0", "4.0.0", False),
    ],
)
def test_one_minor_at_a_time(frm: str, to: str, ok: bool) -> None:
    assert (V.one_step_problem(frm, to) is None) is ok


def test_skipping_a_minor_says_which_step_comes_first() -> None:
    why = V.one_step_problem("3.5.33", "3.7.1")
    assert why is not None and "3.5 -> 3.6" in why


# --- flags -----------------------------------------------------------------------------------

ALL_EXPERIMENTAL_37 = [
    # the list of upgrade_3_7.md 'Flags removed'
    "experimental-bootstrap-defrag-threshold-megabytes",
    "experimental-compact-hash-check-enabled",
    "experimental-compact-hash-check-time",
    "experimental-compaction-batch-limit",
    "experimental-compaction-sleep-interval",
    "experimental-corrupt-check-time",
    "experimental-distributed-tracing-address",
    "experimental-distributed-tracing-instance-id",
    "experimental-distributed-tracing-sampling-rate",
    "experimental-distributed-tracing-service-name",
    "experimental-downgrade-check-time",
    "experimental-enable-distributed-tracing",
    "experimental-enable-lease-checkpoint",
    "experimental-enable-lease-checkpoint-persist",
    "experimental-initial-corrupt-check",
    "experimental-memory-mlock",
    "experimental-peer-skip-client-san-verification",
    "experimental-snapshot-catchup-entries",
    "experimental-stop-grpc-service-on-defrag",
    "experimental-txn-mode-write-with-shared-buffer",
    "experimental-warning-apply-duration",
    "experimental-warning-unary-request-duration",
    "experimental-watch-progress-notify-interval",
]


def test_table_covers_every_flag_37_removes() -> None:
    table = {f.old for f in V.EXPERIMENTAL_FLAGS}
    assert set(ALL_EXPERIMENTAL_37) <= table
    for row in V.EXPERIMENTAL_FLAGS:
        assert row.new or row.feature_gate, row


@pytest.mark.parametrize("flag", ALL_EXPERIMENTAL_37)
def test_37_refuses_every_experimental_flag(flag: str) -> None:
    (p,) = V.flag_problems([f"--{flag}=1"], "3.7.1")
    assert p.level == "refused"
    assert (
        p.use_instead.startswith(("--feature-gates=", "--")) and "experimental" not in p.use_instead
    )
    assert "upgrade_3_7.md" in p.source


@pytest.mark.parametrize(
    ("flag", "target", "level", "instead"),
    [
        ("--experimental-initial-corrupt-check=true", "3.5.30", None, None),
        (
            "--experimental-initial-corrupt-check=true",
            "3.6.14",
            "deprecated",
            "--feature-gates=InitialCorruptCheck=true",
        ),
        (
            "--experimental-initial-corrupt-check=true",
            "3.7.0",
            "refused",
            "--feature-gates=InitialCorruptCheck=true",
        ),
        (
            "--experimental-txn-mode-write-with-shared-buffer=false",
            "3.7.0",
            "refused",
            "--feature-gates=TxnModeWriteWithSharedBuffer=false",
        ),
        (
            "--experimental-compact-hash-check-enabled",
            "3.7.0",
            "refused",
            "--feature-gates=CompactHashCheck=true",
        ),
        ("--experimental-corrupt-check-time=5m", "3.6.0", "deprecated", "--corrupt-check-time=5m"),
        (
            "ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL=5s",
            "3.7.0",
            "refused",
            "--watch-progress-notify-interval=5s",
        ),
        ("experimental-memory-mlock", "3.7.0", "refused", "--memory-mlock"),
        ("--enable-v2=true", "3.5.30", None, None),
        ("--enable-v2=true", "3.6.0", "refused", ""),
        ("--proxy=on", "3.6.0", "refused", ""),
        ("--experimental-max-learners=2", "3.6.14", "refused", "--max-learners=2"),
        ("--max-learners=2", "3.7.0", None, None),
        ("--feature-gates=InitialCorruptCheck=true", "3.7.0", None, None),
        ("--name=m1", "3.7.0", None, None),
    ],
)
def test_flag_problems(flag: str, target: str, level: str | None, instead: str | None) -> None:
    got = V.flag_problems([flag], target)
    if level is None:
        assert got == []
        return
    (p,) = got
    assert (p.level, p.use_instead) == (level, instead)
    assert p.flag == flag


def test_enable_v2_names_the_v2store_check() -> None:
    (p,) = V.flag_problems(["--enable-v2"], "3.6.0")
    assert "etcdutl check v2store" in p.message


# --- tools -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "tool"),
    [
        ("3.4.23", "etcdctl"),
        ("3.5.1", "etcdutl"),
        ("3.5.30", "etcdutl"),
        ("3.6.14", "etcdutl"),
        ("3.7.1", "etcdutl"),
    ],
)
def test_offline_tools(version: str, tool: str) -> None:
    assert V.restore_tool(version) == tool
    assert V.snapshot_status_tool(version) == tool
    assert V.defrag_offline_tool(version) == tool


@pytest.mark.parametrize("version", ["3.6.0", "3.6.14", "3.7.1", "3.8.0"])
def test_never_etcdctl_for_restore_or_status_on_36_and_later(version: str) -> None:
    assert V.restore_tool(version) != "etcdctl"
    assert V.snapshot_status_tool(version) != "etcdctl"
    assert not V.has_offline_snapshot_commands("etcdctl", version)
    assert V.offline_tool_problem("/usr/bin/etcdctl", version, version) is not None


@pytest.mark.parametrize(
    ("tool", "version", "ok"),
    [
        ("etcdctl", "3.4.23", False),
        ("etcdctl", "3.4.27", True),
        ("/usr/bin/etcdctl", "3.4.39", True),
        ("etcdctl", "3.5.9", False),
        ("etcdctl", "3.5.10", True),
        ("etcdctl", "3.6.0", False),
        ("etcdutl", "3.4.30", False),
        ("etcdutl", "3.5.1", False),
        ("etcdutl", "3.5.9", False),
        ("etcdutl", "3.5.10", True),
        ("/opt/etcd/etcdutl", "3.5.30", True),
        ("etcdutl", "3.6.14", True),
        ("etcdutl", "3.7.1", True),
        ("etcdutl", "junk", False),
    ],
)
def test_supports_bump_revision(tool: str, version: str, ok: bool) -> None:
    assert V.supports_bump_revision(tool, version) is ok


@pytest.mark.parametrize(
    ("tool", "tool_version", "target", "ok"),
    [
        ("etcdctl", "3.4.23", "3.4.23", True),
        ("etcdutl", "3.5.30", "3.5.30", True),
        ("etcdctl", "3.5.30", "3.5.30", True),
        ("etcdutl", "3.6.14", "3.6.14", True),
        ("etcdctl", "3.5.30", "3.6.0", False),
        ("etcdctl", "3.6.14", "3.6.14", False),
        ("etcdutl", "3.4.30", "3.4.30", False),
    ],
)
def test_offline_tool_problem(tool: str, tool_version: str, target: str, ok: bool) -> None:
    assert (V.offline_tool_problem(tool, tool_version, target) is None) is ok


def test_unknown_tool_version_is_judged_by_the_target() -> None:
    assert V.offline_tool_problem("etcdutl", "0", "3.6.0") is None
    assert V.offline_tool_problem("etcdctl", "0", "3.6.0") is not None
    assert V.offline_tool_problem("etcdctl", "0", None) is None
