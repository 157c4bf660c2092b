"""Text from a server is shown, never obeyed (issue 30, case 6): a remote file name holding
`ESC ] 0 ; ... BEL ESC [ 2 J` retitled and cleared the terminal running `fetch-xref`, and a
name holding a newline printed a forged line of the program's own output."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz, convwiz_process
from tests.integration.test_sftp_simulator import connect_args, connect_ok
from wizard.services.simulator import Simulator

pytestmark = [
    pytest.mark.usefixtures("memory_keyring"),
    pytest.mark.skipif(sys.platform == "win32", reason="Windows file names cannot hold "
                       "control characters, so the simulator (which serves the files of a "
                       "local folder) cannot offer such a name there"),
]

FORGED = "convwiz: all files fetched; nothing was skipped"
TITLE = "xref\x1b]0;owned\x07\x1b[2J.csv"  # retitles, then clears the terminal
NEWLINE = f"notes\n{FORGED}\n.txt"  # not a cross-reference: listed as skipped
XREF = "Old Account Number,New Account Number\r\n0001234567,7001234567\r\n"


def _hostile_names(simulator: Simulator) -> None:
    (simulator.local_download / NEWLINE).write_text("hello", encoding="utf-8")
    (simulator.local_download / TITLE).write_text(XREF, encoding="utf-8")


def _clean(text: str) -> None:
    for raw in ("\x1b", "\x07", "\r"):
        assert raw not in text, repr(text)
    assert not any(line.startswith(FORGED) for line in text.splitlines()), text


def test_fetch_xref_shows_hostile_remote_names_escaped(flag_project: Path,
                                                       simulator: Simulator) -> None:
    connect_ok(flag_project, simulator)
    _hostile_names(simulator)

    run = convwiz("fetch-xref", flag_project, "--json")

    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    _clean(run.stderr)
    assert "xref\\x1b]0;owned\\x07\\x1b[2J.csv" in run.stderr  # shown, as its escapes
    assert f"notes\\n{FORGED}\\n.txt" in run.stderr
    log = (flag_project / "convwiz.log").read_text(encoding="utf-8")
    _clean(log)
    # the file landed in inbox/ under a safe name
    assert [p.name for p in (flag_project / "inbox").iterdir()] == ["xref__0_owned___2J.csv"]


def test_hostile_names_of_skipped_files_are_shown_escaped(flag_project: Path,
                                                          simulator: Simulator,
                                                          tmp_path: Path) -> None:
    """The same names when nothing is taken: the message naming the skipped files, and the
    program run as a person runs it (its own process, its real standard error)."""
    env = {"PYTHON_KEYRING_BACKEND": "tests.helpers.memkeyring.MemoryKeyring",
           "CONVWIZ_TEST_KEYRING": str(tmp_path / "test-keyring.json")}
    connected = convwiz_process(*connect_args(flag_project, simulator, "--host-key",
                                              simulator.fingerprint),
                                stdin=simulator.password + "\n", env=env)
    assert connected.code == 0, connected.stderr
    (simulator.local_download / NEWLINE).write_text("hello", encoding="utf-8")
    (simulator.local_download / "xref\x1b[2J\n" f"{FORGED}.csv").write_text(
        "Just,Some,Columns\r\n1,2,3\r\n", encoding="utf-8")

    run = convwiz_process("fetch-xref", flag_project, "--json", env=env)

    assert run.code == 4, run.stderr
    assert "Traceback" not in run.stderr
    _clean(run.stderr)
    assert "xref\\x1b[2J\\n" in run.stderr
    assert "xref\\x1b[2J\\n" in run.result["error"]  # the JSON has it escaped too
