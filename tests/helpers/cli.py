"""Run `convwiz` as a person or a script would, and read its result."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

from wizard.cli import main


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def result(self) -> dict[str, Any]:
        """The JSON object on the last line of standard output."""
        lines = [ln for ln in self.stdout.splitlines() if ln.strip()]
        assert lines, f"no output; stderr was:\n{self.stderr}"
        return json.loads(lines[-1])


def convwiz(*args: object, stdin: str | None = None) -> Run:
    """Run a command in this process (fast): `convwiz(\"status\", project, \"--json\")`."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        sys.stdin = old_stdin
    return Run(code, out.getvalue(), err.getvalue())


def convwiz_process(*args: object, stdin: str | None = None, timeout: float = 300,
                    env: dict[str, str] | None = None) -> Run:
    """Run a command as its own process, exactly as installed."""
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", *[str(a) for a in args]],
        input=stdin, capture_output=True, text=True, encoding="utf-8", timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)
