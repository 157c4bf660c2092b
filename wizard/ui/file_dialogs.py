"""The window's file dialogs, which never open a project's database (issue 29).

Qt's own file dialog guesses each listed file's type from its first bytes (QMimeDatabase,
through the icon provider's `type()`), even for folders-only dialogs: listing a project's
folder opened `convwiz.sqlite`, its `-wal` and `-shm`, and closed them. On POSIX that close
drops every lock this process holds on those files, so the next step's child process, when
it closed its connection, deleted the -wal under the window's live one, and the window's
later writes were lost. These dialogs tell a file's type by its name alone. Linux and macOS
use Qt's dialog with that provider (a native dialog in this process would sniff the same
way); Windows keeps its own dialog: its file locks belong to a handle, and closing another
handle drops none.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QFileInfo, QMimeDatabase, QMimeType
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QWidget


class NameOnlyIcons(QFileIconProvider):
    """A file's type and icon from its name alone: no file is opened to guess it."""

    def __init__(self) -> None:
        super().__init__()
        self._mimes = QMimeDatabase()

    def _mime(self, info: QFileInfo) -> QMimeType:
        return self._mimes.mimeTypeForFile(info.fileName(),
                                           QMimeDatabase.MatchMode.MatchExtension)

    def type(self, info: QFileInfo) -> str:
        if not info.isFile():
            return super().type(info)
        mime = self._mime(info)
        return mime.comment() or mime.name()

    def icon(self, info: Any) -> QIcon:
        if isinstance(info, QFileInfo) and info.isFile():
            mime = self._mime(info)
            fallback = super().icon(QAbstractFileIconProvider.IconType.File)
            return QIcon.fromTheme(mime.iconName(),
                                   QIcon.fromTheme(mime.genericIconName(), fallback))
        return super().icon(info)


_PROVIDERS: dict[int, NameOnlyIcons] = {}  # each kept alive until its dialog is destroyed


def _dialog(parent: QWidget | None, caption: str, folder: str, filters: str = "") -> QFileDialog:
    dialog = QFileDialog(parent, caption, folder, filters)
    if sys.platform != "win32":
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        provider = NameOnlyIcons()
        dialog.setIconProvider(provider)
        key = id(dialog)
        _PROVIDERS[key] = provider
        dialog.destroyed.connect(lambda *_: _PROVIDERS.pop(key, None))
    return dialog


def open_file_name(parent: QWidget | None, caption: str, folder: str,
                   filters: str) -> str:
    """QFileDialog.getOpenFileName, never opening a store file; "" when cancelled."""
    dialog = _dialog(parent, caption, folder, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    return _chosen(dialog)


def save_file_name(parent: QWidget | None, caption: str, path: str, filters: str) -> str:
    """QFileDialog.getSaveFileName, never opening a store file; "" when cancelled."""
    dialog = _dialog(parent, caption, path, filters)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    return _chosen(dialog)


def existing_directory(parent: QWidget | None, caption: str, folder: str) -> str:
    """QFileDialog.getExistingDirectory, never opening a store file; "" when cancelled."""
    dialog = _dialog(parent, caption, folder)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly)
    return _chosen(dialog)


def _chosen(dialog: QFileDialog) -> str:
    try:
        if dialog.exec() != QFileDialog.DialogCode.Accepted:
            return ""
        files = dialog.selectedFiles()
        return files[0] if files else ""
    finally:
        dialog.deleteLater()
