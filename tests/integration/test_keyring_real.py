"""A real Secret Service (gnome-keyring under dbus-run-session) holds the SFTP password.

CI runs this under:
    dbus-run-session -- sh -c 'printf %s "$PW" | gnome-keyring-daemon --unlock \
        --components=secrets >/dev/null && pytest -m keyring_real ...'
It skips only when no Secret Service answers on the session bus; .ci/run fails on a skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.helpers.cli import convwiz
from wizard.services import secrets
from wizard.services.simulator import Simulator

pytestmark = pytest.mark.keyring_real


def _secret_service_running() -> str | None:
    """None if a Secret Service answers, else why not."""
    try:
        import secretstorage
    except ImportError:
        return "secretstorage is not installed (pip install secretstorage)"
    try:
        connection = secretstorage.dbus_init()
    except Exception as exc:
        return f"no D-Bus session bus ({exc}); run under dbus-run-session"
    try:
        if not secretstorage.check_service_availability(connection):
            return ("no Secret Service on the session bus: start gnome-keyring-daemon "
                    "--unlock --components=secrets")
    finally:
        connection.close()
    return None


@pytest.fixture
def real_keyring() -> Iterator[None]:
    reason = _secret_service_running()
    if reason:
        pytest.skip(reason)
    from keyring.backends import SecretService

    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    yield
    keyring.set_keyring(previous)


def test_store_and_read_through_the_secret_service(real_keyring: None) -> None:
    info = secrets.backend()
    assert info.real, info
    account = secrets.sftp_account("ci-user", "sftp.example.net", 2222)
    secrets.store_secret(account, "real keyring pässword")
    try:
        assert secrets.read_secret(account) == "real keyring pässword"
    finally:
        assert secrets.delete_secret(account)
    assert secrets.read_secret(account) is None


def test_connect_then_send_with_the_password_from_the_secret_service(
        real_keyring: None, flag_project: Path, simulator: Simulator) -> None:
    run = convwiz("connect", flag_project, "--host", simulator.host, "--port", simulator.port,
                  "--user", simulator.user, "--password-stdin", "--host-key",
                  simulator.fingerprint, "--upload-dir", simulator.upload_dir,
                  "--download-dir", simulator.download_dir, "--json",
                  stdin=simulator.password + "\n")
    assert run.code == 0, run.stderr
    assert run.result["keyring"] == "GNOME Keyring (Secret Service)"  # in a person's words
    account = secrets.sftp_account(simulator.user, simulator.host, simulator.port)
    try:
        sent = convwiz("send", flag_project, "--json")  # reads the password back
        assert sent.code == 0, sent.stderr
        for path in flag_project.rglob("*"):
            if path.is_file():
                assert simulator.password.encode() not in path.read_bytes(), path
    finally:
        secrets.delete_secret(account)


def test_the_workbook_password_lives_in_the_secret_service(
        real_keyring: None, project: Path) -> None:
    """`report` makes the project's workbook password in the real keyring, under an entry
    naming the project, and reads it back the next time; purge removes it."""
    from tests.helpers.conversion import build
    from tests.helpers.workbooks import calamine
    from wizard.flow.project import workbook_password
    from wizard.flow.project.project import Project

    build(project, n=30, xref=False)
    run = convwiz("report", project, "--json", "--show-password")
    assert run.code == 0, run.stderr
    with Project.open(project) as p:
        entry = workbook_password.entry(p)
    assert entry is not None and entry.startswith("workbook:Acme_Electric_Co-op:")
    try:
        assert secrets.read_secret(entry) == run.result["password"]
        assert "GNOME Keyring" in run.stderr
        assert calamine(run.result["output"], run.result["password"]).sheet_names[0] == "Summary"
        again = convwiz("report", project, "--json", "--show-password")
        assert again.result["password"] == run.result["password"]
        purged = convwiz("purge", project, "--yes", "--force", "--json")
        assert purged.code == 0 and purged.result["workbook_password_removed"] is True
        assert secrets.read_secret(entry) is None
    finally:
        secrets.delete_secret(entry)
