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

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

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


def _text(table: pa.Table, name: str) -> list[str]:
    column = pc.fill_null(table.column(name).cast(pa.string()), "")
    values: list[str] = column.to_pylist()
    return values


def _pick(rng: random.Random, candidates: list[bool], taken: list[bool],
          count: int) -> list[int]:
    """Up to `count` row indexes among `candidates` (a mask) not yet taken, in order; marks
    them taken."""
    pool = [i for i, (can, gone) in enumerate(zip(candidates, taken)) if can and not gone]
    if count <= 0 or not pool:
        return []
    chosen = sorted(rng.sample(pool, min(count, len(pool))))
    for i in chosen:
        taken[i] = True
    return chosen


def _other_last4(rng: random.Random, current: list[str]) -> list[str]:
    """A different four-digit value for each of `current`."""
    return [f"{((int(v) if v.isdigit() else 0) + rng.randrange(1, 10_000)) % 10_000:04d}"
            for v in current]


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
    rng = random.Random(seed)
    cols = {name: _text(customers, name) for name in CUSTOMER_COLUMNS}
    found, new_account = _new_numbers(cols["account"], cross_reference)

    autopay = list(cols["autopay"])
    paperless = list(cols["paperless"])
    last4 = list(cols["last4"])
    taken = [not f for f in found]  # customers without a new number are already missing

    lost = _pick(rng, [v == "Y" for v in autopay], taken, drift.autopay_lost)
    for i in lost:
        autopay[i] = "N"
    gained = _pick(rng, [p == "N" and e != "" for p, e in zip(paperless, cols["email"])],
                   taken, drift.paperless_gained)
    for i in gained:
        paperless[i] = "Y"
    changed = _pick(rng, [v != "" for v in last4], taken, drift.last4_changed)
    for i, value in zip(changed, _other_last4(rng, [last4[i] for i in changed])):
        last4[i] = value
    gone = _pick(rng, [a == "N" and p == "N" for a, p in zip(cols["autopay"], cols["paperless"])],
                 taken, drift.missing)

    keep = list(found)
    for i in gone:
        keep[i] = False
    table = _portal_table(rng, cols, new_account, keep, autopay, paperless, last4)
    expected = _expected(cols, keep, autopay, paperless, last4)
    accounts = cols["account"]
    return DriftResult(
        table=table,
        autopay_lost=tuple(accounts[i] for i in lost),
        paperless_gained=tuple(accounts[i] for i in gained),
        last4_changed=tuple(accounts[i] for i in changed),
        missing=(tuple(accounts[i] for i in gone)
                 + tuple(a for a, f in zip(accounts, found) if not f)),
        expected=expected,
    )


def _portal_table(rng: random.Random, cols: dict[str, list[str]], new_account: list[str],
                  keep: list[bool], autopay: list[str], paperless: list[str],
                  last4: list[str]) -> pa.Table:
    """The customers kept, in a shuffled order, as the portal writes them: its headers, its
    payment method words, the new account numbers, all text."""
    order = [i for i, k in enumerate(keep) if k]
    rng.shuffle(order)
    columns = [[cols["name"][i] for i in order], [new_account[i] for i in order],
               [cols["email"][i] for i in order], [paperless[i] for i in order],
               [autopay[i] for i in order],
               [PORTAL_METHOD.get(m, m) for m in (cols["method"][i] for i in order)],
               [last4[i] for i in order]]
    return pa.table({h: pa.array(c, pa.string()) for h, c in zip(EXPORT_HEADERS[:7], columns)})


def _require_columns(table: pa.Table, names: tuple[str, ...], what: str) -> None:
    for name in names:
        if name not in table.column_names:
            raise ValueError(f"{what} has no column {name!r}")


def _new_numbers(accounts: list[str], cross_reference: pa.Table) -> tuple[list[bool],
                                                                        list[str]]:
    """(found, new account or "") of each customer, through the cross-reference."""
    new = _text(cross_reference, "new")
    index = pc.index_in(pa.array(accounts, pa.string()),
                        value_set=pa.array(_text(cross_reference, "old"), pa.string()))
    positions = index.to_pylist()
    found = [p is not None for p in positions]
    return found, [new[p] if p is not None else "" for p in positions]


def _expected(cols: dict[str, list[str]], keep: list[bool], autopay: list[str],
              paperless: list[str], last4: list[str]) -> dict[str, Any]:
    """The figures `verify` must report for this drift (the contract's shape)."""
    n = len(keep)

    def counted(flag: str, after: list[str]) -> dict[str, int]:
        pairs = [(b, a) for b, a, k in zip(cols[flag], after, keep) if k]
        return {"kept": sum(1 for b, a in pairs if b == "Y" and a == "Y"),
                "lost": sum(1 for b, a in pairs if b == "Y" and a == "N"),
                "gained": sum(1 for b, a in pairs if b != "Y" and a == "Y")}

    matched = sum(keep)
    expected: dict[str, Any] = {
        "customers": n,
        "matched": matched,
        "missing_after": n - matched,
        "unexpected_after": 0,
        "autopay": counted("autopay", autopay),
        "paperless": counted("paperless", paperless),
        "method_changed": 0,
        "last4_changed": sum(1 for a, b, k in zip(last4, cols["last4"], keep) if k and a != b),
    }
    expected["preserved"] = not (
        expected["missing_after"] or expected["autopay"]["lost"]
        or expected["autopay"]["gained"] or expected["paperless"]["lost"]
        or expected["paperless"]["gained"] or expected["last4_changed"]
    )
    return expected


# the demo's re-registration after go-live: (days after go-live, share registered by then)
REGISTRATION_SCHEDULE: tuple[tuple[int, float], ...] = ((1, 0.35), (7, 0.60), (14, 0.78))
REGISTRATION_HEADER = "Registration Date"


def registration_days(n: int, schedule: tuple[tuple[int, float], ...] = REGISTRATION_SCHEDULE,
                      seed: int = 2806) -> list[int | None]:
    """For each of `n` customers, the day after go-live it registers again (None: not within
    the schedule), so that by each scheduled day its share has registered: a customer whose
    draw falls between two shares registers between their two days."""
    rng = random.Random(seed)
    days: list[int | None] = []
    for _ in range(n):
        draw = rng.random()
        previous_day, previous_share = 0, 0.0
        day: int | None = None
        for until, share in schedule:
            if draw < share:
                part = (draw - previous_share) / (share - previous_share)
                day = previous_day + max(0, math.ceil(part * (until - previous_day)))
                break
            previous_day, previous_share = until, share
        days.append(day)
    return days


def with_registrations(table: pa.Table, go_live: date, day: int,
                       schedule: tuple[tuple[int, float], ...] = REGISTRATION_SCHEDULE,
                       seed: int = 2806) -> pa.Table:
    """The post export as the portal gives it `day` days after go-live: a "Registration
    Date" column holding the day each customer registered again, blank for those who have
    not yet (the same customers register on the same day whatever `day` is asked)."""
    dates = [(go_live + timedelta(days=d)).isoformat() if d is not None and d <= day else ""
             for d in registration_days(table.num_rows, schedule, seed)]
    return table.append_column(REGISTRATION_HEADER, pa.array(dates, pa.string()))
