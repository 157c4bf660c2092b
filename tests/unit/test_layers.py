"""The core, services, flow and the command line never need Qt."""

from __future__ import annotations

import subprocess
import sys

BLOCK_QT = """
import importlib, pkgutil, sys
class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6."):
            raise ImportError("PySide6 is blocked in this test")
sys.meta_path.insert(0, NoQt())
import wizard
for pkg in ("wizard.core", "wizard.services", "wizard.flow"):
    module = importlib.import_module(pkg)
    for info in pkgutil.walk_packages(module.__path__, pkg + "."):
        importlib.import_module(info.name)
import wizard.cli
assert not any(m.startswith("PySide6") for m in sys.modules), "PySide6 was imported"
print("ok")
"""


def test_core_services_flow_cli_import_without_pyside6() -> None:
    proc = subprocess.run([sys.executable, "-c", BLOCK_QT], capture_output=True, encoding="utf-8",
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_the_commands_run_without_pyside6(tmp_path) -> None:
    code = BLOCK_QT.replace('print("ok")', (
        "from wizard.cli import main\n"
        f"sys.exit(main(['init', r'{tmp_path / 'p'}', '--biller', 'B', '--go-live', "
        "'2026-12-14', '--production-bid', '2806', '--allow-past']))"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8",
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
