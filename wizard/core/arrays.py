"""Arrow arrays pyarrow has no one function for: runs of numbers and masks of positions.

Built from arrow buffers and compute kernels, without numpy (the program does not ship it)
and without `pa.array(range(...))`, which walks a million Python integers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

# at most this many positions are set one by one in a bitmap; more are scattered
_FEW = 4096
# pyarrow 23 and later scatter in one pass; before, a hash lookup of every position does it
_SCATTER = hasattr(pc, "ScatterOptions")


def _all_true(count: int) -> pa.Array:
    return pa.Array.from_buffers(pa.bool_(), count,
                                 [None, pa.py_buffer(b"\xff" * ((count + 7) // 8))])


def arange(first: int, count: int, step: int = 1) -> pa.Array:
    """`count` int64 values: first, first + step, first + 2 * step, ..."""
    if count <= 0:
        return pa.array([], pa.int64())
    values = pc.cast(pc.indices_nonzero(_all_true(count)), pa.int64())  # 0, 1, 2, ...
    if step != 1:
        values = pc.multiply(values, step)
    return pc.add(values, first) if first else values


def row_numbers(first: int, count: int) -> pa.Array:
    """first, first + 1, ..., as int64."""
    return arange(first, count)


def positions(mask: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The int64 positions where `mask` is true (null counts as false), in order."""
    at = pc.indices_nonzero(pc.fill_null(mask, False))
    if isinstance(at, pa.ChunkedArray):
        at = at.combine_chunks()
    return pc.cast(at, pa.int64())


def mask_at(count: int, at: pa.Array | pa.ChunkedArray | Sequence[int]) -> pa.Array:
    """A boolean array of `count` values (no nulls), true at the positions `at` (each
    0 <= position < count; any order, repeats allowed)."""
    values = (pc.cast(at, pa.int64()) if isinstance(at, pa.Array | pa.ChunkedArray)
              else pa.array(at, pa.int64()))
    if len(values) and values.null_count == 0:
        low, high = pc.min_max(values).values()
        if low.as_py() < 0 or high.as_py() >= count:
            raise IndexError(f"a position outside 0..{count - 1}")
    elif len(values):
        raise ValueError("a null position")
    if len(values) > _FEW:
        if _SCATTER:
            marked = pc.scatter(_all_true(len(values)), values, max_index=count - 1)
            return pc.fill_null(marked, False)
        return pc.is_in(arange(0, count), value_set=values)
    bits = bytearray((count + 7) // 8)
    for i in values.to_pylist():
        bits[i >> 3] |= 1 << (i & 7)
    return pa.Array.from_buffers(pa.bool_(), count, [None, pa.py_buffer(bytes(bits))])
