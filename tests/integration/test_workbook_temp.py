"""A `convwiz report` killed midway leaves nothing in the system's temporary folder, and the
next command leaves no temporary file in the project (CONTRACT.md: temporary files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz_process
from tests.helpers.conversion import build
from wizard.services.files import TEMP_PREFIX

pytestmark = pytest.mark.slow


def test_killed_report_leaves_no_temporary_file(project: Path, tmp_path: Path) -> None:
    build(project, n=150_000)
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    env = {**os.environ, "TMPDIR": str(system_temp), "TEMP": str(system_temp),
           "TMP": str(system_temp),
           # the workbook password in a test keyring shared by both processes (outside)
           "PYTHON_KEYRING_BACKEND": "tests.helpers.memkeyring.MemoryKeyring",
           "CONVWIZ_TEST_KEYRING": str(tmp_path / "keyring.json"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "wizard", "report", str(project)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8")
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # progress lines: kill once the rows are being written
        seen.append(line)
        if "writing" in line:
            break
    proc.kill()  # SIGKILL here, TerminateProcess on Windows: no cleanup runs
    proc.wait(timeout=60)
    proc.stderr.close()
    assert any("writing" in line for line in seen), "".join(seen)
    assert list(system_temp.iterdir()) == []
    assert not (project / "reports" / "Acme_Electric_Co_op_conversion_workbook.xlsx").exists()

    # the next step clears what the killed one left (a read-only command such as `status`
    # changes nothing, so it may run on a read-only medium)
    run = convwiz_process("report", project, "--json", env=env)
    assert run.code == 0, run.stderr
    assert Path(run.result["output"]).is_file()
    leftovers = [p for p in project.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    assert leftovers == []
    assert list(system_temp.iterdir()) == []
