"""Ctrl-C ends a command with its one message: no traceback, no "Exception ignored" lines
from half-run writers, and nothing half-written left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32",
                                reason="Ctrl-C reaches a console program as a console event")


def test_ctrl_c_while_writing_the_exceptions_workbook(project: Path, tmp_path: Path) -> None:
    export = tmp_path / "customers.csv"
    rows = [f"Customer {i},{i:010d},not-an-address,N,N,," for i in range(1, 200_001)]
    export.write_text("Customer Name,Account Number,Email,Paperless,AutoPay,Payment Type,"
                      "Last Four\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "wizard", "export-flags", str(project), "--input", str(export)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as proc:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # progress lines, until the workbook is being written
            seen.append(line)
            if "workbook" in line.lower() or "exceptions" in line.lower():
                proc.send_signal(signal.SIGINT)
                break
        rest = proc.stderr.read()
        proc.wait(timeout=120)
    if proc.returncode == 0:
        pytest.fail("the export finished before the interrupt reached it: " + "".join(seen))
    assert proc.returncode == 130, rest
    assert rest.count("interrupted") == 1, rest
    assert "Traceback" not in rest and "Exception ignored" not in rest, rest
    assert not list((project / "outbox").glob("flag_file*"))
    assert not [p for p in (project / "reports").rglob("*") if p.name.startswith(".tmp-")]
