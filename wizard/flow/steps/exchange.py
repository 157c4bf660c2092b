"""The exchange with the provider: pin its host key, save the connection, send the flag
file, fetch the cross-reference.

The project keeps the connection's settings (host, port, user, key file path, the pinned
host key fingerprint and the two folders); the password or key passphrase goes to the OS
keyring alone. Every transfer is in the manifest and the audit log with its SHA-256, the
remote path and the host key it was made with.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from wizard.core.reader import read_table
from wizard.core.shell import quote
from wizard.core.visible import shown
from wizard.core.vocabulary import (
    S_AUTH,
    S_CLEANUP,
    S_DOWNLOAD,
    S_HOST,
    S_HOST_KEY,
    S_KEY_FILE,
    S_KEY_TYPE,
    S_PORT,
    S_UPLOAD,
    S_USER,
    S_XREF_PATTERN,
    XREF_HEADERS,
)
from wizard.core.xref import find_columns
from wizard.core.xref_names import check_pattern, name_matches, name_reason
from wizard.errors import InputError, NotReady, RemoteError, UsageError
from wizard.flow.project import steps
from wizard.flow.project.project import Project
from wizard.flow.steps.exchange_results import Connection, Fetched, Sent, ServerKey, Skipped
from wizard.progress import Progress, Say, check, silent
from wizard.services import logs, secrets, sftp
from wizard.services.files import atomic_output, remove, sha256_file
from wizard.services.store import ManifestEntry

log = logging.getLogger("wizard.exchange")
__all__ = ["Connection", "Fetched", "Sent", "ServerKey", "Skipped", "connect", "fetch_xref",
           "host_key", "name_matches", "send"]

POLL_SECONDS = 2.0
DEFAULT_FOLDERS = {"upload": ("upload", "/upload"), "download": ("download", "/download")}


def host_key(host: str, port: int) -> ServerKey:
    """`convwiz host-key`: the server's host key fingerprint, as OpenSSH prints it."""
    _check_address(host, port)
    key = sftp.probe_host_key(host, port)
    return ServerKey(host, port, key.key_type, key.fingerprint)


def _check_address(host: str, port: int) -> None:
    if not host or not host.strip():
        raise UsageError("--host is empty: give the provider's SFTP host name")
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a port: use 1 to 65535 (SFTP is usually 22)")


# -- connect --------------------------------------------------------------------------------
def connect(project: Project, *, host: str, port: int, user: str, key_file: str | None,
            secret: str | None, host_key: str | None, upload_dir: str | None,
            download_dir: str | None, progress: Progress,
            remember_secret: bool = True, xref_pattern: str | None = None,
            say: Say | None = None) -> Connection:
    """`convwiz connect`: log in once to prove the settings, then save them.

    Nothing is saved unless the login and both folders check out. The secret goes to the
    keyring, never into the project. `remember_secret=False` (the demo, whose simulator
    password lives only as long as the simulator) keeps it out of the keyring too: the caller
    then passes it to `send` and `fetch_xref` as `secret=`. `say`: the messages for people
    (none by default)."""
    say = say or silent
    host, user = (host or "").strip(), (user or "").strip()
    key_path, secret = _login_inputs(host, port, user, key_file, secret, say)
    remember = bool(secret) and remember_secret
    if remember:
        secrets.require_usable()  # before connecting: exit 2 if it could not be saved anyway
    pinned = sftp.normalize_fingerprint(host_key) if host_key else None
    xref_pattern = check_pattern(xref_pattern)
    endpoint, key = _pinned_endpoint(host, port, user, pinned, key_path, progress)
    upload, download = _prove_folders(endpoint, secret, upload_dir, download_dir, progress)
    connection = Connection(host, port, user, key_path, key.fingerprint, key.key_type, upload,
                            download, None, xref_pattern)
    with project.writing("connect"):
        backend_name = _keep_secret(connection, secret if remember else None)
        connection = replace(connection, keyring=backend_name)
        _save_connection(project, connection, secret_in=backend_name or (
            "not kept" if secret else "none needed"))
    progress.report(3, 3, "connection saved")
    say(f"Connected to {endpoint.where} (host key {connection.fingerprint}); upload folder "
        f"{upload}, download folder {download}.")
    if backend_name:
        say(f"The {'passphrase' if key_path else 'password'} is kept in {backend_name}.")
    return connection


