"""Verification: the pre-conversion customers compared with the post-conversion export.

Pure table work (pyarrow joins over whole columns, no loop per row). Each snapshot customer
is followed through the cross-reference (old -> new account number) to the post-conversion
export, whose account column holds the new Daffron numbers:

- a post row is matched by the NEW number only. A post row that holds an OLD number (the
  portal was not renumbered yet) is not silently accepted: it is `unexpected_after`, with a
  reason saying it holds an old number, and is counted in `old_numbers_after`;
- a snapshot customer with no entry in the cross-reference (imported with
  `--allow-unmatched`) cannot be followed and is `missing_after`, with that reason;
- `kept` = Y before and after, `lost` = Y before and N after, `gained` = N before and Y
  after, `method_changed` and `last4_changed`, all over matched customers only;
- `preserved` is true only when nothing was lost, gained, changed or missing (the
  contract's words; unexpected rows do not clear it, they are listed for the person).

The details table keeps the customers behind every figure for the biller workbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.arrays import int64_array

# issue ids, in the order the workbook lists them, with what the person should do
ISSUES: dict[str, str] = {
    "missing_after": "The customer is not in the post-conversion export: check the account "
                     "was converted and appears in Daffron",
    "unexpected_after": "The post-conversion export has an account the snapshot does not: "
                        "check where it came from",
    "autopay_lost": "Autopay was on before go-live and is off now: re-enrol the customer",
    "autopay_gained": "Autopay was off before go-live and is on now: confirm with the customer",
    "paperless_lost": "Paperless was on before go-live and is off now: re-enrol the customer",
    "paperless_gained": "Paperless was off before go-live and is on now: confirm with the "
                        "customer",
    "method_changed": "The default payment method type changed: check the customer's wallet",
    "last4_changed": "The last 4 digits of the payment method changed: check the customer's "
                     "wallet",
}
DETAIL_COLUMNS = ("issue", "old_account", "new_account", "name", "email", "before", "after",
                  "snapshot_row", "post_row", "reason")
NOT_IN_EXPORT = "not in the post-conversion export"
NOT_IN_XREF = "not in the cross-reference, so it has no new account number to look for"
OLD_NUMBER = "holds an old account number: the portal may not have been renumbered yet"
NOT_IN_SNAPSHOT = "not in the pre-conversion snapshot"
FIELDS = ("name", "email", "paperless", "autopay", "method", "last4")


@dataclass
class Comparison:
    figures: dict[str, Any]
    details: pa.Table  # DETAIL_COLUMNS, text but the two row columns (int64, nullable)


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as one text array, nulls as empty text."""
    return _flat(pc.fill_null(pc.cast(column, pa.string()), ""))


