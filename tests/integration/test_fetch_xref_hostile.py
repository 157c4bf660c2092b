"""A hostile cross-reference on the provider's server (issue 30): a workbook with one cell at
XFD1048576 killed `fetch-xref` (exit 134, the spreadsheet library's abort) and left the
provider's account data behind as `inbox/.tmp-*.xlsx.*`. It is now skipped, naming the
limit, like any file that is not a cross-reference, and nothing of it stays in the inbox.
Against the real simulator (asyncssh's SFTP server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import hostile_files as h
from tests.helpers.cli import convwiz
from tests.integration.test_fetch_xref_filter import XREF, _connect, _inbox, _put
from tests.integration.test_sftp_simulator import sha
from wizard.core import limits
from wizard.services.simulator import Simulator

pytestmark = pytest.mark.usefixtures("memory_keyring")


def _far_cell_xref(folder: Path) -> bytes:
    xref = (h.row(1, ["UTI Account Number", "Daffron Account Number"])
            + h.row(2, ["0000000001", "12345678"]) + h.row(1_048_576, ["x"], first_col=16_383))
    return h.workbook(folder / "far.xlsx", h.sheet_xml(xref, "A1:B2")).read_bytes()


def _left_in_inbox(project: Path) -> list[str]:
    return [p.name for p in (project / "inbox").iterdir() if p.name.startswith(".")]


def test_a_workbook_that_would_abort_the_reader_is_skipped_and_leaves_nothing(
        flag_project: Path, simulator: Simulator, tmp_path: Path) -> None:
    _connect(flag_project, simulator)
    real = _put(simulator, "Acme_XREF_2026.csv", XREF, age=60)
    _put(simulator, "Acme_XREF_final.xlsx", _far_cell_xref(tmp_path), age=0)
    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["sha256"] == sha(real)
    skipped = {s["name"]: s["reason"] for s in run.result["skipped"]}
    assert set(skipped) == {"Acme_XREF_final.xlsx"}
    assert "XFD1048576" in skipped["Acme_XREF_final.xlsx"]
    assert f"{limits.MAX_COLUMNS:,} columns" in skipped["Acme_XREF_final.xlsx"]
    assert "Traceback" not in run.stderr
    assert _inbox(flag_project) == ["Acme_XREF_2026.csv"]
    assert _left_in_inbox(flag_project) == []


def test_only_a_hostile_workbook_is_not_ready_and_leaves_nothing(
        flag_project: Path, simulator: Simulator, tmp_path: Path) -> None:
    _connect(flag_project, simulator)
    _put(simulator, "Acme_XREF_final.xlsx", _far_cell_xref(tmp_path), age=0)
    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 4, run.stderr
    assert [s["name"] for s in run.result["skipped"]] == ["Acme_XREF_final.xlsx"]
    assert _inbox(flag_project) == []
    assert _left_in_inbox(flag_project) == []
