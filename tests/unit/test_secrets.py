"""The keyring layer: which backend, real or not, and the messages when there is none."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import SecretService, fail, null

from tests.helpers.memkeyring import MemoryKeyring
from wizard.errors import KeyringUnavailable
from wizard.services import secrets


@pytest.fixture
def use_backend() -> Iterator[object]:
    previous = keyring.get_keyring()
    MemoryKeyring.reset()

    def use(backend: object) -> None:
        keyring.set_keyring(backend)  # type: ignore[arg-type]

    yield use
    MemoryKeyring.reset()
    keyring.set_keyring(previous)


class PlaintextKeyring(MemoryKeyring):
    """Stands for keyrings.alt's PlaintextKeyring: a file of secrets in clear."""


def test_round_trip_through_the_memory_backend(use_backend) -> None:
    use_backend(MemoryKeyring())
    account = secrets.sftp_account("daffron", "sftp.example.net", 22)
    assert account == "sftp:daffron@sftp.example.net:22"
    secrets.store_secret(account, "s3cret pass")
    assert secrets.read_secret(account) == "s3cret pass"
    assert MemoryKeyring.secrets == {"convwiz": {account: "s3cret pass"}}
    assert secrets.delete_secret(account) is True
    assert secrets.read_secret(account) is None
    assert secrets.delete_secret(account) is False


def test_the_memory_backend_is_usable_but_not_a_system_store(use_backend) -> None:
    use_backend(MemoryKeyring())
    info = secrets.backend()
    assert info.usable and not info.real
    assert "not a system store" in info.description


def test_secret_service_counts_as_a_real_store(use_backend) -> None:
    use_backend(SecretService.Keyring())
    info = secrets.backend()
    assert info.real and info.usable
    assert info.description == "GNOME Keyring (Secret Service)"  # a person's words


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), PlaintextKeyring()],
                         ids=["fail", "null", "plaintext"])
def test_no_real_keyring_is_exit_2_with_what_to_install(use_backend, backend: object) -> None:
    use_backend(backend)
    assert not secrets.backend().usable
    with pytest.raises(KeyringUnavailable) as caught:
        secrets.store_secret("sftp:u@h:22", "pw")
    assert caught.value.exit_code == 2
    assert "gnome-keyring" in caught.value.message
    assert MemoryKeyring.secrets == {}  # never a plaintext fallback


def test_locked_keyring_says_to_unlock(use_backend) -> None:
    use_backend(MemoryKeyring())
    MemoryKeyring.locked = True
    with pytest.raises(KeyringUnavailable) as caught:
        secrets.read_secret("sftp:u@h:22")
    assert "locked" in caught.value.message and "unlock" in caught.value.message
    assert caught.value.exit_code == 2


def test_messages_never_carry_the_secret(use_backend) -> None:
    class Failing(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError(f"could not store {password}")

    use_backend(Failing())
    with pytest.raises(KeyringUnavailable) as caught:
        secrets.store_secret("sftp:u@h:22", "hunter2-very-secret")
    assert "hunter2" not in caught.value.message
