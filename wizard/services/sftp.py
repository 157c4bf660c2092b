"""The SFTP client (paramiko): a pinned host key, safe uploads, fast downloads.

- The server's host key is pinned by its SHA-256 fingerprint, `SHA256:...` exactly as OpenSSH
  prints it. An unknown key is refused before any password or key is offered; a different
  key is refused as a possible attack. There is no trust-on-first-use here.
- Uploads go to `NAME.part` and are renamed to `NAME` (`posix_rename`, then plain `rename`).
  A server that refuses renames gets the verified file written under `NAME` from the start,
  and any partial `NAME` is removed before the session ends or at the next try: nothing is
  left half-written under the final name. A cut upload resumes from the remote `.part` size,
  and a resumed file is read back and compared byte for byte (by SHA-256) before the rename.
- Downloads use paramiko's prefetch with many requests in flight (64 or fewer is ~17x
  slower over a long link) and large windows.
- Every failure becomes `RemoteError` (exit 5) with what to do, or `UsageError` for a key
  file that cannot be read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import posixpath
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

import paramiko
from paramiko.buffered_pipe import BufferedPipe
from paramiko.sftp import (
    CMD_DATA,
    CMD_EXTENDED,
    CMD_EXTENDED_REPLY,
    CMD_READ,
    CMD_STATUS,
    CMD_WRITE,
    int64,
)

from wizard.errors import Cancelled, RemoteError, UsageError
from wizard.progress import NullProgress, Progress, check

log = logging.getLogger("wizard.sftp")

CONNECT_TIMEOUT = 20.0  # TCP connect
BANNER_TIMEOUT = 30.0  # the SSH banner after connecting
AUTH_TIMEOUT = 30.0  # the answer to an authentication request
CHANNEL_TIMEOUT = 30.0  # opening the SFTP channel
# no answer on the SFTP channel for this long: the transfer failed. CONVWIZ_STALL_TIMEOUT
# (seconds) shortens it for fault tests run as separate processes, or lengthens it for a slow link
STALL_TIMEOUT = float(os.environ.get("CONVWIZ_STALL_TIMEOUT") or 60.0)
KEEPALIVE = 15  # seconds between keepalive messages
WINDOW_SIZE = 1 << 24  # our receive window: keeps a fast or distant link busy (see _FastPipe)
MAX_PACKET = 2**18  # the largest packet we accept (servers cap what they send)
PREFETCH_REQUESTS = 256  # read requests in flight while downloading (never 64 or fewer)
CHUNK = 1 << 20  # bytes per local read while uploading
REQUEST_SIZE = 32768  # bytes per SFTP write: every server takes this much (OpenSSH's default)
READ_SIZE = 1 << 17  # bytes asked per SFTP read; servers that give less are followed
MAX_REQUEST = 1 << 18  # never more per request, whatever a server says it takes
INFLIGHT = 128  # unanswered writes at most
IN_FLIGHT_BYTES = 1 << 24  # and at most this many bytes unanswered
TAIL_CHECK = 1 << 16  # bytes of a `.part` compared before resuming it
PART_SUFFIX = ".part"

# host key algorithms by the key type a fingerprint belongs to
KEY_TYPES: dict[str, tuple[str, ...]] = {
    "ssh-ed25519": ("ssh-ed25519",),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256"),
}


# -- host keys ----------------------------------------------------------------------------------
def fingerprint(key: paramiko.PKey) -> str:
    """The key's SHA-256 fingerprint as OpenSSH prints it: base64 without padding."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def normalize_fingerprint(text: str) -> str:
    """`SHA256:...` checked and tidied, or `UsageError` saying how to write it."""
    value = (text or "").strip()
    body = value[7:] if value[:7].upper() == "SHA256:" else value
    body = body.rstrip("=")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UsageError(
            f"--host-key {text!r} is not a SHA-256 fingerprint: give it as OpenSSH prints it, "
            "e.g. SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s (`convwiz host-key "
            "--host H` shows it)"
        )
    return "SHA256:" + body


@dataclass(frozen=True)
class HostKey:
    key_type: str  # as the key names itself: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256
    fingerprint: str

    def as_dict(self) -> dict[str, str]:
        return {"key_type": self.key_type, "fingerprint": self.fingerprint}


