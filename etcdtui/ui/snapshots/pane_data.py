"""Pure helpers for the snapshot pane: rows, texts and the contents index (no widgets)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etcdtui.domain.formatting import human_bytes, short_age, short_bytes
from etcdtui.i18n import N_, _, pgettext
from etcdtui.ops.snapshots import (
    FAILED,
    RAW,
    SIDECAR_MATCH,
    UNCHECKED,
    VERIFIED,
    CatalogEntry,
)
from etcdtui.paths import state_dir
from etcdtui.terminal_text import printable

CLUSTER_SCOPED = "(cluster-scoped)"
SHOWN_PER_NAMESPACE = 500  # objects listed under one namespace node; the rest are counted

CATALOG_COLUMNS = (
    ("mark", ""),
    ("name", N_("NAME")),
    ("time", N_("TIME (UTC)")),
    ("age", N_("AGE")),
    ("size", N_("SIZE")),
    ("enc", N_("ENCRYPTION")),
    ("revision", N_("REVISION")),
    ("source", N_("SOURCE")),
    ("state", N_("VERIFICATION")),
)

# Verification state -> theme token for the cell colour.
STATE_TOKEN = {
    VERIFIED: "member-healthy",
    SIDECAR_MATCH: "member-healthy",
    RAW: "warning",
    UNCHECKED: "member-unknown",
    FAILED: "member-unhealthy",
}


def default_directory() -> Path:
    """Where the pane looks first and where the save dialog writes by default."""
    return state_dir() / "snapshots"


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as the operator gave it, with the home directory shortened to ~."""
    text = str(path)
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


def state_text(entry: CatalogEntry, checked: bool) -> str:
    if not checked:
        return "… " + _("checking")
    labels = {
        VERIFIED: "✔ " + _("verified"),
        SIDECAR_MATCH: "✔ " + _("sidecar sha256 ok"),
        RAW: "▲ " + _("raw copy, no trailer"),
        UNCHECKED: "? " + _("unchecked"),
    }
    if entry.state == FAILED:
        return "✖ " + _("failed: {cause}").format(cause=entry.cause or "?")
    return labels.get(entry.state, entry.state)


def source_of(sidecar: dict[str, Any] | None) -> str:
    src = (sidecar or {}).get("source")
    if isinstance(src, dict):
        return str(src.get("name") or src.get("member_id") or "-")
    return "-"


def catalog_cells(
    entry: CatalogEntry, now: float, *, checked: bool, mark: str = ""
) -> tuple[str, ...]:
    return (
        mark,
        printable(entry.path.name),
        entry.time.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        short_age(now - entry.time.timestamp()),
        short_bytes(entry.size),
        entry.encryption or "-",
        str(entry.revision) if entry.revision is not None else "-",
        printable(source_of(entry.sidecar)),
        state_text(entry, checked),
    )


def sidecar_rows(sidecar: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Flat (field, value) rows of a sidecar; nested mappings become dotted names."""
    if not sidecar:
        return [(_("sidecar"), _("none (no FILE.json next to the file)"))]
    rows: list[tuple[str, str]] = []
    for k, v in sidecar.items():
        if isinstance(v, dict):
            rows += [(f"{k}.{k2}", _plain(v2)) for k2, v2 in v.items() if v2 not in (None, "")]
        elif v not in (None, ""):
            rows.append((str(k), _plain(v)))
    return [(printable(k), printable(v)) for k, v in rows]  # a sidecar is a file: escape it


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def size_text(n: int) -> str:
    return f"{human_bytes(n)} ({n:,} B)"


# --- contents tree ------------------------------------------------------------------------


@dataclass
class NamespaceGroup:
    count: int = 0
    objects: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ResourceGroup:
    count: int = 0
    bytes: int = 0
    namespaces: dict[str, NamespaceGroup] = field(default_factory=dict)


@dataclass(frozen=True)
class ContentsIndex:
    """resource -> namespace -> objects (decoded metadata, never a Secret's value)."""

    resources: dict[str, ResourceGroup]
    total: int

    @classmethod
    def build(cls, objects: Iterable[dict[str, Any]]) -> ContentsIndex:
        resources: dict[str, ResourceGroup] = {}
        total = 0
        for obj in objects:
            total += 1
            res = resources.setdefault(
                obj.get("resource") or _("(outside /registry/)"), ResourceGroup()
            )
            res.count += 1
            res.bytes += int(obj.get("size", 0))
            ns = res.namespaces.setdefault(obj.get("namespace") or CLUSTER_SCOPED, NamespaceGroup())
            ns.count += 1
            if len(ns.objects) < SHOWN_PER_NAMESPACE:
                ns.objects.append(obj)
        ordered = {k: resources[k] for k in sorted(resources)}
        for r in ordered.values():
            r.namespaces = dict(sorted(r.namespaces.items()))
        return cls(ordered, total)


def object_label(obj: dict[str, Any]) -> str:
    key = str(obj.get("key", ""))
    name = obj.get("name") or key.rstrip("/").rsplit("/", 1)[-1] or key
    return str(name)


SECRET_FIELDS = ("key", "size", "encryption", "resource", "namespace", "name", "type")


def object_rows(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """What the detail box shows about one object. Secrets: key, size, encryption, type
    and labels, never the data."""
    if "encryption" in obj:  # describe() marks Secrets this way and drops everything else
        rows = [(f, printable(obj[f])) for f in SECRET_FIELDS if obj.get(f) not in (None, "")]
        labels = obj.get("labels") or {}
        if labels:
            text = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
            rows.append((_("labels"), printable(text)))
        rows.append((_("data"), _("hidden (Secret values are never shown)")))
        return rows
    order = (
        ("key", pgettext("etcd key", "key")),
        ("apiVersion", _("apiVersion")),
        ("kind", _("kind")),
        ("name", _("name")),
        ("namespace", _("namespace")),
        ("creationTimestamp", _("created")),
        ("uid", _("uid")),
        ("encoding", _("stored as")),
        ("size", _("size")),
        ("mod_revision", _("mod revision")),
        ("create_revision", _("create revision")),
        ("version", _("version")),
        ("lease", _("lease")),
    )
    rows = [(label, str(obj[f])) for f, label in order if obj.get(f) not in (None, "")]
    labels = obj.get("labels") or {}
    if labels:
        rows.append((_("labels"), ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))))
    if obj.get("decode_error"):
        rows.append((_("decode"), _("the value could not be decoded")))
    return [(k, printable(v)) for k, v in rows]  # keys and names come from the snapshot


# --- diff -----------------------------------------------------------------------------


def diff_rows(report: dict[str, Any]) -> list[tuple[str, str, int, int, int]]:
    """(resource, namespace, added, removed, changed): each resource, then its namespaces."""
    rows = []
    for name, slot in report["by_resource"].items():
        rows.append((printable(name), "", slot["added"], slot["removed"], slot["changed"]))
        for ns, c in slot["namespaces"].items():
            rows.append(("", printable(ns), c["added"], c["removed"], c["changed"]))
    return rows


def order_for_diff(a: CatalogEntry, b: CatalogEntry) -> tuple[CatalogEntry, CatalogEntry]:
    """(older, newer): by revision when both are known, else by time."""
    if a.revision is not None and b.revision is not None and a.revision != b.revision:
        return (a, b) if a.revision < b.revision else (b, a)
    return (a, b) if (a.time, a.path.name) <= (b.time, b.path.name) else (b, a)
