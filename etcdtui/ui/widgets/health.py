"""Leader & health pane: leader, term, leader changes, latency sparklines, db vs
quota, alarms and advisories (each with its one-line why)."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, Sparkline, Static

from etcdtui.domain.formatting import human_bytes
from etcdtui.i18n import _
from etcdtui.terminal_text import printable
from etcdtui.ui.state import LEADER_MARK, ClusterState
from etcdtui.ui.widgets.header import Badge

_ICON = {"error": "✖", "warning": "▲", "info": "•"}


class MergedSegments:
    """A renderable whose runs of cells in one style become one segment: Textual writes
    every segment with its own colour escape and reset, so a 22-cell sparkline would cost
    about 26 bytes a cell on every refresh (its history shifts each time) where equal
    neighbours need 3."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from Segment.simplify(console.render(self.inner, options))  # type: ignore[arg-type]


class CompactSparkline(Sparkline):
    """Textual's sparkline, drawn with fewer bytes (see :class:`MergedSegments`)."""

    def render(self) -> MergedSegments:  # type: ignore[override]
        return MergedSegments(super().render())


class LatencyRow(Horizontal):
    def __init__(self, name: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.member_name = name
        self._data: list[float] = []

    def compose(self) -> ComposeResult:
        yield Badge(self.member_name, classes="lat-name", markup=False)
        yield CompactSparkline([], classes="lat-spark")
        yield Badge("-", classes="lat-value", markup=False)

    def show(self, data: list[float], last: str) -> None:
        if data != self._data:
            self._data = list(data)
            self.query_one(Sparkline).data = list(data)
        self.query_one(".lat-value", Badge).set(last)


class HealthPane(Vertical, can_focus=True):
    def __init__(self, default_quota: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.default_quota = default_quota
        self._advice: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(id="health-top"):
            with Vertical(id="leader-box", classes="box"):
                yield Label(_("Leader"), classes="box-title")
                yield Badge("", id="leader-info", markup=False)
                yield Badge("", id="alarms", markup=False)
            with Vertical(id="latency-box", classes="box"):
                yield Label(_("Latency per endpoint (status round trip)"), classes="box-title")
                yield Vertical(id="latency-rows")
            with Vertical(id="quota-box", classes="box"):
                yield Label(_("DB size vs quota"), classes="box-title")
                yield ProgressBar(total=100, show_eta=False, id="quota-bar")
                yield Badge("", id="quota-text", markup=False)
        with VerticalScroll(id="advice-box", classes="box"):
            yield Label(_("Advisories"), classes="box-title")
            yield Static("", id="advice")

    def show(self, state: ClusterState) -> None:
        if not all(self.query(q) for q in ("#advice", "#leader-info", "#quota-text")):
            return  # children not composed yet (nested boxes mount after #advice)
        leader = state.leader_name()
        changes = state.leader_changes_recent()
        info = "\n".join(
            [
                (f"{LEADER_MARK} {leader}" if leader else _("✖ no leader")),
                _("raft term: {t}").format(t=state.raft_term() or "-"),
                _("leader changes (15 min): {n}").format(n=changes),
            ]
        )
        self.query_one("#leader-info", Badge).set(info)
        alarms = ", ".join(
            _("{kind} on {member}").format(kind=a.kind, member=state.member_label(a.member_id))
            for a in state.alarms
        )
        self.query_one("#alarms", Badge).set(
            _("alarms: {list}").format(list=alarms) if alarms else _("alarms: none")
        )
        self._show_latency(state)
        size, quota = state.quota(self.default_quota)
        bar = self.query_one("#quota-bar", ProgressBar)
        pct = round(100 * size / quota, 1) if quota else 0.0
        if bar.progress != pct:
            bar.update(progress=pct)
        self.query_one("#quota-text", Badge).set(
            _("{size} of {quota} ({pct:.0f}%)").format(
                size=human_bytes(size), quota=human_bytes(quota), pct=pct
            )
        )
        advice = state.advisories(self.default_quota)
        key = (advice, state.members_error, self.app.theme)
        if key != self._advice:
            self._advice = key
            self.query_one("#advice", Static).update(self._advice_text(advice, state.members_error))

    def _advice_text(self, advice: tuple[object, ...], members_error: str | None) -> Text:
        vars_ = self.app.theme_variables
        text = Text()
        if members_error:
            text.append("✖ " + _("Member list unavailable"), style=f"bold {vars_.get('error', '')}")
            text.append(f" — {printable(members_error)}\n")
        elif not advice:
            return Text("✔ " + _("No advisories: nothing needs attention."))
        for a in advice:
            level, title, why = a.level, a.title, a.why  # type: ignore[attr-defined]
            colour = vars_.get("error" if level == "error" else "warning", "")
            text.append(f"{_ICON.get(level, '•')} {printable(title)}", style=f"bold {colour}")
            text.append(f" — {printable(why)}\n")
            # the next step: a key or `:` command, else what to do about it
            action = getattr(a, "action", "") or getattr(a, "fix", "")
            if action:
                text.append("  → " + printable(action) + "\n", style="bold")
        text.rstrip()
        return text

    def _show_latency(self, state: ClusterState) -> None:
        box = self.query_one("#latency-rows", Vertical)
        rows = {r.member_name: r for r in box.query(LatencyRow)}
        members = state.members.members if state.members else ()
        names: list[tuple[str, list[float], str]] = []
        for m in members:
            t = state.track_for(m)
            if t is None:
                continue
            data = list(t.latency_trend)
            st_ok = t.status is not None and t.status.ok and not state.is_stale(t)
            last = f"{t.latency[-1]:.1f} ms" if t.latency and st_ok else "✖ " + _("no answer")
            names.append((m.name or f"{m.id:x}", data, last))
        if [n for n, _d, _l in names] != list(rows):
            box.remove_children()
            new = [LatencyRow(n) for n, _d, _l in names]
            box.mount_all(new)
            rows = {r.member_name: r for r in new}
            self.call_after_refresh(self._fill, names)
            return
        self._fill(names, rows)

    def _fill(
        self, names: list[tuple[str, list[float], str]], rows: dict[str, LatencyRow] | None = None
    ) -> None:
        rows = rows or {r.member_name: r for r in self.query(LatencyRow)}
        for name, data, last in names:
            if name in rows and rows[name].is_mounted and rows[name].children:
                rows[name].show(data, last)
