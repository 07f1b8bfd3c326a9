"""What an installed etcdtui needs ships inside the package: the YAML themes (found through
importlib.resources, never through the source checkout's layout) and the catalogues."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import etcdtui
from etcdtui.ui import themes

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_themes_load_through_the_package_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing depends on the working directory
    monkeypatch.setenv("ETCDTUI_CONFIG_DIR", str(tmp_path / "no-config"))
    shipped = themes.packaged_theme_files()
    assert [f.name for f in shipped] == ["solarized-ops.yaml"]
    package = Path(etcdtui.__file__).resolve().parent
    assert all(Path(str(f)).resolve().is_relative_to(package) for f in shipped)
    loaded = themes.load_user_themes()
    assert loaded.warnings == ()
    assert "solarized-ops" in [t.name for t in loaded.themes]
    assert themes.load_user_themes([]).themes == ()  # explicit dirs: only those


@pytest.mark.slow
def test_the_wheel_carries_the_themes_and_loads_them_from_the_zip(tmp_path: Path) -> None:
    """Build a wheel from a copy of the source and import etcdtui from the wheel file
    itself (zipimport): the shipped theme loads with no source tree around."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "etcdtui", src / "etcdtui", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=280,
        check=True,
    )
    (wheel,) = out.glob("etcdtui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "etcdtui/ui/theme_files/solarized-ops.yaml" in names
    assert "etcdtui/locale/id/LC_MESSAGES/etcdtui.mo" in names
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import etcdtui.ui.themes as t; "
        "print(t.__file__); print(*[x.name for x in t.load_user_themes().themes])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(wheel)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    where, loaded = done.stdout.splitlines()[:2]
    assert where.startswith(str(wheel))  # imported from the zip, not the checkout
    assert "solarized-ops" in loaded.split()
