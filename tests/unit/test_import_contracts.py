"""The import contracts fail CI when the code breaks them: a copy of the package with one
import added on purpose is run through import-linter with the project's own contracts.

The added imports sit inside functions, where a late import once hid a cycle of six flow
modules (issue 33): import-linter counts them, so the check does too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("importlinter")


def lint_copy(tmp_path: Path, module: str, added: str) -> subprocess.CompletedProcess[str]:
    """import-linter over a copy of `wizard` whose `module` ends with the function `added`."""
    shutil.copytree(REPO / "wizard", tmp_path / "wizard",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    if module:
        path = tmp_path / "wizard" / Path(*module.split(".")[1:]).with_suffix(".py")
        path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    code = "import sys; from importlinter.cli import lint_imports_command; " \
           "sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=tmp_path, env=env,
                          capture_output=True, encoding="utf-8", errors="replace", timeout=300)


def test_the_contracts_hold_on_the_code_as_it_is(tmp_path: Path) -> None:
    proc = lint_copy(tmp_path, "", "")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_a_cycle_added_inside_a_function_fails(tmp_path: Path) -> None:
    """The step registry reaching up to the biller workbook closes a loop (the report reads
    the steps): the no-cycle contract and flow's layers both break."""
    added = "\n\ndef _cycle() -> None:\n    from wizard.flow.papers import report  # noqa: F401\n"
    proc = lint_copy(tmp_path, "wizard.flow.project.steps", added)
    assert proc.returncode != 0
    assert "No import cycle anywhere in wizard" in proc.stdout
    broken = proc.stdout.split("Broken contracts", 1)[-1]
    assert "No import cycle anywhere in wizard" in broken
    assert "flow's rooms point down" in broken


def test_a_step_importing_another_step_fails(tmp_path: Path) -> None:
    added = "\n\ndef _borrow() -> None:\n    from wizard.flow.steps import export  # noqa: F401\n"
    proc = lint_copy(tmp_path, "wizard.flow.steps.verification", added)
    assert proc.returncode != 0
    assert "No step imports another step" in proc.stdout.split("Broken contracts", 1)[-1]


def test_the_child_process_reaching_qt_through_flow_fails(tmp_path: Path) -> None:
    """The window's child process must start without Qt: an indirect path counts."""
    added = "\n\ndef _draw() -> None:\n    from wizard.ui import app  # noqa: F401\n"
    proc = lint_copy(tmp_path, "wizard.ui.jobs", added)
    assert proc.returncode != 0
    assert "never imports Qt" in proc.stdout.split("Broken contracts", 1)[-1]
