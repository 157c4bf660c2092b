"""The simulated provider: a real SFTP server on loopback that answers flag files.

asyncssh's complete SFTP server, confined to `ROOT/sftp` (an `/upload` and a `/download`
folder), listening on 127.0.0.1 only. When a flag file arrives in `/upload` under its final
name (renamed from `.part`, or written directly), it writes a cross-reference into
`/download`: `UTI Account Number,Daffron Account Number` (UTF-8, CRLF), each account of the
flag file mapped to a new unique 8-digit Daffron number derived from the old one. The host
key lives in `ROOT` so its fingerprint survives restarts.

Faults for tests: refuse renames, cut the connection once after N bytes uploaded, answer
every request slowly, report a full disk after N bytes stored.

`start_simulator` runs it on its own event loop in a background thread (demo, GUI, tests);
`serve_forever` is `convwiz provider-sim`.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import hmac
import io
import json
import logging
import os
import re
import secrets
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

# asyncssh names DSA's key classes in its type aliases at import, and cryptography 48 and
# newer warn (a UserWarning, so printed by default) at every such name: ten lines on a PM's
# screen for a key type this simulator never offers (its host key is Ed25519). Only that
# warning, only during the import.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated", category=UserWarning)
    import asyncssh

from wizard.errors import UsageError

log = logging.getLogger("wizard.simulator")

HOST = "127.0.0.1"
HOST_KEY_NAME = "simulator_host_ed25519_key"
XREF_HEADER = ("UTI Account Number", "Daffron Account Number")
FLAG_ACCOUNT = "UTI Account Number"
UPLOAD, DOWNLOAD = "upload", "download"
_INCOMPLETE = (".part", ".tmp", ".filepart", ".partial")


def daffron_numbers(accounts: list[str]) -> list[str]:
    """A new unique 8-digit number for each old account, the same every time."""
    taken: set[int] = set()
    result = []
    for old in accounts:
        digest = hashlib.sha256(old.encode("utf-8")).digest()
        number = int.from_bytes(digest[:8], "big") % 90_000_000 + 10_000_000
        while number in taken:
            number = number + 1 if number < 99_999_999 else 10_000_000
        taken.add(number)
        result.append(str(number))
    return result


def cross_reference_for(flag_file: Path) -> bytes:
    """The cross-reference CSV answering a flag file, or ValueError if it is not one."""
    with open(flag_file, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or FLAG_ACCOUNT not in reader.fieldnames:
            raise ValueError(f"no column {FLAG_ACCOUNT!r} in {flag_file.name}")
        seen: dict[str, None] = {}
        for row in reader:
            account = row.get(FLAG_ACCOUNT) or ""
            if account and account not in seen:
                seen[account] = None
    accounts = list(seen)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(XREF_HEADER)
    writer.writerows(zip(accounts, daffron_numbers(accounts)))
    return out.getvalue().encode("utf-8")


class _Faults:
    """The switches, and the counters they need (shared by every connection)."""

    def __init__(self, refuse_rename: bool, cut_after: int | None, slow: float,
                 disk_full_after: int | None) -> None:
        self.refuse_rename = refuse_rename
        self.cut_after = cut_after
        self.slow = max(0.0, slow)
        self.disk_full_after = disk_full_after
        self.received = 0  # bytes written by clients, counted for cut_after
        self.cut_done = False
        self.stored = 0  # bytes written, counted for disk_full_after


class Simulator:
    """A running simulated provider; `stop()` it, or use it as a context manager."""

    def __init__(self, root: Path, port: int = 0, user: str = "daffron",
                 password: str | None = None, refuse_rename: bool = False,
                 cut_after: int | None = None, slow: float = 0.0,
                 disk_full_after: int | None = None,
                 authorized_keys: list[Path] | None = None) -> None:
        self.root = Path(root).absolute()
        self.host = HOST
        self.port = port
        self.user = user
        self.password = password or secrets.token_urlsafe(12)
        self.faults = _Faults(refuse_rename, cut_after, slow, disk_full_after)
        self.sftp_root = self.root / "sftp"
        self.upload_dir = "/" + UPLOAD
        self.download_dir = "/" + DOWNLOAD
        self.local_upload = self.sftp_root / UPLOAD
        self.local_download = self.sftp_root / DOWNLOAD
        for folder in (self.root, self.sftp_root, self.local_upload, self.local_download):
            folder.mkdir(parents=True, exist_ok=True)
        self._host_key = _host_key(self.root / HOST_KEY_NAME)
        self.fingerprint: str = self._host_key.get_fingerprint("sha256")
        self._client_keys = [asyncssh.import_public_key(Path(p).read_text(encoding="utf-8"))
                             for p in authorized_keys or []]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.answered: list[Path] = []  # cross-references written, in order

    # -- life ---------------------------------------------------------------------------------
    def start(self) -> Simulator:
        self._thread = threading.Thread(target=self._run, name="provider-simulator",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise UsageError("the provider simulator did not start within 30 seconds")
        if self._error is not None:
            error = self._error
            if isinstance(error, OSError):
                raise UsageError(f"the provider simulator cannot listen on {HOST}:{self.port} "
                                 f"({error.strerror}): choose another --port, or 0 for any")
            raise error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            server = loop.run_until_complete(self._listen())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for conn in list(self._connections):
                conn.abort()
            with contextlib.suppress(Exception):
                loop.run_until_complete(server.wait_closed())
            with contextlib.suppress(Exception):
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _listen(self) -> asyncssh.SSHAcceptor:
        _give_asyncssh_a_home(self.root)
        # config=(): no OpenSSH configuration file is read (no ~/.ssh/config, no
        # known_hosts, no authorized_keys): every option is given here
        return await asyncssh.listen(
            HOST, self.port, config=(), server_host_keys=[self._host_key],
            server_factory=lambda: _Login(self), sftp_factory=lambda chan: _Sftp(chan, self),
            allow_scp=False, encoding=None, keepalive_interval=30,
        )

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(15)
        self._thread = None

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "user": self.user,
                "password": self.password, "fingerprint": self.fingerprint,
                "upload_dir": self.upload_dir, "download_dir": self.download_dir,
                "root": str(self.root)}

    # -- the provider's side ------------------------------------------------------------------
    def answer(self, arrived: Path) -> None:
        """A flag file arrived under its final name: write its cross-reference."""
        stem = arrived.stem
        try:
            data = cross_reference_for(arrived)
            target = self.local_download / f"crossref_{stem}.csv"
        except (ValueError, OSError, UnicodeDecodeError, csv.Error) as exc:
            data = f"rejected {arrived.name}: {exc}\r\n".encode()
            target = self.local_download / f"rejected_{stem}.txt"
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        self.answered.append(target)
        log.info("answered %s with %s", arrived.name, target.name)


def _host_key(path: Path) -> asyncssh.SSHKey:
    if path.exists():
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519")
    tmp = path.with_name(path.name + ".tmp")
    key.write_private_key(tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return key


class _Login(asyncssh.SSHServer):
    """Password login for the simulator's one user (and keys, when given some)."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._sim._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._sim._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self._sim.user and hmac.compare_digest(
            password.encode(), self._sim.password.encode())

    def public_key_auth_supported(self) -> bool:
        return bool(self._sim._client_keys)

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == self._sim.user and any(
            key.public_data == known.public_data for known in self._sim._client_keys)


