"""Network partitions and CPU starvation for the sandbox (drills, tests, the soak).

Two helper processes, both started in the sandbox's own process tree, both recorded in
sandbox.json and stopped by PID (their command line is checked before any signal):

* the **fault proxy** (:mod:`etcdtui.services.sandbox_proxy`), started with the sandbox
  when it was created with ``fault_proxy=True``: members advertise peer URLs on the proxy,
  which relays to their real peer ports and applies the partition rules kept in
  ``state.faults``;
* one **starver** per starved member (:mod:`etcdtui.services.sandbox_starve`), a bounded
  SIGSTOP/SIGCONT duty cycle.

This module never imports :mod:`etcdtui.services.sandbox` at run time (the sandbox calls
it); it works on the sandbox object it is given.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etcdtui import errors
from etcdtui.errors import SandboxError
from etcdtui.i18n import _
from etcdtui.safeio import read_limited
from etcdtui.services.child_env import scrubbed_env
from etcdtui.services.processes import reap, terminate
from etcdtui.services.sandbox_proxy import ACK_FILE

if TYPE_CHECKING:
    from etcdtui.services.sandbox import Sandbox

PROXY_MODULE = "etcdtui.services.sandbox_proxy"
STARVE_MODULE = "etcdtui.services.sandbox_starve"
MODES = ("drop", "blackhole", "delay=MS")
MAX_DELAY_MS = 60_000
MAX_STARVE_S = 3600.0
_DELAY = re.compile(r"^delay=(\d{1,6})$")


def parse_mode(text: str) -> str:
    """``drop``, ``blackhole`` or ``delay=MS`` (0 < MS <= 60000), else a usage error."""
    text = text.strip().lower()
    if text in ("drop", "blackhole"):
        return text
    m = _DELAY.match(text)
    if m and 0 < int(m.group(1)) <= MAX_DELAY_MS:
        return f"delay={int(m.group(1))}"
    raise errors.UsageError(
        _("--mode {mode!r} is not a partition mode").format(mode=text),
        fix=_("Use --mode drop, --mode blackhole or --mode delay=MS (1 to {max} ms).").format(
            max=MAX_DELAY_MS
        ),
    )


def _child_env() -> dict[str, str]:
    """Only what the helper needs to import etcdtui: no secrets reach the child."""
    import etcdtui

    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(Path(etcdtui.__file__).resolve().parent.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _cmdline(pid: int) -> list[str]:
    try:
        raw = read_limited(f"/proc/{pid}/cmdline", 1 << 16)
    except OSError:
        return []
    return [p.decode(errors="replace") for p in raw.split(b"\0") if p]


def _alive(pid: int | None, *markers: str) -> bool:
    """``pid`` runs and its command line holds every marker (ours, not a reused pid)."""
    if not pid:
        return False
    try:
        stat = read_limited(f"/proc/{pid}/stat", 1 << 16).decode(errors="replace")
    except OSError:
        return False
    if stat.rsplit(")", 1)[1].split()[0] == "Z":
        reap(pid)
        return False
    args = _cmdline(pid)
    return all(any(mk in a for a in args) for mk in markers)


def _stop_pid(pid: int, *markers: str, timeout: float = 5.0) -> None:
    if not _alive(pid, *markers):
        reap(pid)
        return
    terminate(pid, lambda: not _alive(pid, *markers), timeout=timeout, poll=0.02)


def _spawn(sb: Sandbox, args: list[str], log_name: str) -> int:
    logs = sb.dir / "logs"
    logs.mkdir(mode=0o700, parents=True, exist_ok=True)
    log = open(logs / log_name, "ab")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=sb.dir,
            env=scrubbed_env(_child_env(), base={}),
        )
    finally:
        log.close()
    return proc.pid


# --- the proxy -------------------------------------------------------------------------------


def proxy_running(sb: Sandbox) -> bool:
    st = sb.state
    return st is not None and _alive(st.proxy_pid, PROXY_MODULE, str(sb.dir))


def ensure_proxy(sb: Sandbox) -> None:
    """Start the fault proxy if this sandbox uses one and it is not running."""
    st = sb.state
    if st is None or not st.fault_proxy or proxy_running(sb):
        return
    st.proxy_pid = _spawn(sb, [PROXY_MODULE, str(sb.dir)], "proxy.log")
    sb._save()
    _wait_ack(sb, st.fault_generation, what=_("the fault proxy to start"))


def stop_proxy(sb: Sandbox) -> None:
    st = sb.state
    if st is None or not st.proxy_pid:
        return
    _stop_pid(st.proxy_pid, PROXY_MODULE, str(sb.dir))
    st.proxy_pid = None


def _wait_ack(sb: Sandbox, generation: int, *, what: str, timeout: float = 5.0) -> None:
    path = sb.dir / ACK_FILE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if int(read_limited(path, 64).decode() or "-1") >= generation:
                return
        except (OSError, ValueError):
            pass
        if not proxy_running(sb):
            break
        time.sleep(0.02)
    raise SandboxError(
        _("timed out waiting for {what}").format(what=what),
        fix=_("Read {log}, then run: etcdtui sandbox heal").format(log=sb.dir / "logs/proxy.log"),
    )


def _require_proxy(sb: Sandbox) -> None:
    st = sb.state
    if st is None:
        raise SandboxError(
            _("no sandbox in {dir}").format(dir=sb.dir), fix=_("Run: etcdtui sandbox up")
        )
    if not st.fault_proxy:
        raise SandboxError(
            _("this sandbox was created without the fault proxy, so it cannot be partitioned"),
            fix=_(
                "Create one with: etcdtui sandbox down --purge && etcdtui sandbox up --fault-proxy"
            ),
        )
    ensure_proxy(sb)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _apply(sb: Sandbox) -> None:
    """Save the rules and wait until the proxy has applied them."""
    st = sb.state
    assert st is not None
    st.fault_generation += 1
    sb._save()
    if st.proxy_pid and proxy_running(sb):
        try:
            os.kill(st.proxy_pid, signal.SIGHUP)
        except ProcessLookupError:
            pass
        _wait_ack(sb, st.fault_generation, what=_("the fault proxy to apply the change"))


def partition(sb: Sandbox, name: str, *, mode: str, from_name: str | None = None) -> dict[str, Any]:
    """Cut ``name`` off from every peer, or only the connections ``from_name`` opens to it."""
    _require_proxy(sb)
    st = sb.state
    assert st is not None
    st.member(name)
    if from_name is not None:
        st.member(from_name)
        if from_name == name:
            raise errors.UsageError(
                _("--from names the partitioned member itself ({name})").format(name=name),
                fix=_("Name another member with --from, or leave it out to cut every peer."),
            )
    mode = parse_mode(mode)
    fault = {
        "kind": "partition",
        "member": name,
        "from": from_name,
        "mode": mode,
        "since": _now(),
    }
    st.faults = [
        f
        for f in st.faults
        if not (f["kind"] == "partition" and f["member"] == name and f.get("from") == from_name)
    ] + [fault]
    _apply(sb)
    return fault


def heal(sb: Sandbox, name: str | None = None) -> list[dict[str, Any]]:
    """End the partitions and starvation of ``name`` (every fault when None)."""
    st = sb.state
    if st is None:
        return []
    if name is not None:
        st.member(name)
    ended = [f for f in st.faults if name is None or f["member"] == name or f.get("from") == name]
    for f in ended:
        if f["kind"] == "starve":
            _stop_pid(int(f["pid"]), STARVE_MODULE, str(sb.data_dir(f["member"])))
    st.faults = [f for f in st.faults if f not in ended]
    if any(f["kind"] == "partition" for f in ended):
        _apply(sb)
    else:
        sb._save()
    return ended


# raft draws each follower's election timeout between one and two --election-timeout,
# once per term: a pause must outlast twice the setting to be sure of an election.
STARVE_PAUSE_ELECTIONS = 2.5


def longest_follower_timeout_s(election_ms: int) -> float:
    """The longest election timeout raft can draw for a follower (twice the setting): a
    leader paused for less may keep its leadership through every pause of a term."""
    return 2 * election_ms / 1000.0


def default_starve_period(election_ms: int, duty: float) -> float:
    """The duty cycle's period whose pause (``duty`` of it) is
    :data:`STARVE_PAUSE_ELECTIONS` election timeouts. A pause of 1.5 timeouts, the old
    default, could miss every election of a term: a leader kept its leadership through
    30 s of them when both followers had drawn timeouts above 1.5."""
    return max(1.0, STARVE_PAUSE_ELECTIONS * election_ms / 1000.0 / duty)


def starve(
    sb: Sandbox,
    name: str,
    *,
    duty: float = 0.7,
    period: float | None = None,
    seconds: float = 600.0,
) -> dict[str, Any]:
    """Pause and resume ``name`` in a duty cycle until healed or ``seconds`` pass."""
    st = sb.state
    if st is None:
        raise SandboxError(
            _("no sandbox in {dir}").format(dir=sb.dir), fix=_("Run: etcdtui sandbox up")
        )
    m = st.member(name)
    if not 0.05 <= duty <= 0.95:
        raise errors.UsageError(
            _("--duty {duty} is outside 0.05 to 0.95").format(duty=duty),
            fix=_("Give the share of each period the member is paused, e.g. --duty 0.7."),
        )
    if not 0 < seconds <= MAX_STARVE_S:
        raise errors.UsageError(
            _("--for {seconds} is outside 1 to {max} seconds").format(
                seconds=seconds, max=int(MAX_STARVE_S)
            )
        )
    if period is None:
        period = default_starve_period(st.election_timeout_ms, duty)
        if period > 60:
            raise errors.UsageError(
                _(
                    "a pause long enough for an election ({pause:.0f} s, {times} election "
                    "timeouts of {election} ms) makes a period of {period:.0f} s at --duty "
                    "{duty}, more than 60 seconds"
                ).format(
                    pause=period * duty,
                    times=STARVE_PAUSE_ELECTIONS,
                    election=st.election_timeout_ms,
                    period=period,
                    duty=duty,
                ),
                fix=_("Give a higher --duty, or a --period of at most 60 seconds."),
            )
    if not 0.1 <= period <= 60:
        raise errors.UsageError(
            _("--period {period} is outside 0.1 to 60 seconds").format(period=period)
        )
    if m.pid is None or not sb.is_running(m):
        raise SandboxError(
            _("member {name} is not running").format(name=name),
            fix=_("Start it with: etcdtui sandbox start {name}").format(name=name),
        )
    heal_starve(sb, name)
    data_dir = str(sb.data_dir(name))
    pid = _spawn(
        sb,
        [STARVE_MODULE, str(m.pid), data_dir, f"{duty}", f"{period}", f"{seconds}"],
        f"starve-{name}.log",
    )
    fault = {
        "kind": "starve",
        "member": name,
        "from": None,
        "duty": duty,
        "period": round(period, 3),
        "pid": pid,
        "since": _now(),
    }
    st.faults.append(fault)
    sb._save()
    return fault


def heal_starve(sb: Sandbox, name: str) -> None:
    st = sb.state
    assert st is not None
    for f in [f for f in st.faults if f["kind"] == "starve" and f["member"] == name]:
        _stop_pid(int(f["pid"]), STARVE_MODULE, str(sb.data_dir(name)))
        st.faults.remove(f)


def active_faults(sb: Sandbox) -> list[dict[str, Any]]:
    """The faults in force; a starver that ended by itself (its time ran out) is dropped."""
    st = sb.state
    if st is None:
        return []
    out = []
    for f in st.faults:
        if f["kind"] == "starve" and not _alive(
            int(f["pid"]), STARVE_MODULE, str(sb.data_dir(f["member"]))
        ):
            continue
        out.append(dict(f))
    return out


def stop_all(sb: Sandbox) -> None:
    """Stop every starver and the proxy (``sandbox down``); the rules are forgotten."""
    st = sb.state
    if st is None:
        return
    for f in st.faults:
        if f["kind"] == "starve":
            _stop_pid(int(f["pid"]), STARVE_MODULE, str(sb.data_dir(f["member"])))
    st.faults = []
    stop_proxy(sb)
