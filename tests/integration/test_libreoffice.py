"""LibreOffice opens the biller workbook: converted to PDF by `soffice --headless`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post
from wizard.core import generate

pytestmark = pytest.mark.libreoffice


def test_libreoffice_converts_the_workbook_to_pdf(project: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (libreoffice-calc-nogui)")
    build(project, n=300)
    post = generate.write_csv(drifted_post(project).table, tmp_path / "post.csv")
    assert convwiz("verify", project, "--post", post).code == 3  # the drift: not preserved
    # the plain workbook (its encrypted twin: test_encrypted_workbook.py)
    run = convwiz("report", project, "--json", "--no-encrypt")
    assert run.code == 0, run.stderr
    workbook = Path(run.result["output"])
    out_dir = tmp_path / "pdf"
    profile = tmp_path / "lo-profile"
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--norestore", "--convert-to", "pdf", "--outdir", str(out_dir), str(workbook)],
        capture_output=True, text=True, encoding="utf-8", timeout=240,
        env={**os.environ, "HOME": str(home)},
    )
    pdf = out_dir / (workbook.stem + ".pdf")
    assert proc.returncode == 0, proc.stderr
    assert pdf.exists(), proc.stdout + proc.stderr
    head = pdf.read_bytes()[:5]
    assert head == b"%PDF-"
    assert pdf.stat().st_size > 10_000
