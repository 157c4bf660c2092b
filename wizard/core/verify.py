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

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.arrays import account_keys, arange, mask_at, positions
from wizard.core.findings import BLOCKING, WARNING

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
# the field each issue is about
ISSUE_FIELDS: dict[str, str] = {
    "missing_after": "account", "unexpected_after": "account",
    "autopay_lost": "autopay", "autopay_gained": "autopay",
    "paperless_lost": "paperless", "paperless_gained": "paperless",
    "method_changed": "method", "last4_changed": "last4",
}
# issues that leave `preserved` as it is: listed for the person as warnings
WARNING_ISSUES = ("unexpected_after",)
# the rows of a verification exceptions workbook, in the contract's words: the source row,
# the account and the customer, the field, its values before and after, the rule and the fix
EXCEPTION_COLUMNS = ("post_row", "snapshot_row", "old_account", "new_account", "name",
                     "field", "before", "after", "severity", "rule", "fix")


@dataclass
class Comparison:
    figures: dict[str, Any]
    details: pa.Table  # DETAIL_COLUMNS, text but the two row columns (int64, nullable)
    # the matched customers: positions in the snapshot, and their rows in the post export
    # (what `core.registration.measure` reads re-registration over)
    matched: tuple[pa.Array, pa.Array] | None = None


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as one text array, nulls as empty text."""
    return _flat(pc.fill_null(pc.cast(column, pa.string()), ""))


def _flat(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _count(mask: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def _account_keys(column: pa.Array) -> pa.Array | None:
    """Account numbers as int64 keys, or None unless every one is 0 to 18 ASCII digits
    (`wizard.core.arrays.account_keys`: equal keys are equal texts). Looking up int64 keys
    is several times faster than hashing a million strings."""
    return account_keys(column)


def lookup(values: pa.Array, value_set: pa.Array) -> pa.Array:
    """For each of `values`, its position in `value_set` (the first, if given twice), null
    where absent or null: what `pc.index_in(values, value_set, skip_nulls=True)` gives, but
    through int64 keys when both hold plain account numbers (digits only)."""
    keys, set_keys = _account_keys(values), _account_keys(value_set)
    if keys is None or set_keys is None:
        return pc.index_in(values, value_set=value_set, skip_nulls=True)
    if len(set_keys) == 0 or len(keys) == 0:
        return pa.nulls(len(keys), pa.int64())
    return _key_lookup(keys, set_keys)


def _key_lookup(keys: pa.Array, set_keys: pa.Array) -> pa.Array:
    """int64 positions in `set_keys` of each of `keys` (the first, if given twice), null
    where absent or null."""
    return pc.cast(pc.index_in(keys, value_set=set_keys, skip_nulls=True), pa.int64())


def xref_positions(before: pa.Table, xref: pa.Table) -> pa.Array:
    """For each snapshot customer, its row in the cross-reference (null where it has none).
    Needs no post export, so it can run while that is read.

    import-xref keeps the customers first, in snapshot order: when the cross-reference
    starts with the snapshot's accounts, each given once, customer i is row i, found
    without a lookup."""
    accounts, olds = _text(before["account"]), _text(xref["old"])
    n = len(accounts)
    if (n and len(olds) >= n and pc.all(pc.equal(olds.slice(0, n), accounts)).as_py()
            and _distinct(accounts)):
        return arange(0, n)
    return lookup(accounts, olds)


def _distinct(column: pa.Array) -> bool:
    """Whether no value of the column is given twice."""
    keys = _account_keys(column)
    return int(pc.count_distinct(column if keys is None else keys).as_py()) == len(column)


def _match_after(xi: pa.Array, xref_new: pa.Array, after_account: pa.Array) -> pa.Array:
    """For each snapshot customer, its row in the post export: found by the new number of
    its cross-reference row `xi` (null where it has none, or where the export lacks it)."""
    new_keys, after_keys = _account_keys(xref_new), _account_keys(after_account)
    if new_keys is None or after_keys is None or not len(after_keys) or not len(new_keys):
        return pc.index_in(pc.take(xref_new, xi), value_set=after_account, skip_nulls=True)
    return _key_lookup(pc.take(new_keys, xi), after_keys)  # no xref row: a null key


@dataclass(frozen=True)
class _Match:
    """Which post-export row each customer of the snapshot matched, through the xref."""

    old: Any  # the snapshot's accounts, as text
    xi: Any  # each customer's row in the xref (null: not in it)
    xref_new: Any
    after_account: Any
    b_idx: Any  # matched customers, as positions in the snapshot ...
    a_idx: Any  # ... and in the post export
    miss_idx: Any  # customers not found after
    unex_idx: Any  # post rows no customer matched
    b_rows: Any
    a_rows: Any
    all_matched: bool

    def take_b(self, column: Any) -> Any:
        return column if self.all_matched else pc.take(column, self.b_idx)


def compare(before: pa.Table, xref: pa.Table, after: pa.Table,
            xi: pa.Array | None = None) -> Comparison:
    """Compare `before` (the customer snapshot) with `after` (the normalised post export)
    through `xref` (columns old, new); `xi` is `xref_positions(before, xref)` if already
    known.

    The lookups are over whole columns of keys (`lookup`), not table joins: a join would
    carry every text column through its hash table, several times slower at a million
    rows. A key given twice (refused earlier by import-xref and by the reading rules)
    resolves to its first row. New numbers are taken as text only for the rows listed.
    """
    m = _match(before, xref, after, xi)
    figures: dict[str, Any] = {
        "customers": before.num_rows,
        "matched": len(m.b_idx),
        "missing_after": len(m.miss_idx),
        "unexpected_after": len(m.unex_idx),
    }
    parts = _changed(before, after, m, figures)
    parts.append(_missing(before, m, figures))
    parts.append(_unexpected(after, m, figures))
    figures["preserved"] = bool(
        figures["missing_after"] == 0
        and all(figures[f]["lost"] == 0 and figures[f]["gained"] == 0
                for f in ("autopay", "paperless"))
        and figures["method_changed"] == 0
        and figures["last4_changed"] == 0
    )
    return Comparison(figures, _in_order(pa.concat_tables(parts)), (m.b_idx, m.a_idx))


def _match(before: pa.Table, xref: pa.Table, after: pa.Table, xi: pa.Array | None) -> _Match:
    if xi is None:
        xi = xref_positions(before, xref)  # null: not in the xref
    xref_new = _text(xref["new"])
    after_account = _text(after["account"])
    ai = _match_after(_flat(xi), xref_new, after_account)
    matched = pc.is_valid(ai)
    b_idx = pc.indices_nonzero(matched)
    a_idx = pc.take(ai, b_idx)
    used = mask_at(len(after_account), a_idx)  # post rows some customer matched
    return _Match(
        old=_text(before["account"]), xi=xi, xref_new=xref_new, after_account=after_account,
        b_idx=b_idx, a_idx=a_idx, miss_idx=pc.indices_nonzero(pc.invert(matched)),
        unex_idx=positions(pc.invert(used)),
        b_rows=pc.cast(before["row"], pa.int64()), a_rows=pc.cast(after["row"], pa.int64()),
        all_matched=len(b_idx) == before.num_rows,
    )


def _changed(before: pa.Table, after: pa.Table, m: _Match,
             figures: dict[str, Any]) -> list[pa.Table]:
    """Flags lost or gained, method or last 4 changed, among the matched customers."""
    # compared as small codes, not text: taking a million strings twice per field costs
    # more than the whole comparison
    def codes(column: Any, values: list[str]) -> Any:
        return pc.fill_null(pc.index_in(column, value_set=pa.array(values)), -1)

    changes: list[tuple[str, Any, str]] = []
    for flag in ("autopay", "paperless"):
        yb = m.take_b(pc.equal(before[flag], "Y"))
        ya = pc.take(pc.equal(after[flag], "Y"), m.a_idx)
        kept, lost = pc.and_(yb, ya), pc.and_(yb, pc.invert(ya))
        gained = pc.and_(pc.invert(yb), ya)
        figures[flag] = {"kept": _count(kept), "lost": _count(lost), "gained": _count(gained)}
        changes += [(f"{flag}_lost", lost, flag), (f"{flag}_gained", gained, flag)]
    methods = ["card", "check", ""]
    method_changed = pc.not_equal(m.take_b(codes(before["method"], methods)),
                                  pc.take(codes(after["method"], methods), m.a_idx))
    last4_changed = pc.not_equal(m.take_b(before["last4"]), pc.take(after["last4"], m.a_idx))
    figures["method_changed"] = _count(method_changed)
    figures["last4_changed"] = _count(last4_changed)
    changes += [("method_changed", method_changed, "method"),
                ("last4_changed", last4_changed, "last4")]
    parts: list[pa.Table] = []
    for issue, mask, field_ in changes:
        at = pc.indices_nonzero(pc.fill_null(mask, False))  # positions among the matched
        bi, ai = pc.take(m.b_idx, at), pc.take(m.a_idx, at)
        parts.append(_table(issue, pc.take(m.old, bi), pc.take(m.xref_new, pc.take(m.xi, bi)),
                            pc.take(before["name"], bi), pc.take(before["email"], bi),
                            pc.take(before[field_], bi), pc.take(after[field_], ai),
                            pc.take(m.b_rows, bi), pc.take(m.a_rows, ai), None))
    return parts


def _missing(before: pa.Table, m: _Match, figures: dict[str, Any]) -> pa.Table:
    """Customers not found after go-live, each with why."""
    miss_new = pc.take(m.xref_new, pc.take(m.xi, m.miss_idx))
    no_new = pc.is_null(miss_new)
    figures["not_in_cross_reference"] = _count(no_new)
    return _table("missing_after", pc.take(m.old, m.miss_idx), miss_new,
                  pc.take(_text(before["name"]), m.miss_idx),
                  pc.take(_text(before["email"]), m.miss_idx), None, None,
                  pc.take(m.b_rows, m.miss_idx), None,
                  pc.if_else(no_new, NOT_IN_XREF, NOT_IN_EXPORT))


def _unexpected(after: pa.Table, m: _Match, figures: dict[str, Any]) -> pa.Table:
    """Post rows no customer matched: does one hold an old number (not renumbered yet)?"""
    unex_account = pc.take(m.after_account, m.unex_idx)
    is_old = (pc.is_in(unex_account, value_set=m.old) if len(m.unex_idx)
              else pa.array([], pa.bool_()))
    figures["old_numbers_after"] = _count(is_old)
    return _table("unexpected_after", pc.if_else(is_old, unex_account, ""),
                  pc.if_else(is_old, "", unex_account),
                  pc.take(_text(after["name"]), m.unex_idx),
                  pc.take(_text(after["email"]), m.unex_idx), None, None, None,
                  pc.take(m.a_rows, m.unex_idx), pc.if_else(is_old, OLD_NUMBER, NOT_IN_SNAPSHOT))


def _in_order(details: pa.Table) -> pa.Table:
    """By issue (ISSUES' order), then by row."""
    order = {issue: i for i, issue in enumerate(ISSUES)}
    rank = pc.cast(pc.index_in(details["issue"], value_set=pa.array(list(order))), pa.int64())
    details = details.append_column("_rank", rank)
    details = details.append_column(
        "_row", pc.fill_null(pc.coalesce(details["snapshot_row"], details["post_row"]), 0))
    details = details.sort_by([("_rank", "ascending"), ("_row", "ascending")])
    return details.drop_columns(["_rank", "_row"])


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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def exception_rows(details: pa.Table) -> pa.Table:
    """The comparison's details as exceptions workbook rows (EXCEPTION_COLUMNS): what was
    lost, gained, changed or missing is blocking, a row the snapshot lacks a warning. The
    rule is the detail's reason where it has one, else the issue's own words; the fix is
    what ISSUES says to do."""
    issue = details["issue"]
    codes = pa.array(list(ISSUES), pa.string())
    at = pc.index_in(issue, value_set=codes)
    rules = pa.array([text.split(": ", 1)[0] for text in ISSUES.values()], pa.string())
    fixes = pa.array([_sentence(text.split(": ", 1)[1]) for text in ISSUES.values()],
                     pa.string())
    fields = pa.array([ISSUE_FIELDS[code] for code in ISSUES], pa.string())
    reason = _text(details["reason"])
    warning = pc.is_in(issue, value_set=pa.array(WARNING_ISSUES, pa.string()))
    return pa.table({
        "post_row": pc.cast(details["post_row"], pa.int64()),
        "snapshot_row": pc.cast(details["snapshot_row"], pa.int64()),
        "old_account": _text(details["old_account"]),
        "new_account": _text(details["new_account"]),
        "name": _text(details["name"]),
        "field": _text(pc.take(fields, at)),
        "before": _text(details["before"]),
        "after": _text(details["after"]),
        "severity": pc.if_else(warning, WARNING, BLOCKING),
        "rule": pc.if_else(pc.equal(reason, ""), _text(pc.take(rules, at)),
                           pc.binary_join_element_wise(
                               pc.utf8_upper(pc.utf8_slice_codeunits(reason, 0, 1)),
                               pc.utf8_slice_codeunits(reason, 1), "")),
        "fix": _text(pc.take(fixes, at)),
    })


def empty_details() -> pa.Table:
    return _table("missing_after", pa.array([], pa.string()), None, None, None, None, None,
                  None, None, None)
