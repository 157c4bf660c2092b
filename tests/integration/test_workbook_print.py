"""The biller workbook as a biller prints it: LibreOffice converts a 2,000-customer workbook
to PDF; the Summary is one page, the whole at most 60; every exception row names an
account; dates are date cells (read back by openpyxl, an independent reader)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post
from wizard.core import generate
from wizard.flow.project.project import Project

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice (soffice)"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext"),
]


def pages_by_sheet(pdf: Path) -> dict[str, int]:
    """Pages per sheet, from each page's footer (biller, sheet, page N of M)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, encoding="utf-8", check=True).stdout
    counts: dict[str, int] = {}
    for page in text.split("\f"):
        lines = [ln for ln in page.splitlines() if "Page " in ln and " of " in ln]
        if not lines:
            continue
        m = re.search(r"Acme Electric Co-op\s+(.+?)\s+Page \d+ of \d+", lines[-1])
        assert m, lines[-1]
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def test_a_2000_customer_workbook_prints(project: Path, tmp_path: Path) -> None:
    with Project.open(project) as p:
        p.store.set_setting("pm_name", "Pat Morgan")
    build(project, n=2000)
    drift = drifted_post(project, autopay_lost=7, paperless_gained=3, last4_changed=1,
                         missing=2)
    post = generate.write_csv(drift.table, tmp_path / "post.csv")
    assert convwiz("verify", project, "--post", post, "--json").code in (0, 3)
    run = convwiz("report", project, "--json", "--no-encrypt")  # the same content decrypted
    assert run.code == 0, run.stderr
    workbook = Path(run.result["output"])

    out = tmp_path / "pdf"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(out), str(workbook)],
                   check=True, capture_output=True, timeout=300)
    pdf = out / (workbook.stem + ".pdf")
    pages = pages_by_sheet(pdf)
    assert pages["Summary"] == 1, pages
    assert sum(pages.values()) <= 60, pages
    assert set(pages) >= {"Summary", "Account Mapping", "Exceptions", "Re-registration",
                          "Checklist", "Audit"}

    wb = load_workbook(workbook, read_only=True)
    exceptions = list(wb["Exceptions"].iter_rows(values_only=True))
    head = exceptions[0]
    assert len(exceptions) > 1
    for row in exceptions[1:]:
        record = dict(zip(head, row))
        assert record["Old Account Number"] or record["New Account Number"], record
        assert record["Reason"] and record["What to do"], record
    summary = {}  # labels in A with values in B, and in G with values in H
    for r in wb["Summary"].iter_rows(values_only=True):
        for label, value in ((r[0], r[1]), (r[6], r[7]) if len(r) > 7 else (None, None)):
            if label:
                summary[label] = value
    assert isinstance(summary["Go-live"], datetime)
    assert isinstance(summary["Workbook written"], datetime)
    assert summary["Prepared by"] == "Pat Morgan"
    audit = list(wb["Audit"].iter_rows(values_only=True))
    assert audit[0][:5] == ("Time", "Action", "What", "File", "SHA-256")
    assert all(isinstance(r[0], datetime) for r in audit[1:] if r[1] != "SFTP host key "
               "accepted")
    checklist = list(wb["Checklist"].iter_rows(values_only=True))
    assert any(isinstance(r[4], datetime) for r in checklist[1:])
    wb.close()
