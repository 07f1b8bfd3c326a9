"""Header: context, cluster ID, quorum badge, leader, READ-ONLY / INSECURE, refresh age."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from etcdtui.cluster_data import ConnectionSettings, hex_id
from etcdtui.i18n import _
from etcdtui.terminal_text import printable
from etcdtui.ui.state import LEADER_MARK, ClusterState

_STATES = ("healthy", "at-risk", "lost", "unknown")
# Dropped first when the terminal is too narrow for every badge: the quorum badge, the
# leader and "refreshed Ns ago" (the only staleness signal) always stay.
_DROP_ORDER = ("hdr-app", "hdr-cluster", "hdr-context", "hdr-age")
_PADDING = 2  # each badge has one cell of padding on either side


def shown_age(age: float, interval: float) -> int:
    """Whole seconds since the last refresh, counted once a refresh is overdue (a quarter
    of an interval late): within the refresh interval the data is as fresh as promised
    and the badge stays at 0, rather than ticking 0, 1, 0, 1 and being rewritten every
    second (slow SSH links). Staleness still shows from the first overdue second."""
    return int(age) if age > interval * 1.25 else 0


class Badge(Static):
    """A Static that repaints only when its text (or state class) really changes.

    Badges show member names, contexts and leaders: the text is escaped (newlines kept)."""

    def __init__(self, content: str = "", **kwargs: object) -> None:
        super().__init__(printable(content, keep="\n"), **kwargs)  # type: ignore[arg-type]

    def set(self, text: str, state: str | None = None) -> None:
        text = printable(text, keep="\n")
        if str(self.content) != text:
            self.update(text)
        if state is not None:
            for s in _STATES:
                self.set_class(s == state, f"-{s}")


class ClusterHeader(Horizontal):
    DEFAULT_CSS = """
    ClusterHeader #hdr-certs { display: none; }
    ClusterHeader #hdr-certs.-warning { background: $warning 60%; text-style: bold; }
    ClusterHeader #hdr-certs.-critical { background: $error; text-style: bold; }
    ClusterHeader Badge.-dropped { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Badge("etcdtui", id="hdr-app")
        yield Badge("", id="hdr-context", markup=False)
        yield Badge("", id="hdr-cluster", markup=False)
        yield Badge("", id="hdr-quorum", markup=False)
        yield Badge("", id="hdr-leader", markup=False)
        yield Badge("", id="hdr-certs", markup=False)
        yield Badge(_("READ-ONLY"), id="hdr-read-only")
        yield Badge(_("INSECURE"), id="hdr-insecure")
        yield Badge("", id="hdr-age", markup=False)

    def show(self, state: ClusterState, settings: ConnectionSettings | None) -> None:
        if not self.query("#hdr-age"):
            return  # being (re)composed, e.g. after `:lang`; the next render fills it
        ctx = (settings.context if settings else None) or (settings.source if settings else "-")
        self.query_one("#hdr-context", Badge).set(_("context: {name}").format(name=ctx))
        cid = hex_id(state.members.cluster_id) if state.members else "-"
        self.query_one("#hdr-cluster", Badge).set(_("cluster: {id}").format(id=cid))
        text, quorum_state = state.badge()
        self.query_one("#hdr-quorum", Badge).set(text, quorum_state)
        leader = state.leader_name()
        self.query_one("#hdr-leader", Badge).set(
            f"{LEADER_MARK} " + _("leader: {name}").format(name=leader)
            if leader
            else _("no leader")
        )
        self.query_one("#hdr-read-only", Badge).display = bool(settings and settings.read_only)
        self.query_one("#hdr-insecure", Badge).display = bool(settings and settings.insecure)
        age = state.since_refresh()
        self.query_one("#hdr-age", Badge).set(
            _("refreshed {n}s ago").format(n=shown_age(age, state.interval))
            if age is not None
            else _("not refreshed")
        )
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Hide the least useful badges until the rest fit the width."""
        width = self.size.width
        if not width:
            return
        for wid in _DROP_ORDER:
            self.query_one(f"#{wid}", Badge).set_class(False, "-dropped")
        wanted = {
            b.id: cell_len(str(b.content)) + _PADDING
            for b in self.query(Badge)
            if b.id in _DROP_ORDER or b.display  # (a dropped badge's class may be stale)
        }
        total = sum(wanted.values())
        for wid in _DROP_ORDER:
            if total <= width:
                break
            self.query_one(f"#{wid}", Badge).set_class(True, "-dropped")
            total -= wanted.get(wid, 0)

    def show_certs(self, shown: tuple[str, str] | None) -> None:
        """The nearest certificate expiry (text, level ok|warning|critical), or hide it."""
        badge = self.query_one("#hdr-certs", Badge)
        badge.display = shown is not None
        if shown is not None:
            badge.set(shown[0])
            for level in ("ok", "warning", "critical"):
                badge.set_class(level == shown[1], f"-{level}")
