"""Listing and downloading, with many reads in flight and no round trip to spare.

- A known name is fetched without listing its folder: its stat and its open go out together.
- Read-ahead with `PREFETCH_REQUESTS` requests in flight (64 or fewer is ~17x slower over a
  long link), answers taken in any order and written in order. (paramiko's own prefetch
  rescans its buffers on every read and managed 11 MB/s where OpenSSH's sftp did 93 MB/s on
  the same loopback sshd.)
- The check that the provider was not still writing the file (`fstat`) travels with the
  close, after the last read.
"""

from __future__ import annotations

import posixpath
import stat
from dataclasses import dataclass
from typing import IO, Any

import paramiko
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_DATA,
    CMD_FSTAT,
    CMD_NAME,
    CMD_OPEN,
    CMD_OPENDIR,
    CMD_READ,
    CMD_READDIR,
    CMD_STAT,
    SFTP_FLAG_READ,
    int64,
)

from wizard.core.visible import shown
from wizard.errors import RemoteError
from wizard.progress import Progress, check
from wizard.services.sftp.failures import StillWriting, describe, is_connection_error
from wizard.services.sftp.pipeline import Batch, ReadAhead, attributes_from, protocol
from wizard.services.sftp.session import REQUEST_SIZE, Session
from wizard.services.sftp.upload import PART_SUFFIX

PREFETCH_REQUESTS = 256  # read requests in flight while downloading (never 64 or fewer)
READ_SIZE = 1 << 17  # bytes asked per SFTP read; servers that give less are followed
INCOMPLETE_SUFFIXES = (PART_SUFFIX, ".tmp", ".filepart", ".partial")


@dataclass(frozen=True)
class RemoteFile:
    path: str
    name: str
    size: int
    mtime: int

    @property
    def identity(self) -> str:
        return f"{self.path}|{self.size}|{self.mtime}"


def _read_folder(session: Session, folder: str) -> list[paramiko.SFTPAttributes]:
    """Every entry of `folder`: open, read until the end, close without waiting."""
    batch = Batch(session.sftp)
    handle = batch.handle(batch.send(CMD_OPENDIR, folder))
    entries: list[paramiko.SFTPAttributes] = []
    while True:
        try:
            msg = batch.take(batch.send(CMD_READDIR, handle), CMD_NAME)
        except EOFError:
            break
        if msg is None:
            break
        for _ in range(msg.get_int()):
            filename = msg.get_text()
            longname = msg.get_text()
            entries.append(attributes_from(msg, filename, longname))
    batch.forget(CMD_CLOSE, handle)
    return entries


def list_files(session: Session, folder: str) -> list[RemoteFile]:
    """Complete-looking regular files in `folder`, newest first."""
    def refused(exc: BaseException) -> RemoteError:
        return RemoteError(f"cannot list the download folder {shown(folder)} on "
                           f"{session.endpoint.host} ({describe(exc)}): check it with the "
                           "provider and run `convwiz connect` again")

    with session.translating(refused):
        entries = _read_folder(session, folder)
    files = []
    for entry in entries:
        name = entry.filename
        if entry.st_mode is not None and not stat.S_ISREG(entry.st_mode):
            continue
        if name.startswith(".") or name.endswith(INCOMPLETE_SUFFIXES):
            continue  # hidden or still being written
        files.append(RemoteFile(posixpath.join(folder, name), name, entry.st_size or 0,
                                int(entry.st_mtime or 0)))
    files.sort(key=lambda f: (f.mtime, f.name), reverse=True)
    return files


def download(session: Session, path: str, target: IO[bytes], progress: Progress,
             label: str, digest: Any = None, expected: RemoteFile | None = None) -> RemoteFile:
    """Download `path` into an open file; return what was read (its size and time).

    `StillWriting` when the file changed while it was read, or differs from `expected` (the
    listing it was chosen from); `ConnectionLost` when the link drops; `RemoteError` when the
    server refuses.
    """
    def refused(exc: BaseException) -> RemoteError:
        return RemoteError(f"the server refused to send {shown(path)} ({describe(exc)}): "
                           "ask the "
                           "provider to check the file's permissions")

    try:
        with session.translating(refused):
            batch = Batch(session.sftp)
            stat_num = batch.send(CMD_STAT, path)
            open_num = batch.send(CMD_OPEN, path, SFTP_FLAG_READ, paramiko.SFTPAttributes())
            batch.wait()
            before = batch.attrs(stat_num)
            handle = batch.handle(open_num)
            size = before.st_size or 0
            got = _read_all(session, handle, size, target, progress, label, digest)
            close = Batch(session.sftp)
            after_num = close.send(CMD_FSTAT, handle)
            close_num = close.send(CMD_CLOSE, handle)
            after = close.attrs(after_num)
            close.status(close_num)
    except LocalWriteFailed as exc:
        raise exc.error from None
    name = posixpath.basename(path)
    seen = RemoteFile(path, name, size, int(before.st_mtime or 0))
    if got != size or after.st_size != size or int(after.st_mtime or 0) != seen.mtime or (
            expected is not None and (expected.size, expected.mtime) != (size, seen.mtime)):
        raise StillWriting(f"{shown(path)} changed while it was downloaded: the provider is still "
                           "writing it; try again in a moment")
    return seen


def _read_all(session: Session, handle: bytes, size: int, target: IO[bytes],
              progress: Progress, label: str, digest: Any) -> int:
    done = 0
    reads = ReadAhead(session.sftp, handle)
    read_size, asked = _probe_read_size(session, handle, size, reads)
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
                _write(target, block)
                if digest is not None:
                    digest.update(block)
                done += len(block)
            check(progress)
            progress.report(done, size, label)
    finally:
        reads.settle()
    return done


def _write(target: IO[bytes], block: bytes) -> None:
    """Write what was received to the local file. Its failure (a full disk) is the local
    disk's, never the server's refusal: it passes `Session.translating` untranslated and
    leaves `download` as the OSError it was, for the writer (`files.atomic_output`) to name
    the disk."""
    try:
        target.write(block)
    except OSError as exc:
        raise LocalWriteFailed(exc) from None


class LocalWriteFailed(Exception):
    """A local write failed: not the server's doing, so not turned into its refusal."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _probe_read_size(session: Session, handle: bytes, size: int,
                     reads: ReadAhead) -> tuple[int, int]:
    """The bytes to ask per read, and how many the probe already read.

    OpenSSH says its limit when asked (`Session.limits`). Others get one large read first:
    the answer says how much this server gives per read (some only 32 KB, some fail larger
    asks); four times fewer requests than 32 KB ones is the difference between 40 and
    100 MB/s here.
    """
    if size <= REQUEST_SIZE:
        return REQUEST_SIZE, 0
    read_limit, _ = session.limits()
    if read_limit > REQUEST_SIZE:
        return read_limit, 0
    try:
        kind, msg = protocol(session.sftp)._request(CMD_READ, handle, int64(0), int(READ_SIZE))
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
