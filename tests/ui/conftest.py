"""GUI test fixtures: Qt offscreen, QSettings in a temporary folder, an in-memory keyring,
and a wizard whose windows are all closed (and their work awaited) after each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture(autouse=True)
def qsettings_in_tmp(tmp_path: Path, qapp: object) -> Path:
    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[object]:
    import keyring

    from tests.helpers.memkeyring import MemoryKeyring

    before = keyring.get_keyring()
    backend = MemoryKeyring()
    MemoryKeyring.secrets.clear()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def wizard(qapp: object) -> Iterator[object]:
    from wizard.ui.app import Wizard, application

    application()
    w = Wizard()
    yield w
    w.shutdown()
    if w.start is not None:
        w.start.close()