class _Sftp(asyncssh.SFTPServer):
    """asyncssh's SFTP server with the provider's behaviour and the test faults."""

    def __init__(self, chan: asyncssh.SSHServerChannel, sim: Simulator) -> None:
        super().__init__(chan, chroot=os.fsencode(sim.sftp_root))
        self._sim = sim
        self._written: dict[int, bytes] = {}  # open files written to -> their local path
        self._cut = False  # this connection was cut: requests already queued go nowhere

    async def _pause(self) -> None:
        if self._cut:
            raise asyncssh.SFTPConnectionLost("connection cut by the simulator")
        if self._sim.faults.slow:
            await asyncio.sleep(self._sim.faults.slow)

    def _local(self, path: bytes) -> Path:
        return local_path(self.map_path(path))

    async def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        await self._pause()
        file_obj = super().open(path, pflags, attrs)
        if pflags & asyncssh.FXF_WRITE:
            self._written[id(file_obj)] = path
        return file_obj

    async def read(self, file_obj: object, offset: int, size: int) -> bytes:
        await self._pause()
        return super().read(file_obj, offset, size)  # type: ignore[return-value]

    async def write(self, file_obj: object, offset: int, data: bytes) -> int:
        await self._pause()
        faults = self._sim.faults
        full = faults.disk_full_after
        if full is not None and faults.stored + len(data) > full:
            raise asyncssh.SFTPFailure("No space left on device (the disk is full)")
        if (faults.cut_after is not None and not faults.cut_done
                and faults.received + len(data) > faults.cut_after):
            keep = max(0, faults.cut_after - faults.received)
            if keep:
                super().write(file_obj, offset, data[:keep])
            faults.received += keep
            faults.cut_done = True
            self._cut = True
            log.info("cutting the connection after %d bytes", faults.received)
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("connection cut by the simulator")
        faults.received += len(data)
        faults.stored += len(data)
        return super().write(file_obj, offset, data)  # type: ignore[return-value]

    async def close(self, file_obj: object) -> None:
        path = self._written.pop(id(file_obj), None)
        super().close(file_obj)  # always: a cut connection leaves no open file behind
        await self._pause()
        if path is not None:
            await self._maybe_answer(path)

    async def stat(self, path: bytes) -> Any:
        await self._pause()
        return super().stat(path)

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self._pause()
        self._refuse_rename()
        super().rename(oldpath, newpath)
        await self._maybe_answer(newpath)

    async def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        await self._pause()
        self._refuse_rename()
        super().posix_rename(oldpath, newpath)
        await self._maybe_answer(newpath)

    def _refuse_rename(self) -> None:
        if self._sim.faults.refuse_rename:
            raise asyncssh.SFTPPermissionDenied("renaming files is not allowed on this server")

    async def _maybe_answer(self, path: bytes) -> None:
        local = self._local(path)
        if (not _same_folder(local.parent, self._sim.local_upload) or local.name.startswith(".")
                or local.name.endswith(_INCOMPLETE) or not local.is_file()):
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._sim.answer, local)


