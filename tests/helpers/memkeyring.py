"""An in-memory keyring backend for tests: a real `KeyringBackend` with behaviour, no mocks.

In this process use the `memory_keyring` fixture (or `keyring.set_keyring(MemoryKeyring())`).
A subprocess picks it with `PYTHON_KEYRING_BACKEND=tests.helpers.memkeyring.MemoryKeyring`;
then, if `CONVWIZ_TEST_KEYRING` names a file, the secrets are shared through that file (a test
file outside any project, so processes of one test see the same secrets).
It can also be locked, to test the message a person sees then.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

STORE_ENV = "CONVWIZ_TEST_KEYRING"


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict (optionally mirrored to a test file shared by subprocesses)."""

    priority = 0.5  # low: chosen only when asked for by name
    secrets: ClassVar[dict[str, dict[str, str]]] = {}
    locked: ClassVar[bool] = False

    def _file(self) -> Path | None:
        name = os.environ.get(STORE_ENV)
        return Path(name) if name else None

    def _load(self) -> dict[str, dict[str, str]]:
        path = self._file()
        if path is not None and path.exists():
            return dict(json.loads(path.read_text(encoding="utf-8")))
        return type(self).secrets

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        path = self._file()
        if path is not None:  # whole or not at all: a process may be killed while it writes
            part = path.with_name(f"{path.name}.{os.getpid()}.part")
            part.write_text(json.dumps(data), encoding="utf-8", newline="")
            for attempt in range(200):  # Windows refuses while another process reads it
                try:
                    os.replace(part, path)
                    break
                except PermissionError:
                    if attempt == 199:
                        raise
                    time.sleep(0.01)
        else:
            type(self).secrets = data

    def _check(self) -> None:
        if type(self).locked:
            raise KeyringLocked("the test keyring is locked")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(username)
        del data[service][username]
        self._save(data)

    @classmethod
    def reset(cls) -> None:
        cls.secrets = {}
        cls.locked = False


def kept_secrets() -> dict[str, dict[str, str]]:
    """The secrets in the in-memory keyring, without the audit chain's heads (kept there too,
    under their own service: they are not secrets)."""
    from wizard.services.audit_chain import HEAD_SERVICE

    return {service: entries for service, entries in MemoryKeyring.secrets.items()
            if service != HEAD_SERVICE}


@contextmanager
def installed() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keyring as the process's keyring for the block, the previous one
    put back after it."""
    import keyring

    previous = keyring.get_keyring()
    MemoryKeyring.reset()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        MemoryKeyring.reset()
        keyring.set_keyring(previous)
