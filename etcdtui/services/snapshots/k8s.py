"""Kubernetes-aware inspection of a snapshot's live keys.

kube-apiserver stores each object at ``/registry/<resource>/[<namespace>/]<name>``
(``/registry/<group>/<resource>/...`` for API groups, whose names contain a dot). The
value is one of:

* ``k8s\\x00`` + a ``runtime.Unknown`` protobuf: typeMeta (1: apiVersion 1, kind 2),
  raw (2), contentEncoding (3), contentType (4); inside ``raw`` the object's field 1 is
  its ObjectMeta: name 1, generateName 2, namespace 3, uid 5, resourceVersion 6,
  creationTimestamp 8 (seconds 1, nanos 2), labels 11 (map entries key 1, value 2);
* JSON (custom resources), starting with ``{``;
* ``k8s:enc:<provider>:v1:<key name>:`` + ciphertext when encryption at rest is on.

Secret values are never decoded, printed or returned: for keys under
``/registry/secrets/`` only the key, the size, the encryption state and, for a Secret
stored in plaintext, its name, namespace, type and labels leave here (never ``data``).

Resources are counted by storage path (:data:`STORAGE_PATHS`), which is not always the
resource name: nodes live under ``/registry/minions/``, for example.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections.abc import Iterator
from typing import Any

from etcdtui.services.snapshots import wire
from etcdtui.services.snapshots.bolt import BoltDB
from etcdtui.services.snapshots.mvcc import (
    KeyspaceIndex,
    LiveKey,
    backend_info,
    index_keyspace,
    live_keys,
    live_records,
)
from etcdtui.services.snapshots.open_file import DecryptKeys, open_snapshot

REGISTRY = b"/registry/"
SECRETS_PREFIX = b"/registry/secrets/"
K8S_MAGIC = b"k8s\x00"
ENC_PREFIX = b"k8s:enc:"
PROVIDERS = ("aescbc", "aesgcm", "secretbox", "kms")
LARGEST = 20
OTHER = "(other)"


# Where kube-apiserver stores each built-in resource, from the storage-path table of
# kubernetes/kubernetes test/integration/etcd/data.go (ExpectedEtcdPath of every entry):
# the path segments under /registry/ -> (resource, namespaced). Most resources live under
# their plural name; the exceptions are historical (nodes under minions/, services and
# endpoints under services/specs/ and services/endpoints/, replication controllers under
# controllers/, ingresses under ingress/) or group-prefixed (API services and CRDs, and
# every custom resource: /registry/<group>/<plural>/).
_NS, _CLUSTER = True, False
STORAGE_PATHS: dict[tuple[str, ...], tuple[str, bool]] = {
    # core/v1
    ("configmaps",): ("configmaps", _NS),
    ("services", "specs"): ("services", _NS),
    ("services", "endpoints"): ("endpoints", _NS),
    ("podtemplates",): ("podtemplates", _NS),
    ("pods",): ("pods", _NS),
    ("resourcequotas",): ("resourcequotas", _NS),
    ("limitranges",): ("limitranges", _NS),
    ("namespaces",): ("namespaces", _CLUSTER),
    ("minions",): ("nodes", _CLUSTER),
    ("persistentvolumes",): ("persistentvolumes", _CLUSTER),
    ("events",): ("events", _NS),  # core/v1 and events.k8s.io/v1 share it
    ("persistentvolumeclaims",): ("persistentvolumeclaims", _NS),
    ("serviceaccounts",): ("serviceaccounts", _NS),
    ("secrets",): ("secrets", _NS),
    ("controllers",): ("replicationcontrollers", _NS),
    # apps/v1
    ("daemonsets",): ("daemonsets", _NS),
    ("deployments",): ("deployments", _NS),
    ("statefulsets",): ("statefulsets", _NS),
    ("replicasets",): ("replicasets", _NS),
    ("controllerrevisions",): ("controllerrevisions", _NS),
    # autoscaling, batch
    ("horizontalpodautoscalers",): ("horizontalpodautoscalers", _NS),
    ("jobs",): ("jobs", _NS),
    ("cronjobs",): ("cronjobs", _NS),
    # certificates.k8s.io
    ("certificatesigningrequests",): ("certificatesigningrequests", _CLUSTER),
    ("clustertrustbundles",): ("clustertrustbundles", _CLUSTER),
    ("podcertificaterequests",): ("podcertificaterequests", _NS),
    # coordination.k8s.io, discovery.k8s.io
    ("leases",): ("leases", _NS),
    ("leasecandidates",): ("leasecandidates", _NS),
    ("endpointslices",): ("endpointslices", _NS),
    # networking.k8s.io
    ("ingress",): ("ingresses", _NS),
    ("ingressclasses",): ("ingressclasses", _CLUSTER),
    ("networkpolicies",): ("networkpolicies", _NS),
    ("ipaddresses",): ("ipaddresses", _CLUSTER),
    ("servicecidrs",): ("servicecidrs", _CLUSTER),
    # policy, storagemigration.k8s.io, flowcontrol.apiserver.k8s.io
    ("poddisruptionbudgets",): ("poddisruptionbudgets", _NS),
    ("storageversionmigrations",): ("storageversionmigrations", _CLUSTER),
    ("flowschemas",): ("flowschemas", _CLUSTER),
    ("prioritylevelconfigurations",): ("prioritylevelconfigurations", _CLUSTER),
    # storage.k8s.io
    ("volumeattachments",): ("volumeattachments", _CLUSTER),
    ("volumeattributesclasses",): ("volumeattributesclasses", _CLUSTER),
    ("storageclasses",): ("storageclasses", _CLUSTER),
    ("csistoragecapacities",): ("csistoragecapacities", _NS),
    ("csinodes",): ("csinodes", _CLUSTER),
    ("csidrivers",): ("csidrivers", _CLUSTER),
    # rbac.authorization.k8s.io
    ("roles",): ("roles", _NS),
    ("clusterroles",): ("clusterroles", _CLUSTER),
    ("rolebindings",): ("rolebindings", _NS),
    ("clusterrolebindings",): ("clusterrolebindings", _CLUSTER),
    # admissionregistration.k8s.io
    ("validatingwebhookconfigurations",): ("validatingwebhookconfigurations", _CLUSTER),
    ("mutatingwebhookconfigurations",): ("mutatingwebhookconfigurations", _CLUSTER),
    ("validatingadmissionpolicies",): ("validatingadmissionpolicies", _CLUSTER),
    ("validatingadmissionpolicybindings",): ("validatingadmissionpolicybindings", _CLUSTER),
    ("mutatingadmissionpolicies",): ("mutatingadmissionpolicies", _CLUSTER),
    ("mutatingadmissionpolicybindings",): ("mutatingadmissionpolicybindings", _CLUSTER),
    # scheduling.k8s.io
    ("priorityclasses",): ("priorityclasses", _CLUSTER),
    ("workloads",): ("workloads", _NS),
    ("podgroups",): ("podgroups", _NS),
    # group-prefixed: apiregistration.k8s.io, apiextensions.k8s.io
    ("apiregistration.k8s.io", "apiservices"): ("apiregistration.k8s.io/apiservices", _CLUSTER),
    ("apiextensions.k8s.io", "customresourcedefinitions"): (
        "apiextensions.k8s.io/customresourcedefinitions",
        _CLUSTER,
    ),
    # node.k8s.io
    ("runtimeclasses",): ("runtimeclasses", _CLUSTER),
    # resource.k8s.io
    ("devicetaintrules",): ("devicetaintrules", _CLUSTER),
    ("resourcepoolstatusrequests",): ("resourcepoolstatusrequests", _CLUSTER),
    ("deviceclasses",): ("deviceclasses", _CLUSTER),
    ("resourceclaims",): ("resourceclaims", _NS),
    ("resourceclaimtemplates",): ("resourceclaimtemplates", _NS),
    ("resourceslices",): ("resourceslices", _CLUSTER),
    # internal.apiserver.k8s.io
    ("storageversions",): ("storageversions", _CLUSTER),
}


def resource_of(key: bytes) -> tuple[str, str | None] | None:
    """(resource, namespace or None) for a /registry/ key, None for any other key.

    Built-in resources are named by their plural (``nodes`` for ``/registry/minions/``,
    ``endpoints`` for ``/registry/services/endpoints/``; see :data:`STORAGE_PATHS`);
    custom resources and group-prefixed ones by ``group/plural``."""
    if not key.startswith(REGISTRY):
        return None
    parts = key[len(REGISTRY) :].decode("utf-8", "replace").split("/")
    for width in (2, 1):
        known = STORAGE_PATHS.get(tuple(parts[:width])) if len(parts) > width else None
        if known is not None:
            resource, namespaced = known
            rest = parts[width:]
            return resource, (rest[0] if namespaced and len(rest) >= 2 else None)
    if "." in parts[0] and len(parts) >= 2:  # a custom resource: /registry/<group>/<plural>/
        resource, rest = f"{parts[0]}/{parts[1]}", parts[2:]
    else:
        resource, rest = parts[0], parts[1:]
    namespace = rest[-2] if len(rest) >= 2 else None
    return resource, namespace


def is_secret(key: bytes) -> bool:
    return key.startswith(SECRETS_PREFIX)


def value_encoding(value: bytes) -> str:
    """``protobuf``, ``json``, ``encrypted:<provider>`` or ``raw``."""
    if value.startswith(K8S_MAGIC):
        return "protobuf"
    if value.startswith(ENC_PREFIX):
        provider = value[len(ENC_PREFIX) :].split(b":", 1)[0].decode("ascii", "replace")
        return f"encrypted:{provider}"
    if value.startswith(b"{"):
        return "json"
    return "raw"


def encryption_state(value: bytes) -> str:
    """At-rest state of a Secret: plaintext, aescbc, aesgcm, secretbox, kms or unknown."""
    encoding = value_encoding(value)
    if encoding in ("protobuf", "json"):
        return "plaintext"
    if encoding.startswith("encrypted:"):
        provider = encoding.split(":", 1)[1]
        return provider if provider in PROVIDERS else "unknown"
    return "unknown"


# --- decoding ----------------------------------------------------------------------


def _timestamp(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    msg = wire.message_fields(raw)
    seconds = wire.to_int64(wire.last_int(msg, 1) or 0)
    nanos = wire.last_int(msg, 2) or 0
    try:
        when = dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(microseconds=nanos // 1000)
    except (OverflowError, OSError, ValueError):
        return None
    return when.isoformat().replace("+00:00", "Z")


def _labels(entries: list[int | bytes]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, bytes):
            msg = wire.message_fields(entry)
            labels[wire.text(wire.last_bytes(msg, 1)) or ""] = (
                wire.text(wire.last_bytes(msg, 2)) or ""
            )
    return labels


def decode_protobuf(value: bytes) -> dict[str, Any]:
    """TypeMeta and ObjectMeta of a ``k8s\\x00`` value. Raises wire.WireError."""
    unknown = wire.message_fields(value[len(K8S_MAGIC) :])
    type_meta = wire.message_fields(wire.last_bytes(unknown, 1) or b"")
    out: dict[str, Any] = {
        "apiVersion": wire.text(wire.last_bytes(type_meta, 1)),
        "kind": wire.text(wire.last_bytes(type_meta, 2)),
    }
    content_type = wire.text(wire.last_bytes(unknown, 4))
    if content_type:
        out["contentType"] = content_type
    if wire.text(wire.last_bytes(unknown, 3)):
        return out  # compressed or otherwise encoded: metadata is not readable
    obj = wire.message_fields(wire.last_bytes(unknown, 2) or b"")
    meta = wire.message_fields(wire.last_bytes(obj, 1) or b"")
    out.update(
        name=wire.text(wire.last_bytes(meta, 1)),
        namespace=wire.text(wire.last_bytes(meta, 3)),
        generateName=wire.text(wire.last_bytes(meta, 2)),
        uid=wire.text(wire.last_bytes(meta, 5)),
        creationTimestamp=_timestamp(wire.last_bytes(meta, 8)),
        labels=_labels(meta.get(11, [])),
    )
    return {k: v for k, v in out.items() if v not in (None, "")}


def secret_summary(value: bytes) -> dict[str, Any]:
    """A plaintext Secret's name, namespace, type and labels, and nothing else: its
    ``data`` (field 2) and ``stringData`` (4) are never read. v1.Secret in protobuf:
    metadata 1, type 3."""
    out: dict[str, Any] = {}
    if value.startswith(K8S_MAGIC):
        unknown = wire.message_fields(value[len(K8S_MAGIC) :])
        if wire.text(wire.last_bytes(unknown, 3)):
            return out  # compressed: unreadable
        obj = wire.message_fields(wire.last_bytes(unknown, 2) or b"")
        meta = wire.message_fields(wire.last_bytes(obj, 1) or b"")
        out = {
            "kind": "Secret",
            "name": wire.text(wire.last_bytes(meta, 1)),
            "namespace": wire.text(wire.last_bytes(meta, 3)),
            "type": wire.text(wire.last_bytes(obj, 3)),
            "labels": _labels(meta.get(11, [])),
        }
    elif value.startswith(b"{"):
        data = json.loads(value)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        raw_meta = data.get("metadata")
        jmeta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        labels = jmeta.get("labels")
        out = {
            "kind": "Secret",
            "name": jmeta.get("name"),
            "namespace": jmeta.get("namespace"),
            "type": data.get("type") if isinstance(data.get("type"), str) else None,
            "labels": labels if isinstance(labels, dict) else {},
        }
    return {k: v for k, v in out.items() if v not in (None, "")}


def decode_json(value: bytes, *, full: bool) -> dict[str, Any]:
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    raw_meta = data.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    out: dict[str, Any] = {
        "apiVersion": data.get("apiVersion"),
        "kind": data.get("kind"),
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "creationTimestamp": meta.get("creationTimestamp"),
        "labels": meta.get("labels") if isinstance(meta.get("labels"), dict) else {},
    }
    out = {k: v for k, v in out.items() if v not in (None, "")}
    if full:
        out["object"] = data
    return out


def describe(kv: LiveKey, *, full: bool = False) -> dict[str, Any]:
    """What may be shown about one key. Secrets: key, size and encryption state only."""
    key = kv.key.decode("utf-8", "replace")
    info: dict[str, Any] = {"key": key, "size": len(kv.value)}
    res = resource_of(kv.key)
    if res is not None:
        info["resource"], info["namespace"] = res
    if is_secret(kv.key):
        info["encryption"] = encryption_state(kv.value)
        if info["encryption"] == "plaintext":
            try:
                info.update(secret_summary(kv.value))
            except (wire.WireError, ValueError, RecursionError):
                info["decode_error"] = True
        return info
    info.update(
        mod_revision=kv.mod_revision,
        create_revision=kv.create_revision,
        version=kv.version,
    )
    if kv.lease:
        info["lease"] = f"{kv.lease:x}"
    encoding = value_encoding(kv.value)
    info["encoding"] = encoding
    try:
        if encoding == "protobuf":
            info.update(decode_protobuf(kv.value))
        elif encoding == "json":
            info.update(decode_json(kv.value, full=full))
    except (wire.WireError, ValueError, RecursionError):
        info["decode_error"] = True
    return info


# --- inspect -----------------------------------------------------------------------


def inspect_db(db: BoltDB, index: KeyspaceIndex | None = None) -> dict[str, Any]:
    idx = index or index_keyspace(db)
    resources: dict[str, dict[str, Any]] = {}
    other = {"count": 0, "bytes": 0}
    secrets = {k: 0 for k in ("plaintext", "aescbc", "aesgcm", "secretbox", "kms", "unknown")}
    largest: list[tuple[int, str]] = []
    for kv in live_records(db, idx):  # the report does not depend on the order
        size = len(kv.value)
        entry = (size, kv.key.decode("utf-8", "replace"))
        if len(largest) < LARGEST:
            heapq.heappush(largest, entry)
        elif entry > largest[0]:
            heapq.heapreplace(largest, entry)
        res = resource_of(kv.key)
        if res is None:
            other["count"] += 1
            other["bytes"] += size
            continue
        name, namespace = res
        slot = resources.setdefault(name, {"count": 0, "bytes": 0, "namespaces": {}})
        slot["count"] += 1
        slot["bytes"] += size
        if namespace is not None:
            slot["namespaces"][namespace] = slot["namespaces"].get(namespace, 0) + 1
        if is_secret(kv.key):
            secrets[encryption_state(kv.value)] += 1
    info = backend_info(db)
    for slot in resources.values():
        slot["namespaces"] = dict(sorted(slot["namespaces"].items()))
    return {
        "revision": idx.revision,
        "compact_revision": info["compact_revision"],
        "consistent_index": info["consistent_index"],
        "cluster_version": info["cluster_version"],
        "storage_version": info["storage_version"],
        "keys": {
            "live": len(idx.latest),
            "revisions": idx.revisions,
            "deleted": idx.tombstones,
        },
        "resources": dict(sorted(resources.items())),
        "other": other,
        "secrets_encryption": secrets,
        "largest": [{"key": k, "size": s} for s, k in sorted(largest, key=lambda e: (-e[0], e[1]))],
        "leases": info["leases"],
        "members": info["members"],
    }


def inspect(path: str, keys: DecryptKeys | None = None) -> dict[str, Any]:
    """Kubernetes view of the live keys in a snapshot (see module docstring)."""
    from etcdtui.services.snapshots.status import with_trailer_report

    with open_snapshot(path, keys) as db:
        report, sha = with_trailer_report(db, inspect_db)
        report["sha256"] = sha
        return report


def objects(
    path: str, keys: DecryptKeys | None = None, *, prefix: bytes = b"", full: bool = False
) -> Iterator[dict[str, Any]]:
    """Decoded metadata of each live key under ``prefix`` (see :func:`describe`)."""
    with open_snapshot(path, keys) as db:
        for kv in live_keys(db):
            if kv.key.startswith(prefix):
                yield describe(kv, full=full)
