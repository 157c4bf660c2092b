"""Realistic, seeded customer data for the demo, the benchmarks and the tests.

The export looks like what a payment portal hands a PM: the usual header names, account
numbers with leading zeros, some customers without email or payment method, last-4 values
with leading zeros, and a few columns the flag file does not need. Built column-wise with
pyarrow compute from one seeded `random.Random` (its bytes read as unsigned integers), so a
million rows take a second or two and the same seed gives the same customers.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FIRST = ["Mary", "James", "Patricia", "John", "Jennifer", "Robert", "Linda", "Michael",
         "Elizabeth", "William", "Barbara", "David", "Susan", "Richard", "Jessica", "Joseph",
         "Sarah", "Thomas", "Karen", "Charles", "Nancy", "Daniel", "Lisa", "Matthew", "Zoë",
         "José", "Renée", "Seán", "Chloé", "André"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
        "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
        "O'Brien", "Núñez", "Van der Berg", "Smith-Jones", "McDonald", "Østergaard"]
STREETS = ["Main St", "Oak Ave", "Pine Rd", "Maple Dr", "Cedar Ln", "Elm St", "Lake Rd",
           "County Road 12", "Hwy 61", "Church St"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "aol.com", "coopmail.net", "hotmail.com"]
EXPORT_HEADERS = ["Customer Name", "Account Number", "Email Address", "Paperless", "AutoPay",
                  "Payment Type", "Last Four", "Service Address", "Phone"]


class _Draws:
    """Columns of random numbers from one seeded generator, made without a loop per row:
    `randbytes` gives the bits, read as little-endian unsigned integers (every system the
    program runs on is little-endian, so a seed gives the same numbers everywhere)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def _unsigned(self, n: int, kind: pa.DataType, width: int) -> pa.Array:
        return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(self.rng.randbytes(width * n))])

    def uniform(self, n: int) -> pa.Array:
        """`n` floats in [0, 1)."""
        return pc.divide(pc.cast(self._unsigned(n, pa.uint32(), 4), pa.float64()), 2.0 ** 32)

    def integers(self, low: int, high: int, n: int) -> pa.Array:
        """`n` int64 values in [low, high)."""
        scaled = pc.floor(pc.multiply(self.uniform(n), float(high - low)))
        return pc.add(pc.cast(scaled, pa.int64()), low)

    def pick(self, choices: list[str], n: int) -> pa.Array:
        """`n` values drawn from `choices`."""
        return pc.take(pa.array(choices, pa.string()), self.integers(0, len(choices), n))

    def permutation(self, n: int) -> pa.Array:
        """0 .. n-1 in a random order (int64)."""
        order = pc.sort_indices(self._unsigned(n, pa.uint64(), 8))
        return pc.cast(order, pa.int64())


def _text(values: pa.Array, width: int = 0) -> pa.Array:
    """Integers as text, left-padded with zeros to `width`."""
    text = pc.cast(values, pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def customers(n: int, seed: int = 2806) -> pa.Table:
    """`n` customers as a portal export would list them (all text columns)."""
    draw = _Draws(seed)
    first = draw.pick(FIRST, n)
    last = draw.pick(LAST, n)
    names = pc.binary_join_element_wise(first, last, " ")
    # unique account numbers, 10 digits, leading zeros common
    base = pc.add(pc.multiply(draw.permutation(n), 7), 1_000 + draw.rng.randrange(7))
    accounts = _text(base, 10)
    has_email = pc.less(draw.uniform(n), 0.85)
    plain_last = pc.replace_substring(pc.replace_substring(last, "'", ""), " ", "")
    local = pc.binary_join_element_wise(pc.utf8_lower(first), pc.utf8_lower(plain_last),
                                        ".")
    local = pc.binary_join_element_wise(local, _text(draw.integers(1, 999, n)), "")
    emails = pc.if_else(has_email,
                        pc.binary_join_element_wise(local, draw.pick(DOMAINS, n), "@"), "")
    paperless = pc.if_else(pc.and_(has_email, pc.less(draw.uniform(n), 0.55)), "Y", "N")
    method_pick = draw.uniform(n)
    method = pc.if_else(pc.less(method_pick, 0.45), "Credit Card",
                        pc.if_else(pc.less(method_pick, 0.75), "Checking", ""))
    has_method = pc.not_equal(method, "")
    autopay = pc.if_else(pc.and_(has_method, pc.less(draw.uniform(n), 0.5)), "Y", "N")
    last4 = pc.if_else(has_method, _text(draw.integers(0, 10_000, n), 4), "")
    address = pc.binary_join_element_wise(_text(draw.integers(1, 9999, n)),
                                          draw.pick(STREETS, n), " ")
    phone = pc.binary_join_element_wise("555", _text(draw.integers(0, 10_000, n), 4), "-")
    columns = [names, accounts, emails, paperless, autopay, method, last4, address, phone]
    return pa.table({h: pc.cast(c, pa.string()) for h, c in zip(EXPORT_HEADERS, columns)})


def write_csv(table: pa.Table, path: Path) -> Path:
    """Write a table as a plain UTF-8 CSV, every value quoted as a portal would."""
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True))
    return path


def write_xlsx(table: pa.Table, path: Path) -> Path:
    """Write a table as an XLSX (all cells text), for tests and the demo."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Customers")
    ws.append(table.column_names)
    for row in zip(*(c.to_pylist() for c in table.columns)):
        ws.append(list(row))
    wb.save(path)
    return path
