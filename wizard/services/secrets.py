"""Secrets (SFTP passwords, key passphrases) in the operating system's keyring, nowhere else.

A thin layer over `keyring` that says which backend is in use and whether it is a real system
store (Secret Service, KWallet, macOS Keychain, Windows Credential Locker). The fail, null and
plaintext backends are refused: a secret is never written to a file by this program. Keyring
failures become `KeyringUnavailable` (exit 2) with what to install or unlock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from wizard.errors import KeyringUnavailable

log = logging.getLogger("wizard.secrets")

SERVICE = "convwiz"

# backends that keep secrets in a real, encrypted system store
_REAL_MODULES = (
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
)
# backends that store nothing, fail, or write secrets to a file in clear
_REFUSED_MODULES = ("keyring.backends.fail", "keyring.backends.null")
_INSTALL_HINT = (
    "install and start a Secret Service (GNOME Keyring or KWallet) and log in to a desktop "
    "session, e.g. `apt install gnome-keyring` and `pip install secretstorage`; on Windows "
    "and macOS the system store is used"
)


@dataclass(frozen=True)
class Backend:
    """The keyring backend in use."""

    name: str  # e.g. "keyring.backends.SecretService.Keyring"
    real: bool  # a system store that keeps secrets encrypted
    usable: bool  # not a fail/null/plaintext backend

    @property
    def person_name(self) -> str:
        """The store as the person knows it: "Windows Credential Manager", "macOS Keychain",
        "GNOME Keyring"; the class name only for a backend we do not know."""
        for prefix, words in _PERSON_NAMES:
            if self.name.startswith(prefix):
                return words
        return self.name

    @property
    def description(self) -> str:
        if self.real:
            return self.person_name
        if self.usable:
            return f"a keyring that is not a system store ({self.person_name})"
        return f"no usable keyring ({self.person_name})"


# where each system keeps secrets, in its own words (the keyring backends' module names)
_PERSON_NAMES: tuple[tuple[str, str], ...] = (
    ("keyring.backends.Windows", "Windows Credential Manager"),
    ("keyring.backends.macOS", "macOS Keychain"),
    ("keyring.backends.SecretService", "GNOME Keyring (Secret Service)"),
    ("keyring.backends.libsecret", "GNOME Keyring (libsecret)"),
    ("keyring.backends.kwallet", "KDE Wallet"),
)


def _classify(backend: Any) -> tuple[bool, bool]:
    cls = type(backend)
    module = cls.__module__
    qualname = f"{module}.{cls.__name__}"
    children = getattr(backend, "backends", None)
    if module.startswith("keyring.backends.chainer") and children is not None:
        kinds = [_classify(child) for child in children]
        return any(r for r, _ in kinds), any(u for _, u in kinds)
    if module.startswith(_REFUSED_MODULES) or "plaintext" in qualname.lower():
        return False, False
    if module.startswith("keyrings.alt"):
        # the alternative file backends are files on disk: never a home for a secret
        return False, False
    real = module.startswith(_REAL_MODULES)
    return real, True


def backend() -> Backend:
    """Which keyring backend `keyring` chose, and whether it is a real system store."""
    import keyring

    chosen = keyring.get_keyring()
    real, usable = _classify(chosen)
    children = getattr(chosen, "backends", None)
    if children:  # the chainer: name the first store that really keeps secrets
        chosen = next((c for c in children if _classify(c)[0]), children[0])
    cls = type(chosen)
    return Backend(f"{cls.__module__}.{cls.__name__}", real, usable)


def sftp_account(user: str, host: str, port: int) -> str:
    """The keyring username for an SFTP login."""
    return f"sftp:{user}@{host}:{port}"


def workbook_account(project_slug: str, project_key: str) -> str:
    """The keyring username for a project's workbook password: the biller's name (so a
    person browsing the keyring knows it) and the project's own random key (so two projects
    of one biller never share a password)."""
    return f"workbook:{project_slug}:{project_key}"


def require_usable() -> Backend:
    """The backend, or `KeyringUnavailable` when none can hold a secret."""
    info = backend()
    if not info.usable:
        raise KeyringUnavailable(f"no usable keyring to keep the password in: {_INSTALL_HINT}")
    return info


def _translate(exc: Exception, doing: str) -> KeyringUnavailable:
    import keyring.errors

    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeyringUnavailable(
            f"the keyring is locked, so the password cannot be {doing}: unlock it (log in to "
            "the desktop session, or unlock the 'login' keyring in Passwords and Keys) and "
            "try again"
        )
    if isinstance(exc, keyring.errors.NoKeyringError):
        return KeyringUnavailable(f"no usable keyring, so the password cannot be {doing}: "
                                  f"{_INSTALL_HINT}")
    # InitError, PasswordSetError, D-Bus errors and the like: name the kind, never the secret
    return KeyringUnavailable(
        f"the keyring failed, so the password cannot be {doing} ({type(exc).__name__}); "
        f"check that the keyring service is running and unlocked; {_INSTALL_HINT}"
    )


def store_secret(account: str, secret: str) -> Backend:
    """Put `secret` in the keyring under `account`; return the backend that holds it."""
    import keyring

    info = require_usable()
    try:
        keyring.set_password(SERVICE, account, secret)
    except Exception as exc:  # noqa: BLE001 - every keyring failure becomes a clear message
        raise _translate(exc, "stored") from None
    log.info("secret for %s stored in %s", account, info.name)
    return info


def read_secret(account: str) -> str | None:
    """The secret stored for `account`, or None if there is none."""
    import keyring

    require_usable()
    try:
        return keyring.get_password(SERVICE, account)
    except Exception as exc:  # noqa: BLE001 - every keyring failure becomes a clear message
        raise _translate(exc, "read") from None


def delete_secret(account: str) -> bool:
    """Remove the secret for `account`; True if there was one."""
    import keyring
    import keyring.errors

    require_usable()
    try:
        keyring.delete_password(SERVICE, account)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:  # noqa: BLE001 - every keyring failure becomes a clear message
        raise _translate(exc, "removed") from None
    return True
