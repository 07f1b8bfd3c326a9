"""Offline snapshot tooling: a read-only bbolt reader and what is built on it.

Modules (import the one you need; this package imports nothing heavy itself):

* ``bolt``: the bbolt file reader (mmap, read-only, bounds-checked);
* ``source``: opening plain or age-encrypted files;
* ``status``: etcdutl-compatible ``status`` numbers and ``verify``;
* ``mvcc``: live keys at the snapshot's revision;
* ``k8s``: the Kubernetes view (resources, Secrets' encryption, decoded metadata);
* ``diff``: comparing two keyspaces; ``live``: the live cluster's side of a diff;
* ``catalog``: a directory of snapshots (``ls``, ``prune``).
"""
