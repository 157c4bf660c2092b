"""What the network throws at a conversion: each fault ends in exit 5 with a message saying
what to do, and nothing is left under a final name, remote or local.

Against the real simulator (asyncssh's SFTP server) and, for a connection cut in the middle
of a download, a real TCP proxy in front of it that drops the connection after N bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import Run, convwiz
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.proxy import CuttingProxy
from wizard.flow.project.project import Project
from wizard.services.files import sha256_file
from wizard.services.sftp import session
from wizard.services.simulator import Simulator, start_simulator

pytestmark = pytest.mark.usefixtures("memory_keyring")


def _connect(project: Path, sim: Simulator, port: int | None = None) -> None:
    run = convwiz("connect", project, "--host", sim.host, "--port", port or sim.port,
                  "--user", sim.user, "--password-stdin", "--host-key", sim.fingerprint,
                  "--upload-dir", sim.upload_dir, "--download-dir", sim.download_dir,
                  "--json", stdin=sim.password + "\n")
    assert run.code == 0, run.stderr


def _assert_remote_failure(run: Run, *hints: str) -> None:
    assert run.code == 5, run.stderr
    assert run.result["exit"] == 5
    assert "Traceback" not in run.stderr
    message = run.result["error"]
    for hint in hints:
        assert hint.lower() in message.lower(), message


def _nothing_under_final_names(project: Path, sim: Simulator) -> None:
    # remote: only a resumable `.part` may be there, never the flag file's name
    with Project.open(project) as p:
        flag = p.store.latest_file("flag_file")
        assert flag is not None
        final = Path(flag.name).name
    assert not (sim.local_upload / final).exists()
    assert sim.answered == []
    # local: nothing received, no temporary file left behind
    assert [f.name for f in (project / "inbox").iterdir()] == []
    for sub in ("inbox", "outbox", "data", "reports"):
        assert not list((project / sub).glob(".tmp-*")), sub


def _provider_answer(sim: Simulator, rows: int = 150_000) -> Path:
    """A cross-reference of a few MB waiting in the provider's download folder."""
    lines = ["UTI Account Number,Daffron Account Number"]
    lines += [f"{i:010d},{10_000_000 + i}" for i in range(rows)]
    path = sim.local_download / "xref_acme_20261201.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


# -- the faults -------------------------------------------------------------------------------
def test_connection_refused(flag_project: Path, tmp_path: Path) -> None:
    sim = start_simulator(tmp_path / "provider")
    _connect(flag_project, sim)
    sim.stop()  # the provider's server is down: the port refuses connections
    run = convwiz("send", flag_project, "--json")
    # the message names the server and says what to check
    _assert_remote_failure(run, f"{sim.host}:{sim.port}", "check", "server is up")
    run = convwiz("fetch-xref", flag_project, "--json")
    _assert_remote_failure(run, f"{sim.host}:{sim.port}", "check")
    _nothing_under_final_names(flag_project, sim)


def test_authentication_failure_after_the_password_changed(
    flag_project: Path, simulator: Simulator, memory_keyring: MemoryKeyring
) -> None:
    _connect(flag_project, simulator)
    simulator.password = "changed-by-the-provider"  # the provider rotated the password
    run = convwiz("send", flag_project, "--json")
    _assert_remote_failure(run, "connect")  # says to run connect again with the new one
    assert "authentication" in run.result["error"].lower() or \
        "password" in run.result["error"].lower()
    _nothing_under_final_names(flag_project, simulator)


def test_a_stall_fires_the_channel_timeout(
    flag_project: Path, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _connect(flag_project, simulator)
    monkeypatch.setattr(session, "STALL_TIMEOUT", 0.5)
    simulator.faults.slow = 5.0  # the server stops answering in time
    run = convwiz("send", flag_project, "--json")
    _assert_remote_failure(run, "again")
    _answer_quickly_again(simulator)
    _nothing_under_final_names(flag_project, simulator)
    _provider_answer(simulator, rows=1000)
    simulator.faults.slow = 5.0
    run = convwiz("fetch-xref", flag_project, "--json")
    _assert_remote_failure(run, "again")
    _answer_quickly_again(simulator)
    assert [f.name for f in (flag_project / "inbox").iterdir()] == []


def _answer_quickly_again(sim: Simulator) -> None:
    sim.faults.slow = 0.0


def test_a_cut_during_download_leaves_nothing_and_the_next_fetch_works(
    flag_project: Path, simulator: Simulator
) -> None:
    answer = _provider_answer(simulator)
    proxy = CuttingProxy(simulator.port, direction="downstream", once=False)
    try:
        _connect(flag_project, simulator, port=proxy.port)
        proxy.cut_after = 1_000_000  # every connection dies after 1 MB from the server
        run = convwiz("fetch-xref", flag_project, "--json")
        _assert_remote_failure(run, "fetch-xref")
        assert proxy.cuts >= 1
        assert [f.name for f in (flag_project / "inbox").iterdir()] == []
        with Project.open(flag_project) as p:
            assert p.store.manifest("cross_reference") == []
            assert p.store.integrity_ok()
        proxy.cut_after = None  # the line is back
        run = convwiz("fetch-xref", flag_project, "--json")
        assert run.code == 0, run.stderr
        assert run.result["sha256"] == sha256_file(answer)
        assert sha256_file(flag_project / run.result["file"]) == sha256_file(answer)
    finally:
        proxy.close()


def test_a_full_remote_disk(flag_project: Path, tmp_path: Path) -> None:
    with start_simulator(tmp_path / "provider", disk_full_after=100_000) as sim:
        _connect(flag_project, sim)
        run = convwiz("send", flag_project, "--json")
        _assert_remote_failure(run)
        message = run.result["error"].lower()
        assert "full" in message or "space" in message, message
        assert "provider" in message or "again" in message, message
        _nothing_under_final_names(flag_project, sim)
        with Project.open(flag_project) as p:
            assert not any(e.direction == "sent" for e in p.store.manifest())

