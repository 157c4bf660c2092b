"""The project's workbook password: the passphrase that encrypts every workbook that leaves the
project (the biller workbook, the outreach workbook).

Made once per project (six words of the EFF's long list, drawn by `secrets`: about 77 bits)
and kept in the OS keyring with the project's other secrets, nowhere else: not in the
project's database (which holds only the keyring entry's name), not in a file, not in a log.
The entry's name ties it to the project: `workbook:<biller>:<the project's random key>`.
`convwiz settings --new-workbook-password` replaces it; purge offers to remove it.
"""

from __future__ import annotations

import logging
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wizard.core.vocabulary import S_WORKBOOK_ENTRY, is_store_file
from wizard.errors import KeyringUnavailable, WorkbookLocked
from wizard.flow.project.project import Project
from wizard.services import logs, office_crypto, secrets

log = logging.getLogger("wizard.workbook_password")

# what the person is told wherever the password is shown
TELL_THE_BILLER = ("Tell the biller this password by phone or in a separate message, never in "
                   "the same mail as the workbook.")


@dataclass(frozen=True)
class WorkbookPassword:
    """The password and where it lives. `created`: made just now (the first workbook)."""

    password: str
    entry: str  # the keyring entry's name
    keyring: str  # the store, in the person's words
    created: bool = False

    def __repr__(self) -> str:  # never the password, not even in a traceback's repr
        return f"WorkbookPassword(entry={self.entry!r}, created={self.created})"

    __str__ = __repr__


def entry(project: Project) -> str | None:
    """The keyring entry's name, if the project has made a password."""
    value = project.setting(S_WORKBOOK_ENTRY)
    return str(value) if value else None


def current(project: Project) -> str | None:
    """The project's workbook password from the keyring, or None if it has none (never made,
    or removed). Keyring failures are `KeyringUnavailable` (exit 2)."""
    name = entry(project)
    found = secrets.read_secret(name) if name else None
    if found:
        logs.register_secret(found)
    return found


def ensure(project: Project) -> WorkbookPassword:
    """The project's password, made and stored on first use. Needs a usable keyring."""
    info = secrets.require_usable()
    name = entry(project)
    if name:
        found = secrets.read_secret(name)
        if found:
            logs.register_secret(found)  # the log redacts it, should anything quote it
            return WorkbookPassword(found, name, info.description)
    return _make(project, "workbook password made")


def for_demo(project: Project) -> WorkbookPassword:
    """The demo's password: the project's, in the keyring, when there is a usable one; else
    one made for this run and kept in memory only (the demo needs no keyring, like its SFTP
    password), so the demo's workbook is encrypted all the same."""
    try:
        return ensure(project)
    except KeyringUnavailable:
        password = office_crypto.new_passphrase()
        logs.register_secret(password)
        return WorkbookPassword(password, "",
                                "memory only (no usable keyring: shown once, kept nowhere)",
                                created=True)


def renew(project: Project, by: str = "convwiz settings") -> WorkbookPassword:
    """`convwiz settings --new-workbook-password`: a new passphrase replaces the old one
    (workbooks written before keep the old one: write them again)."""
    secrets.require_usable()
    with project.writing("settings"):
        return _make(project, "workbook password replaced", by)


def _make(project: Project, action: str, by: str = "convwiz") -> WorkbookPassword:
    name = entry(project) or secrets.workbook_account(project.slug(), _random.token_hex(8))
    # the entry's name first: a keyring that then fails leaves a name pointing at nothing
    # (the next run makes the password), never a password no project knows of
    project.store.set_setting(S_WORKBOOK_ENTRY, name)
    password = office_crypto.new_passphrase()
    logs.register_secret(password)
    info = secrets.store_secret(name, password)
    project.store.audit(action, actor=by, keyring_entry=name, keyring=info.description,
                        words=office_crypto.PASSPHRASE_WORDS,
                        bits=round(office_crypto.passphrase_bits(), 1))
    log.info("%s (keyring entry %s in %s)", action, name, info.name)
    return WorkbookPassword(password, name, info.description, created=True)


def forget(project: Project) -> bool:
    """Remove the password from the keyring (purge); True if there was one."""
    name = entry(project)
    if not name:
        return False
    return secrets.delete_secret(name)


def open_workbook(project: Project, path: Path, password: str | None = None) -> bytes:
    """The plain XLSX package of a workbook the project wrote, decrypted in memory with
    `password` or the project's own (for reading it back: never written to disk).

    A plain workbook is returned as it is. A wrong or missing password is `WorkbookLocked`
    (exit 2)."""
    path = Path(path)
    if is_store_file(path):  # SQLite's alone: a plain read's close drops the store's locks
        raise WorkbookLocked(f"{path.name} is a conversion project's database, not a workbook")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkbookLocked(f"{path}: cannot be read ({exc.strerror})") from None
    if not office_crypto.is_encrypted(data[:8]):
        return data
    if password is None:
        try:
            password = current(project)
        except KeyringUnavailable as exc:
            raise WorkbookLocked(f"{path.name} is encrypted, and {exc.message}") from None
    return office_crypto.decrypt(data, password, path.name)


def opener(project: Project) -> Callable[[Path], bytes | None]:
    """For `core.reader.read_table`: an encrypted workbook given as input (the project's own
    biller or outreach workbook, or a biller's file protected with the project's password)
    is decrypted in memory with the project's password; an old .xls is left to the reader."""

    def open_(path: Path) -> bytes | None:
        data = Path(path).read_bytes()
        if not office_crypto.is_encrypted_package(data):
            return None
        try:
            password = current(project)
        except KeyringUnavailable as exc:
            raise WorkbookLocked(f"{Path(path).name} is encrypted, and {exc.message}") from None
        return office_crypto.decrypt(data, password, Path(path).name)

    return open_
