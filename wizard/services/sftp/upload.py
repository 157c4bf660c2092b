"""Uploads the safe way, in as few round trips as the protocol allows.

- The file goes to `NAME.part` and is renamed to `NAME` (`posix_rename`, then plain
  `rename`). A server that refuses renames gets the verified file written under `NAME` from
  the start, and any partial `NAME` is removed before the session ends or at the next try:
  nothing is left half-written under the final name.
- Round trips: the `.part`'s stat and its open go out together; the writes stream with many
  in flight; the size check (`fstat`) and the close go out behind the last write; then one
  rename. No stat of the final name after an atomic `posix_rename`.
- A cut upload resumes from the remote `.part` when its size fits and its last bytes equal
  the local file's at that offset (one read of 32 KB, not the whole file read back). The
  SHA-256 of the whole file is computed locally by the caller.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_FSTAT,
    CMD_OPEN,
    CMD_READ,
    CMD_STAT,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_READ,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    int64,
)

from wizard.errors import Cancelled, RemoteError, UsageError
from wizard.progress import NullProgress, Progress, check
from wizard.services.sftp.failures import (
    ConnectionLost,
    TransferBroken,
    describe,
    is_connection_error,
    is_missing,
    refused_upload,
)
from wizard.services.sftp.pipeline import Batch, WriteAcks
from wizard.services.sftp.session import Session

log = logging.getLogger("wizard.sftp")

CHUNK = 1 << 20  # bytes per local read while uploading
INFLIGHT = 128  # unanswered writes at most
IN_FLIGHT_BYTES = 1 << 24  # and at most this many bytes unanswered
TAIL_CHECK = 32768  # bytes of a `.part` compared before resuming it (one read any server gives)
PART_SUFFIX = ".part"
_WRITE = SFTP_FLAG_READ | SFTP_FLAG_WRITE | SFTP_FLAG_CREATE


@dataclass
class UploadState:
    """What survives between tries of one upload."""

    tries: int = 0
    resumed_from: int = 0
    rename: str = ""  # posix_rename, rename, or direct write (server refused renames)
    refusal: str = ""  # the server's answer to the rename
    direct_partial: str | None = None  # a final name we may have left half-written
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Uploaded:
    """A finished upload."""

    remote_path: str
    bytes: int
    rename: str
    host_key: str  # the fingerprint of the server it went to


def _open(session: Session, path: str, flags: int) -> bytes:
    batch = Batch(session.sftp)
    return batch.handle(batch.send(CMD_OPEN, path, flags, paramiko.SFTPAttributes()))


def _close_quietly(session: Session, handle: bytes) -> None:
    with contextlib.suppress(Exception):
        batch = Batch(session.sftp)
        batch.status(batch.send(CMD_CLOSE, handle))


def _tail_matches(session: Session, handle: bytes, local: Path, size: int) -> bool:
    """Whether the last bytes of the remote `.part` equal the local file's at that offset."""
    start = max(0, size - TAIL_CHECK)
    with open(local, "rb") as source:
        source.seek(start)
        expected = source.read(size - start)
    batch = Batch(session.sftp)
    return batch.data(batch.send(CMD_READ, handle, int64(start), size - start)) == expected


def _open_part(session: Session, local: Path, part: str, total: int,
               state: UploadState) -> tuple[bytes, int]:
    """Open the `.part` for writing (one round trip with its stat); the offset to go on from."""
    batch = Batch(session.sftp)
    stat_num = batch.send(CMD_STAT, part)
    open_num = batch.send(CMD_OPEN, part, _WRITE, paramiko.SFTPAttributes())
    batch.wait()
    try:
        part_size: int | None = batch.attrs(stat_num).st_size
    except OSError as exc:
        if not is_missing(exc):
            raise
        part_size = None
    handle = batch.handle(open_num)
    if not part_size:
        return handle, 0
    if part_size <= total and _tail_matches(session, handle, local, part_size):
        state.resumed_from = part_size
        state.notes.append(f"resumed from byte {part_size} of {part}")
        return handle, part_size
    _close_quietly(session, handle)  # a different file: start it again, empty
    return _open(session, part, _WRITE | SFTP_FLAG_TRUNC), 0


