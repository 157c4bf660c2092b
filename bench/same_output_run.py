"""How bench/same_output.py runs a command the same way twice: `python -m wizard ARGS...`
of the package under test in a child process, with everything that differs from run to run
frozen or drawn from a fixed seed, from the outside (nothing in `wizard/` is changed):

- the clock: `datetime.now()`, `today()`, `utcnow()` and `time.localtime()` (a zip member's
  time stamp in a workbook comes from it) are 2026-12-05 10:30:00 (or `SAME_OUTPUT_NOW`,
  for a case that looks at the project later); `time.time()` starts
  there and runs on (so `date.today()` is that day, and waits still end);
- `secrets` (the workbook password's words, the keyring entry's and the audit log's random
  keys, the token file's tokens, the simulator's password, the salts and keys of the Office
  encryption, drawn by msoffcrypto through `secrets.token_bytes`) and `random`: each
  function draws from its own seeded generator, so the draws of one cannot shift another's;
- the keyring: a small file-backed keyring of the bench (`SAME_OUTPUT_KEYRING`), a copy per
  run, so the secrets (and the audit chain's heads) a run keeps are compared too;
- the simulator's answer: the cross-reference it puts in its `download` folder is stamped
  with the frozen time (the manifest and the audit log keep its modification time);
- the demo's simulator (`SAME_OUTPUT_PORT`): its host key is one fixed Ed25519 key instead
  of a new one, and it listens on the port the bench chose instead of any free one.

What stays random is named where it is compared (bench/same_output_compare.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

KEYRING_ENV = "SAME_OUTPUT_KEYRING"
PORT_ENV = "SAME_OUTPUT_PORT"
NOW_ENV = "SAME_OUTPUT_NOW"

RUNNER = r"""
import base64, datetime as _dt, json, os, random, runpy, secrets, sys, time
_FIXED = _dt.datetime.fromisoformat(os.environ.get("SAME_OUTPUT_NOW", "2026-12-05T10:30:00"))
_LOCAL = _FIXED.timetuple()
_EPOCH, _START = time.mktime(_LOCAL), time.monotonic()
time.localtime = lambda *_args: time.struct_time(_LOCAL)
time.time = lambda: _EPOCH + (time.monotonic() - _START)
class _Frozen(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _FIXED if tz is None else _FIXED.astimezone(tz)
    @classmethod
    def utcnow(cls):
        return _FIXED
    @classmethod
    def today(cls):
        return _FIXED
_dt.datetime = _Frozen
random.seed(2806)
_R = {name: random.Random("same-output-" + name) for name in (
    "token_bytes", "token_hex", "token_urlsafe", "choice", "randbelow", "randbits")}
secrets.token_bytes = lambda n=32: _R["token_bytes"].randbytes(n)
secrets.token_hex = lambda n=32: _R["token_hex"].randbytes(n).hex()
secrets.token_urlsafe = lambda n=32: base64.urlsafe_b64encode(
    _R["token_urlsafe"].randbytes(n)).rstrip(b"=").decode()
secrets.choice = lambda seq: _R["choice"].choice(seq)
secrets.randbelow = lambda n: _R["randbelow"].randrange(n)
secrets.randbits = lambda k: _R["randbits"].getrandbits(k)

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
class BenchKeyring(KeyringBackend):
    priority = 1
    def _load(self):
        path = os.environ["SAME_OUTPUT_KEYRING"]
        if not os.path.exists(path):
            return {}
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    def _save(self, data):
        with open(os.environ["SAME_OUTPUT_KEYRING"], "w", encoding="utf-8") as f:
            json.dump(data, f, sort_keys=True, indent=1)
    def get_password(self, service, username):
        return self._load().get(service, {}).get(username)
    def set_password(self, service, username, password):
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)
    def delete_password(self, service, username):
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(username)
        del data[service][username]
        self._save(data)
keyring.set_keyring(BenchKeyring())

_replace = os.replace
def _stamped_replace(src, dst, *args, **kwargs):
    _replace(src, dst, *args, **kwargs)
    if os.path.basename(os.path.dirname(os.fspath(dst))) == "download":
        os.utime(dst, (_EPOCH, _EPOCH))
os.replace = _stamped_replace

if os.environ.get("SAME_OUTPUT_PORT"):
    import socket, asyncssh
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    _KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption())
    asyncssh.generate_private_key = lambda *_a, **_k: asyncssh.import_private_key(_KEY)
    _bind, _PORT = socket.socket.bind, int(os.environ["SAME_OUTPUT_PORT"])
    def _fixed_port(self, address):
        if isinstance(address, tuple) and address[:2] == ("127.0.0.1", 0):
            address = ("127.0.0.1", _PORT, *address[2:])
        return _bind(self, address)
    socket.socket.bind = _fixed_port

sys.argv = ["convwiz", *sys.argv[1:]]
runpy.run_module("wizard", run_name="__main__", alter_sys=True)
"""


def environment(code: Path, keyring_file: Path, port: int | None = None,
                now: str | None = None) -> dict[str, str]:
    """The child's environment: the package under test first on the path, the bench's
    keyring, no user settings from the person running the bench."""
    env = {**os.environ, "PYTHONPATH": str(code), KEYRING_ENV: str(keyring_file),
           "PYTHONHASHSEED": "0", "TZ": "UTC"}
    env.pop(PORT_ENV, None)
    env.pop(NOW_ENV, None)
    if port is not None:
        env[PORT_ENV] = str(port)
    if now is not None:
        env[NOW_ENV] = now
    return env


def run(code: Path, args: list[str], cwd: Path, keyring_file: Path, port: int | None = None,
        stdin: str | None = None, now: str | None = None) -> dict[str, Any]:
    """`convwiz ARGS...` with `code`'s package, frozen as the module's docstring says."""
    done = subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True,
                          text=True, cwd=cwd, env=environment(code, keyring_file, port, now),
                          input=stdin if stdin is not None else "", check=False,
                          encoding="utf-8", errors="replace")
    return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ProviderSim:
    """`convwiz provider-sim` of the package under test on a fixed port, password and
    folder (its host key kept there), for the send and fetch-xref cases."""

    PASSWORD = "same-output-sim"  # noqa: S105 - the simulator's, for the bench only

    def __init__(self, code: Path, root: Path, port: int, keyring_file: Path) -> None:
        self.args = [sys.executable, "-c", RUNNER, "provider-sim", "--root", str(root),
                     "--port", str(port), "--password", self.PASSWORD]
        self.env = environment(code, keyring_file)
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ProviderSim:
        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"the provider simulator did not start on port {self.port}")

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
