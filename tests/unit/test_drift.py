"""The demo's post-go-live export: new numbers, exactly the drift asked for, figures known."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from wizard.core import generate
from wizard.core.drift import Drift, post_conversion_export

METHOD = {"Credit Card": "card", "Checking": "check", "": ""}


def snapshot_of(n: int, seed: int = 7) -> pa.Table:
    """A customer snapshot as export-flags keeps it, from the generated portal export."""
    export = generate.customers(n, seed)
    col = {h: export.column(h).to_pylist() for h in export.column_names}
    return pa.table({
        "row": pa.array(range(2, n + 2), pa.int64()),
        "name": col["Customer Name"],
        "account": col["Account Number"],
        "email": col["Email Address"],
        "paperless": col["Paperless"],
        "autopay": col["AutoPay"],
        "method": [METHOD[m] for m in col["Payment Type"]],
        "last4": col["Last Four"],
    })


def xref_of(snapshot: pa.Table, skip: int = 0) -> pa.Table:
    """The provider's map: old -> a new 8-digit Daffron number; the first `skip` unmapped."""
    old = snapshot.column("account").to_pylist()[skip:]
    return pa.table({
        "row": pa.array(range(2, len(old) + 2), pa.int64()),
        "old": old,
        "new": [f"{90_000_000 + i:08d}" for i in range(len(old))],
    })


def compare(snapshot: pa.Table, xref: pa.Table, post: pa.Table) -> dict[str, Any]:
    """The verification figures, counted one customer at a time (an independent oracle)."""
    new_of = dict(zip(xref.column("old").to_pylist(), xref.column("new").to_pylist()))
    after = {r["Account Number"]: r for r in post.to_pylist()}
    figures: dict[str, Any] = {
        "customers": 0, "matched": 0, "missing_after": 0,
        "autopay": {"kept": 0, "lost": 0, "gained": 0},
        "paperless": {"kept": 0, "lost": 0, "gained": 0},
        "method_changed": 0, "last4_changed": 0,
    }
    seen = set()
    for before in snapshot.to_pylist():
        figures["customers"] += 1
        now = after.get(new_of.get(before["account"], "-"))
        if now is None:
            figures["missing_after"] += 1
            continue
        seen.add(now["Account Number"])
        figures["matched"] += 1
        for flag, header in (("autopay", "AutoPay"), ("paperless", "Paperless")):
            pair = (before[flag], now[header])
            key = {("Y", "Y"): "kept", ("Y", "N"): "lost", ("N", "Y"): "gained"}.get(pair)
            if key:
                figures[flag][key] += 1
        figures["method_changed"] += before["method"] != METHOD[now["Payment Type"]]
        figures["last4_changed"] += before["last4"] != now["Last Four"]
    figures["unexpected_after"] = len(set(after) - seen)
    return figures


def test_export_has_the_portal_headers_and_only_new_account_numbers() -> None:
    snapshot = snapshot_of(2000)
    xref = xref_of(snapshot)
    result = post_conversion_export(snapshot, xref, Drift(), seed=1)

    assert result.table.column_names == generate.EXPORT_HEADERS[:7]
    assert all(t == pa.string() for t in result.table.schema.types)
    accounts = result.table.column("Account Number").to_pylist()
    assert set(accounts) <= set(xref.column("new").to_pylist())
    assert not set(accounts) & set(snapshot.column("account").to_pylist())
    assert len(accounts) == len(set(accounts)) == 2000 - 1
    # the portal's words, not the snapshot's
    assert set(result.table.column("Payment Type").to_pylist()) == {"Credit Card", "Checking", ""}
    # shuffled: an export is not in the snapshot's order
    new_in_order = xref.column("new").to_pylist()
    assert accounts != [a for a in new_in_order if a in set(accounts)]


def test_exactly_the_drift_asked_for_and_the_expected_figures_match_a_plain_count() -> None:
    snapshot = snapshot_of(3000)
    xref = xref_of(snapshot)
    drift = Drift(autopay_lost=7, paperless_gained=4, last4_changed=3, missing=2)
    result = post_conversion_export(snapshot, xref, drift, seed=11)

    assert len(result.autopay_lost) == 7
    assert len(result.paperless_gained) == 4
    assert len(result.last4_changed) == 3
    assert len(result.missing) == 2
    changed = [*result.autopay_lost, *result.paperless_gained, *result.last4_changed,
               *result.missing]
    assert len(set(changed)) == len(changed), "each customer gets at most one change"

    figures = compare(snapshot, xref, result.table)
    assert result.expected == {**figures, "preserved": False}
    assert figures["autopay"]["lost"] == 7 and figures["autopay"]["gained"] == 0
    assert figures["paperless"]["gained"] == 4 and figures["paperless"]["lost"] == 0
    assert figures["last4_changed"] == 3 and figures["method_changed"] == 0
    assert figures["missing_after"] == 2


