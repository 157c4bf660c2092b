"""Arrow arrays pyarrow has no one function for: runs of numbers, masks of positions, the
inverse of a permutation, and account numbers as integer keys.

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


def inverse_permutation(values: pa.Array) -> pa.Array | None:
    """When `values` holds each of 0 .. n-1 once (n = its length), the int64 positions that
    sort it: `pc.sort_indices(values)`, found in one pass instead of a sort. None when it is
    not such a permutation, or pyarrow cannot scatter (before 23)."""
    n = len(values)
    if not _SCATTER or n == 0 or values.null_count:
        return None
    low, high = pc.min_max(values).values()
    if low.as_py() != 0 or high.as_py() != n - 1:
        return None
    inverse = pc.scatter(arange(0, n), values, max_index=n - 1)
    # n values in n slots, every slot filled: each value was there exactly once
    return inverse if inverse.null_count == 0 else None


def account_keys(column: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """Account numbers as int64 keys, or None unless every one is 0 to 18 ASCII digits.

    The key is the number written after a leading 1 ("0042" -> 10042, "42" -> 142, "" ->
    1), so numbers that differ only in leading zeros stay apart and two keys are equal
    exactly when the texts are (a null stays null). Hashing, encoding or looking up int64
    keys is several times faster than doing it to a million strings."""
    plain = pc.or_(pc.ascii_is_decimal(column), pc.equal(pc.binary_length(column), 0))
    if not pc.all(plain, min_count=0).as_py():  # nulls are skipped
        return None  # a letter, a sign, a space: use the text (a failed cast costs more)
    try:
        keys = pc.cast(pc.binary_join_element_wise("1", column, ""), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # more than 18 digits: use the text
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


def account_texts(keys: pa.Array) -> pa.Array:
    """The account numbers `account_keys` made these keys of, as text again."""
    return pc.utf8_slice_codeunits(pc.cast(keys, pa.string()), 1)