def _give_asyncssh_a_home(root: Path) -> None:
    """asyncssh names `~/.ssh` as its configuration's default folder even when it reads no
    file, and pathlib raises "Could not determine home directory" where the process has none
    (a bare environment on Windows: no USERPROFILE, HOMEDRIVE or HOMEPATH; the Windows demo
    died of it). Only then, the simulator's own empty folder stands in as the home: nothing
    is read from it."""
    try:
        Path("~").expanduser()
    except RuntimeError:
        os.environ["USERPROFILE" if sys.platform == "win32" else "HOME"] = str(root)


def local_path(mapped: bytes) -> Path:
    """The local file behind asyncssh's mapped SFTP path. With a chroot, asyncssh keeps
    local paths in SFTP form: on Windows `/C:/Users/.../sftp/upload/x.csv`, which pathlib
    reads as a folder `C:` under the current drive's root, so the simulator never saw a flag
    file arrive in its upload folder and never answered (the Windows demo waited 60 s)."""
    text = os.fsdecode(mapped)
    if re.match(r"/[A-Za-z]:", text):  # only asyncssh on Windows writes a drive this way
        text = text[1:]
    return Path(text)


def _same_folder(a: Path, b: Path) -> bool:
    """Whether two paths name one folder (8.3 short names, case, links: Windows)."""
    try:
        return a == b or os.path.samefile(a, b)
    except OSError:
        return False


def start_simulator(root: Path, port: int = 0, **switches: Any) -> Simulator:
    """Start the simulated provider in a background thread; `.stop()` it when done."""
    return Simulator(root, port, **switches).start()


def serve_forever(root: Path, *, port: int = 0, user: str = "daffron",
                  password: str | None = None, refuse_rename: bool = False,
                  cut_after: int | None = None, slow: float = 0.0,
                  disk_full_after: int | None = None,
                  say: Callable[[str], None] = print) -> dict[str, Any]:
    """`convwiz provider-sim`: serve until Ctrl-C or SIGTERM (Windows: Ctrl-C or Ctrl-Break,
    which is how one program stops another's console program there).

    As soon as it listens, one JSON line goes to standard output with host, port, user,
    password and fingerprint, for scripts that start it with `--port 0`.
    """
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    signums = [signal.SIGINT, signal.SIGTERM]
    if sys.platform == "win32":
        signums.append(signal.SIGBREAK)
    if threading.current_thread() is threading.main_thread():
        for signum in signums:
            previous[signum] = signal.signal(signum, _stop)
    try:
        sim = start_simulator(Path(root), port, user=user, password=password,
                              refuse_rename=refuse_rename, cut_after=cut_after, slow=slow,
                              disk_full_after=disk_full_after)
        with sim:
            info = sim.describe()
            say(f"Provider simulator listening on {sim.host} port {sim.port}")
            say(f"  user {sim.user}, password {sim.password}")
            say(f"  host key fingerprint {sim.fingerprint}")
            say(f"  upload folder {sim.upload_dir}, download folder {sim.download_dir} "
                f"(files under {sim.sftp_root})")
            say(f"  connect with: convwiz connect PROJECT --host {sim.host} --port {sim.port} "
                f"--user {sim.user} --password-stdin --host-key {sim.fingerprint} "
                f"--upload-dir {sim.upload_dir} --download-dir {sim.download_dir}")
            say("Press Ctrl-C to stop.")
            sys.stdout.write(json.dumps(info) + "\n")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
            say("Provider simulator stopped.")
            info["answered"] = [p.name for p in sim.answered]
            info["stopped"] = True
            return info
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
