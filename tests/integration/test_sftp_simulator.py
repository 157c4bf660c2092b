"""The provider exchange end to end against the simulator: connect, send, fetch."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from tests.helpers.memkeyring import MemoryKeyring, kept_secrets
from tests.helpers.private import PRIVATE_FILE, mode
from tests.integration.conftest import write_flag_file
from wizard.errors import RemoteError
from wizard.flow.project.project import Project
from wizard.flow.steps import exchange
from wizard.progress import TaskState
from wizard.services.simulator import Simulator, start_simulator

pytestmark = pytest.mark.usefixtures("memory_keyring")


def connect_args(project: Path, sim: Simulator, *extra: str) -> list[str]:
    return ["connect", str(project), "--host", sim.host, "--port", str(sim.port), "--user",
            sim.user, "--password-stdin", "--upload-dir", sim.upload_dir, "--download-dir",
            sim.download_dir, "--json", *extra]


def connect_ok(project: Path, sim: Simulator) -> None:
    run = convwiz(*connect_args(project, sim, "--host-key", sim.fingerprint),
                  stdin=sim.password + "\n")
    assert run.code == 0, run.stderr


def settings(project: Path) -> dict[str, object]:
    with Project.open(project) as p:
        return p.store.settings()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_host_key_is_printed_as_openssh_prints_it(simulator: Simulator) -> None:
    if sys.platform == "win32" and shutil.which("ssh-keygen") is None:
        pytest.skip("OpenSSH's ssh-keygen is not installed (Windows 10 and later ship it; "
                    "Wine does not)")
    pub = simulator.root / "host.pub"
    out = subprocess.run(["ssh-keygen", "-y", "-f",
                          str(simulator.root / "simulator_host_ed25519_key")],
                         capture_output=True, text=True, encoding="utf-8", check=True).stdout
    pub.write_text(out)
    openssh = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)],
                             capture_output=True, encoding="utf-8", check=True).stdout.split()[1]
    run = convwiz("host-key", "--host", simulator.host, "--port", simulator.port)
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == openssh == simulator.fingerprint


def test_host_key_of_a_closed_port_is_a_remote_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        run = convwiz("host-key", "--host", "127.0.0.1", "--port", port, "--json")
    assert run.code == 5
    assert "cannot connect" in run.result["error"]


def test_unknown_host_key_prints_it_and_saves_nothing(flag_project: Path,
                                                      simulator: Simulator,
                                                      memory_keyring: MemoryKeyring) -> None:
    run = convwiz(*connect_args(flag_project, simulator), stdin=simulator.password + "\n")
    assert run.code == 5
    assert simulator.fingerprint in run.stderr
    assert f"--host-key {simulator.fingerprint}" in run.stderr
    assert "sftp_host" not in settings(flag_project)
    assert kept_secrets() == {}


def test_wrong_pinned_key_is_refused_as_a_possible_attack(flag_project: Path,
                                                          simulator: Simulator) -> None:
    wrong = "SHA256:" + "A" * 43
    run = convwiz(*connect_args(flag_project, simulator, "--host-key", wrong),
                  stdin=simulator.password + "\n")
    assert run.code == 5
    assert "attack" in run.stderr
    assert "sftp_host" not in settings(flag_project)


def test_wrong_password_is_refused_and_nothing_saved(flag_project: Path,
                                                     simulator: Simulator) -> None:
    run = convwiz(*connect_args(flag_project, simulator, "--host-key", simulator.fingerprint),
                  stdin="not-the-password\n")
    assert run.code == 5
    assert "refused the password" in run.stderr
    assert "sftp_host" not in settings(flag_project)


def test_send_before_connect_or_flag_file_is_not_ready(project: Path,
                                                       simulator: Simulator) -> None:
    run = convwiz("send", project, "--json")
    assert run.code == 4 and "flag file" in run.result["error"]
    write_flag_file(project, 10)
    run = convwiz("send", project, "--json")
    assert run.code == 4 and "convwiz connect" in run.result["error"]


def test_connect_send_fetch_round_trip(flag_project: Path, simulator: Simulator,
                                       memory_keyring: MemoryKeyring) -> None:
    connect_ok(flag_project, simulator)
    saved = settings(flag_project)
    assert saved["sftp_host_key"] == simulator.fingerprint
    account = f"sftp:{simulator.user}@{simulator.host}:{simulator.port}"
    assert MemoryKeyring.secrets["convwiz"][account] == simulator.password

    run = convwiz("send", flag_project, "--json")
    assert run.code == 0, run.stderr
    local = flag_project / run.result["file"]
    remote = simulator.local_upload / local.name
    assert remote.read_bytes() == local.read_bytes()
    assert not list(simulator.local_upload.glob("*.part"))
    assert run.result["rename"] == "posix_rename"

    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 0, run.stderr
    fetched = flag_project / run.result["file"]
    (answer,) = simulator.answered
    assert run.result["sha256"] == sha(fetched) == sha(answer)
    assert fetched.read_bytes().startswith(b"UTI Account Number,Daffron Account Number\r\n")
    assert run.result["rows"] == 2000
    assert mode(fetched) == PRIVATE_FILE

    with Project.open(flag_project) as p:
        sent = [e for e in p.store.manifest("flag_file") if e.direction == "sent"]
        received = p.store.manifest("cross_reference")
        assert sent[-1].detail["host_key"] == simulator.fingerprint
        assert sent[-1].detail["remote_path"] == f"/upload/{local.name}"
        assert sent[-1].sha256 == sha(local)
        assert received[-1].name == run.result["file"]
        step = p.store.step("send")
        assert step is not None and step[0] == "done"

    # the same file is never fetched twice
    again = convwiz("fetch-xref", flag_project, "--json")
    assert again.code == 4
    assert "no new cross-reference" in again.result["error"]


def test_no_secret_in_any_file_of_the_project(flag_project: Path,
                                              simulator: Simulator) -> None:
    connect_ok(flag_project, simulator)
    assert convwiz("send", flag_project).code == 0
    assert convwiz("fetch-xref", flag_project).code == 0
    convwiz("connect", flag_project, "--host", simulator.host, "--port", simulator.port,
            "--user", simulator.user, "--password-stdin", stdin="wrong-" + simulator.password)
    needles = [simulator.password.encode(), simulator.password.encode("utf-16-le")]
    files = [p for p in flag_project.rglob("*") if p.is_file()]
    assert any(p.name == "convwiz.sqlite" for p in files)
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"the password is in {path}"


def test_cut_connection_resumes_and_leaves_an_identical_file(project: Path,
                                                             tmp_path: Path) -> None:
    local = write_flag_file(project, 60_000)  # about 4 MB
    cut = local.stat().st_size // 3
    with start_simulator(tmp_path / "cutting", cut_after=cut) as sim:
        connect_ok(project, sim)
        with Project.open(project) as p:
            result = exchange.send(p, TaskState(), wait=lambda s: None)
        assert result.tries == 2
        assert 0 < result.resumed_from <= cut
        assert (sim.local_upload / local.name).read_bytes() == local.read_bytes()
        assert not list(sim.local_upload.glob("*.part"))
        assert sim.faults.cut_done


def test_server_refusing_renames_gets_the_whole_file_under_its_name(
        flag_project: Path, tmp_path: Path) -> None:
    with start_simulator(tmp_path / "norename", refuse_rename=True) as sim:
        connect_ok(flag_project, sim)
        run = convwiz("send", flag_project, "--json")
        assert run.code == 0, run.stderr
        local = flag_project / run.result["file"]
        assert (sim.local_upload / local.name).read_bytes() == local.read_bytes()
        assert "refused renames" in run.result["rename"]
        assert sim.answered  # the provider saw a complete file under its final name
        with Project.open(flag_project) as p:
            actions = [e.action for e in p.store.audit_log()]
        assert "rename refused" in actions


def test_full_disk_fails_with_nothing_under_the_final_name(flag_project: Path,
                                                           tmp_path: Path) -> None:
    with start_simulator(tmp_path / "full", disk_full_after=50_000) as sim:
        connect_ok(flag_project, sim)
        run = convwiz("send", flag_project, "--json")
        assert run.code == 5
        assert "space" in run.result["error"]
        names = [p.name for p in sim.local_upload.iterdir()]
        assert all(n.endswith(".part") for n in names), names
        with Project.open(flag_project) as p:
            failed = [e for e in p.store.audit_log() if e.action == "upload failed"]
        assert failed and failed[-1].detail["sha256"]


def test_changed_host_key_is_refused_with_nothing_uploaded(flag_project: Path,
                                                           tmp_path: Path) -> None:
    with start_simulator(tmp_path / "first") as first:
        connect_ok(flag_project, first)
        port, password = first.port, first.password
    # another server (another host key) now answers on the same address
    with start_simulator(tmp_path / "impostor", port=port, password=password) as impostor:
        assert impostor.fingerprint != first.fingerprint
        run = convwiz("send", flag_project, "--json")
        assert run.code == 5
        assert "attack" in run.result["error"]
        assert list(impostor.local_upload.iterdir()) == []


def test_fetch_waits_until_the_cross_reference_appears(flag_project: Path,
                                                       simulator: Simulator) -> None:
    connect_ok(flag_project, simulator)
    polling = threading.Event()
    state = TaskState(lambda done, total, msg: polling.set() if "waiting" in msg else None)
    outcome: dict[str, object] = {}

    def fetch() -> None:
        with Project.open(flag_project) as p:
            try:
                outcome["result"] = exchange.fetch_xref(p, 60, state)
            except Exception as exc:
                outcome["error"] = exc

    worker = threading.Thread(target=fetch)
    worker.start()
    assert polling.wait(30), "fetch-xref never started waiting"
    late = simulator.local_download / "crossref_late.csv"
    late.write_bytes(b"UTI Account Number,Daffron Account Number\r\n0000000001,12345678\r\n")
    worker.join(60)
    assert not worker.is_alive()
    assert "error" not in outcome, outcome
    result = outcome["result"]
    assert isinstance(result, exchange.Fetched)
    assert result.sha256 == sha(late)


def test_fetch_with_nothing_there_is_not_ready(flag_project: Path,
                                               simulator: Simulator) -> None:
    connect_ok(flag_project, simulator)
    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 4
    assert "has not answered yet" in run.result["error"]


def test_locked_keyring_is_exit_2_and_saves_nothing(flag_project: Path,
                                                    simulator: Simulator) -> None:
    MemoryKeyring.locked = True
    run = convwiz(*connect_args(flag_project, simulator, "--host-key", simulator.fingerprint),
                  stdin=simulator.password + "\n")
    assert run.code == 2
    assert "unlock" in run.stderr
    assert "sftp_host" not in settings(flag_project)


# `convwiz provider-sim` whose Ctrl-Break comes from inside: a Windows process without a
# console (Wine's, its output piped) can be sent no console event, so the signal Ctrl-Break
# delivers is raised by the program itself when the test writes a line to its input
BREAK_FROM_INSIDE = """
import signal, sys, threading
from wizard.cli import main
def _break():
    sys.stdin.readline()
    signal.raise_signal(signal.SIGBREAK)
