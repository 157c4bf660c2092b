"""Unit tests keep secrets (the SFTP password, the workbook password) in the in-memory keyring,
fresh for each test: never the developer's own keyring, and the same whichever tests run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.memkeyring import MemoryKeyring, installed


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    with installed() as backend:
        yield backend
