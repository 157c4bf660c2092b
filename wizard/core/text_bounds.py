"""Where a text table passes a limit of `core.limits`: the length of its header line, and
which line and column hold a value too long to read. Both read the file in chunks, so a
line of 200 MB is found in the memory of a few megabytes."""

from __future__ import annotations

import csv
from pathlib import Path

from wizard.core import limits
from wizard.core.limits import size_text
from wizard.errors import InputError

CHUNK_BYTES = 1024**2


def first_line_bytes(path: Path) -> int:
    """The length in bytes of the file's first line (without its line end)."""
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            ends = [at for at in (chunk.find(b"\n"), chunk.find(b"\r")) if at >= 0]
            if ends:
                return size + min(ends)
            size += len(chunk)
    return size


def long_header(path: Path) -> InputError:
    """The error for a file whose first line is past `limits.MAX_HEADER_BYTES`."""
    return InputError(
        f"{path}: its first line (the header row) is {size_text(first_line_bytes(path))} "
        f"long, past the limit of {size_text(limits.MAX_HEADER_BYTES)} for a header line. "
        "It is not a customer export with one header row (or its lines do not end in line "
        "breaks): export the customers again as CSV UTF-8")


def long_value(path: Path, delimiter: str, encoding: str,
               limit: int = limits.MAX_LINE_BYTES) -> tuple[int, int, int] | None:
    """(line number, 0-based column, line's bytes so far) of the first line longer than
    `limit` bytes, or None. The column is the field the line's first `limit` bytes end in
    (quotes respected); the line counts physical lines, as an editor shows them."""
    line, start, kept = 1, 0, b""
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            at = 0
            while (newline := chunk.find(b"\n", at)) >= 0:
                line += 1
                start, kept, at = offset + newline + 1, b"", newline + 1
            kept = (kept + chunk[at:])[:limit]
            offset += len(chunk)
            if offset - start > limit:
                return line, _field_at_end(kept, delimiter, encoding), offset - start
    return None


def _field_at_end(prefix: bytes, delimiter: str, encoding: str) -> int:
    """Which field (0-based) a line's `prefix` ends in."""
    text = prefix.decode(encoding.replace("-sig", ""), errors="replace")
    try:
        fields = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:
        fields = text.split(delimiter)
    return max(len(fields) - 1, 0)


def binary(sample: bytes) -> bool:
    """Binary data rather than a text table: NUL bytes in the header line, or more than one
    byte in a hundred (UTF-16 without its mark, a PDF renamed .csv). A NUL further on, in a
    value, is the control-character finding of that row (`findings.control_findings`)."""
    nuls = sample.count(b"\x00")
    if not nuls:
        return False
    end = sample.find(b"\n")
    return b"\x00" in sample[: end if end >= 0 else len(sample)] or nuls * 100 > len(sample)
