"""ui.consistency-check-interval: the console's HashKV sentinel can be slowed or turned off."""

from __future__ import annotations

from pathlib import Path

import pytest

from etcdtui.config import load_config
from etcdtui.errors import ConfigError


def _load(tmp_path: Path, text: str) -> float:
    p = tmp_path / "config.yaml"
    p.write_text(text)
    p.chmod(0o600)
    return load_config(p).consistency_check_interval


def test_default_off_and_custom(tmp_path: Path) -> None:
    assert _load(tmp_path, "ui: {theme: etcdtui-dark}\n") == 300.0
    assert _load(tmp_path, "ui: {consistency-check-interval: 0}\n") == 0.0
    assert _load(tmp_path, "ui: {consistency-check-interval: false}\n") == 0.0
    assert _load(tmp_path, "ui: {consistency-check-interval: 120}\n") == 120.0


@pytest.mark.parametrize("bad", ["5", "-1", "'soon'", "true"])
def test_too_often_or_nonsense_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f"ui: {{consistency-check-interval: {bad}}}\n")
    assert "consistency-check-interval" in caught.value.cause
