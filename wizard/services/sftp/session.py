"""An authenticated SFTP session: connect with Nagle off, check the pinned host key before
any credential is offered, log in, open SFTP with large windows and a stall timeout.

Every failure becomes `RemoteError` (exit 5) with what to do, or `UsageError` for a key file
that cannot be read; a dropped link inside a session is `ConnectionLost`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import paramiko
from paramiko.sftp import CMD_EXTENDED, CMD_EXTENDED_REPLY

from wizard.errors import ConvWizError, RemoteError, UsageError
from wizard.services.sftp.failures import (
    describe,
    dropped,
    is_connection_error,
    is_missing,
    network_error,
    where,
)
from wizard.services.sftp.hostkeys import (
    BANNER_TIMEOUT,
    CONNECT_TIMEOUT,
    HostKey,
    HostKeyRefused,
    PinnedHostKey,
    changed_host_key,
    disabled_for,
    tcp_connect,
    unknown_host_key,
)
from wizard.services.sftp.pipeline import Batch, use_fast_pipe

log = logging.getLogger("wizard.sftp")

AUTH_TIMEOUT = 30.0  # the answer to an authentication request
CHANNEL_TIMEOUT = 30.0  # opening the SFTP channel
# no answer on the SFTP channel for this long: the transfer failed. CONVWIZ_STALL_TIMEOUT
# (seconds) shortens it for fault tests run as separate processes, or lengthens it for a slow link
STALL_TIMEOUT = float(os.environ.get("CONVWIZ_STALL_TIMEOUT") or 60.0)
KEEPALIVE = 15  # seconds between keepalive messages
WINDOW_SIZE = 1 << 24  # our receive window: keeps a fast or distant link busy (see FastPipe)
MAX_PACKET = 2**18  # the largest packet we accept (servers cap what they send)
REQUEST_SIZE = 32768  # bytes per SFTP request every server takes (OpenSSH's default)
MAX_REQUEST = 1 << 18  # never more per request, whatever a server says it takes


class FastTransport(paramiko.Transport):
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
    """An authenticated SFTP session; use as a context manager.

    The server's request limits (`limits@openssh.com`) are asked for as the session opens,
    and the answer is read with the next one: no round trip of its own.
    """

    def __init__(self, endpoint: Endpoint, client: paramiko.SSHClient,
                 sftp: paramiko.SFTPClient, host_key: HostKey) -> None:
        self.endpoint = endpoint
        self.client = client
        self.sftp = sftp
        self.host_key = host_key
        self._limits: tuple[int, int] | None = None
        self._limits_ask = Batch(sftp)
        self._limits_num: int | None = None
        try:
            self._limits_num = self._limits_ask.send(CMD_EXTENDED, "limits@openssh.com")
        except (OSError, EOFError, paramiko.SSHException):
            self._limits = (REQUEST_SIZE, REQUEST_SIZE)  # the next request meets the drop

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sftp.close()
        with contextlib.suppress(Exception):
            self.client.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def translating(self, refused: Callable[[BaseException], RemoteError] | None = None
                    ) -> Iterator[None]:
        """paramiko's failures as `wizard.errors`: a drop is `ConnectionLost`, a server's
        refusal what `refused` makes of it (or left as it is, for the caller to judge)."""
        try:
            yield
        except ConvWizError:
            raise
        except Exception as exc:
            if is_connection_error(exc):
                raise dropped(self.endpoint.host, self.endpoint.port, exc) from None
            if refused is not None and isinstance(exc, OSError | paramiko.SFTPError):
                raise refused(exc) from None
            raise

    # -- folders and files -----------------------------------------------------------------
    def folder(self, path: str, what: str) -> str:
        """The absolute remote path of an existing folder, or `RemoteError`."""
        def refused(exc: BaseException) -> RemoteError:
            return RemoteError(
                f"the {what} {path!r} does not exist on {self.endpoint.host} or cannot be "
                f"opened ({describe(exc)}): ask the provider for the right folder and give "
                f"it with --{'upload' if 'upload' in what else 'download'}-dir"
            )

        with self.translating(refused):
            absolute = self.sftp.normalize(path)
            attrs = self.sftp.stat(absolute)
        if attrs.st_mode is not None and not stat.S_ISDIR(attrs.st_mode):
            raise RemoteError(f"the {what} {path!r} on {self.endpoint.host} is a file, not a "
                              "folder: give the folder's path")
        return absolute

    def exists(self, path: str) -> bool:
        with self.translating():
            try:
                self.sftp.stat(path)
            except OSError as exc:
                if is_missing(exc):
                    return False
                raise
        return True

    def size(self, path: str) -> int | None:
        try:
            return self.sftp.stat(path).st_size
        except OSError as exc:
            if is_connection_error(exc):
                raise
            return None

    def remove_quietly(self, path: str) -> bool:
        try:
            self.sftp.remove(path)
        except (OSError, paramiko.SSHException, EOFError):
            return False
        return True

    def limits(self) -> tuple[int, int]:
        """(read, write) bytes per request this server takes: OpenSSH says so when asked
        (`limits@openssh.com`); others get the 32 KB every server takes."""
        if self._limits is None:
            read = write = REQUEST_SIZE
            try:
                assert self._limits_num is not None
                msg = self._limits_ask.take(self._limits_num, CMD_EXTENDED_REPLY)
                if msg is not None:
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


def open_session(endpoint: Endpoint, secret: str | None) -> Session:
    """Connect, check the pinned host key, authenticate, open SFTP. `RemoteError` on failure.

    `secret` is the password, or the key file's passphrase when the endpoint has a key file.
    The host key is checked before any credential is offered.
    """
    pkey = load_key_file(endpoint.key_file, secret) if endpoint.key_file else None
    if pkey is None and not secret:
        raise UsageError(f"no password for {endpoint.where}: give it with --password-stdin, "
                         "or log in with a key file (--key)")
    policy = PinnedHostKey(endpoint.host_key)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(policy)
    host, port = endpoint.host, endpoint.port
    try:
        sock = tcp_connect(host, port, CONNECT_TIMEOUT)
    except OSError as exc:
        raise network_error(host, port, exc) from None
    try:
        sftp = _log_in(client, endpoint, sock, pkey, secret)
    except (OSError, EOFError, paramiko.SSHException) as exc:
        client.close()
        raise _refused(endpoint, pkey is not None, exc) from None
    seen = policy.seen or HostKey("", endpoint.host_key or "")
    log.info("connected to %s, host key %s %s", endpoint.where, seen.key_type, seen.fingerprint)
    return Session(endpoint, client, sftp, seen)


def _log_in(client: paramiko.SSHClient, endpoint: Endpoint, sock: Any,
            pkey: paramiko.PKey | None, secret: str | None) -> paramiko.SFTPClient:
    """The SSH handshake on `sock` (the host key checked by the client's policy first), the
    login, and the SFTP channel with its keepalive, stall timeout and fast pipe."""
    factory = partial(FastTransport, default_window_size=WINDOW_SIZE,
                      default_max_packet_size=MAX_PACKET)
    client.connect(
        endpoint.host, endpoint.port, sock=sock, username=endpoint.user,
        password=None if pkey else secret, pkey=pkey,
        timeout=CONNECT_TIMEOUT, banner_timeout=BANNER_TIMEOUT, auth_timeout=AUTH_TIMEOUT,
        channel_timeout=CHANNEL_TIMEOUT, allow_agent=False, look_for_keys=False,
        disabled_algorithms=disabled_for(endpoint.key_type), transport_factory=factory,
    )
    transport = client.get_transport()
    assert transport is not None
    transport.set_keepalive(KEEPALIVE)
    sftp = client.open_sftp()
    channel = sftp.get_channel()
    if channel is not None:
        channel.settimeout(STALL_TIMEOUT)
        use_fast_pipe(channel)
    return sftp


def _refused(endpoint: Endpoint, with_key: bool,
             exc: OSError | EOFError | paramiko.SSHException) -> RemoteError:
    """A failed login in words, with what to do: an unknown or changed host key, a login
    kind the server does not take, a refused password or key, or the link itself."""
    host, port = endpoint.host, endpoint.port
    if isinstance(exc, HostKeyRefused):
        if endpoint.host_key is None:
            return unknown_host_key(host, port, exc.seen)
        return changed_host_key(host, port, endpoint.host_key, exc.seen)
    if isinstance(exc, paramiko.BadAuthenticationType):
        return RemoteError(
            f"{endpoint.where} does not accept {'key' if with_key else 'password'} logins (it "
            f"allows: {', '.join(exc.allowed_types) or 'nothing'}): "
            f"{'use --password-stdin' if with_key else 'use --key FILE'} instead")
    if isinstance(exc, paramiko.AuthenticationException):
        how = "key file" if with_key else "password"
        return RemoteError(
            f"the server refused the {how} for {endpoint.where}: check the user name and "
            f"{how} with the provider, then run `convwiz connect` again")
    if isinstance(exc, OSError | EOFError) and not isinstance(exc, paramiko.SSHException):
        return network_error(host, port, exc)
    return RemoteError(f"the SSH connection to {where(host, port)} failed ({exc}): try "
                       "again; if it keeps failing, ask the provider to check the "
                       "server")