def _flat(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _count(mask: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def new_numbers(before: pa.Table, xref: pa.Table) -> pa.Array:
    """Each snapshot customer's new account number through the cross-reference (null where
    the cross-reference has none). Needs no post export, so it can run while that is read."""
    xi = pc.index_in(_text(before["account"]), value_set=_text(xref["old"]), skip_nulls=True)
    return pc.take(_text(xref["new"]), xi)


def compare(before: pa.Table, xref: pa.Table, after: pa.Table,
            new: pa.Array | None = None) -> Comparison:
    """Compare `before` (the customer snapshot) with `after` (the normalised post export)
    through `xref` (columns old, new); `new` is `new_numbers(before, xref)` if already known.

    The lookups are hash lookups over whole columns (`index_in`), not table joins: a join
    would carry every text column through its hash table, several times slower at a
    million rows. A key given twice (refused earlier by import-xref and by the reading
    rules) resolves to its first row.
    """
    nb = before.num_rows
    old = _text(before["account"])
    if new is None:
        new = new_numbers(before, xref)  # null: not in the xref
    after_account = _text(after["account"])
    ai = pc.index_in(new, value_set=after_account, skip_nulls=True)
    matched = pc.is_valid(ai)
    b_idx = pc.indices_nonzero(matched)
    a_idx = pc.take(ai, b_idx)
    miss_idx = pc.indices_nonzero(pc.invert(matched))
    used = np.zeros(len(after_account), dtype=bool)  # post rows some customer matched
    used[a_idx.to_numpy(zero_copy_only=False)] = True
    unex_idx = int64_array(np.flatnonzero(~used))

    b_rows = pc.cast(before["row"], pa.int64())
    a_rows = pc.cast(after["row"], pa.int64())
    all_matched = len(b_idx) == nb

    def take_b(column: Any) -> Any:
        return column if all_matched else pc.take(column, b_idx)

    # compared as small codes, not text: taking a million strings twice per field costs
    # more than the whole comparison
    def codes(column: Any, values: list[str]) -> Any:
        return pc.fill_null(pc.index_in(column, value_set=pa.array(values)), -1)

    figures: dict[str, Any] = {
        "customers": nb,
        "matched": len(b_idx),
        "missing_after": len(miss_idx),
        "unexpected_after": len(unex_idx),
    }
    changes: list[tuple[str, Any, str]] = []
    for flag in ("autopay", "paperless"):
        yb = take_b(pc.equal(before[flag], "Y"))
        ya = pc.take(pc.equal(after[flag], "Y"), a_idx)
        kept, lost = pc.and_(yb, ya), pc.and_(yb, pc.invert(ya))
        gained = pc.and_(pc.invert(yb), ya)
        figures[flag] = {"kept": _count(kept), "lost": _count(lost), "gained": _count(gained)}
        changes += [(f"{flag}_lost", lost, flag), (f"{flag}_gained", gained, flag)]
    methods = ["card", "check", ""]
    method_changed = pc.not_equal(take_b(codes(before["method"], methods)),
                                  pc.take(codes(after["method"], methods), a_idx))
    last4_changed = pc.not_equal(take_b(before["last4"]), pc.take(after["last4"], a_idx))
    figures["method_changed"] = _count(method_changed)
    figures["last4_changed"] = _count(last4_changed)
    changes += [("method_changed", method_changed, "method"),
                ("last4_changed", last4_changed, "last4")]

    parts: list[pa.Table] = []
    for issue, mask, field_ in changes:
        at = pc.indices_nonzero(pc.fill_null(mask, False))  # positions among the matched
        bi, ai = pc.take(b_idx, at), pc.take(a_idx, at)
        parts.append(_table(issue, pc.take(old, bi), pc.take(new, bi),
                            pc.take(before["name"], bi), pc.take(before["email"], bi),
                            pc.take(before[field_], bi), pc.take(after[field_], ai),
                            pc.take(b_rows, bi), pc.take(a_rows, ai), None))

    # missing: why each one is missing
    miss_new = pc.take(new, miss_idx)
    no_new = pc.is_null(miss_new)
    miss_reason = pc.if_else(no_new, NOT_IN_XREF, NOT_IN_EXPORT)
    parts.append(_table("missing_after", pc.take(old, miss_idx), miss_new,
                        pc.take(_text(before["name"]), miss_idx),
                        pc.take(_text(before["email"]), miss_idx), None, None,
                        pc.take(b_rows, miss_idx), None, miss_reason))
    figures["not_in_cross_reference"] = _count(no_new)

    # unexpected: does the row hold an old number (the portal not renumbered yet)?
    unex_account = pc.take(after_account, unex_idx)
    is_old = (pc.is_in(unex_account, value_set=old) if len(unex_idx)
              else pa.array([], pa.bool_()))
    unex_reason = pc.if_else(is_old, OLD_NUMBER, NOT_IN_SNAPSHOT)
    parts.append(_table("unexpected_after", pc.if_else(is_old, unex_account, ""),
                        pc.if_else(is_old, "", unex_account),
                        pc.take(_text(after["name"]), unex_idx),
                        pc.take(_text(after["email"]), unex_idx), None, None, None,
                        pc.take(a_rows, unex_idx), unex_reason))
    figures["old_numbers_after"] = _count(is_old)

    figures["preserved"] = bool(
        figures["missing_after"] == 0
        and all(figures[f]["lost"] == 0 and figures[f]["gained"] == 0
                for f in ("autopay", "paperless"))
        and figures["method_changed"] == 0
        and figures["last4_changed"] == 0
    )
    details = pa.concat_tables(parts)
    order = {issue: i for i, issue in enumerate(ISSUES)}
    rank = pc.cast(pc.index_in(details["issue"], value_set=pa.array(list(order))), pa.int64())
    details = details.append_column("_rank", rank)
    details = details.append_column(
        "_row", pc.fill_null(pc.coalesce(details["snapshot_row"], details["post_row"]), 0))
    details = details.sort_by([("_rank", "ascending"), ("_row", "ascending")])
    details = details.drop_columns(["_rank", "_row"])
    return Comparison(figures, details)


def _table(issue: str, old: Any, new: Any, name: Any, email: Any, before: Any, after: Any,
           snapshot_row: Any, post_row: Any, reason: Any) -> pa.Table:
    n = len(old)

    def text(col: Any) -> Any:
        return pa.array([""] * n, pa.string()) if col is None else _text(col)

    def rows(col: Any) -> Any:
        return pa.nulls(n, pa.int64()) if col is None else pc.cast(col, pa.int64())

    return pa.table({
        "issue": pa.array([issue] * n, pa.string()),
        "old_account": text(old),
        "new_account": text(new),
        "name": text(name),
        "email": text(email),
        "before": text(before),
        "after": text(after),
        "snapshot_row": rows(snapshot_row),
        "post_row": rows(post_row),
        "reason": text(reason),
    })


def empty_details() -> pa.Table:
    return _table("missing_after", pa.array([], pa.string()), None, None, None, None, None,
                  None, None, None)