def _login_inputs(host: str, port: int, user: str, key_file: str | None, secret: str | None,
                  say: Say) -> tuple[str | None, str | None]:
    """The key file's absolute path and the secret the login needs (None for a key without
    a passphrase, said so), or `UsageError` for what is missing."""
    _check_address(host, port)
    if not user:
        raise UsageError("--user is empty: give the user name the provider gave you")
    if secret:
        logs.register_secret(secret)
    key_path = str(Path(key_file).expanduser().absolute()) if key_file else None
    if key_path and secret and Path(key_path).is_file() and \
            not sftp.key_needs_passphrase(key_path):
        say(f"The key file {key_path} has no passphrase: what came on standard input is "
            "not needed and was not kept.")
        secret = None
    if key_path is None and not secret:
        raise UsageError("give the password on standard input with --password-stdin, or a key "
                         "file with --key FILE")
    return key_path, secret


def _pinned_endpoint(host: str, port: int, user: str, pinned: str | None,
                     key_path: str | None,
                     progress: Progress) -> tuple[sftp.Endpoint, sftp.HostKey]:
    """The server's endpoint with the host key the person trusts, or the error naming the
    key it shows (none given) or the change (a different one)."""
    progress.report(0, 3, f"checking the host key of {host}:{port}")
    check(progress)
    if pinned is None:
        seen = sftp.probe_host_key(host, port)
        raise sftp.unknown_host_key(host, port, seen)
    key = sftp.resolve_pin(host, port, pinned)
    return sftp.Endpoint(host, port, user, key.fingerprint, key.key_type, key_path), key


def _prove_folders(endpoint: sftp.Endpoint, secret: str | None, upload_dir: str | None,
                   download_dir: str | None, progress: Progress) -> tuple[str, str]:
    """Log in once, and find the upload and download folders (the download one readable)."""
    progress.report(1, 3, f"logging in to {endpoint.where}")
    check(progress)
    with sftp.open_session(endpoint, secret) as session:
        progress.report(2, 3, "checking the folders")
        upload = _folder(session, upload_dir, "upload")
        download = _folder(session, download_dir, "download")
        sftp.list_files(session, download)  # readable, or a clear RemoteError now
    return upload, download


def _keep_secret(connection: Connection, secret: str | None) -> str | None:
    """The secret in the keyring (None: nothing to keep); the keyring's name."""
    if not secret:
        return None
    account = secrets.sftp_account(connection.user, connection.host, connection.port)
    return secrets.store_secret(account, secret).description


def _save_connection(project: Project, c: Connection, secret_in: str) -> None:
    """The connection's settings in the project, and the audit line saying so."""
    store = project.store
    for setting, value in {
        S_HOST: c.host, S_PORT: c.port, S_USER: c.user, S_KEY_FILE: c.key_file,
        S_HOST_KEY: c.fingerprint, S_KEY_TYPE: c.key_type, S_UPLOAD: c.upload_dir,
        S_DOWNLOAD: c.download_dir, S_AUTH: "key" if c.key_file else "password",
        S_XREF_PATTERN: c.xref_pattern,
    }.items():
        store.set_setting(setting, value)
    store.audit("connection saved", host=c.host, port=c.port, user=c.user,
                key_file=c.key_file, host_key=c.fingerprint, key_type=c.key_type,
                upload_dir=c.upload_dir, download_dir=c.download_dir,
                xref_pattern=c.xref_pattern, secret_in=secret_in)


def _folder(session: sftp.Session, given: str | None, kind: str) -> str:
    what = f"{kind} folder"
    if given:
        return session.folder(given, what)
    for candidate in DEFAULT_FOLDERS[kind]:
        with contextlib.suppress(RemoteError):
            return session.folder(candidate, what)
    return session.folder(".", what)


