"""The project builds into a wheel that ships every module and resource, also in a checkout
where the Windows harness (installer/wine/setup.sh) has left its Wine prefix, whose drive z:
is a link to the whole machine. A namespace package search followed that link, and the
README's own test command (`pip install -e '.[test]'`) never ended after a local `.ci/run`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import wizard

pytestmark = pytest.mark.skipif(
    sys.platform == "win32",
    reason="the Windows harness's Python has no pip, and its Wine prefix lives on the Linux side",
)


def test_the_wheel_builds_beside_a_wine_prefix_and_ships_every_file(tmp_path: Path) -> None:
    root = Path(wizard.__file__).resolve().parent.parent
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, checkout / name)
    shutil.copytree(root / "wizard", checkout / "wizard",
                    ignore=shutil.ignore_patterns("__pycache__"))
    dosdevices = checkout / "build" / "winpy" / "prefix" / "dosdevices"
    dosdevices.mkdir(parents=True)
    (dosdevices / "z:").symlink_to(Path(checkout.anchor), target_is_directory=True)

    out = tmp_path / "wheel"
    # a build that walks the machine runs into this limit instead of CI's
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
         "--disable-pip-version-check", "--wheel-dir", str(out), str(checkout)],
        capture_output=True, text=True, encoding="utf-8", timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = out.glob("convwiz-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    sources = {path.relative_to(checkout).as_posix()
               for path in (checkout / "wizard").rglob("*") if path.is_file()}
    assert "wizard/resources/templates/biller_letter.txt" in sources
    assert sources - shipped == set()
    assert not [name for name in shipped if name.startswith("build/")]
