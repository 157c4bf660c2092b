"""Host keys: pinned by their SHA-256 fingerprint, `SHA256:...` exactly as OpenSSH prints it.

An unknown key is refused before any password or key is offered; a different key is refused
as a possible attack. There is no trust-on-first-use here.
"""

from __future__ import annotations

import base64
import hashlib
import socket
from dataclasses import dataclass

import paramiko

from wizard.errors import RemoteError, UsageError
from wizard.services.sftp.failures import network_error, where

CONNECT_TIMEOUT = 20.0  # TCP connect
BANNER_TIMEOUT = 30.0  # the SSH banner after connecting

# host key algorithms by the key type a fingerprint belongs to
KEY_TYPES: dict[str, tuple[str, ...]] = {
    "ssh-ed25519": ("ssh-ed25519",),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256"),
}


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


def disabled_for(key_type: str | None) -> dict[str, list[str]] | None:
    if not key_type or key_type not in KEY_TYPES:
        return None
    wanted = set(KEY_TYPES[key_type])
    others = [alg for algs in KEY_TYPES.values() for alg in algs if alg not in wanted]
    return {"keys": others}


def probe_host_key(host: str, port: int, key_type: str | None = None,
                   timeout: float = CONNECT_TIMEOUT) -> HostKey:
    """Connect, read the server's host key, disconnect; nothing is sent but the handshake."""
    try:
        sock = tcp_connect(host, port, timeout)
    except OSError as exc:
        raise network_error(host, port, exc) from None
    transport = paramiko.Transport(sock, disabled_algorithms=disabled_for(key_type))
    transport.banner_timeout = BANNER_TIMEOUT
    try:
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return HostKey(key.get_name(), fingerprint(key))
    except paramiko.SSHException as exc:
        if key_type:
            raise NoSuchKeyType(key_type) from None
        raise RemoteError(
            f"{where(host, port)} does not speak SSH as expected ({exc}): check the port "
            "(SFTP is usually 22)"
        ) from None
    except (OSError, EOFError) as exc:
        raise network_error(host, port, exc) from None
    finally:
        transport.close()


class NoSuchKeyType(Exception):
    pass


def host_keys(host: str, port: int) -> list[HostKey]:
    """Every host key the server offers (one handshake per key type)."""
    found: list[HostKey] = []
    for key_type in KEY_TYPES:
        try:
            found.append(probe_host_key(host, port, key_type))
        except NoSuchKeyType:
            continue
    return found


def unknown_host_key(host: str, port: int, key: HostKey) -> RemoteError:
    return RemoteError(
        f"the host key of {where(host, port)} is not known yet: its fingerprint is "
        f"{key.fingerprint} ({key.key_type}). Check it with the provider (by phone or from "
        f"their documentation, not from this server), then pin it with "
        f"--host-key {key.fingerprint}",
        fingerprint=key.fingerprint, key_type=key.key_type,
    )


def changed_host_key(host: str, port: int, pinned: str, seen: HostKey) -> RemoteError:
    return RemoteError(
        f"WARNING: the host key of {where(host, port)} does not match the pinned one. It may "
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


class PinnedHostKey(paramiko.MissingHostKeyPolicy):
    """Accept exactly the pinned key; anything else raises before authentication."""

    def __init__(self, pinned: str | None) -> None:
        self.pinned = pinned
        self.seen: HostKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        self.seen = HostKey(key.get_name(), fingerprint(key))
        if self.pinned is None or self.seen.fingerprint != self.pinned:
            raise HostKeyRefused(self.seen)


class HostKeyRefused(paramiko.SSHException):
    def __init__(self, seen: HostKey) -> None:
        super().__init__(f"host key {seen.fingerprint} refused")
        self.seen = seen




def tcp_connect(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection with Nagle off, as OpenSSH sets it: SSH's small packets (the login,
    every request) then leave at once instead of waiting for the previous one's ACK."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