# -- the saved connection -----------------------------------------------------------------
def _endpoint(project: Project, step: str) -> tuple[sftp.Endpoint, str, str]:
    s = project.store.settings()
    if not s.get(S_HOST) or not s.get(S_HOST_KEY):
        raise NotReady(f"no provider connection is saved, so there is nothing to {step} "
                       f"with: run `convwiz connect {quote(project.folder)} --host H --user U ...` "
                       "first")
    endpoint = sftp.Endpoint(s[S_HOST], int(s[S_PORT]), s[S_USER], s[S_HOST_KEY],
                             s.get(S_KEY_TYPE), s.get(S_KEY_FILE))
    return endpoint, s[S_UPLOAD], s[S_DOWNLOAD]


def _secret_for(endpoint: sftp.Endpoint, given: str | None) -> str | None:
    if given:
        logs.register_secret(given)
        return given
    account = secrets.sftp_account(endpoint.user, endpoint.host, endpoint.port)
    if endpoint.key_file:
        # a key without a passphrase needs no keyring at all
        if not sftp.key_needs_passphrase(endpoint.key_file):
            return None
    value = secrets.read_secret(account)
    if value is None:
        what = "passphrase of the key" if endpoint.key_file else "password"
        raise NotReady(f"the keyring holds no {what} for {endpoint.where}: run `convwiz "
                       "connect ... --password-stdin` again to store it")
    logs.register_secret(value)
    return value


def _latest_flag_file(project: Project) -> ManifestEntry:
    made = [e for e in project.store.manifest("flag_file") if e.direction == "made"]
    if not made:
        raise NotReady("there is no flag file to send yet: make it first with `convwiz "
                       f"export-flags {project.folder} --input CUSTOMER_EXPORT.csv`")
    return made[-1]


# -- send -------------------------------------------------------------------------------------
def send(project: Project, progress: Progress, secret: str | None = None,
         wait: Callable[[float], None] | None = None, say: Say | None = None) -> Sent:
    """`convwiz send`: upload the latest flag file the safe way (see `wizard.services.sftp`).
    `say`: the messages for people (none by default)."""
    say = say or silent
    with project.writing("send"):
        entry, local = _flag_file_to_send(project)
        endpoint, upload_dir, _ = _endpoint(project, "send")
        digest = _unchanged(entry, local)
        size = local.stat().st_size
        password = _secret_for(endpoint, secret)
        state = sftp.UploadState()
        result = _upload(project, endpoint, password, local, upload_dir, (digest, size),
                         progress, wait, state)
        store = project.store
        if state.refusal:
            store.audit("rename refused", remote_path=f"{upload_dir.rstrip('/')}/{local.name}",
                        refusal=state.refusal,
                        fallback="the complete file was written directly under its final "
                                 "name; no partial was left under it")
        store.record_file(
            "sent", "flag_file", entry.name, digest, rows=entry.rows, size=size,
            remote_path=result.remote_path, host=endpoint.host, port=endpoint.port,
            user=endpoint.user, host_key=result.host_key, outcome="uploaded",
            tries=state.tries, resumed_from=state.resumed_from, rename=state.rename,
            notes=state.notes,
        )
        steps.mark_done(project, "send", remote_path=result.remote_path, sha256=digest,
                        bytes=size)
    say(f"Sent {entry.name} to {endpoint.host}:{result.remote_path} ({size} bytes, "
        f"SHA-256 {digest}).")
    if state.refusal:
        say("The server refuses renames: the file was written directly under its final "
            "name after a complete upload (noted in the audit log).")
    return Sent(entry.name, result.remote_path, size, digest, result.host_key, state.tries,
                state.resumed_from, state.rename)


def _flag_file_to_send(project: Project) -> tuple[ManifestEntry, Path]:
    """The latest flag file and its path: `NotReady` when there is none, or it is missing."""
    entry = _latest_flag_file(project)
    local = project.folder / entry.name
    if not local.is_file():
        raise NotReady(f"the flag file {entry.name} is missing from the project folder: "
                       f"make it again with `convwiz export-flags {quote(project.folder)} ...`")
    return entry, local


def _unchanged(entry: ManifestEntry, local: Path) -> str:
    """The flag file's SHA-256, or `NotReady` when it changed since it was made."""
    digest = sha256_file(local)
    if digest != entry.sha256:
        raise NotReady(f"the flag file {entry.name} changed since it was made (its SHA-256 "
                       "differs from the manifest): make it again with `convwiz "
                       "export-flags`, never edit it by hand")
    return digest