class _FastPipe(BufferedPipe):
    """paramiko's channel buffer on a bytearray, whose front deletes are O(1) amortized.

    The stock buffer is an `array` whose `del buf[:n]` moves everything left on every read:
    the bigger the window, the slower the download (2 GB windows gave 11 MB/s).
    """

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()

    def _buffer_frombytes(self, data: bytes) -> None:
        self._buffer.extend(data)

    def _buffer_tobytes(self, limit: int | None = None) -> bytes:
        return bytes(self._buffer[:limit])


def _use_fast_pipe(channel: paramiko.Channel) -> None:
    """Swap the channel's receive buffer for `_FastPipe` while nothing is in flight."""
    old = getattr(channel, "in_buffer", None)
    if not isinstance(old, BufferedPipe):
        return
    pipe = _FastPipe()
    leftover = old.empty()
    if leftover:
        pipe.feed(leftover)
    channel.in_buffer = pipe


class _FastTransport(paramiko.Transport):
    """paramiko's transport preferring AES-GCM: one pass per packet instead of cipher + MAC.

    paramiko decrypts in Python-driven steps per packet; AES-GCM roughly halves that work
    and is what keeps downloads near OpenSSH's speed. Weak ciphers stay off the list.
    """

    _preferred_ciphers = (
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-ctr",
        "aes192-ctr",
        "aes256-ctr",
    )
    _preferred_macs = (
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com",
        "hmac-sha2-256",
        "hmac-sha2-512",
    )


def _disabled_for(key_type: str | None) -> dict[str, list[str]] | None:
    if not key_type or key_type not in KEY_TYPES:
        return None
    wanted = set(KEY_TYPES[key_type])
    others = [alg for algs in KEY_TYPES.values() for alg in algs if alg not in wanted]
    return {"keys": others}


def _where(host: str, port: int) -> str:
    return f"{host}:{port}"


def _network_error(host: str, port: int, exc: BaseException) -> RemoteError:
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if isinstance(exc, socket.gaierror):
        return RemoteError(f"cannot find the host {host!r} ({detail}): check the host name")
    if isinstance(exc, TimeoutError | socket.timeout):
        return RemoteError(
            f"no answer from {_where(host, port)} in time: check the host and port, and that "
            "a VPN or firewall lets you reach the provider"
        )
    return RemoteError(
        f"cannot connect to {_where(host, port)} ({detail}): check the host and port, and "
        "that the provider's server is up and reachable from here"
    )


def probe_host_key(host: str, port: int, key_type: str | None = None,
                   timeout: float = CONNECT_TIMEOUT) -> HostKey:
    """Connect, read the server's host key, disconnect; nothing is sent but the handshake."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise _network_error(host, port, exc) from None
    transport = paramiko.Transport(sock, disabled_algorithms=_disabled_for(key_type))
    transport.banner_timeout = BANNER_TIMEOUT
    try:
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return HostKey(key.get_name(), fingerprint(key))
    except paramiko.SSHException as exc:
        if key_type:
            raise _NoSuchKeyType(key_type) from None
        raise RemoteError(
            f"{_where(host, port)} does not speak SSH as expected ({exc}): check the port "
            "(SFTP is usually 22)"
        ) from None
    except (OSError, EOFError) as exc:
        raise _network_error(host, port, exc) from None
    finally:
        transport.close()


class _NoSuchKeyType(Exception):
    pass


def host_keys(host: str, port: int) -> list[HostKey]:
    """Every host key the server offers (one handshake per key type)."""
    found: list[HostKey] = []
    for key_type in KEY_TYPES:
        try:
            found.append(probe_host_key(host, port, key_type))
        except _NoSuchKeyType:
            continue
    return found


def unknown_host_key(host: str, port: int, key: HostKey) -> RemoteError:
    return RemoteError(
        f"the host key of {_where(host, port)} is not known yet: its fingerprint is "
        f"{key.fingerprint} ({key.key_type}). Check it with the provider (by phone or from "
        f"their documentation, not from this server), then pin it with "
        f"--host-key {key.fingerprint}",
        fingerprint=key.fingerprint, key_type=key.key_type,
    )


def changed_host_key(host: str, port: int, pinned: str, seen: HostKey) -> RemoteError:
    return RemoteError(
        f"WARNING: the host key of {_where(host, port)} does not match the pinned one. It may "
        f"be an attack (someone between you and the provider), or the provider changed its "
        f"key. Pinned {pinned}, the server showed {seen.fingerprint} ({seen.key_type}). "
        "Nothing was sent. Confirm the new key with the provider before pinning it with "
        f"`convwiz connect ... --host-key {seen.fingerprint}`",
        fingerprint=seen.fingerprint, pinned=pinned, key_type=seen.key_type,
    )


def resolve_pin(host: str, port: int, pinned: str) -> HostKey:
    """The server's key matching `pinned`, whichever type it is, or a refusal (exit 5)."""
    pinned = normalize_fingerprint(pinned)
    default = probe_host_key(host, port)
    if default.fingerprint == pinned:
        return default
    for key in host_keys(host, port):
        if key.fingerprint == pinned:
            return key
    raise changed_host_key(host, port, pinned, default)


