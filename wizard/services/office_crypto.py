"""Password-protected workbooks: Office's own encryption (ECMA-376 agile, AES-256), written and
read by a kept library, `msoffcrypto-tool`.

An encrypted workbook is an OLE compound file holding two streams: `EncryptionInfo` (the
agile descriptor: AES-256 in CBC mode, SHA-512, a 100,000-round key derivation from the
password, a per-file salt and an HMAC over the ciphertext) and `EncryptedPackage` (the XLSX
package, encrypted in 4,096-byte segments). Excel 2010 and later and LibreOffice ask for the
password and open it. msoffcrypto-tool's agile encryption is fixed at AES-256 with SHA-512
(`ECMA376AgileCipherParams`); `encrypt` checks the descriptor it wrote says so, so a library
that changed its default would fail here, not ship a weaker file.

Both directions work on bytes in memory: the plain package is never written to disk by this
module. At 300,000 customers (a 34 MB package) encrypting takes about 0.3 s, a tenth of
`convwiz report` (bench/report.py).
"""

from __future__ import annotations

import io
import secrets
from functools import lru_cache
from importlib import resources
from math import log2
from pathlib import Path
from typing import BinaryIO

from wizard.errors import WorkbookLocked

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CIPHER = "AES-256"  # what the workbooks are encrypted with, in words (messages, README)
PASSPHRASE_WORDS = 6  # 6 words of the EFF long list: 6 x 12.9 = 77.5 bits
SEPARATOR = "-"


def is_encrypted(head: bytes) -> bool:
    """Whether a file starting with `head` (8 bytes or more) is an encrypted Office file (an
    OLE compound file; a plain XLSX is a ZIP)."""
    return head[:8] == OLE_MAGIC


def is_encrypted_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return is_encrypted(handle.read(8))
    except OSError:
        return False


def is_encrypted_package(data: bytes) -> bool:
    """Whether `data` is an Office file encrypted with a password (an OLE file holding an
    `EncryptedPackage`), not an old .xls (also an OLE file)."""
    import olefile

    if not is_encrypted(data[:8]):
        return False
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return bool(ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"))
    except Exception:  # noqa: BLE001 - a damaged OLE file is not ours to open
        return False


def encrypt(package: bytes | BinaryIO, password: str) -> bytes:
    """The XLSX `package` (bytes, or a seekable file in memory) encrypted with `password`
    (ECMA-376 agile, AES-256): the bytes of the OLE compound file to write."""
    from msoffcrypto.format.ooxml import OOXMLFile

    if not password:
        raise ValueError("an empty password protects nothing")
    source = io.BytesIO(package) if isinstance(package, bytes) else package
    out = io.BytesIO()
    OOXMLFile(source).encrypt(password, out)
    data = out.getvalue()
    _check_cipher(data)
    return data


def _check_cipher(data: bytes) -> None:
    """Refuse a file whose descriptor is not AES-256 (a library default that changed)."""
    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole, ole.openstream("EncryptionInfo") as s:
        info = s.read()
    descriptor = info[8:].decode("utf-8", "replace")
    if ('cipherAlgorithm="AES"' not in descriptor or 'keyBits="256"' not in descriptor
            or 'cipherChaining="ChainingModeCBC"' not in descriptor):
        raise RuntimeError("msoffcrypto-tool did not encrypt with AES-256 agile encryption")


def decrypt(data: bytes, password: str | None, name: str) -> bytes:
    """The XLSX package inside the encrypted workbook `data` (named `name` in messages).

    A missing or wrong password, or a file that is not an encrypted workbook, is
    `WorkbookLocked` (exit 2); the integrity check (HMAC) is verified.
    """
    import msoffcrypto.exceptions as errors
    from msoffcrypto.format.ooxml import OOXMLFile

    if not password:
        raise WorkbookLocked(f"{name} is encrypted and no password was given: the project's "
                             "workbook password is not in the keyring. Open it with the "
                             "password it was written with")
    try:
        office = OOXMLFile(io.BytesIO(data))
        if office.type != "agile":
            raise WorkbookLocked(f"{name} is not a workbook encrypted with Office's agile "
                                 "encryption: open it in Excel and save it as .xlsx")
        office.load_key(password=password, verify_password=True)
        out = io.BytesIO()
        office.decrypt(out, verify_integrity=True)
    except errors.InvalidKeyError:
        raise WorkbookLocked(
            f"{name} cannot be opened with this password: it was encrypted with another one "
            "(a workbook written before `convwiz settings --new-workbook-password` keeps "
            "the old password). Write it again with `convwiz report`, or open it with the "
            "password it was written with") from None
    except WorkbookLocked:
        raise
    except Exception as exc:  # noqa: BLE001 - olefile and msoffcrypto raise assorted errors
        raise WorkbookLocked(f"{name} is not a readable encrypted workbook "
                             f"({type(exc).__name__}): it may be damaged; write it again"
                             ) from None
    return out.getvalue()


# -- the password ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def word_list() -> tuple[str, ...]:
    """The EFF's long word list (7,776 words, as xkcdpass ships it), less the four words with
    a hyphen, which would read as two words of the passphrase."""
    text = (resources.files("xkcdpass") / "static" / "eff-long").read_text(encoding="utf-8")
    words = tuple(sorted({w.strip() for w in text.split() if w.strip().isalpha()}))
    if len(words) < 7_000:  # a damaged install: never make a weak password
        raise RuntimeError(f"the word list has only {len(words)} words")
    return words


def passphrase_bits(words: int = PASSPHRASE_WORDS) -> float:
    return words * log2(len(word_list()))


def new_passphrase(words: int = PASSPHRASE_WORDS) -> str:
    """A new passphrase: `words` words drawn by `secrets` (about 77 bits for 6 words),
    joined by hyphens, to be read out by phone and typed in Excel's password box."""
    pool = word_list()
    return SEPARATOR.join(secrets.choice(pool) for _ in range(words))