def _upload(project: Project, endpoint: sftp.Endpoint, password: str | None, local: Path,
            upload_dir: str, made: tuple[str, int], progress: Progress,
            wait: Callable[[float], None] | None, state: sftp.UploadState) -> sftp.Uploaded:
    """Upload (after removing a partial an earlier send left); a failure is audited, with
    the partial it leaves to remove next time, and the step marked failed."""
    store = project.store
    pending = store.setting(S_CLEANUP)
    digest, size = made

    def open_session() -> sftp.Session:
        return sftp.open_session(endpoint, password)

    try:
        if pending:
            _remove_pending(open_session, pending, store)
        return sftp.upload_with_retries(open_session, local, upload_dir, progress, wait=wait,
                                        state=state)
    except Exception as exc:
        partial = state.direct_partial
        if partial:
            store.set_setting(S_CLEANUP, partial)
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        store.audit("upload failed", remote_path=f"{upload_dir.rstrip('/')}/{local.name}",
                    bytes=size, sha256=digest, host=endpoint.host,
                    host_key=endpoint.host_key, outcome=message, tries=state.tries,
                    rename_refused=state.refusal or None, partial_left=partial)
        steps.mark_failed(project, "send", error=message)
        raise


def _remove_pending(open_session: Callable[[], sftp.Session], path: str, store: Any) -> None:
    """A previous send could not remove a partial final file: remove it before anything."""
    with open_session() as session:
        if session.exists(path) and not session.remove_quietly(path):
            raise RemoteError(f"a partial {path} from an earlier failed send is still on the "
                              "server and cannot be removed: ask the provider to delete it")
    store.set_setting(S_CLEANUP, None)
    store.audit("partial upload removed", remote_path=path)


# -- fetch ------------------------------------------------------------------------------------
def _fetched(project: Project) -> set[str]:
    return {e.detail.get("remote_id", "") for e in project.store.manifest("cross_reference")
            if e.direction == "received"}


def fetch_xref(project: Project, wait: float, progress: Progress,
               secret: str | None = None, say: Say | None = None) -> Fetched:
    """`convwiz fetch-xref`: download the newest cross-reference not fetched before.

    Only a CSV or XLSX whose name matches the connection's pattern and whose headers read as
    a cross-reference's is taken; every other new file is listed in `skipped` with its
    reason (and said, with `say`). With `wait` > 0 the download folder is polled until one
    appears or the time is up. Nothing taken (and no time left to wait) is exit 4: the
    provider has not answered yet.
    """
    if wait < 0:
        raise UsageError("--wait must be 0 or more seconds")
    with project.writing("fetch-xref"):
        endpoint, _, download_dir = _endpoint(project, "fetch the cross-reference")
        pattern = project.store.setting(S_XREF_PATTERN) or None
        password = _secret_for(endpoint, secret)
        poll = _Poll(project, endpoint, password, download_dir, pattern, progress,
                     say or silent)
        deadline = time.monotonic() + wait
        try:
            while True:
                check(progress)
                found = poll.once(deadline)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                progress.report(int(wait - left), int(wait),
                                f"waiting for the cross-reference in {download_dir} on "
                                f"{endpoint.host} ({int(left)} s left)")
                time.sleep(min(POLL_SECONDS, left))
        finally:
            poll.close()
    waited = f" after waiting {wait:g} s" if wait else ""
    passed = (f" ({len(poll.skipped)} other file(s) skipped: "
              f"{', '.join(shown(s.name) for s in poll.skipped)})" if poll.skipped else "")
    raise NotReady(f"no new cross-reference file in {download_dir} on {endpoint.host}"
                   f"{waited}{passed}: the provider has not answered yet. Run `convwiz "
                   f"fetch-xref {project.folder} --wait 600` to wait for it",
                   skipped=[asdict(s) for s in poll.skipped])


class _Unrecognised(Exception):
    """A downloaded file whose headers are not a cross-reference's."""


