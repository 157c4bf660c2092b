"""`fetch-xref` takes only the cross-reference: a CSV or XLSX whose name matches the
connection's pattern and whose headers read as a cross-reference's. Everything else in the
provider's download folder is listed as skipped, with its reason, on stderr and in `--json`.
Against the real simulator (asyncssh's SFTP server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.integration.test_sftp_simulator import connect_args, sha
from wizard.core.xref_names import name_matches
from wizard.services.simulator import Simulator

pytestmark = pytest.mark.usefixtures("memory_keyring")

XREF = b"UTI Account Number,Daffron Account Number\r\n0000000001,12345678\r\n"


def _connect(project: Path, sim: Simulator, *extra: str) -> None:
    run = convwiz(*connect_args(project, sim, "--host-key", sim.fingerprint, *extra),
                  stdin=sim.password + "\n")
    assert run.code == 0, run.stderr


def _put(sim: Simulator, name: str, data: bytes, age: int) -> Path:
    """A file in the download folder, `age` seconds old (the newest is tried first)."""
    path = sim.local_download / name
    path.write_bytes(data)
    stamp = path.stat().st_mtime - age
    os.utime(path, (stamp, stamp))
    return path


def _inbox(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "inbox").iterdir() if not p.name.startswith("."))


def test_readme_and_unrecognised_headers_are_skipped_the_cross_reference_fetched(
        flag_project: Path, simulator: Simulator) -> None:
    _connect(flag_project, simulator)
    real = _put(simulator, "Acme_XREF_2026.csv", XREF, age=60)
    _put(simulator, "README.txt", b"Files for Acme: see the xref\r\n", age=0)
    _put(simulator, "cross_notes.csv", b"Note,Date\r\nsent late,2026-11-30\r\n", age=10)
    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["sha256"] == sha(real)
    assert run.result["remote_path"].endswith("/Acme_XREF_2026.csv")
    skipped = {s["name"]: s["reason"] for s in run.result["skipped"]}
    assert set(skipped) == {"README.txt", "cross_notes.csv"}
    assert "CSV or XLSX" in skipped["README.txt"]
    assert "headers" in skipped["cross_notes.csv"]
    assert "Skipped" in run.stderr and "README.txt" in run.stderr
    assert _inbox(flag_project) == ["Acme_XREF_2026.csv"]  # nothing else was kept


def test_another_billers_file_is_skipped_by_the_saved_pattern(flag_project: Path,
                                                             simulator: Simulator) -> None:
    _connect(flag_project, simulator, "--xref-pattern", "acme_*.csv")
    ours = _put(simulator, "acme_xref.csv", XREF, age=60)
    _put(simulator, "beacon_coop_xref.csv", XREF.replace(b"12345678", b"87654321"), age=0)
    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["sha256"] == sha(ours)
    assert [s["name"] for s in run.result["skipped"]] == ["beacon_coop_xref.csv"]
    assert "acme_*.csv" in run.result["skipped"][0]["reason"]
    assert _inbox(flag_project) == ["acme_xref.csv"]


def test_only_other_files_is_not_ready_and_lists_them(flag_project: Path,
                                                      simulator: Simulator) -> None:
    _connect(flag_project, simulator)
    _put(simulator, "README.txt", b"nothing yet\r\n", age=0)
    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 4
    assert run.result["skipped"] == [{"name": "README.txt",
                                      "reason": run.result["skipped"][0]["reason"]}]
    assert "has not answered yet" in run.result["error"]
    assert _inbox(flag_project) == []


def test_a_pattern_naming_a_folder_is_refused(flag_project: Path, simulator: Simulator) -> None:
    run = convwiz(*connect_args(flag_project, simulator, "--host-key", simulator.fingerprint,
                                "--xref-pattern", "../x/*.csv"), stdin=simulator.password + "\n")
    assert run.code == 2 and "--xref-pattern" in run.result["error"]


@pytest.mark.parametrize(("name", "pattern", "taken"), [
    ("Daffron_Cross_Reference.XLSX", None, True),
    ("xref.csv", None, True),
    ("xref.txt", None, False),
    ("customers.csv", None, False),
    ("ACME_new.csv", "acme_*.csv", True),
    ("acme_new.xls", "acme_*", False),
])
def test_names_taken(name: str, pattern: str | None, taken: bool) -> None:
    assert name_matches(name, pattern) is taken
