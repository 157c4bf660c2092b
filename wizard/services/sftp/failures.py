"""How the SFTP client's failures reach the rest of the program: as `wizard.errors`.

paramiko signals a dropped link as `SSHException`, `EOFError`, a socket `OSError` or a
timeout, and a server's refusal as an `OSError` carrying the SFTP status. Above this package
nobody sees either: a drop becomes `ConnectionLost` (worth another try), a refusal a
`RemoteError` saying what to do (both exit 5).
"""

from __future__ import annotations

import errno
import socket

import paramiko

from wizard.core.visible import shown
from wizard.errors import RemoteError


class ConnectionLost(RemoteError):
    """The link broke or stalled (exit 5); another session may succeed."""


class StillWriting(RemoteError):
    """A remote file changed while it was read: the provider is still writing it."""


class TransferBroken(Exception):
    """A transfer ended with a file of the wrong size or content; worth another try."""


# a broken socket's errno values (by name: the numbers differ between Linux, macOS, Windows)
_NET_ERRNOS = frozenset(
    getattr(errno, name) for name in (
        "EPIPE", "ECONNRESET", "ECONNABORTED", "ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH",
        "ENETUNREACH", "ENETDOWN", "ENOTCONN", "ESHUTDOWN", "EBADF",
    ) if hasattr(errno, name)
)


def is_connection_error(exc: BaseException) -> bool:
    """A dropped or stalled connection (worth another try), not an answer from the server."""
    if isinstance(exc, paramiko.SSHException | EOFError | socket.timeout | TimeoutError):
        return True
    if isinstance(exc, OSError):
        # an SFTP status answer is an OSError with no errno or a file errno; a broken
        # socket has a network errno
        return exc.errno in _NET_ERRNOS or "socket" in str(exc).lower()
    return False


def is_missing(exc: BaseException) -> bool:
    """The server answered "no such file"."""
    return isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == errno.ENOENT


def describe(exc: BaseException) -> str:
    """A failure's own words, for a message: often the server's, so shown, never obeyed."""
    text = getattr(exc, "strerror", None) or str(exc)
    return shown(text or type(exc).__name__)


def where(host: str, port: int) -> str:
    return f"{host}:{port}"


def dropped(host: str, port: int, exc: BaseException) -> ConnectionLost:
    return ConnectionLost(f"the connection to {host}:{port} broke or stalled "
                          f"({describe(exc)}): try again; if it keeps failing, ask the "
                          "provider whether their server is overloaded")


def network_error(host: str, port: int, exc: BaseException) -> RemoteError:
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if isinstance(exc, socket.gaierror):
        return RemoteError(f"cannot find the host {host!r} ({detail}): check the host name")
    if isinstance(exc, TimeoutError | socket.timeout):
        return RemoteError(
            f"no answer from {where(host, port)} in time: check the host and port, and that "
            "a VPN or firewall lets you reach the provider"
        )
    return RemoteError(
        f"cannot connect to {where(host, port)} ({detail}): check the host and port, and "
        "that the provider's server is up and reachable from here"
    )


def refused_upload(name: str, remote_dir: str, exc: BaseException) -> RemoteError:
    text = describe(exc)
    lowered = text.lower()
    code = getattr(exc, "errno", None)
    if "space" in lowered or "quota" in lowered or "full" in lowered:
        fix = "the provider's server is out of space: ask them to free some, then send again"
    elif "permission" in lowered or code == errno.EACCES:
        fix = f"you may not write to {remote_dir}: ask the provider for the upload folder"
    elif code == errno.ENOENT:
        fix = f"the folder {remote_dir} is gone: check it with the provider and connect again"
    else:
        fix = "ask the provider what their server refused"
    return RemoteError(f"the server refused the upload of {name} ({text}): {fix}. "
                       "Nothing is left under its final name")
