"""The program runs without numpy: the frozen bundle leaves it (and its OpenBLAS) out.

A fresh Python in which `import numpy` fails imports every module of the layers below the
window and runs the whole demo, so no code path (even one imported lazily inside a
function) can need numpy without this test failing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import Run

NO_NUMPY = """
import importlib, importlib.abc, json, pkgutil, sys


class NoNumpy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError(f"numpy is blocked: {name}")
        return None


sys.meta_path.insert(0, NoNumpy())
try:
    import numpy  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("numpy was not blocked")

import wizard

imported = []
for package in ("wizard.core", "wizard.services", "wizard.flow", "wizard.cli"):
    imported.append(package)
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
print(json.dumps({"imported": imported}), file=sys.stderr)

from wizard.cli import main

code = main(sys.argv[1:])
assert not any(m == "numpy" or m.startswith("numpy.") for m in sys.modules), "numpy loaded"
raise SystemExit(code)
"""


def run_without_numpy(*args: object, cwd: Path, home: Path) -> Run:
    """`convwiz ARGS` in a fresh process that cannot import numpy, with a bare environment
    (no display, no D-Bus session, so no keyring daemon; a fresh HOME)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "LANG": "C.UTF-8", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-c", NO_NUMPY, *[str(a) for a in args]],
                          capture_output=True, encoding="utf-8", timeout=300, env=env, cwd=cwd)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def test_every_module_imports_and_the_demo_runs_without_numpy(tmp_path: Path) -> None:
    run = run_without_numpy("demo", tmp_path / "demo", "--customers", 120, "--json",
                            cwd=tmp_path, home=tmp_path / "home")
    assert run.code == 0, run.stderr[-3000:]
    imported = json.loads(run.stderr.splitlines()[0])["imported"]
    for module in ("wizard.core.xref", "wizard.core.verify", "wizard.core.generate",
                   "wizard.core.drift", "wizard.core.customers", "wizard.services.workbook",
                   "wizard.services.csvfile", "wizard.flow.steps.renumber", "wizard.cli.commands"):
        assert module in imported
    result = run.result
    assert Path(result["workbook"]).is_file()
    assert result["verify"]["customers"] == 120
    assert result["verify"]["preserved"] is False  # the demo's drift was found
    assert all(step.get("blocking", 0) == 0 for step in result["steps"])
