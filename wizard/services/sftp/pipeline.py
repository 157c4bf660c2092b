"""SFTP requests in flight together, every answer read and checked.

paramiko's public calls wait for each answer before sending the next request: over a 50 ms
link each costs a round trip. Here requests that need no answer before the next one go out
together (`Batch`), writes and reads stream with many in flight (`WriteAcks`, `ReadAhead`),
and the channel's receive buffer is one whose front deletes are cheap (`FastPipe`).

This is the one module that uses paramiko's private request plumbing: `SFTPClient.
_async_request`, `_read_response`, `_convert_status`, `_expecting` (a weak mapping, so every
object waiting for answers is kept alive by its owner), `SFTPAttributes._from_msg`, and
`BufferedPipe._buffer`, `_buffer_frombytes`, `_buffer_tobytes`. tests/unit/
test_paramiko_contract.py fails the day any of them changes; pyproject.toml pins paramiko's
major version.
"""

from __future__ import annotations

from typing import Any

import paramiko
from paramiko.buffered_pipe import BufferedPipe
from paramiko.sftp import (
    CMD_ATTRS,
    CMD_DATA,
    CMD_HANDLE,
    CMD_READ,
    CMD_STATUS,
    CMD_WRITE,
    int64,
)


class FastPipe(BufferedPipe):
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


def use_fast_pipe(channel: paramiko.Channel) -> None:
    """Swap the channel's receive buffer for `FastPipe` while nothing is in flight."""
    old = getattr(channel, "in_buffer", None)
    if not isinstance(old, BufferedPipe):
        return
    pipe = FastPipe()
    leftover = old.empty()
    if leftover:
        pipe.feed(leftover)
    channel.in_buffer = pipe


def protocol(sftp: paramiko.SFTPClient) -> Any:
    """The client's request/answer plumbing (paramiko-internal, not in its type stubs)."""
    return sftp


def handle_of(file: paramiko.SFTPFile) -> bytes:
    value: Any = file.handle  # bytes at run time; the stubs say otherwise
    return bytes(value)


def attributes_from(msg: paramiko.Message, filename: str | None = None,
                    longname: str | None = None) -> paramiko.SFTPAttributes:
    """A file's attributes read from a server's answer (paramiko's own parser)."""
    parser: Any = paramiko.SFTPAttributes
    attrs: paramiko.SFTPAttributes = parser._from_msg(msg, filename, longname)
    return attrs


class Batch:
    """Requests sent together; `wait()` takes all their answers (one round trip in all)."""

    def __init__(self, sftp: paramiko.SFTPClient) -> None:
        self._sftp = protocol(sftp)
        self.pending: set[int] = set()
        self.answers: dict[int, tuple[int, paramiko.Message]] = {}

    def send(self, kind: int, *args: Any) -> int:
        num: int = self._sftp._async_request(self, kind, *args)
        self.pending.add(num)
        return num

    def forget(self, kind: int, *args: Any) -> None:
        """Send a request whose answer nobody reads (closing a listed folder)."""
        self._sftp._async_request(type(None), kind, *args)

    def wait(self) -> None:
        while self.pending:
            self._sftp._read_response()

    def _async_response(self, t: int, msg: paramiko.Message, num: int) -> None:
        self.pending.discard(num)
        self.answers[num] = (t, msg)

    def take(self, num: int, wanted: int) -> paramiko.Message | None:
        """The answer of kind `wanted`, None for an OK status; raises the server's error."""
        if num in self.pending:
            self.wait()
        t, msg = self.answers.pop(num)
        if t == wanted:
            return msg
        if t == CMD_STATUS:
            self._sftp._convert_status(msg)  # raises IOError / EOFError on an error status
            return None
        raise paramiko.SFTPError(f"unexpected answer {t} from the server")

    def status(self, num: int) -> None:
        self.take(num, CMD_STATUS)

    def attrs(self, num: int) -> paramiko.SFTPAttributes:
        msg = self.take(num, CMD_ATTRS)
        if msg is None:
            raise paramiko.SFTPError("the server answered a stat with no attributes")
        return attributes_from(msg)

    def handle(self, num: int) -> bytes:
        msg = self.take(num, CMD_HANDLE)
        if msg is None:
            raise paramiko.SFTPError("the server answered an open with no handle")
        return bytes(msg.get_binary())

    def data(self, num: int) -> bytes:
        try:
            msg = self.take(num, CMD_DATA)
        except EOFError:
            return b""
        return b"" if msg is None else bytes(msg.get_string())


class WriteAcks:
    """Pipelined SFTP writes whose answers are all read and checked, in any order.

    paramiko's own pipelined writes drop the server's error answers (a full disk leaves a
    file with holes and no error).
    """

    def __init__(self, sftp: paramiko.SFTPClient) -> None:
        self._sftp = protocol(sftp)
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


class ReadAhead:
    """Many SFTP reads in flight; answers kept by offset until they can be written in order."""

    def __init__(self, sftp: paramiko.SFTPClient, handle: bytes) -> None:
        self._sftp = protocol(sftp)
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
        try:
            while self.pending:
                self._sftp._read_response()
        except Exception:  # noqa: BLE001, S110 - the session is dropped by the caller anyway
            self.pending.clear()

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