class _PinnedHostKey(paramiko.MissingHostKeyPolicy):
    """Accept exactly the pinned key; anything else raises before authentication."""

    def __init__(self, pinned: str | None) -> None:
        self.pinned = pinned
        self.seen: HostKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        self.seen = HostKey(key.get_name(), fingerprint(key))
        if self.pinned is None or self.seen.fingerprint != self.pinned:
            raise _HostKeyRefused(self.seen)


class _HostKeyRefused(paramiko.SSHException):
    def __init__(self, seen: HostKey) -> None:
        super().__init__(f"host key {seen.fingerprint} refused")
        self.seen = seen


# -- sessions -----------------------------------------------------------------------------------
@dataclass
class Endpoint:
    """Where and how to log in; the secret is passed separately and never stored here."""

    host: str
    port: int
    user: str
    host_key: str | None  # pinned SHA256 fingerprint
    key_type: str | None = None
    key_file: str | None = None

    @property
    def where(self) -> str:
        # not user@host: that reads as an email address, which the logs redact
        return f"user {self.user} on {self.host}:{self.port}"


def load_key_file(path: str, passphrase: str | None) -> paramiko.PKey:
    """An OpenSSH private key (ed25519, RSA, ECDSA), or `UsageError` saying what is wrong."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"the key file {file} does not exist: give the private key's path "
                         "with --key")
    try:
        # cryptography wants the passphrase as bytes (the stubs say str)
        secret: Any = passphrase.encode() if passphrase else None
        return paramiko.PKey.from_path(file, secret)
    except OSError as exc:
        raise UsageError(f"cannot read the key file {file}: {exc.strerror}") from None
    except (paramiko.SSHException, ValueError, TypeError) as exc:
        encrypted = key_needs_passphrase(str(file))
        if encrypted and not passphrase:
            raise UsageError(f"the key file {file} is protected by a passphrase: give it on "
                             "standard input with --password-stdin") from None
        if encrypted:
            raise UsageError(f"the passphrase does not open the key file {file}: check it "
                             "and give it again with --password-stdin") from None
        raise UsageError(f"{file} is not a private key this program can read ({exc}): give an "
                         "OpenSSH private key (ed25519, RSA or ECDSA)") from None


def key_needs_passphrase(path: str) -> bool:
    """Whether the private key file is encrypted (so its passphrase must come from somewhere)."""
    try:
        paramiko.PKey.from_path(Path(path).expanduser(), None)
    except paramiko.PasswordRequiredException:
        return True
    except TypeError as exc:  # cryptography's way of saying the same
        return "password" in str(exc).lower()
    except (paramiko.SSHException, ValueError, OSError):
        return False  # unreadable: `load_key_file` says why when it is used
    return False


class Session:
    """An authenticated SFTP session; use as a context manager."""

    def __init__(self, endpoint: Endpoint, client: paramiko.SSHClient,
                 sftp: paramiko.SFTPClient, host_key: HostKey) -> None:
        self.endpoint = endpoint
        self.client = client
        self.sftp = sftp
        self.host_key = host_key
        self._limits: tuple[int, int] | None = None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sftp.close()
        with contextlib.suppress(Exception):
            self.client.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- folders ---------------------------------------------------------------------------
    def folder(self, path: str, what: str) -> str:
        """The absolute remote path of an existing folder, or `RemoteError`."""
        try:
            absolute = self.sftp.normalize(path)
            attrs = self.sftp.stat(absolute)
        except (EOFError, paramiko.SSHException) as exc:
            raise _dropped(self.endpoint, exc) from None
        except OSError as exc:
            if is_connection_error(exc):
                raise _dropped(self.endpoint, exc) from None
            raise RemoteError(
                f"the {what} {path!r} does not exist on {self.endpoint.host} or cannot be "
                f"opened ({_describe(exc)}): ask the provider for the right folder and give "
                f"it with --{'upload' if 'upload' in what else 'download'}-dir"
            ) from None
        if attrs.st_mode is not None and not stat.S_ISDIR(attrs.st_mode):
            raise RemoteError(f"the {what} {path!r} on {self.endpoint.host} is a file, not a "
                              "folder: give the folder's path")
        return absolute

    def exists(self, path: str) -> bool:
        try:
            self.sftp.stat(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            if getattr(exc, "errno", None) == 2:
                return False
            raise
        return True

    def size(self, path: str) -> int | None:
        try:
            return self.sftp.stat(path).st_size
        except OSError:
            return None

    def remove_quietly(self, path: str) -> bool:
        try:
            self.sftp.remove(path)
        except (OSError, paramiko.SSHException, EOFError):
            return False
        return True

    # -- transfers -------------------------------------------------------------------------
    def write(self, local: Path, remote: str, offset: int, total: int, progress: Progress,
              label: str) -> None:
        """Write `local` from `offset` into `remote` (truncated first when offset is 0).

        Pipelined, with every write's answer checked. paramiko's own pipelined writes drop
        the server's error answers (a full disk leaves a file with holes and no error), so
        the requests are sent and acknowledged here, at most `INFLIGHT` unanswered.
        """
        mode = "r+" if offset else "w"
        sftp = self.sftp
        acks = _WriteAcks(sftp)
        _, request_size = self.limits()
        inflight = min(INFLIGHT, max(16, IN_FLIGHT_BYTES // request_size))
        with sftp.open(remote, mode) as handle, open(local, "rb") as source:
            source.seek(offset)
            position = offset
            while block := source.read(CHUNK):
                check(progress)
                view = memoryview(block)
                for start in range(0, len(view), request_size):
                    piece = view[start:start + request_size]
                    acks.send(_handle(handle), position, bytes(piece))
                    position += len(piece)
                    acks.drain(inflight)
                progress.report(position, total, label)
            acks.drain(0)
        # the close was answered too: the server has taken every byte

    def read_into(self, remote: str, target: IO[bytes], size: int, progress: Progress,
                  label: str, digest: Any = None) -> int:
        """Download `remote` into an open file; return the bytes read.

        Read-ahead with `PREFETCH_REQUESTS` requests in flight, answers taken in any order
        and written in order. (paramiko's own prefetch rescans its buffers on every read and
        managed 11 MB/s where OpenSSH's sftp did 93 MB/s on the same loopback sshd.)
        """
        done = 0
        with self.sftp.open(remote, "rb") as handle:
            reads = _ReadAhead(self.sftp, _handle(handle))
            read_size, asked = self._probe_read_size(_handle(handle), size, reads)
            try:
                while done < size:
                    while len(reads.pending) < PREFETCH_REQUESTS and asked < size:
                        length = min(read_size, size - asked)
                        reads.ask(asked, length)
                        asked += length
                    reads.wait()
                    while done in reads.ready:
                        block = reads.ready.pop(done)
                        if not block:  # end of file before `size`: the file shrank
                            return done
                        target.write(block)
                        if digest is not None:
                            digest.update(block)
                        done += len(block)
                    check(progress)
                    progress.report(done, size, label)
            finally:
                reads.settle()
        return done

    def limits(self) -> tuple[int, int]:
        """(read, write) bytes per request this server takes: OpenSSH says so when asked
        (`limits@openssh.com`); others get the 32 KB every server takes."""
        if self._limits is None:
            read = write = REQUEST_SIZE
            try:
                kind, msg = _protocol(self.sftp)._request(CMD_EXTENDED, "limits@openssh.com")
                if kind == CMD_EXTENDED_REPLY and msg is not None:
                    msg.get_int64()  # the largest packet
                    max_read, max_write = msg.get_int64(), msg.get_int64()
                    if max_read:
                        read = max(REQUEST_SIZE, min(max_read, MAX_REQUEST))
                    if max_write:
                        write = max(REQUEST_SIZE, min(max_write, MAX_REQUEST))
            except OSError as exc:
                if is_connection_error(exc):
                    raise
            except (paramiko.SFTPError, EOFError):
                pass  # not supported: the defaults
            self._limits = (read, write)
        return self._limits

    def _probe_read_size(self, handle: bytes, size: int,
                          reads: _ReadAhead) -> tuple[int, int]:
        """Ask for one large read first: the answer says how much this server gives per read.

        OpenSSH gives up to 255 KB, some servers only 32 KB or fail larger asks; four times
        fewer requests than 32 KB ones is the difference between 40 and 100 MB/s here.
        """
        if size <= REQUEST_SIZE:
            return REQUEST_SIZE, 0
        read_limit, _ = self.limits()
        if read_limit > REQUEST_SIZE:
            return read_limit, 0
        try:
            kind, msg = _protocol(self.sftp)._request(CMD_READ, handle, int64(0), int(READ_SIZE))
        except EOFError:
            reads.ready[0] = b""
            return REQUEST_SIZE, size
        except OSError as exc:
            if is_connection_error(exc):
                raise
            return REQUEST_SIZE, 0  # the server refused a large read: use the usual size
        if kind != CMD_DATA:
            return REQUEST_SIZE, 0
        data = msg.get_string()
        reads.ready[0] = data
        if not data:
            return REQUEST_SIZE, size
        return (READ_SIZE if len(data) >= READ_SIZE else max(REQUEST_SIZE, len(data))), len(data)

    def remote_sha256(self, remote: str, size: int, progress: Progress) -> str:
        digest = hashlib.sha256()
        with open("/dev/null", "wb") as sink:
            self.read_into(remote, sink, size, progress, "checking the resumed upload", digest)
        return digest.hexdigest()

    def matches_tail(self, local: Path, remote: str, size: int) -> bool:
        """Whether the last bytes of a remote `.part` equal the local file's at that offset."""
        start = max(0, size - TAIL_CHECK)
        with open(local, "rb") as source:
            source.seek(start)
            expected = source.read(size - start)
        with self.sftp.open(remote, "rb") as handle:
            handle.seek(start)
            seen = handle.read(size - start)
        return seen == expected


def _protocol(sftp: paramiko.SFTPClient) -> Any:
    """The client's request/answer plumbing (paramiko-internal, not in its type stubs).

    Used to pipeline reads and writes with every answer checked: paramiko's pipelined
    `write` drops error answers, and its prefetch is slow (see `Session.write`, `read_into`).
    """
    return sftp


def _handle(file: paramiko.SFTPFile) -> bytes:
    value: Any = file.handle  # bytes at run time; the stubs say otherwise
    return bytes(value)


class _WriteAcks:
    """Pipelined SFTP writes whose answers are all read and checked, in any order."""

    def __init__(self, sftp: paramiko.SFTPClient) -> None:
        self._sftp = _protocol(sftp)
        self.pending: set[int] = set()
        self.error: BaseException | None = None

    def send(self, handle: bytes, offset: int, data: bytes) -> None:
        num = self._sftp._async_request(self, CMD_WRITE, handle, int64(offset), data)
        self.pending.add(num)

    def drain(self, keep: int) -> None:
        """Read answers until at most `keep` are outstanding; raise the first error."""
        while len(self.pending) > keep and self.error is None:
            self._sftp._read_response()
        if self.error is not None:
            raise self.error

    # called by paramiko for each answer to our requests
    def _async_response(self, t: int, msg: paramiko.Message, num: int) -> None:
        self.pending.discard(num)
        if t != CMD_STATUS:
            self.error = self.error or paramiko.SFTPError(f"unexpected answer {t} to a write")
            return
        try:
            self._sftp._convert_status(msg)
        except Exception as exc:  # noqa: BLE001 - kept and raised in the writing thread
            self.error = self.error or exc


class _ReadAhead:
    """Many SFTP reads in flight; answers kept by offset until they can be written in order."""

    def __init__(self, sftp: paramiko.SFTPClient, handle: bytes) -> None:
        self._sftp = _protocol(sftp)
        self._handle = handle
        self.pending: dict[int, tuple[int, int]] = {}  # request -> (offset, length)
        self.ready: dict[int, bytes] = {}  # offset -> data (b"" at end of file)
        self.error: BaseException | None = None

    def ask(self, offset: int, length: int) -> None:
        num = self._sftp._async_request(self, CMD_READ, self._handle, int64(offset),
                                        int(length))
        self.pending[num] = (offset, length)

    def wait(self) -> None:
        """Take one answer; raise the first error."""
        if self.pending:
            self._sftp._read_response()
        if self.error is not None:
            raise self.error

    def settle(self) -> None:
        """Read the answers still due so the session stays usable (after an error too)."""
        with contextlib.suppress(Exception):
            while self.pending:
                self._sftp._read_response()

    # called by paramiko for each answer to our requests
    def _async_response(self, t: int, msg: paramiko.Message, num: int) -> None:
        offset, length = self.pending.pop(num)
        if t == CMD_DATA:
            data = msg.get_string()
            self.ready[offset] = data
            if 0 < len(data) < length:  # a short read: ask for the rest
                self.ask(offset + len(data), length - len(data))
            return
        if t != CMD_STATUS:
            self.error = self.error or paramiko.SFTPError(f"unexpected answer {t} to a read")
            return
        try:
            self._sftp._convert_status(msg)
        except EOFError:
            self.ready[offset] = b""
        except Exception as exc:  # noqa: BLE001 - kept and raised in the reading thread
            self.error = self.error or exc


def _dropped(endpoint: Endpoint, exc: BaseException) -> RemoteError:
    return RemoteError(f"the connection to {endpoint.host}:{endpoint.port} broke or stalled "
                       f"({_describe(exc)}): try again; if it keeps failing, ask the provider "
                       "whether their server is overloaded")


def _describe(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text or type(exc).__name__


def open_session(endpoint: Endpoint, secret: str | None) -> Session:
    """Connect, check the pinned host key, authenticate, open SFTP. `RemoteError` on failure.

    `secret` is the password, or the key file's passphrase when the endpoint has a key file.
    The host key is checked before any credential is offered.
    """
    pkey = load_key_file(endpoint.key_file, secret) if endpoint.key_file else None
    if pkey is None and not secret:
        raise UsageError(f"no password for {endpoint.where}: give it with --password-stdin, "
                         "or log in with a key file (--key)")
    policy = _PinnedHostKey(endpoint.host_key)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(policy)
    factory = partial(_FastTransport, default_window_size=WINDOW_SIZE,
                      default_max_packet_size=MAX_PACKET)
    host, port = endpoint.host, endpoint.port
    try:
        client.connect(
            host, port, username=endpoint.user,
            password=None if pkey else secret, pkey=pkey,
            timeout=CONNECT_TIMEOUT, banner_timeout=BANNER_TIMEOUT, auth_timeout=AUTH_TIMEOUT,
            channel_timeout=CHANNEL_TIMEOUT, allow_agent=False, look_for_keys=False,
            disabled_algorithms=_disabled_for(endpoint.key_type), transport_factory=factory,
        )
        transport = client.get_transport()
        assert transport is not None
        transport.set_keepalive(KEEPALIVE)
        sftp = client.open_sftp()
        channel = sftp.get_channel()
        if channel is not None:
            channel.settimeout(STALL_TIMEOUT)
            _use_fast_pipe(channel)
    except _HostKeyRefused as exc:
        client.close()
        if endpoint.host_key is None:
            raise unknown_host_key(host, port, exc.seen) from None
        raise changed_host_key(host, port, endpoint.host_key, exc.seen) from None
    except paramiko.BadAuthenticationType as exc:
        client.close()
        raise RemoteError(
            f"{endpoint.where} does not accept {'key' if pkey else 'password'} logins (it "
            f"allows: {', '.join(exc.allowed_types) or 'nothing'}): "
            f"{'use --password-stdin' if pkey else 'use --key FILE'} instead"
        ) from None
    except paramiko.AuthenticationException:
        client.close()
        how = "key file" if pkey else "password"
        raise RemoteError(
            f"the server refused the {how} for {endpoint.where}: check the user name and "
            f"{how} with the provider, then run `convwiz connect` again"
        ) from None
    except (OSError, EOFError, paramiko.SSHException) as exc:
        client.close()
        if isinstance(exc, OSError | EOFError) and not isinstance(exc, paramiko.SSHException):
            raise _network_error(host, port, exc) from None
        raise RemoteError(f"the SSH connection to {_where(host, port)} failed ({exc}): try "
                          "again; if it keeps failing, ask the provider to check the "
                          "server") from None
    seen = policy.seen or HostKey("", endpoint.host_key or "")
    log.info("connected to %s, host key %s %s", endpoint.where, seen.key_type, seen.fingerprint)
    return Session(endpoint, client, sftp, seen)


# -- the upload -----------------------------------------------------------------------------
TRANSIENT = (OSError, EOFError, paramiko.SSHException, TimeoutError)


def is_connection_error(exc: BaseException) -> bool:
    """A dropped or stalled connection (worth another try), not an answer from the server."""
    if isinstance(exc, paramiko.SSHException | EOFError | socket.timeout | TimeoutError):
        return True
    if isinstance(exc, OSError):
        # an SFTP status answer is an OSError with no errno or a file errno; a broken
        # socket has a network errno
        return exc.errno in _NET_ERRNOS or "socket" in str(exc).lower()
    return False


_NET_ERRNOS = {32, 54, 104, 110, 111, 113, 103, 9}  # EPIPE ECONNRESET ETIMEDOUT ...


@dataclass
class UploadState:
    """What survives between tries of one upload."""

    tries: int = 0
    resumed_from: int = 0
    rename: str = ""  # posix_rename, rename, or direct write (server refused renames)
    refusal: str = ""  # the server's answer to the rename
    direct_partial: str | None = None  # a final name we may have left half-written
    notes: list[str] = field(default_factory=list)


def upload(session: Session, local: Path, remote_dir: str, state: UploadState,
           progress: Progress | None = None) -> dict[str, Any]:
    """One try at uploading `local` to `remote_dir/NAME` the safe way (see the module doc)."""
    progress = progress or NullProgress()
    sftp = session.sftp
    name = local.name
    final = posixpath.join(remote_dir, name)
    part = final + PART_SUFFIX
    total = local.stat().st_size
    label = f"uploading {name}"

    if state.direct_partial and session.exists(state.direct_partial):
        # an earlier try was cut while writing the final name directly: remove that first
        if not session.remove_quietly(state.direct_partial):
            raise RemoteError(f"cannot remove the partial {state.direct_partial} left by a cut "
                              "upload: ask the provider to delete it")
        state.notes.append(f"removed the partial {final} left by the cut try")
    state.direct_partial = None

    offset = 0
    part_size = session.size(part)
    if part_size is not None:
        if 0 < part_size <= total and session.matches_tail(local, part, part_size):
            offset = part_size
            state.resumed_from = offset
            state.notes.append(f"resumed from byte {offset} of {part}")
        else:
            sftp.remove(part)
    if offset < total or part_size is None:
        try:
            session.write(local, part, offset, total, progress, label)
        except OSError as exc:
            if not is_connection_error(exc):
                # the server refused a write: later writes may have landed after a hole
                session.remove_quietly(part)
            raise
    remote_size = session.size(part)
    if remote_size != total:
        raise _TransferBroken(f"{part} holds {remote_size} bytes after the upload, not {total}")
    if offset:
        progress.report(0, total, "checking the resumed upload")
        local_digest = _sha256(local)
        if session.remote_sha256(part, total, progress) != local_digest:
            sftp.remove(part)
            raise _TransferBroken(f"the resumed {part} differs from {local}; starting over")

    _finish(session, local, part, final, total, state, progress, label)
    final_size = session.size(final)
    if final_size != total:
        session.remove_quietly(final)
        raise _TransferBroken(f"{final} holds {final_size} bytes, not {total}")
    return {"remote_path": final, "bytes": total, "rename": state.rename}


def _finish(session: Session, local: Path, part: str, final: str, total: int,
            state: UploadState, progress: Progress, label: str) -> None:
    """Put the complete `.part` under its final name."""
    sftp = session.sftp
    try:
        sftp.posix_rename(part, final)
        state.rename = "posix_rename"
        return
    except OSError as exc:
        if is_connection_error(exc):
            raise
        state.refusal = f"posix_rename: {_describe(exc)}"
    try:
        if session.exists(final):
            sftp.remove(final)  # a plain SFTP rename never replaces a file
        sftp.rename(part, final)
        state.rename = "rename"
        return
    except OSError as exc:
        if is_connection_error(exc):
            raise
        state.refusal += f"; rename: {_describe(exc)}"
    # the server refuses renames: the complete, checked file is written again under its
    # final name; a failure removes the partial final file (now, or first thing next try)
    state.rename = "direct write (server refused renames)"
    state.direct_partial = final
    try:
        session.write(local, final, 0, total, progress, label + " (server refused renames)")
        if session.size(final) != total:
            raise _TransferBroken(f"{final} is incomplete after the direct write")
    except BaseException:
        with contextlib.suppress(Exception):
            if session.remove_quietly(final):
                state.direct_partial = None
        raise
    state.direct_partial = None
    if not session.remove_quietly(part):
        state.notes.append(f"could not remove {part} after the direct write")


class _TransferBroken(Exception):
    """The transfer ended with a file of the wrong size or content; worth another try."""


def _sha256(path: Path) -> str:
    from wizard.services.files import sha256_file

    return sha256_file(path)


def upload_with_retries(connect: Callable[[], Session], local: Path, remote_dir: str,
                        progress: Progress | None = None, tries: int = 3,
                        backoff: float = 2.0,
                        wait: Callable[[float], None] | None = None,
                        state: UploadState | None = None) -> dict[str, Any]:
    """Upload with up to `tries` sessions, backing off between them. `RemoteError` at the end.

    `state` (given, or made here) carries what tries learn; the caller may read it after a
    failure. Each try opens a fresh session with `connect()`, resuming the `.part` left by a cut.
    Errors that another try cannot fix (refused login, host key, missing folder, no space)
    end at once.
    """
    import time

    progress = progress or NullProgress()
    sleep = wait or time.sleep
    state = state if state is not None else UploadState()
    last: BaseException | None = None
    for attempt in range(1, tries + 1):
        check(progress)
        state.tries = attempt
        try:
            with connect() as session:
                result = upload(session, local, remote_dir, state, progress)
                result["host_key"] = session.host_key.fingerprint
                return result
        except (RemoteError, UsageError, Cancelled):
            raise
        except _TransferBroken as exc:
            last = exc
        except OSError as exc:
            if not is_connection_error(exc):
                raise _server_refused(local, remote_dir, exc) from None
            last = exc
        except (EOFError, paramiko.SSHException) as exc:
            last = exc
        log.warning("upload try %d of %d failed: %s", attempt, tries, last)
        if attempt < tries:
            delay = backoff * 2 ** (attempt - 1)
            progress.report(0, 0, f"the connection failed ({_describe(last)}); trying again "
                                  f"in {delay:.0f} s")
            sleep(delay)
    raise RemoteError(
        f"the upload of {local.name} failed {tries} times (last: {_describe(last or Exception())})."
        " Nothing is left under its final name on the server. Check the connection and run "
        "`convwiz send` again: it resumes where it stopped",
        tries=tries,
    )


def _server_refused(local: Path, remote_dir: str, exc: OSError) -> RemoteError:
    text = _describe(exc)
    lowered = text.lower()
    if "space" in lowered or "quota" in lowered or "full" in lowered:
        fix = "the provider's server is out of space: ask them to free some, then send again"
    elif "permission" in lowered or getattr(exc, "errno", None) == 13:
        fix = f"you may not write to {remote_dir}: ask the provider for the upload folder"
    elif getattr(exc, "errno", None) == 2:
        fix = f"the folder {remote_dir} is gone: check it with the provider and connect again"
    else:
        fix = "ask the provider what their server refused"
    return RemoteError(f"the server refused the upload of {local.name} ({text}): {fix}. "
                       "Nothing is left under its final name")


# -- listing and downloading -------------------------------------------------------------------
@dataclass(frozen=True)
class RemoteFile:
    path: str
    name: str
    size: int
    mtime: int

    @property
    def identity(self) -> str:
        return f"{self.path}|{self.size}|{self.mtime}"


def list_files(session: Session, folder: str) -> list[RemoteFile]:
    """Complete-looking regular files in `folder`, newest first."""
    try:
        entries = session.sftp.listdir_attr(folder)
    except OSError as exc:
        if is_connection_error(exc):
            raise
        raise RemoteError(f"cannot list the download folder {folder} on "
                          f"{session.endpoint.host} ({_describe(exc)}): check it with the "
                          "provider and run `convwiz connect` again") from None
    files = []
    for entry in entries:
        name = entry.filename
        if entry.st_mode is not None and not stat.S_ISREG(entry.st_mode):
            continue
        if name.startswith(".") or name.endswith((PART_SUFFIX, ".tmp", ".filepart", ".partial")):
            continue  # hidden or still being written
        files.append(RemoteFile(posixpath.join(folder, name), name, entry.st_size or 0,
                                int(entry.st_mtime or 0)))
    files.sort(key=lambda f: (f.mtime, f.name), reverse=True)
    return files

