"""Fingerprints as OpenSSH prints them, and what counts as a connection error."""

from __future__ import annotations

import base64
import hashlib

import paramiko
import pytest

from wizard.errors import UsageError
from wizard.services import sftp


def test_fingerprint_is_openssh_style() -> None:
    raw = paramiko.RSAKey.generate(1024)
    expected = base64.b64encode(hashlib.sha256(raw.asbytes()).digest()).decode().rstrip("=")
    assert sftp.fingerprint(raw) == "SHA256:" + expected
    assert "=" not in sftp.fingerprint(raw)


@pytest.mark.parametrize("given", [
    "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    "sha256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    "  SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s= ",
    "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
])
def test_pins_are_normalised(given: str) -> None:
    assert sftp.normalize_fingerprint(given) == \
        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"


@pytest.mark.parametrize("given", ["", "SHA256:", "MD5:aa:bb", "SHA256:tooshort",
                                   "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"])
def test_bad_pins_say_how_to_write_one(given: str) -> None:
    with pytest.raises(UsageError) as caught:
        sftp.normalize_fingerprint(given)
    assert "convwiz host-key" in caught.value.message


def test_connection_errors_are_told_from_server_answers() -> None:
    assert sftp.is_connection_error(EOFError())
    assert sftp.is_connection_error(TimeoutError())
    assert sftp.is_connection_error(paramiko.SSHException("Server connection dropped"))
    assert sftp.is_connection_error(BrokenPipeError(32, "Broken pipe"))
    assert sftp.is_connection_error(OSError("Socket is closed"))
    assert not sftp.is_connection_error(OSError("No space left on device"))
    assert not sftp.is_connection_error(PermissionError(13, "Permission denied"))
    assert not sftp.is_connection_error(FileNotFoundError(2, "No such file"))
