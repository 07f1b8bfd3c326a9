"""The three views under the catalog: detail, contents tree and diff."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static, Tree
from textual.widgets.tree import TreeNode

from etcdtui.domain.formatting import human_bytes, short_age
from etcdtui.i18n import N_, _
from etcdtui.ops.snapshots import UNCHECKED, CatalogEntry, VerifyResult
from etcdtui.terminal_text import printable
from etcdtui.ui.snapshots import pane_data
from etcdtui.ui.widgets.quiet_table import SizedTable

_SEVERITY = {"ok": "✔", "warning": "▲", "error": "✖"}


def _kv_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, expand=True, pad_edge=False)
    table.add_column(style="bold", no_wrap=True, width=18)
    table.add_column(overflow="fold", ratio=1)
    for k, v in rows:  # keys, names and sidecar fields come from files: escaped
        table.add_row(printable(k), Text(printable(v)))
    return table


def detail_rows(
    entry: CatalogEntry, result: VerifyResult | None, now: float, *, loading: bool
) -> list[tuple[str, str]]:
    rows = [
        (_("file"), pane_data.display_path(entry.path)),
        (_("size"), pane_data.size_text(entry.size)),
        (
            _("time"),
            f"{entry.time.strftime('%Y-%m-%d %H:%M:%S')} UTC, "
            + _("{age} ago").format(age=short_age(now - entry.time.timestamp())),
        ),
    ]
    if entry.encryption:
        who = ", ".join(entry.recipients) or "?"
        rows.append((_("encryption"), _("{kind} for {who}").format(kind=entry.encryption, who=who)))
    else:
        rows.append((_("encryption"), _("none: the file holds every Secret in clear")))
    if result is None:
        if loading:
            rows.append((_("verify"), "… " + _("reading the file")))
        elif entry.encryption:
            # the catalogue's message for an unchecked file names the CLI's flags; the
            # console's way to a key is the k row below
            unchecked = entry.state == UNCHECKED
            verdict = _("encrypted, not verified") if unchecked else entry.message or entry.state
            rows.append((_("verify"), verdict))
            rows.append((_("keys"), _("press k to give an identity file or passphrase")))
        return rows
    st = result.status
    if st is not None:
        rows += [
            (_("hash"), f"{st['hash']:x}"),
            (_("revision"), str(st["revision"])),
            (_("total keys"), str(st["totalKey"])),
            (_("total size"), pane_data.size_text(int(st["totalSize"]))),
        ]
    rows.append((_("verify"), f"{_SEVERITY.get(result.severity, '?')} {result.message}"))
    if not result.ok:
        rows.append((_("cause"), result.cause))
    if not result.sha256_present:
        trailer = _("absent (raw db copy)")
    else:
        trailer = _("valid") if result.sha256_valid else _("MISMATCH")
    rows.append((_("sha256 trailer"), trailer))
    rows += [(_("warning"), w) for w in result.warnings]
    return rows


class DetailView(VerticalScroll):
    DEFAULT_CSS = """
    DetailView { padding: 0 1; }
    DetailView .detail-heading { text-style: bold; color: $primary; margin-top: 1; }
    DetailView #snapshot-detail.-bad { color: $error; }
    """

    def compose(self) -> ComposeResult:
        yield Static(_("Select a snapshot in the catalog."), id="snapshot-detail", markup=False)
        yield Static(_("Sidecar"), classes="detail-heading")
        yield Static("", id="snapshot-sidecar", markup=False)

    def show(
        self, entry: CatalogEntry | None, result: VerifyResult | None, now: float, *, loading: bool
    ) -> None:
        detail = self.query_one("#snapshot-detail", Static)
        sidecar = self.query_one("#snapshot-sidecar", Static)
        if entry is None:
            detail.update(_("No snapshot selected."))
            sidecar.update("")
            return
        detail.update(_kv_table(detail_rows(entry, result, now, loading=loading)))
        detail.set_class(result is not None and result.severity == "error", "-bad")
        sidecar.update(_kv_table(pane_data.sidecar_rows(entry.sidecar)))


class ContentsView(Horizontal):
    """resource -> namespace -> object; children are added when a node is expanded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back to the catalog"), id="snapshots.tree_back")
    ]

    DEFAULT_CSS = """
    ContentsView #snapshot-tree { width: 1fr; border: round $primary 40%; }
    ContentsView #snapshot-tree:focus { border: round $primary; }
    ContentsView #snapshot-object-box { width: 56; border: round $primary 40%; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index: pane_data.ContentsIndex | None = None

    def compose(self) -> ComposeResult:
        tree: Tree[tuple[Any, ...]] = Tree(_("contents"), id="snapshot-tree")
        tree.show_root = False
        yield tree
        with VerticalScroll(id="snapshot-object-box"):
            yield Static(
                _("Press c on a snapshot to read its contents."),
                id="snapshot-object",
                markup=False,
            )

    @property
    def tree_widget(self) -> Tree[tuple[Any, ...]]:
        return self.query_one("#snapshot-tree", Tree)

    def show_loading(self, name: str) -> None:
        self.index = None
        self.tree_widget.clear()
        self.tree_widget.root.set_label(Text(printable(name)))
        self.query_one("#snapshot-object", Static).update(
            "… " + _("reading {name}").format(name=name)
        )

    def show(self, name: str, index: pane_data.ContentsIndex) -> None:
        self.index = index
        tree = self.tree_widget
        tree.clear()
        tree.root.set_label(Text(printable(name)))
        for res, group in index.resources.items():
            label = Text(f"{printable(res)}  ({group.count}, {human_bytes(group.bytes)})")
            tree.root.add(label, data=("resource", res), allow_expand=True)
        tree.root.expand()
        tree.focus()
        self.query_one("#snapshot-object", Static).update(
            _(
                "{name}: {n} live keys in {r} resources. Expand a resource, then a namespace."
            ).format(name=name, n=index.total, r=len(index.resources))
        )

    def action_back(self) -> None:
        catalog = self.screen.query("#snapshot-table")
        if catalog:
            catalog.first().focus()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[tuple[Any, ...]]) -> None:
        node = event.node
        if self.index is None or node.data is None or node.children:
            return
        if node.data[0] == "resource":
            res = node.data[1]
            for ns, group in self.index.resources[res].namespaces.items():
                node.add(Text(f"{printable(ns)}  ({group.count})"), data=("namespace", res, ns))
        elif node.data[0] == "namespace":
            _kind, res, ns = node.data
            group = self.index.resources[res].namespaces[ns]
            for i, obj in enumerate(group.objects):
                node.add_leaf(
                    Text(printable(pane_data.object_label(obj))), data=("object", res, ns, i)
                )
            if group.count > len(group.objects):
                more = group.count - len(group.objects)
                node.add_leaf(Text(_("… and {n} more").format(n=more)), data=("more",))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[tuple[Any, ...]]) -> None:
        self._describe(event.node)

    def _describe(self, node: TreeNode[tuple[Any, ...]]) -> None:
        if self.index is None or node.data is None:
            return
        box = self.query_one("#snapshot-object", Static)
        data = node.data
        if data[0] == "object":
            obj = self.index.resources[data[1]].namespaces[data[2]].objects[data[3]]
            box.update(_kv_table(pane_data.object_rows(obj)))
        elif data[0] == "resource":
            group = self.index.resources[data[1]]
            box.update(
                _kv_table(
                    [
                        (_("resource"), data[1]),
                        (_("objects"), str(group.count)),
                        (_("bytes"), pane_data.size_text(group.bytes)),
                        (_("namespaces"), str(len(group.namespaces))),
                    ]
                )
            )
        elif data[0] == "namespace":
            ns = self.index.resources[data[1]].namespaces[data[2]]
            box.update(_kv_table([(_("namespace"), data[2]), (_("objects"), str(ns.count))]))


class DiffView(Vertical):
    DEFAULT_CSS = """
    DiffView { padding: 0 1; }
    DiffView #snapshot-diff-summary { margin-bottom: 1; }
    DiffView #snapshot-diff-table { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(
            _("Mark a snapshot with m, select another, then press d."),
            id="snapshot-diff-summary",
            markup=False,
        )
        yield SizedTable(id="snapshot-diff-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("resource", _("RESOURCE")),
            ("namespace", _("NAMESPACE")),
            ("added", _("ADDED")),
            ("removed", _("REMOVED")),
            ("changed", _("CHANGED")),
        ):
            table.add_column(label, key=key)

    def show_loading(self, older: str, newer: str) -> None:
        self.query_one(DataTable).clear()
        self.query_one("#snapshot-diff-summary", Static).update(
            "… " + _("comparing {a} with {b}").format(a=older, b=newer)
        )

    def show(self, older: str, newer: str, report: dict[str, Any]) -> None:
        s = report["summary"]
        lines = [
            _("A = {a} (revision {ra}), B = {b} (revision {rb})").format(
                a=older, ra=report["a"]["revision"], b=newer, rb=report["b"]["revision"]
            ),
            _(
                "since A: {added} added, {removed} removed, {changed} changed, {same} unchanged"
            ).format(
                added=s["added"], removed=s["removed"], changed=s["changed"], same=s["unchanged"]
            ),
            _(
                "Restoring A would delete the added keys, bring back the removed ones and "
                "revert the changed ones."
            ),
        ]
        self.query_one("#snapshot-diff-summary", Static).update("\n".join(lines))
        table = self.query_one(DataTable)
        table.clear()
        rows = pane_data.diff_rows(report)
        if not rows:
            table.add_row(Text(_("(no differences)")), Text(""), "0", "0", "0")
        for res, ns, added, removed, changed in rows:
            table.add_row(
                Text(printable(res)), Text(printable(ns)), str(added), str(removed), str(changed)
            )
