"""The contract's CSV: UTF-8 without BOM, comma, CRLF, one header row, values quoted only
when they must be (a comma, a quote, CR or LF), written whole or not at all (0600).

Lines are built column-wise with pyarrow compute and the resulting string buffer is written
directly, so a million rows cost a fraction of a second and no Python loop per row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from wizard.progress import NullProgress, Progress, check
from wizard.services.files import atomic_output

BATCH_ROWS = 200_000


_STRUCTURAL = (b",", b'"', b"\r", b"\n")


def _may_need_quotes(column: pa.Array) -> bool:
    """Whether any value holds a comma, quote, CR or LF: one pass over the column's bytes
    (a regex per value costs ten times more, and almost no column needs it)."""
    if not pa.types.is_string(column.type) or column.null_count:
        return True
    offsets = memoryview(column.buffers()[1]).cast("i")  # int32, native order as arrow's
    start, end = offsets[column.offset], offsets[column.offset + len(column)]
    data = column.buffers()[2]
    if data is None:
        return False
    raw = data.slice(start, end - start).to_pybytes()  # `in` on bytes is memchr: fast
    return any(ch in raw for ch in _STRUCTURAL)


def _quote_needed(column: pa.Array) -> pa.Array:
    if not _may_need_quotes(column):
        return column
    needs = pc.match_substring_regex(column, r'[",\r\n]')
    if not pc.any(needs).as_py():
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def header_line(header: Sequence[str]) -> bytes:
    cells = [f'"{h.replace(chr(34), chr(34) * 2)}"' if any(c in h for c in ',"\r\n') else h
             for h in header]
    return (",".join(cells) + "\r\n").encode("utf-8")


def encode_rows(table: pa.Table, plain: Sequence[bool] = ()) -> list[pa.Buffer]:
    """The table's rows as CRLF-terminated CSV lines, one buffer per batch.

    `plain[i]` true says column i cannot hold a comma, quote or line break (Y/N flags,
    digits), so the quoting check is skipped for it.
    """
    buffers = []
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        if batch.num_rows == 0:
            continue
        cols = [pc.fill_null(c, "") if i < len(plain) and plain[i]
                else _quote_needed(pc.fill_null(c, ""))
                for i, c in enumerate(batch.columns)]
        lines = pc.binary_join_element_wise(*cols, ",") if len(cols) > 1 else cols[0]
        lines = pc.binary_join_element_wise(lines, "", "\r\n")
        lines = lines.cast(pa.large_string())
        offsets = lines.buffers()[1]
        data = lines.buffers()[2]
        start = pa.Array.from_buffers(pa.int64(), 1, [None, offsets], offset=lines.offset)[0]
        end = pa.Array.from_buffers(pa.int64(), 1, [None, offsets],
                                    offset=lines.offset + len(lines))[0]
        buffers.append(data.slice(start.as_py(), end.as_py() - start.as_py()))
    return buffers


def write_csv(path: Path, header: Sequence[str], table: pa.Table,
              progress: Progress | None = None, what: str = "writing",
              plain: Sequence[bool] = ()) -> str:
    """Write `table` (its columns in `header`'s order) under `path`, atomically; return the
    file's SHA-256, computed on the way out."""
    with atomic_output(path) as (handle, _tmp):
        return write_csv_to(handle, header, table, progress, what, plain)


def write_csv_to(handle: IO[bytes], header: Sequence[str], table: pa.Table,
                 progress: Progress | None = None, what: str = "writing",
                 plain: Sequence[bool] = ()) -> str:
    """Write the CSV into an open file (one of `atomic_output`'s, when files that belong
    together are put in place in a chosen order); return its SHA-256."""
    progress = progress or NullProgress()
    if table.num_columns != len(header):
        raise ValueError(f"{len(header)} headers for {table.num_columns} columns")
    total = table.num_rows
    digest = hashlib.sha256()
    first = header_line(header)
    digest.update(first)
    handle.write(first)
    done = 0
    progress.report(done, total, what)
    for batch_table in _slices(table):
        check(progress)
        for buffer in encode_rows(batch_table, plain):
            view = memoryview(buffer)
            digest.update(view)
            handle.write(view)
        done += batch_table.num_rows
        progress.report(done, total, what)
    return digest.hexdigest()


def _slices(table: pa.Table) -> list[pa.Table]:
    return [table.slice(i, BATCH_ROWS) for i in range(0, max(table.num_rows, 1), BATCH_ROWS)]
