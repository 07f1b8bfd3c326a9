"""Inputs that used to end in a traceback or a false "quorum LOST" (issue 11, items 9, 10):
type-confused kubeadm manifests, ``~nouser`` paths, stdout on a full disk, and endless
``--timeout`` values. Each runs the real CLI; the cluster cases use the mTLS sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from etcdtui.services.sandbox import Sandbox
from tests.support.helpers import conn_flags

MANIFEST = Path(__file__).parent.parent / "fixtures" / "kubeadm" / "etcd.yaml"


def _etcdtui(
    *argv: str, env: dict[str, str] | None = None, stdout: object = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etcdtui", *argv],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def _no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert "RuntimeError" not in done.stderr


# --- kubeadm manifests with the wrong types ------------------------------------------------


def _mutant(tmp_path: Path, change: str) -> Path:
    pod = yaml.safe_load(MANIFEST.read_text())
    etcd = next(c for c in pod["spec"]["containers"] if c["name"] == "etcd")
    if change == "containers-int":
        pod["spec"]["containers"] = 5
    elif change == "command-string":
        etcd["command"] = "etcd --advertise-client-urls=https://127.0.0.1:2379"
    elif change == "command-int":
        etcd["command"] = 5
    elif change == "args-string":
        etcd["args"] = "--listen-client-urls=https://127.0.0.1:2379"
    elif change == "command-mapping":
        etcd["command"] = {"etcd": True}
    path = tmp_path / "etcd.yaml"
    path.write_text(yaml.safe_dump(pod))
    return path


@pytest.mark.parametrize(
    "change",
    ["containers-int", "command-string", "command-int", "args-string", "command-mapping"],
)
def test_type_confused_kubeadm_manifest_is_a_clear_error(tmp_path: Path, change: str) -> None:
    path = _mutant(tmp_path, change)
    done = _etcdtui(
        "members", "--kubeadm-manifest", str(path), "--config", str(tmp_path / "none.yaml")
    )
    _no_traceback(done)
    assert done.returncode == 2
    assert str(path) in done.stderr


# --- ~nouser -------------------------------------------------------------------------------


def test_tilde_of_an_unknown_user_in_a_flag(tmp_path: Path) -> None:
    done = _etcdtui(
        "members",
        "--endpoints",
        "https://127.0.0.1:1",
        "--cacert",
        "~nouser-etcdtui/ca.crt",
        "--config",
        str(tmp_path / "none.yaml"),
    )
    _no_traceback(done)
    assert done.returncode == 2 and "~nouser-etcdtui" in done.stderr


def test_tilde_of_an_unknown_user_in_etcdctl_env(tmp_path: Path) -> None:
    done = _etcdtui(
        "members",
        "--config",
        str(tmp_path / "none.yaml"),
        env={"ETCDCTL_ENDPOINTS": "https://127.0.0.1:1", "ETCDCTL_KEY": "~nouser-etcdtui/k"},
    )
    _no_traceback(done)
    assert done.returncode == 2 and "~nouser-etcdtui" in done.stderr


def test_tilde_of_an_unknown_user_in_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "contexts:\n- name: x\n  endpoints: [https://127.0.0.1:1]\n  cacert: ~nouser-etcdtui/ca\n"
    )
    done = _etcdtui("members", "--config", str(cfg))
    _no_traceback(done)
    assert done.returncode == 2 and "~nouser-etcdtui" in done.stderr


def test_config_path_with_an_unknown_user(tmp_path: Path) -> None:
    done = _etcdtui("members", "--config", "~nouser-etcdtui/config.yaml")
    _no_traceback(done)
    assert done.returncode == 2 and "~nouser-etcdtui" in done.stderr


# --- stdout on a full disk, and --timeout (real etcd) --------------------------------------


@pytest.mark.etcd
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("output", ["table", "json"])
def test_stdout_on_a_full_disk_is_an_error_not_a_traceback(cluster: Sandbox, output: str) -> None:
    with open("/dev/full", "w") as full:
        done = _etcdtui("members", "-o", output, *conn_flags(cluster.settings()), stdout=full)
    _no_traceback(done)
    assert done.returncode == 74
    assert "No space left on device" in done.stderr


@pytest.mark.etcd
@pytest.mark.parametrize("value", ["inf", "1e10", "nan", "-1", "0"])
def test_an_endless_or_bad_timeout_is_refused_with_the_reason(cluster: Sandbox, value: str) -> None:
    done = _etcdtui("status", *conn_flags(cluster.settings()), f"--timeout={value}")
    _no_traceback(done)
    assert done.returncode == 2, done.stdout
    assert "quorum" not in done.stdout.lower()
    assert "--timeout" in done.stderr and "at most 600" in done.stderr


@pytest.mark.etcd
def test_an_endless_timeout_in_the_config_file_is_refused(cluster: Sandbox, tmp_path: Path) -> None:
    s = cluster.settings()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "contexts": [
                    {
                        "name": "x",
                        "endpoints": list(s.endpoints),
                        "cacert": str(s.cacert),
                        "cert": str(s.cert),
                        "key": str(s.key),
                        "timeout": float("inf"),
                    }
                ]
            }
        )
    )
    done = _etcdtui("status", "--config", str(cfg), "--context", "x")
    _no_traceback(done)
    assert done.returncode == 2 and "timeout" in done.stderr


@pytest.mark.etcd
def test_the_longest_allowed_timeout_still_works(cluster: Sandbox) -> None:
    done = _etcdtui("status", *conn_flags(cluster.settings()), "--timeout", "600")
    assert done.returncode == 0, done.stderr
