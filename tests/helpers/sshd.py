"""OpenSSH's own sshd on a free loopback port, with a temporary config and host keys.

Used by the integration tests (the `sshd_server` fixture in tests/integration/conftest.py)
and by bench/sftp.py. It runs `/usr/sbin/sshd -D -e -f CONFIG` as root, logging in a
dedicated local user, `convwiz-test` (created with useradd when absent, its password set
with chpasswd): password logins and key logins (authorized_keys in a temp folder through
AuthorizedKeysFile). Readiness is the port accepting connections, never a sleep.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# OpenSSH's sshd and its test user are Linux's; the Windows test run (installer/wine/test.sh)
# still imports this module through tests/integration/conftest.py
if sys.platform != "win32":
    import pwd

SSHD = Path("/usr/sbin/sshd")
TEST_USER = "convwiz-test"
_PASSWORD = "pw-" + secrets.token_urlsafe(12)


def available() -> bool:
    return SSHD.is_file() and shutil.which("ssh-keygen") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 20,
                  host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), 0.5):
            return
        # between attempts, wait on sshd itself: an early exit is seen at once
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
        else:
            select.select([], [], [], 0.05)
    raise TimeoutError(f"sshd did not listen on port {port} within {timeout} s")


def keygen(path: Path, kind: str = "ed25519", passphrase: str = "", bits: int = 3072) -> Path:
    """A new OpenSSH key pair at `path` (+ `.pub`)."""
    args = ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-f", str(path), "-C", "test"]
    if kind == "rsa":
        args += ["-b", str(bits)]
    subprocess.run(args, check=True, capture_output=True)
    return path


def fingerprint_of(pub: Path) -> str:
    """The fingerprint as `ssh-keygen -l` prints it."""
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)], check=True,
                         capture_output=True, text=True, encoding="utf-8").stdout
    return out.split()[1]


def ensure_user(password: str) -> pwd.struct_passwd:
    """The dedicated test user, with `password` (needs root)."""
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", TEST_USER], check=True,
                       capture_output=True)
        entry = pwd.getpwnam(TEST_USER)
    subprocess.run(["chpasswd"], input=f"{TEST_USER}:{password}", encoding="utf-8", check=True,
                   capture_output=True)
    Path(entry.pw_dir).mkdir(parents=True, exist_ok=True)
    os.chown(entry.pw_dir, entry.pw_uid, entry.pw_gid)
    return entry


@dataclass
class Sshd:
    """A running sshd and how to log in to it."""

    folder: Path
    port: int
    user: str
    password: str
    home: Path
    host_keys: dict[str, str] = field(default_factory=dict)  # key type -> fingerprint
    proc: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"
    keys_folder: Path = Path("/nonexistent")  # authorized_keys, readable by the test user

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the ed25519 host key (the one clients pick first)."""
        return self.host_keys["ssh-ed25519"]

    def authorize(self, pub: Path) -> None:
        """Let the key whose public half is `pub` log in as the test user."""
        keys = self.keys_folder / self.user
        with open(keys, "a") as handle:
            handle.write(pub.read_text(encoding="utf-8").strip() + "\n")

    def workspace(self, name: str | None = None) -> tuple[str, Path]:
        """A fresh folder the test user owns: (its remote path, its local path)."""
        entry = pwd.getpwnam(self.user)
        local = self.home / f"t-{name or secrets.token_hex(4)}"
        local.mkdir()
        os.chown(local, entry.pw_uid, entry.pw_gid)
        return str(local), local

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


CONFIG = """\
Port {port}
ListenAddress {host}
{host_keys}
PidFile {folder}/sshd.pid
AuthorizedKeysFile {keys}/%u
StrictModes no
UsePAM no
PermitRootLogin no
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
AllowUsers {user}
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
LogLevel INFO
MaxStartups 100:30:200
Subsystem sftp {sftp}
"""


@contextlib.contextmanager
def running_sshd(folder: Path, sftp: str = "internal-sftp", netns: str | None = None,
                 host: str = "127.0.0.1") -> Iterator[Sshd]:
    """Start sshd with a config and host keys under `folder`; stop it on exit.

    With `netns` it runs inside that network namespace (bench/sftp.py --rtt), listening on
    `host` port 22, which the caller must be able to reach."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)  # noqa: S103 - sshd (as root) and nothing secret in it
    password = _PASSWORD  # one per process: every sshd started here shares the one user
    entry = ensure_user(password)
    # sshd reads authorized_keys as the user: in the user's home, as /tmp may be root-only
    keys = Path(tempfile.mkdtemp(prefix=".sshd-keys-", dir=entry.pw_dir))
    os.chmod(keys, 0o755)  # noqa: S103 - sshd reads public keys here as the test user
    (keys / TEST_USER).touch()
    os.chmod(keys / TEST_USER, 0o644)  # whatever the umask
    host_keys: dict[str, str] = {}
    lines = []
    for kind, name in (("ed25519", "ssh-ed25519"), ("rsa", "ssh-rsa"),
                       ("ecdsa", "ecdsa-sha2-nistp256")):
        key = keygen(folder / f"ssh_host_{kind}_key", kind)
        host_keys[name] = fingerprint_of(key.with_suffix(".pub"))
        lines.append(f"HostKey {key}")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # the privilege separation folder
    port = free_port() if netns is None else 22
    config = folder / "sshd_config"
    config.write_text(CONFIG.format(port=port, host_keys="\n".join(lines), folder=folder,
                                    user=TEST_USER, sftp=sftp, keys=keys, host=host),
                      encoding="utf-8", newline="")
    prefix = ["ip", "netns", "exec", netns] if netns else []
    log = open(folder / "sshd.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([*prefix, str(SSHD), "-D", "-e", "-f", str(config)], stdout=log,
                            stderr=subprocess.STDOUT)
    server = Sshd(folder, port, TEST_USER, password, Path(entry.pw_dir), host_keys, proc,
                  host=host, keys_folder=keys)
    try:
        wait_for_port(port, proc, host=host)
        yield server
    finally:
        server.stop()
        log.close()
        shutil.rmtree(keys, ignore_errors=True)
