"""One way to write sizes and ages (etcdtui/domain/formatting.py), for the CLI and the
console alike: IEC units, as etcd's quota is given and the console shows it."""

from __future__ import annotations

import pytest

from etcdtui.domain.formatting import age_words, human_bytes, short_age, short_bytes

KiB, MiB, GiB, TiB = 1024, 1024**2, 1024**3, 1024**4


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (KiB, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (16 * MiB, "16.0 MiB"),
        (2 * GiB, "2.0 GiB"),
        (8 * GiB, "8.0 GiB"),  # etcd's largest suggested quota
        (3 * TiB, "3.0 TiB"),
        (2048 * TiB, "2048.0 TiB"),  # no unit above TiB
        (1000, "1000 B"),  # not "1.0 kB": powers of 1024
        (1.5 * MiB, "1.5 MiB"),  # rates are floats
    ],
)
def test_human_bytes_is_iec(n: float, text: str) -> None:
    assert human_bytes(n) == text


def test_quota_line_reads_as_the_console_shows_it() -> None:
    assert f"{human_bytes(16 * MiB)} of {human_bytes(2 * GiB)}" == "16.0 MiB of 2.0 GiB"


def test_short_bytes_for_table_cells() -> None:
    assert [short_bytes(n) for n in (512, 24 * MiB, 1536 * MiB)] == ["512B", "24.0M", "1.5G"]


def test_short_age() -> None:
    assert [short_age(s) for s in (-3, 5, 90, 7200, 200000)] == ["0s", "5s", "1m", "2h", "2d"]


def test_age_words() -> None:
    got = [age_words(s) for s in (40, 300, 30 * 3600, 3 * 86400)]
    assert got == ["40 s", "5 min", "30 h", "3 days"]


def test_one_size_rule_in_the_package() -> None:
    """The CLI once wrote "57.3 kB" where the console wrote "56.0 KiB" for one file."""
    import re
    from pathlib import Path

    pkg = Path(__file__).resolve().parents[2] / "etcdtui"
    defs, decimal = [], []
    for p in pkg.rglob("*.py"):
        text = p.read_text()
        if re.search(r"^def (human_bytes|short_bytes|_bytes)\(", text, re.M):
            defs.append(p.relative_to(pkg).as_posix())
        if re.search(r"\"(kB|MB|GB)\"", text):
            decimal.append(p.relative_to(pkg).as_posix())
    assert defs == ["domain/formatting.py"]
    assert decimal == []
