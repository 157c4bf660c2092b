"""The provider exchange against OpenSSH's own sshd: logins, host keys, faults, transfers."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import sshd as sshd_helper
from tests.helpers.cli import Run, convwiz
from tests.helpers.memkeyring import MemoryKeyring, kept_secrets
from tests.helpers.proxy import CuttingProxy
from tests.integration.conftest import write_flag_file
from wizard.flow.project.project import Project
from wizard.flow.steps import exchange
from wizard.progress import TaskState

pytestmark = [pytest.mark.sshd, pytest.mark.usefixtures("memory_keyring")]


@pytest.fixture
def space(sshd_server: sshd_helper.Sshd) -> Iterator[tuple[str, str, Path, Path]]:
    """Fresh upload and download folders the test user owns: remote paths, local paths."""
    remote, local = sshd_server.workspace()
    up, down = local / "upload", local / "download"
    for folder in (up, down):
        folder.mkdir()
        os.chown(folder, local.stat().st_uid, local.stat().st_gid)
    yield f"{remote}/upload", f"{remote}/download", up, down
    import shutil

    shutil.rmtree(local, ignore_errors=True)


def connect(project: Path, server: sshd_helper.Sshd, space: tuple[str, str, Path, Path], *,
            port: int | None = None, host_key: str | None = None, key: Path | None = None,
            secret: str | None = None) -> Run:
    args: list[object] = ["connect", project, "--host", "127.0.0.1", "--port",
                          port or server.port, "--user", server.user, "--upload-dir",
                          space[0], "--download-dir", space[1], "--json"]
    if host_key != "":  # "" leaves the host key out, None pins the right one
        args += ["--host-key", host_key or server.fingerprint]
    if key is not None:
        args += ["--key", key]
    stdin = None
    if secret is not None or key is None:
        args.append("--password-stdin")
        stdin = (secret if secret is not None else server.password) + "\n"
    return convwiz(*args, stdin=stdin)


def test_host_key_matches_ssh_keygen(sshd_server: sshd_helper.Sshd) -> None:
    run = convwiz("host-key", "--host", "127.0.0.1", "--port", sshd_server.port, "--json")
    assert run.code == 0, run.stderr
    assert run.result["fingerprint"] == sshd_server.host_keys["ssh-ed25519"]
    assert run.result["key_type"] == "ssh-ed25519"


def test_password_login_send_and_identical_remote_file(
        flag_project: Path, sshd_server: sshd_helper.Sshd,
        space: tuple[str, str, Path, Path]) -> None:
    run = connect(flag_project, sshd_server, space)
    assert run.code == 0, run.stderr
    sent = convwiz("send", flag_project, "--json")
    assert sent.code == 0, sent.stderr
    local = flag_project / sent.result["file"]
    assert (space[2] / local.name).read_bytes() == local.read_bytes()
    assert sorted(p.name for p in space[2].iterdir()) == [local.name]
    assert sent.result["rename"] == "posix_rename"


def test_pinning_the_rsa_host_key_works_too(flag_project: Path,
                                            sshd_server: sshd_helper.Sshd,
                                            space: tuple[str, str, Path, Path]) -> None:
    rsa = sshd_server.host_keys["ssh-rsa"]
    run = connect(flag_project, sshd_server, space, host_key=rsa)
    assert run.code == 0, run.stderr
    assert run.result["key_type"] == "ssh-rsa"
    assert convwiz("send", flag_project).code == 0


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_key_login_with_passphrase_in_the_keyring(kind: str, flag_project: Path,
                                                  sshd_server: sshd_helper.Sshd,
                                                  space: tuple[str, str, Path, Path],
                                                  tmp_path: Path) -> None:
    key = sshd_helper.keygen(tmp_path / f"id_{kind}", kind, passphrase="correct horse 42")
    sshd_server.authorize(key.with_suffix(".pub"))
    run = connect(flag_project, sshd_server, space, key=key, secret="correct horse 42")
    assert run.code == 0, run.stderr
    account = f"sftp:{sshd_server.user}@127.0.0.1:{sshd_server.port}"
    assert MemoryKeyring.secrets["convwiz"][account] == "correct horse 42"
    sent = convwiz("send", flag_project, "--json")  # the passphrase comes from the keyring
    assert sent.code == 0, sent.stderr
    local = flag_project / sent.result["file"]
    assert (space[2] / local.name).read_bytes() == local.read_bytes()


def test_wrong_passphrase_is_told_apart(flag_project: Path, sshd_server: sshd_helper.Sshd,
                                        space: tuple[str, str, Path, Path],
                                        tmp_path: Path) -> None:
    key = sshd_helper.keygen(tmp_path / "id_wrong", "ed25519", passphrase="right one")
    run = connect(flag_project, sshd_server, space, key=key, secret="wrong one")
    assert run.code == 2
    assert "passphrase" in run.stderr


def test_unknown_and_changed_host_keys_upload_nothing(flag_project: Path,
                                                      sshd_server: sshd_helper.Sshd,
                                                      space: tuple[str, str, Path, Path]
                                                      ) -> None:
    run = connect(flag_project, sshd_server, space, host_key="")
    assert run.code == 5
    assert sshd_server.fingerprint in run.stderr and "--host-key" in run.stderr
    run = connect(flag_project, sshd_server, space, host_key="SHA256:" + "x" * 43)
    assert run.code == 5 and "attack" in run.stderr
    # a saved connection whose server changed its key
    assert connect(flag_project, sshd_server, space).code == 0
    with Project.open(flag_project) as p:
        p.store.set_setting("sftp_host_key", "SHA256:" + "B" * 43)
    sent = convwiz("send", flag_project, "--json")
    assert sent.code == 5 and "attack" in sent.result["error"]
    assert list(space[2].iterdir()) == []


def test_cut_connection_then_completed_identical(project: Path,
                                                 sshd_server: sshd_helper.Sshd,
                                                 space: tuple[str, str, Path, Path]) -> None:
    local = write_flag_file(project, 80_000)  # about 4.5 MB
    assert connect(project, sshd_server, space).code == 0
    proxy = CuttingProxy(sshd_server.port, cut_after=local.stat().st_size // 2)
    try:
        with Project.open(project) as p:
            p.store.set_setting("sftp_port", proxy.port)
            result = exchange.send(p, TaskState(), secret=sshd_server.password,
                                   wait=lambda s: None)
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert result.tries == 2 and result.resumed_from > 0
    assert (space[2] / local.name).read_bytes() == local.read_bytes()
    assert [p.name for p in space[2].iterdir()] == [local.name]


def test_server_refusing_renames(flag_project: Path, sshd_server: sshd_helper.Sshd,
                                 tmp_path: Path) -> None:
    with sshd_helper.running_sshd(tmp_path / "strict",
                                  sftp="internal-sftp -P rename,posix-rename") as strict:
        remote, local_space = strict.workspace()
        run = connect(flag_project, strict, (remote, remote, local_space, local_space))
        assert run.code == 0, run.stderr
        sent = convwiz("send", flag_project, "--json")
        assert sent.code == 0, sent.stderr
        local = flag_project / sent.result["file"]
        assert (local_space / local.name).read_bytes() == local.read_bytes()
        assert "refused renames" in sent.result["rename"]
        with Project.open(flag_project) as p:
            assert any(e.action == "rename refused" for e in p.store.audit_log())
        import shutil

        shutil.rmtree(local_space, ignore_errors=True)


def test_download_sha256_matches(flag_project: Path, sshd_server: sshd_helper.Sshd,
                                 space: tuple[str, str, Path, Path]) -> None:
    assert connect(flag_project, sshd_server, space).code == 0
    data = b"UTI Account Number,Daffron Account Number\r\n" + b"".join(
        f"{i:010d},{40000000 + i}\r\n".encode() for i in range(150_000))
    older = space[3] / "crossref_old.csv"
    older.write_bytes(data[: len(data) // 2])
    os.utime(older, (1_700_000_000, 1_700_000_000))
    newest = space[3] / "crossref_new.csv"
    newest.write_bytes(data)
    (space[3] / "crossref_next.csv.part").write_bytes(b"half")
    run = convwiz("fetch-xref", flag_project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["remote_path"].endswith("crossref_new.csv")
    assert run.result["sha256"] == hashlib.sha256(data).hexdigest()
    assert (flag_project / run.result["file"]).read_bytes() == data
    assert run.result["rows"] == 150_000
    second = convwiz("fetch-xref", flag_project, "--json")  # the next newest, not twice
    assert second.code == 0 and second.result["remote_path"].endswith("crossref_old.csv")


def test_key_without_passphrase_needs_no_keyring(flag_project: Path,
                                                 sshd_server: sshd_helper.Sshd,
                                                 space: tuple[str, str, Path, Path],
                                                 tmp_path: Path) -> None:
    key = sshd_helper.keygen(tmp_path / "id_plain", "ed25519")
    sshd_server.authorize(key.with_suffix(".pub"))
    run = connect(flag_project, sshd_server, space, key=key, secret="typed anyway")
    assert run.code == 0, run.stderr
    assert run.result["keyring"] is None
    assert kept_secrets() == {}
    MemoryKeyring.locked = True  # no keyring is touched to send with a plain key
    sent = convwiz("send", flag_project, "--json")
    assert sent.code == 0, sent.stderr
