"""numpy arrays into pyarrow without pandas.

`pa.array(numpy_array)` asks whether the array is a pandas object first, and that question
imports pandas: 0.2 s of start-up for every command. These build the arrow arrays from the
numpy buffers directly instead.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def int64_array(values: np.ndarray) -> pa.Array:
    """An int64 arrow array sharing `values`' memory (copied once if not contiguous)."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def bool_array(values: np.ndarray) -> pa.Array:
    """A boolean arrow array from a numpy bool array (bits packed, no nulls)."""
    data = np.ascontiguousarray(values, dtype=np.bool_)
    bits = np.packbits(data, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(data), [None, pa.py_buffer(bits)])


def row_numbers(first: int, count: int) -> pa.Array:
    """first, first + 1, ..., as int64."""
    return int64_array(np.arange(first, first + count, dtype=np.int64))
