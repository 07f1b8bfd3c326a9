"""Header: context, cluster ID, quorum badge, leader, READ-ONLY / INSECURE, refresh age."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from etcdtui.i18n import _
from etcdtui.models import ConnectionSettings, hex_id
from etcdtui.ui.state import LEADER_MARK, ClusterState

_STATES = ("healthy", "at-risk", "lost", "unknown")
# Hidden first when the header is too narrow (80 columns, longer translations), so the
# quorum badge, the leader and the READ-ONLY/INSECURE/certificate warnings always show.
_DROP_ORDER = ("#hdr-age", "#hdr-cluster", "#hdr-context", "#hdr-app")
_PADDING = 2  # "#header Badge { padding: 0 1 }"


class Badge(Static):
    """A Static that repaints only when its text (or state class) really changes."""

    def set(self, text: str, state: str | None = None) -> None:
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
            _("refreshed {n}s ago").format(n=int(age)) if age is not None else _("not refreshed")
        )
        self._fit()

    def on_resize(self, _event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Hide the least important badges until the rest fit in one line."""
        width = self.size.width
        if not width or not all(self.query(sel) for sel in _DROP_ORDER):
            return  # not laid out or not composed yet
        for sel in _DROP_ORDER:
            self.query_one(sel, Badge).display = True

        def used() -> int:
            return sum(
                cell_len(str(b.content)) + _PADDING
                for b in self.query(Badge)
                if b.display and str(b.content)
            )

        for sel in _DROP_ORDER:
            if used() <= width:
                break
            self.query_one(sel, Badge).display = False

    def show_certs(self, shown: tuple[str, str] | None) -> None:
        """The nearest certificate expiry (text, level ok|warning|critical), or hide it."""
        badge = self.query_one("#hdr-certs", Badge)
        badge.display = shown is not None
        if shown is not None:
            badge.set(shown[0])
            for level in ("ok", "warning", "critical"):
                badge.set_class(level == shown[1], f"-{level}")