threading.Thread(target=_break, daemon=True).start()
raise SystemExit(main())
"""


def _has_console() -> bool:
    if sys.platform != "win32":
        return False
    import ctypes

    pids = (ctypes.c_ulong * 4)()
    return bool(ctypes.WinDLL("kernel32").GetConsoleProcessList(pids, 4))


def test_provider_sim_command_announces_itself_and_stops_on_sigterm(tmp_path: Path) -> None:
    """Stopped as each system stops a console program: SIGTERM, or on Windows (which has no
    signals between processes) Ctrl-Break to its own process group."""
    windows = sys.platform == "win32"
    console = _has_console()
    start = ["-c", BREAK_FROM_INSIDE] if windows and not console else ["-m", "wizard"]
    with subprocess.Popen(
        [sys.executable, *start, "provider-sim", "--root", str(tmp_path / "sim"),
         "--port", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
        creationflags=subprocess.CREATE_NEW_PROCESS_GROUP if windows else 0,
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            assert proc.stdin is not None
            info = json.loads(proc.stdout.readline())
            run = convwiz("host-key", "--host", info["host"], "--port", info["port"], "--json")
            assert run.result["fingerprint"] == info["fingerprint"]
            if not windows:
                proc.send_signal(signal.SIGTERM)
            elif console:
                proc.send_signal(signal.CTRL_BREAK_EVENT)
            else:
                proc.stdin.write("stop\n")
                proc.stdin.flush()
            assert proc.wait(30) == 0
            told = proc.stderr.read()
            assert info["password"] in told and info["fingerprint"] in told
            assert "Provider simulator stopped." in told
        finally:
            if proc.poll() is None:
                proc.kill()


def test_separate_processes_share_the_secret_through_the_keyring(flag_project: Path,
                                                                 simulator: Simulator,
                                                                 tmp_path: Path) -> None:
    from tests.helpers.cli import convwiz_process

    env = {"PYTHON_KEYRING_BACKEND": "tests.helpers.memkeyring.MemoryKeyring",
           "CONVWIZ_TEST_KEYRING": str(tmp_path / "test-keyring.json")}
    run = convwiz_process(*connect_args(flag_project, simulator, "--host-key",
                                        simulator.fingerprint),
                          stdin=simulator.password + "\n", env=env)
    assert run.code == 0, run.stderr
    sent = convwiz_process("send", flag_project, "--json", env=env)
    assert sent.code == 0, sent.stderr
    fetched = convwiz_process("fetch-xref", flag_project, "--json", env=env)
    assert fetched.code == 0, fetched.stderr
    # without the keyring's secret, send cannot log in: exit 4 saying to connect again
    env["CONVWIZ_TEST_KEYRING"] = str(tmp_path / "empty-keyring.json")
    again = convwiz_process("send", flag_project, "--json", env=env)
    assert again.code == 4 and "connect" in again.result["error"]


def test_a_stalled_server_fails_instead_of_hanging(flag_project: Path, simulator: Simulator,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from wizard.services.sftp import session

    connect_ok(flag_project, simulator)
    monkeypatch.setattr(session, "STALL_TIMEOUT", 0.5)
    simulator.faults.slow = 5.0  # every answer now takes longer than the stall timeout
    with Project.open(flag_project) as p:
        with pytest.raises(RemoteError) as caught:
            exchange.send(p, TaskState(), wait=lambda s: None)
    assert "failed 3 times" in str(caught.value)
    simulator.faults.slow = 0.0
    assert [f.name for f in simulator.local_upload.iterdir()
            if not f.name.endswith(".part")] == []


def test_the_simulator_reads_no_user_ssh_configuration(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home whose ~/.ssh holds a config asyncssh cannot parse and a known_hosts naming
    another key for 127.0.0.1 changes nothing: the simulator reads neither. And where the
    process has no home directory at all (a bare Windows environment), it still starts and
    answers the flag file."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "config").write_text("Port not-a-number\nMatch nonsense\n",
                                          encoding="utf-8")
    (home / ".ssh" / "known_hosts").write_text("127.0.0.1 ssh-ed25519 AAAAbroken\n",
                                               encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    with start_simulator(tmp_path / "sim") as sim:
        connect_ok(project, sim)
        write_flag_file(project, 3)
        run = convwiz("send", project, "--json", stdin=sim.password + "\n")
        assert run.code == 0, run.stderr
        assert sim.answered and sim.answered[-1].name.startswith("crossref_")

    # no home at all: as Windows' pathlib does without USERPROFILE, HOMEDRIVE, HOMEPATH
    expand = Path.expanduser

    def windows_expanduser(self: Path) -> Path:
        if str(self).startswith("~") and not (os.environ.get("USERPROFILE")
                                              or os.environ.get("HOME")):
            raise RuntimeError("Could not determine home directory.")
        return expand(self)

    monkeypatch.delenv("HOME")
    monkeypatch.delenv("USERPROFILE")
    monkeypatch.setattr(Path, "expanduser", windows_expanduser)
    with start_simulator(tmp_path / "sim2") as sim:
        assert sim.port and not (tmp_path / "sim2" / ".ssh").exists()
