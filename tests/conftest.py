"""Fixtures every test layer shares: a fresh project, customer files, a quiet Qt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt draws nowhere in tests; set before anything imports PySide6
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_STATE_HOME", "/tmp/convwiz-test-state")

from tests.helpers.cli import convwiz  # noqa: E402

EXPORT_HEADER = ("Customer Name,Account Number,Email Address,Paperless,AutoPay,"
                 "Payment Type,Last Four")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A new conversion project folder (go-live 2026-12-14, production BID 2806)."""
    folder = tmp_path / "acme"
    run = convwiz("init", folder, "--biller", "Acme Electric Co-op", "--go-live",
                  "2026-12-14", "--test-bid", "9806", "--json")
    assert run.code == 0, run.stderr
    return folder


def write_export(path: Path, rows: list[str], header: str = EXPORT_HEADER,
                 encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    """A customer export CSV from literal lines (the header is added)."""
    path.write_bytes(newline.join([header, *rows, ""]).encode(encoding))
    return path