class _Poll:
    """One look at the download folder per call, reconnecting after a dropped link."""

    def __init__(self, project: Project, endpoint: sftp.Endpoint, password: str | None,
                 folder: str, pattern: str | None, progress: Progress, say: Say) -> None:
        self.project, self.endpoint, self.password = project, endpoint, password
        self.folder, self.pattern, self.progress = folder, pattern, progress
        self.say = say
        self.seen = _fetched(project)
        self.skipped: list[Skipped] = []
        self._judged: set[str] = set()  # identities skipped already: not fetched again
        self.session: sftp.Session | None = None

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def once(self, deadline: float) -> Fetched | None:
        try:
            if self.session is None:
                self.session = sftp.open_session(self.endpoint, self.password)
            for remote in self._candidates(self.session):
                try:
                    return _download(self.project, self.session, remote, self.progress,
                                     self.skipped, self.say)
                except _Unrecognised as exc:
                    self._skip(remote, str(exc))
        except sftp.StillWriting:
            pass
        except sftp.ConnectionLost as exc:
            # a dropped connection while waiting: reconnect at the next poll
            if time.monotonic() >= deadline:
                raise RemoteError(f"the connection to {self.endpoint.host} failed while "
                                  f"fetching ({exc.message}): run `convwiz fetch-xref` "
                                  "again") from None
            self.close()
        return None

    def _candidates(self, session: sftp.Session) -> list[sftp.RemoteFile]:
        fresh = []
        for remote in sftp.list_files(session, self.folder):
            if remote.identity in self.seen or remote.identity in self._judged:
                continue
            if name_matches(remote.name, self.pattern):
                fresh.append(remote)
            else:
                self._skip(remote, name_reason(self.pattern))
        return fresh

    def _skip(self, remote: sftp.RemoteFile, reason: str) -> None:
        self._judged.add(remote.identity)
        self.skipped.append(Skipped(remote.name, reason))
        self.say(f"Skipped {shown(remote.path)}: {reason}.")


def _read_as_xref(path: Path, name: str) -> int:
    """The rows of a file whose headers read as a cross-reference's; `_Unrecognised` if not."""
    try:
        table = read_table(path, header_hint=XREF_HEADERS)
    except InputError as exc:  # past a limit, damaged, not a table: the message says which
        raise _Unrecognised("it cannot be read as a table (" +
                            exc.message.replace(str(path), name) + ")") from None
    try:
        find_columns(table)
    except InputError as exc:
        raise _Unrecognised("its headers are not a cross-reference's (" +
                            exc.message.replace(str(path), name) + ")") from None
    return table.num_rows


def _download(project: Project, session: sftp.Session, remote: sftp.RemoteFile,
              progress: Progress, skipped: list[Skipped], say: Say) -> Fetched:
    target = _inbox_name(project, remote.name)
    digest = hashlib.sha256()
    label = f"downloading {shown(remote.name)}"
    with atomic_output(target) as (handle, tmp):
        sftp.download(session, remote.path, handle, progress, label, digest, expected=remote)
        handle.flush()
        rows = _read_as_xref(tmp, shown(remote.name))  # if not, the temporary copy goes with it
    got = remote.size
    sha = digest.hexdigest()
    if sha256_file(target) != sha:  # the bytes on disk are the bytes received
        remove(target)
        raise RemoteError(f"the downloaded {target.name} does not match what was received: "
                          "run `convwiz fetch-xref` again")
    name = project.relative(target)
    project.store.record_file(
        "received", "cross_reference", name, sha, rows=rows, size=got,
        remote_path=remote.path, remote_id=remote.identity, remote_mtime=remote.mtime,
        host=session.endpoint.host, host_key=session.host_key.fingerprint,
        skipped=[asdict(s) for s in skipped] or None,
    )
    say(f"Fetched {shown(remote.path)} from {session.endpoint.host} to {name} ({got} bytes, "
        f"{rows} rows, SHA-256 {sha}). Next: convwiz import-xref {quote(project.folder)}")
    return Fetched(name, target, remote.path, got, rows, sha, session.host_key.fingerprint,
                   list(skipped))


def _inbox_name(project: Project, remote_name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in remote_name).lstrip(".")
    safe = safe or "cross_reference.csv"
    target = project.inbox / safe
    stem, suffix = Path(safe).stem, Path(safe).suffix
    n = 2
    while target.exists():
        target = project.inbox / f"{stem}-{n}{suffix}"
        n += 1
    return target
