"""Reading back the workbooks the program writes, as a biller would: an encrypted workbook is
decrypted by msoffcrypto-tool directly (not through the program's own code), then read by
python-calamine or openpyxl."""

from __future__ import annotations

import io
from pathlib import Path

import msoffcrypto
from python_calamine import CalamineWorkbook

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_ole(path: Path) -> bool:
    return Path(path).read_bytes()[:8] == OLE_MAGIC


def decrypted(path: Path, password: str) -> bytes:
    """The plain XLSX package of the encrypted workbook at `path` (integrity checked)."""
    with open(path, "rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        office.load_key(password=password, verify_password=True)
        out = io.BytesIO()
        office.decrypt(out, verify_integrity=True)
    return out.getvalue()


def calamine(path: Path, password: str | None = None) -> CalamineWorkbook:
    """The workbook opened by calamine: decrypted in memory first when `password` is given."""
    if password is None:
        return CalamineWorkbook.from_path(str(path))
    return CalamineWorkbook.from_filelike(io.BytesIO(decrypted(path, password)))
