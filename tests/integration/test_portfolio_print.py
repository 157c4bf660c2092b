"""The portfolio workbook as a PM prints it: LibreOffice turns 40 conversions into one
landscape page, the header row on top."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.portfolio import generate_portfolio

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice (soffice)"),
    pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs poppler's pdfinfo"),
]


def test_forty_conversions_print_on_one_landscape_page(tmp_path: Path) -> None:
    generate_portfolio(tmp_path / "projects", 40, date.today())
    book = tmp_path / "portfolio.xlsx"
    assert convwiz("portfolio", tmp_path / "projects", "--workbook", book).code == 0
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo'}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
                   check=True, capture_output=True, timeout=180)
    info = subprocess.run(["pdfinfo", str(tmp_path / "portfolio.pdf")], capture_output=True,
                          text=True, encoding="utf-8", check=True).stdout
    assert "Pages:          1" in info or "Pages:           1" in info, info
    width, height = (float(v) for v in
                     info.split("Page size:")[1].split("pts")[0].split("x"))
    assert width > height  # landscape
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "portfolio.pdf"), "-"],
                          capture_output=True, text=True, encoding="utf-8", check=True).stdout
    assert "Next action" in text and "Biller clash-a" in text
