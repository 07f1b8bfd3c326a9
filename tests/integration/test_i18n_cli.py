"""`etcdtui status` and `members` in Bahasa Indonesia against the real sandbox (mutual
TLS on 127.0.0.1): tables and messages translate, JSON keys stay English."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from etcdtui.i18n import ENV_VARS
from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

pytestmark = pytest.mark.etcd


def cli(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_status_table_in_indonesian(cluster: Sandbox) -> None:
    proc = cli(*conn_flags(cluster.settings()), "status", lang="id_ID.UTF-8")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "kuorum SEHAT 3/3" in out and "HEALTHY" not in out
    assert out.startswith("klaster ") and "leader" in out
    for name in ("m1", "m2", "m3"):
        assert name in out
    header = next(line for line in out.splitlines() if line.startswith("ENDPOINT"))
    assert "NAMA" in header and "NAME" not in header


def test_members_table_in_indonesian(cluster: Sandbox) -> None:
    proc = cli(*conn_flags(cluster.settings()), "members", lang="id_ID.UTF-8")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("klaster ")
    header = next(line for line in lines if line.startswith("ID "))
    assert header.split()[:3] == ["ID", "NAMA", "PERAN"]


def test_json_keys_are_the_same_in_every_language(cluster: Sandbox) -> None:
    flags = conn_flags(cluster.settings())

    def keys(doc: object) -> object:
        if isinstance(doc, dict):
            return {k: keys(v) for k, v in doc.items()}
        if isinstance(doc, list):
            return [keys(v) for v in doc[:1]]
        return None

    docs = {}
    for lang in ("C.UTF-8", "id_ID.UTF-8"):
        proc = cli(*flags, "status", "-o", "json", lang=lang)
        assert proc.returncode == 0, proc.stderr
        docs[lang] = json.loads(proc.stdout)
    assert keys(docs["C.UTF-8"]) == keys(docs["id_ID.UTF-8"])
    assert docs["id_ID.UTF-8"]["quorum"]["state"] == "healthy"  # values are a contract too
