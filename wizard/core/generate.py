"""Realistic, seeded customer data for the demo, the benchmarks and the tests.

The export looks like what a payment portal hands a PM: the usual header names, account
numbers with leading zeros, some customers without email or payment method, last-4 values
with leading zeros, and a few columns the flag file does not need. Built with numpy so a
million rows take a second or two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
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


def customers(n: int, seed: int = 2806) -> pa.Table:
    """`n` customers as a portal export would list them (all text columns)."""
    rng = np.random.default_rng(seed)
    first = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), n)]
    last = np.array(LAST, dtype=object)[rng.integers(0, len(LAST), n)]
    names = first + " " + last
    # unique account numbers, 10 digits, leading zeros common
    base = rng.permutation(np.arange(n, dtype=np.int64) * 7 + 1_000)[:n] + rng.integers(0, 7)
    accounts = np.char.zfill(base.astype(str), 10).astype(object)
    has_email = rng.random(n) < 0.85
    local = np.char.lower(first.astype(str)) + "." + np.char.lower(
        np.char.replace(np.char.replace(last.astype(str), "'", ""), " ", ""))
    local = local.astype(object) + np.char.mod("%d", rng.integers(1, 999, n)).astype(object)
    emails = np.where(
        has_email,
        local + "@" + np.array(DOMAINS, dtype=object)[rng.integers(0, len(DOMAINS), n)],
        "",
    )
    paperless = np.where(has_email & (rng.random(n) < 0.55), "Y", "N").astype(object)
    method_pick = rng.random(n)
    method = np.where(method_pick < 0.45, "Credit Card",
                      np.where(method_pick < 0.75, "Checking", "")).astype(object)
    autopay = np.where((method != "") & (rng.random(n) < 0.5), "Y", "N").astype(object)
    last4 = np.where(method != "", np.char.zfill(rng.integers(0, 10_000, n).astype(str), 4),
                     "").astype(object)
    address = (np.char.mod("%d", rng.integers(1, 9999, n)).astype(object) + " "
               + np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)])
    phone = np.char.mod("555-%04d", rng.integers(0, 10_000, n)).astype(object)
    columns = [names, accounts, emails, paperless, autopay, method, last4, address, phone]
    return pa.table({h: pa.array(c.tolist(), pa.string()) for h, c in zip(EXPORT_HEADERS, columns)})


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