def write_from(session: Session, handle: bytes, local: Path, offset: int, total: int,
               progress: Progress, label: str) -> None:
    """Write `local` from `offset` through `handle`, check the remote size, close it.

    Every write's answer is read and checked, at most `INFLIGHT` unanswered; the size check
    and the close travel behind the last write.
    """
    acks = WriteAcks(session.sftp)
    _, request_size = session.limits()
    inflight = min(INFLIGHT, max(16, IN_FLIGHT_BYTES // request_size))
    with open(local, "rb") as source:
        source.seek(offset)
        position = offset
        while block := source.read(CHUNK):
            check(progress)
            view = memoryview(block)
            for start in range(0, len(view), request_size):
                piece = view[start:start + request_size]
                acks.send(handle, position, bytes(piece))
                position += len(piece)
                acks.drain(inflight)
            progress.report(position, total, label)
    batch = Batch(session.sftp)
    stat_num = batch.send(CMD_FSTAT, handle)
    close_num = batch.send(CMD_CLOSE, handle)
    acks.drain(0)
    size = batch.attrs(stat_num).st_size
    batch.status(close_num)  # answered: the server has taken every byte
    if size != total:
        raise TransferBroken(f"the remote file holds {size} bytes after the upload, not {total}")


def upload(session: Session, local: Path, remote_dir: str, state: UploadState,
           progress: Progress | None = None) -> Uploaded:
    """One try at uploading `local` to `remote_dir/NAME` the safe way (see the module doc)."""
    progress = progress or NullProgress()
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

    handle, offset = _open_part(session, local, part, total, state)
    try:
        write_from(session, handle, local, offset, total, progress, label)
    except OSError as exc:
        if not is_connection_error(exc):
            # the server refused a write: later writes may have landed after a hole
            session.remove_quietly(part)
        raise
    except TransferBroken:
        session.remove_quietly(part)
        raise
    _finish(session, local, part, final, total, state, progress, label)
    return Uploaded(final, total, state.rename, session.host_key.fingerprint)


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
        state.refusal = f"posix_rename: {describe(exc)}"
    try:
        if session.exists(final):
            sftp.remove(final)  # a plain SFTP rename never replaces a file
        sftp.rename(part, final)
        state.rename = "rename"
    except OSError as exc:
        if is_connection_error(exc):
            raise
        state.refusal += f"; rename: {describe(exc)}"
    else:
        if session.size(final) != total:
            session.remove_quietly(final)
            raise TransferBroken(f"{final} is incomplete after the rename")
        return
    _write_directly(session, local, part, final, total, state, progress, label)


def _write_directly(session: Session, local: Path, part: str, final: str, total: int,
                    state: UploadState, progress: Progress, label: str) -> None:
    """The server refuses renames: the complete, checked file is written again under its
    final name; a failure removes the partial final file (now, or first thing next try)."""
    state.rename = "direct write (server refused renames)"
    state.direct_partial = final
    try:
        handle = _open(session, final, SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC)
        write_from(session, handle, local, 0, total, progress,
                   label + " (server refused renames)")
    except BaseException:
        with contextlib.suppress(Exception):
            if session.remove_quietly(final):
                state.direct_partial = None
        raise
    state.direct_partial = None
    if not session.remove_quietly(part):
        state.notes.append(f"could not remove {part} after the direct write")


def upload_with_retries(connect: Callable[[], Session], local: Path, remote_dir: str,
                        progress: Progress | None = None, tries: int = 3,
                        backoff: float = 2.0,
                        wait: Callable[[float], None] | None = None,
                        state: UploadState | None = None) -> Uploaded:
    """Upload with up to `tries` sessions, backing off between them. `RemoteError` at the end.

    `state` (given, or made here) carries what tries learn; the caller may read it after a
    failure. Each try opens a fresh session with `connect()`, resuming the `.part` left by a cut.
    Errors that another try cannot fix (refused login, host key, missing folder, no space)
    end at once.
    """
    progress = progress or NullProgress()
    sleep = wait or time.sleep
    state = state if state is not None else UploadState()
    last: BaseException | None = None
    for attempt in range(1, tries + 1):
        check(progress)
        state.tries = attempt
        try:
            with connect() as session:
                return upload(session, local, remote_dir, state, progress)
        except ConnectionLost as exc:
            last = exc
        except (RemoteError, UsageError, Cancelled):
            raise
        except TransferBroken as exc:
            last = exc
        except (OSError, EOFError, paramiko.SSHException, paramiko.SFTPError) as exc:
            if not is_connection_error(exc):
                raise refused_upload(local.name, remote_dir, exc) from None
            last = exc
        log.warning("upload try %d of %d failed: %s", attempt, tries, last)
        if attempt < tries:
            delay = backoff * 2 ** (attempt - 1)
            progress.report(0, 0, f"the connection failed ({describe(last)}); trying again "
                                  f"in {delay:.0f} s")
            sleep(delay)
    raise RemoteError(
        f"the upload of {local.name} failed {tries} times (last: {describe(last or Exception())})."
        " Nothing is left under its final name on the server. Check the connection and run "
        "`convwiz send` again: it resumes where it stopped",
        tries=tries,
    )
