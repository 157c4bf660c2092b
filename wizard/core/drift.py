"""A post-go-live portal export with a little, known drift: the demo's "after" picture.

After go-live the PM exports the customers again from the payment portal, now under their
new Daffron account numbers, and `verify` compares that export with the pre-conversion
snapshot. The demo has no real portal, so `post_conversion_export` builds that export from
the customer snapshot and the cross-reference, and seeds a few realistic changes so that
verification has something to find:

- some customers lost autopay (Y before, N after),
- some gained paperless (N before, Y after; only customers with an email),
- some have another card or account on file (a different last 4),
- some are missing from the export altogether.

Each change hits different customers, and the missing ones are chosen among customers with
neither autopay nor paperless, so the figures `verify` must report are known exactly: they
are returned as `DriftResult.expected`, in the shape of the `verify --json` result.
The export uses the portal's usual headers (those of `wizard.core.generate`) and its usual
values ("Credit Card", "Checking"), in a shuffled order, all text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.generate import EXPORT_HEADERS

CUSTOMER_COLUMNS = ("name", "account", "email", "paperless", "autopay", "method", "last4")
PORTAL_METHOD = {"card": "Credit Card", "check": "Checking", "": ""}


@dataclass(frozen=True)
class Drift:
    """How many customers each kind of change hits."""

    autopay_lost: int = 3
    paperless_gained: int = 2
    last4_changed: int = 1
    missing: int = 1

    @classmethod
    def for_customers(cls, n: int) -> Drift:
        """A little drift that grows slowly with the customer count (about 0.1%)."""
        scale = max(1, n // 1000)
        return cls(autopay_lost=2 + scale, paperless_gained=1 + scale,
                   last4_changed=1 + scale // 2, missing=1 + scale // 3)


@dataclass(frozen=True)
class DriftResult:
    """The export and what was changed in it (old account numbers)."""

    table: pa.Table
    autopay_lost: tuple[str, ...]
    paperless_gained: tuple[str, ...]
    last4_changed: tuple[str, ...]
    missing: tuple[str, ...]
    expected: dict[str, Any] = field(default_factory=dict)


def _text(table: pa.Table, name: str) -> np.ndarray:
    column = pc.fill_null(table.column(name).cast(pa.string()), "")
    return np.array(column.to_pylist(), dtype=object)


def _pick(rng: np.random.Generator, candidates: np.ndarray, taken: np.ndarray,
          count: int) -> np.ndarray:
    """Up to `count` row indexes among `candidates` (a mask) not yet taken; marks them."""
    pool = np.flatnonzero(candidates & ~taken)
    if count <= 0 or pool.size == 0:
        return np.empty(0, dtype=np.int64)
    chosen = np.sort(rng.choice(pool, size=min(count, pool.size), replace=False))
    taken[chosen] = True
    return chosen


def _other_last4(rng: np.random.Generator, current: np.ndarray) -> np.ndarray:
    """A different four-digit value for each of `current`."""
    shift = rng.integers(1, 10_000, current.size)
    numbers = np.array([int(v) if v.isdigit() else 0 for v in current], dtype=np.int64)
    return np.array([f"{v:04d}" for v in (numbers + shift) % 10_000], dtype=object)


def post_conversion_export(
    customers: pa.Table,
    cross_reference: pa.Table,
    drift: Drift | None = None,
    seed: int = 2806,
) -> DriftResult:
    """The portal's export after go-live: new account numbers and the seeded drift.

    `customers` is the customer snapshot (columns `name account email paperless autopay
    method last4`, flags Y/N, method card/check/empty), `cross_reference` the imported one
    (`old`, `new`). Customers without a new number are left out (verify counts them
    missing). Raises ValueError if a required column is absent.
    """
    drift = drift or Drift.for_customers(customers.num_rows)
    _require_columns(customers, CUSTOMER_COLUMNS, "the customer snapshot")
    _require_columns(cross_reference, ("old", "new"), "the cross-reference")
    rng = np.random.default_rng(seed)
    cols = {name: _text(customers, name) for name in CUSTOMER_COLUMNS}
    found, new_account = _new_numbers(cols["account"], cross_reference)

    autopay = cols["autopay"].copy()
    paperless = cols["paperless"].copy()
    last4 = cols["last4"].copy()
    has_email = cols["email"] != ""
    taken = ~found  # customers without a new number are already missing; never reuse them

    lost = _pick(rng, autopay == "Y", taken, drift.autopay_lost)
    autopay[lost] = "N"
    gained = _pick(rng, (paperless == "N") & has_email, taken, drift.paperless_gained)
    paperless[gained] = "Y"
    changed = _pick(rng, last4 != "", taken, drift.last4_changed)
    last4[changed] = _other_last4(rng, last4[changed])
    gone = _pick(rng, (cols["autopay"] == "N") & (cols["paperless"] == "N"), taken,
                 drift.missing)

    keep = found.copy()
    keep[gone] = False
    order = rng.permutation(np.flatnonzero(keep))
    method = np.array([PORTAL_METHOD.get(m, m) for m in cols["method"][order]], dtype=object)
    columns = [cols["name"][order], new_account[order], cols["email"][order],
               paperless[order], autopay[order], method, last4[order]]
    table = pa.table({h: pa.array(c.tolist(), pa.string())
                      for h, c in zip(EXPORT_HEADERS[:7], columns)})

    expected = _expected(cols, keep, autopay, paperless, last4)
    accounts = cols["account"]
    return DriftResult(
        table=table,
        autopay_lost=tuple(accounts[lost].tolist()),
        paperless_gained=tuple(accounts[gained].tolist()),
        last4_changed=tuple(accounts[changed].tolist()),
        missing=tuple(accounts[gone].tolist()) + tuple(accounts[~found].tolist()),
        expected=expected,
    )


def _require_columns(table: pa.Table, names: tuple[str, ...], what: str) -> None:
    for name in names:
        if name not in table.column_names:
            raise ValueError(f"{what} has no column {name!r}")


def _new_numbers(accounts: np.ndarray, cross_reference: pa.Table) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """(found mask, new account or "") of each customer, through the cross-reference."""
    old = _text(cross_reference, "old")
    new = _text(cross_reference, "new")
    index = pc.index_in(pa.array(accounts.tolist(), pa.string()),
                        value_set=pa.array(old.tolist(), pa.string()))
    found = np.array(pc.is_valid(index).to_pylist(), dtype=bool)
    positions = np.array(pc.fill_null(index, 0).to_pylist(), dtype=np.int64)
    new_account = np.where(found, new[positions] if len(new) else "", "").astype(object)
    return found, new_account


def _expected(cols: dict[str, np.ndarray], keep: np.ndarray, autopay: np.ndarray,
              paperless: np.ndarray, last4: np.ndarray) -> dict[str, Any]:
    """The figures `verify` must report for this drift (the contract's shape)."""
    n = len(keep)
    before_ap = cols["autopay"] == "Y"
    before_pl = cols["paperless"] == "Y"
    matched = int(keep.sum())
    expected: dict[str, Any] = {
        "customers": n,
        "matched": matched,
        "missing_after": n - matched,
        "unexpected_after": 0,
        "autopay": {
            "kept": int((before_ap & (autopay == "Y") & keep).sum()),
            "lost": int((before_ap & (autopay == "N") & keep).sum()),
            "gained": int((~before_ap & (autopay == "Y") & keep).sum()),
        },
        "paperless": {
            "kept": int((before_pl & (paperless == "Y") & keep).sum()),
            "lost": int((before_pl & (paperless == "N") & keep).sum()),
            "gained": int((~before_pl & (paperless == "Y") & keep).sum()),
        },
        "method_changed": 0,
        "last4_changed": int(((last4 != cols["last4"]) & keep).sum()),
    }
    expected["preserved"] = not (
        expected["missing_after"] or expected["autopay"]["lost"]
        or expected["autopay"]["gained"] or expected["paperless"]["lost"]
        or expected["paperless"]["gained"] or expected["last4_changed"]
    )
    return expected
