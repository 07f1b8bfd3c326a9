"""A context's `metrics-urls` (etcd's --listen-metrics-urls): validated when the config
is read, each bad value named with what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from etcdtui.config import load_config
from etcdtui.errors import ConfigError


def write(tmp_path: Path, value: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(
        "contexts:\n"
        "  - name: prod\n"
        "    endpoints: [https://10.0.0.1:2379]\n"
        f"    metrics-urls: {value}\n",
        encoding="utf-8",
    )
    return p


def test_metrics_urls_are_read_and_normalised(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            "[http://10.0.0.1:2381/metrics, 'https://10.0.0.2:2381/', 'http://[::1]:2381']",
        )
    )
    assert cfg.contexts["prod"].metrics_urls == (
        "http://10.0.0.1:2381",
        "https://10.0.0.2:2381",
        "http://[::1]:2381",
    )


def test_no_metrics_urls_means_the_client_endpoints(tmp_path: Path) -> None:
    p = tmp_path / "config.yaml"
    p.write_text("contexts:\n  - name: prod\n    endpoints: [https://10.0.0.1:2379]\n")
    assert load_config(p).contexts["prod"].metrics_urls == ()


@pytest.mark.parametrize(
    "value",
    [
        "[ftp://10.0.0.1:2381]",  # not http(s)
        "[http://10.0.0.1]",  # no port
        "[http://user:pw@10.0.0.1:2381]",  # credentials in a URL
        "[http://10.0.0.1:2381/other]",  # a path other than /metrics
        "[http://10.0.0.1:99999]",  # no such port
        "[]",
        "[42]",
        "{a: b}",
    ],
)
def test_bad_metrics_urls_are_refused_with_a_fix(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, value))
    assert "metrics-urls" in exc.value.cause
    assert "--listen-metrics-urls" in (exc.value.fix or "")
