"""Step 3, Send to Daffron: the provider's connection, Test connection with the host key shown
to accept, which keyring holds the password, and the upload with bytes, rate, time left and
Cancel; the result with its SHA-256 and the remote path."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wizard.core.vocabulary import (
    S_DOWNLOAD,
    S_HOST,
    S_HOST_KEY,
    S_KEY_FILE,
    S_PORT,
    S_UPLOAD,
    S_USER,
)
from wizard.ui import file_dialogs, settings
from wizard.ui.pages.base import PageContext, StepPage
from wizard.ui.widgets import ProgressPanel, note, section, value_label

if TYPE_CHECKING:
    from wizard.flow.steps.exchange import Connection, Sent, ServerKey

# the saved connection's fields, each with the project setting that keeps it
CONNECTION_SETTINGS = {"host": S_HOST, "port": S_PORT, "user": S_USER, "host_key": S_HOST_KEY,
                       "upload_dir": S_UPLOAD, "download_dir": S_DOWNLOAD,
                       "key_file": S_KEY_FILE}


class HostKeyDialog(QDialog):
    """An unknown server: show its SHA-256 fingerprint and ask before trusting it."""

    def __init__(self, host: str, port: int, fingerprint: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fingerprint = fingerprint
        self.setWindowTitle("Trust this server?")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"This is the first connection to <b>{host}:{port}</b>. Its host key fingerprint "
            "is:")
        text.setWordWrap(True)
        layout.addWidget(text)
        shown = QLineEdit(fingerprint)
        shown.setReadOnly(True)
        shown.setAccessibleName("Host key fingerprint")
        shown.setAccessibleDescription("Compare it with the fingerprint the provider gave you")
        shown.setMinimumWidth(520)
        shown.setStyleSheet("font-family: monospace; font-size: 11pt;")
        self.shown = shown
        layout.addWidget(shown)
        layout.addWidget(note(
            "Compare it, character by character, with the fingerprint the provider gave you "
            "(by phone or in their onboarding email). Accept only if they are the same: the "
            "wizard will then refuse any other key for this server."))
        buttons = QDialogButtonBox()
        self.accept_button = buttons.addButton("&Trust and connect",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.refuse_button = buttons.addButton("&Do not trust",
                                               QDialogButtonBox.ButtonRole.RejectRole)
        # Enter must never trust a key by accident: the default is "Do not trust"
        self.accept_button.setAutoDefault(False)
        self.refuse_button.setAutoDefault(True)
        self.refuse_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def provider_says(self, fingerprint: str) -> None:
        """Show the fingerprint the provider gave (the demo's simulator gives its own)."""
        given = QLineEdit(fingerprint)
        given.setReadOnly(True)
        given.setStyleSheet("font-family: monospace; font-size: 11pt;")
        given.setAccessibleName("Fingerprint the provider gave")
        given.setAccessibleDescription("In the demo, the simulated provider's own fingerprint")
        layout = self.layout()
        assert layout is not None
        at = layout.indexOf(self.shown) + 1
        caption = QLabel("The fingerprint the provider gave you (in the demo, the simulated "
                         "provider's own):")
        caption.setWordWrap(True)
        box = layout
        if isinstance(box, QVBoxLayout):
            box.insertWidget(at, caption)
            box.insertWidget(at + 1, given)
        self.given = given

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.accept_button.setDefault(False)
        self.refuse_button.setDefault(True)
        self.refuse_button.setFocus()


class SendPage(StepPage):
    step_id = "send"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Send to Daffron", "Upload the flag file to the provider over "
                         "SFTP. Test the connection once; the password goes to the system "
                         "keyring, never into the project.", parent)
        self._build_connection_section()
        self._build_send_section()
        self.layout_.addStretch(1)
        self.dialog: HostKeyDialog | None = None
        self._prefilled = False

    def _build_connection_section(self) -> None:
        """The server's address and login, what the keyring holds, and Test connection."""
        frame, box = section("The provider's SFTP server")
        self.connection_frame = frame
        box.addLayout(self._build_connection_form())
        self.keyring_label = note("")
        box.addWidget(self.keyring_label)
        self.connection_label = value_label()
        box.addWidget(self.connection_label)
        row = QHBoxLayout()
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self.test_connection)
        row.addWidget(self.test_button)
        row.addStretch(1)
        box.addLayout(row)
        self.layout_.addWidget(frame)

    def _build_connection_form(self) -> QFormLayout:
        """Host, port, user, password, key file and the two folders."""
        form = QFormLayout()
        self.host = QLineEdit()
        self.host.setPlaceholderText("sftp.provider.example")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(22)
        self.port.setMaximumWidth(120)
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("leave empty to keep the one in the keyring")
        self.key_file = QLineEdit()
        self.key_file.setPlaceholderText("optional: a private key file instead of a password")
        browse = QPushButton("B&rowse…")
        browse.clicked.connect(self._choose_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_file, 1)
        key_row.addWidget(browse)
        self.upload_dir = QLineEdit()
        self.upload_dir.setPlaceholderText("the provider's default")
        self.download_dir = QLineEdit()
        self.download_dir.setPlaceholderText("the provider's default")
        form.addRow("&Host:", self.host)
        form.addRow("&Port:", self.port)
        form.addRow("&User:", self.user)
        form.addRow("Pass&word:", self.password)
        key_label = QLabel("&Key file:")
        key_label.setBuddy(self.key_file)
        form.addRow(key_label, key_row)
        form.addRow("Up&load folder:", self.upload_dir)
        form.addRow("&Download folder:", self.download_dir)
        return form

    def _build_send_section(self) -> None:
        """The flag file to send, Send, its progress and result."""
        frame, box = section("Send the flag file")
        self.flag_file_label = value_label()
        box.addWidget(self.flag_file_label)
        row = QHBoxLayout()
        self.send_button = self.make_primary(QPushButton("&Send flag file"))
        self.send_button.clicked.connect(self.send)
        row.addWidget(self.send_button)
        row.addStretch(1)
        box.addLayout(row)
        self.progress = ProgressPanel(units="bytes")
        self.progress.cancel_requested.connect(self.cancel)
        box.addWidget(self.progress)
        self.result_label = value_label()
        box.addWidget(self.result_label)
        self.layout_.addWidget(frame)

    def task_keys(self) -> tuple[str, ...]:
        return ("send", "send.connect")

    def default_button(self) -> QPushButton | None:
        """Enter in the connection form tests the connection; elsewhere it sends."""
        focus = self.window().focusWidget()
        if focus is not None and self.connection_frame.isAncestorOf(focus):
            return self.test_button
        return self.primary

    # -- state --------------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self._prefilled:
            self._prefill()
            self._prefilled = True
        try:
            from wizard.flow.runtime import keyring_backend

            info = keyring_backend()
            if info.real:
                text = f"Passwords are kept in {info.person_name}."
            elif info.usable:
                text = (f"⚠ Passwords would be kept in {info.person_name}, not the system "
                        "keyring: prefer a key file, or install a system keyring.")
            else:
                text = ("⚠ No usable keyring on this computer: use a key file, or install and "
                        "unlock a system keyring (GNOME Keyring, KDE Wallet).")
        except Exception as exc:  # noqa: BLE001 - a broken keyring must not break the page
            text = f"⚠ The keyring cannot be asked ({type(exc).__name__})."
        if self.ctx.demo is not None:
            text += (" In the demo the simulator's password is handed over in memory and kept "
                     "nowhere." if self.ctx.demo_secret() else
                     " The demo logs in with its own key file: no password is needed.")
        self.keyring_label.setText(text)
        latest = self.project.store.latest_file("flag_file")
        if latest is not None and not (self.project.folder / latest.name).exists() and not (
                Path(latest.name).exists()):
            self.flag_file_label.setText(f"The flag file {Path(latest.name).name} is no longer "
                                         "there (purged or removed): make it again on the Flag "
                                         "file page.")
        elif latest is None:
            self.flag_file_label.setText("No flag file yet: make it in the Flag file step.")
        else:
            self.flag_file_label.setText(
                f"The flag file to send: <b>{Path(latest.name).name}</b>, {latest.rows or 0:,} "
                f"customers, SHA-256 {latest.sha256[:16]}…")
        self._show_connection()
        self._update_buttons()

    def _connection(self) -> dict[str, Any]:
        saved = {key: self.project.setting(name) for key, name in CONNECTION_SETTINGS.items()}
        return {key: value for key, value in saved.items() if value is not None}

    def _prefill(self) -> None:
        saved = self._connection()
        if not saved and self.ctx.demo is not None:
            saved = dict(self.ctx.demo.connection)
        self.host.setText(str(saved.get("host") or ""))
        self.port.setValue(int(saved.get("port") or 22))
        self.user.setText(str(saved.get("user") or ""))
        self.key_file.setText(str(saved.get("key_file") or ""))
        self.upload_dir.setText(str(saved.get("upload_dir") or ""))
        self.download_dir.setText(str(saved.get("download_dir") or ""))

    def _show_connection(self) -> None:
        saved = self._connection()
        if saved.get("host") and saved.get("host_key"):
            self.connection_label.setText(
                f"Saved connection: {saved.get('user')}@{saved['host']}:{saved.get('port', 22)}"
                f", host key pinned ({saved['host_key']}).")
        else:
            self.connection_label.setText("No connection saved yet: fill in the form and press "
                                          "Test connection.")

    def _secret(self) -> str | None:
        return self.password.text() or self.ctx.demo_secret()

    def _choose_key(self) -> None:
        path = file_dialogs.open_file_name(
            self, "Choose the private key",
            str(settings.last_folder("key", Path.home() / ".ssh")), "")
        if path:
            settings.remember_folder("key", Path(path))
            self.key_file.setText(path)

    # -- test connection ----------------------------------------------------------------------
    def test_connection(self) -> None:
        from wizard.flow.steps.exchange import host_key

        host, port = self.host.text().strip(), self.port.value()
        if not host or not self.user.text().strip():
            self.banner.show_message("warning", "Fill in the host and the user first.")
            return
        self.banner.clear()
        self.progress.units = ""
        self.progress.start(f"Asking {host}:{port} for its host key…")
        pinned = self._connection().get("host_key") if self._connection().get(
            "host") == host else None

        def got_key(result: ServerKey) -> None:
            fingerprint = result.fingerprint
            if pinned and pinned == fingerprint:
                self._connect(fingerprint)
            elif pinned:
                self.progress.finish()
                self.banner.show_message(
                    "error", f"{host}:{port} now shows a different host key ({fingerprint}) "
                    f"from the one trusted before ({pinned}). Do not send anything: call the "
                    "provider and ask whether they changed their server's key.")
            else:
                self.progress.finish()
                self.ask_host_key(host, port, fingerprint)

        self.ctx.runner.start("send.connect", lambda _s: host_key(host, port), on_done=got_key,
                              on_error=self._failed, on_finished=self._update_buttons)
        self._update_buttons()

    def ask_host_key(self, host: str, port: int, fingerprint: str) -> HostKeyDialog:
        dialog = HostKeyDialog(host, port, fingerprint, self)
        demo = self.ctx.demo
        if demo is not None:  # the demo's "provider" gives its fingerprint here
            dialog.provider_says(str(demo.simulator.fingerprint))
        self.dialog = dialog

        def answered(result: int) -> None:
            self.dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted:
                self._connect(fingerprint)
            else:
                self.banner.show_message(
                    "warning", f"Not connected: the host key of {host}:{port} was not trusted. "
                    "Nothing was saved. Check the fingerprint with the provider and press Test "
                    "connection again.")

        dialog.finished.connect(answered)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def _connect(self, fingerprint: str) -> None:
        from wizard.flow.steps.exchange import connect

        kwargs: dict[str, Any] = dict(
            host=self.host.text().strip(), port=self.port.value(), user=self.user.text().strip(),
            key_file=self.key_file.text().strip() or None, secret=self._secret(),
            host_key=fingerprint, upload_dir=self.upload_dir.text().strip() or None,
            download_dir=self.download_dir.text().strip() or None)
        self.progress.units = ""
        self.progress.start(f"Connecting to {kwargs['host']}…")

        def connected(result: Connection) -> None:
            self.password.clear()
            where = result.keyring or ""
            self.banner.show_message(
                "success", f"Connected to {kwargs['host']} and saved the connection"
                f"{f'; the password is in {where}' if where else ''}. Press Send flag file.")
            self.saved.emit()
            self.refresh()

        remember = self.ctx.demo is None  # the demo's password dies with its simulator
        self.ctx.runner.start(
            "send.connect", lambda state: connect(self.project, progress=state,
                                                  remember_secret=remember, **kwargs),
            on_done=connected, on_error=self._failed, on_finished=self._finished)
        self._update_buttons()

    # -- send ---------------------------------------------------------------------------------
    def send(self) -> None:
        from wizard.flow.steps.exchange import send

        self.banner.clear()
        self.result_label.clear()
        self.progress.units = "bytes"
        self.progress.start("Sending the flag file…")
        secret = self._secret()

        def sent(result: Sent) -> None:
            self.banner.show_message("success", "The flag file is on the provider's server. "
                                     "Next: fetch the cross-reference when they answer.")
            self.result_label.setText(
                f"Sent <b>{Path(result.file).name}</b> to <b>{result.remote_path}</b>: "
                f"{result.bytes:,} bytes, SHA-256 <code>{result.sha256}</code>")
            self.reveal(self.result_label)
            self.saved.emit()

        self.ctx.runner.start("send", lambda state: send(self.project, state, secret=secret),
                              on_progress=self.progress.update_progress, on_done=sent,
                              on_error=self._failed, on_finished=self._finished)
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self.progress.finish()
        self.show_error(exc)
        self.saved.emit()

    def connected(self) -> bool:
        saved = self._connection()
        return bool(saved.get("host") and saved.get("host_key"))

    def _update_buttons(self) -> None:
        from wizard.flow.project import steps

        busy = self.busy
        wait = self.other_work()
        self.test_button.setEnabled(not busy and not wait)
        self.test_button.setToolTip(wait)
        has_file = self.project.store.latest_file("flag_file") is not None
        connected = self.connected()
        self.send_button.setEnabled(not busy and has_file and connected and not wait)
        self.send_button.setToolTip(
            wait if wait else "" if has_file and connected else
            "Make the flag file on the Flag file page first" if not has_file else
            "Press Test connection first: no connection to the provider is saved yet")
        # Enter presses what can work now: Test connection until a connection exists; once
        # the latest flag file is sent, nothing here invites a second send (Enter: Next)
        sent = connected and steps.is_done(self.project, "send")
        self.primary = None if sent else self.send_button if connected else self.test_button
        self.send_button.setObjectName("primary" if connected and not sent else "")
        self.test_button.setObjectName("" if connected else "primary")
        for b in (self.send_button, self.test_button):
            b.style().unpolish(b)
            b.style().polish(b)