def test_missing_customers_had_nothing_to_lose_so_the_flag_counts_stay_exact() -> None:
    snapshot = snapshot_of(1000)
    result = post_conversion_export(snapshot, xref_of(snapshot), Drift(missing=5), seed=3)
    by_account = {r["account"]: r for r in snapshot.to_pylist()}
    for account in result.missing:
        assert by_account[account]["autopay"] == "N"
        assert by_account[account]["paperless"] == "N"


def test_paperless_is_gained_only_by_customers_with_an_email() -> None:
    snapshot = snapshot_of(1000)
    result = post_conversion_export(snapshot, xref_of(snapshot), Drift(paperless_gained=20))
    by_account = {r["account"]: r for r in snapshot.to_pylist()}
    assert len(result.paperless_gained) == 20
    assert all(by_account[a]["email"] for a in result.paperless_gained)


def test_a_changed_last4_is_four_digits_and_really_different() -> None:
    snapshot = snapshot_of(500)
    xref = xref_of(snapshot)
    result = post_conversion_export(snapshot, xref, Drift(last4_changed=10), seed=5)
    new_of = dict(zip(xref.column("old").to_pylist(), xref.column("new").to_pylist()))
    after = {r["Account Number"]: r for r in result.table.to_pylist()}
    before = {r["account"]: r for r in snapshot.to_pylist()}
    for account in result.last4_changed:
        value = after[new_of[account]]["Last Four"]
        assert len(value) == 4 and value.isdigit()
        assert value != before[account]["last4"]


def test_leading_zeros_of_new_numbers_survive() -> None:
    snapshot = snapshot_of(50)
    old = snapshot.column("account").to_pylist()
    xref = pa.table({"old": old, "new": [f"000{i:05d}" for i in range(50)]})
    result = post_conversion_export(snapshot, xref, Drift(0, 0, 0, 0))
    assert sorted(result.table.column("Account Number").to_pylist()) == [
        f"000{i:05d}" for i in range(50)]
    assert result.expected["preserved"] is True


def test_customers_without_a_new_number_are_missing_and_never_drifted() -> None:
    snapshot = snapshot_of(400)
    xref = xref_of(snapshot, skip=3)
    result = post_conversion_export(snapshot, xref, Drift(missing=1), seed=2)
    unmapped = snapshot.column("account").to_pylist()[:3]
    assert set(unmapped) <= set(result.missing)
    assert not set(unmapped) & {*result.autopay_lost, *result.paperless_gained,
                                *result.last4_changed}
    assert result.expected == {**compare(snapshot, xref, result.table), "preserved": False}
    assert result.expected["missing_after"] == 4


def test_same_seed_same_export_other_seed_other_customers() -> None:
    snapshot = snapshot_of(2000)
    xref = xref_of(snapshot)
    a = post_conversion_export(snapshot, xref, seed=9)
    b = post_conversion_export(snapshot, xref, seed=9)
    c = post_conversion_export(snapshot, xref, seed=10)
    assert a.table.equals(b.table) and a.autopay_lost == b.autopay_lost
    assert a.autopay_lost != c.autopay_lost


def test_too_few_candidates_gives_what_there_is() -> None:
    snapshot = snapshot_of(20)
    n_autopay = snapshot.column("autopay").to_pylist().count("Y")
    result = post_conversion_export(snapshot, xref_of(snapshot), Drift(autopay_lost=1000))
    assert len(result.autopay_lost) == n_autopay
    assert result.expected["autopay"]["kept"] == 0


def test_drift_grows_slowly_with_the_customer_count() -> None:
    small, large = Drift.for_customers(300), Drift.for_customers(1_000_000)
    assert small.autopay_lost >= 1 and small.missing >= 1
    assert large.autopay_lost < 0.01 * 1_000_000
    assert large.autopay_lost > small.autopay_lost


def test_a_snapshot_without_the_needed_columns_is_refused() -> None:
    snapshot = snapshot_of(10).drop_columns(["autopay"])
    with pytest.raises(ValueError, match="autopay"):
        post_conversion_export(snapshot, pa.table({"old": ["1"], "new": ["2"]}))
