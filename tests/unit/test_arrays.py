"""The arrow helpers that stand in for numpy's arange and scatter, and the seeded demo data."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.core import arrays, generate
from wizard.core.arrays import _FEW, arange, mask_at, positions, row_numbers


@given(st.integers(-10**12, 10**12), st.integers(0, 300), st.integers(-50, 50))
def test_arange_is_range(first: int, count: int, step: int) -> None:
    got = arange(first, count, step)
    assert got.type == pa.int64() and got.null_count == 0
    assert got.to_pylist() == [first + i * step for i in range(count)]


def test_row_numbers_of_a_million() -> None:
    rows = row_numbers(2, 1_000_000)
    assert len(rows) == 1_000_000 and rows[0].as_py() == 2 and rows[-1].as_py() == 1_000_001
    assert pc.all(pc.equal(pc.subtract(rows.slice(1), rows.slice(0, 999_999)), 1)).as_py()


@given(st.integers(0, 200).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(0, max(n - 1, 0)), max_size=50)
                        if n else st.just([]))))
def test_mask_at_marks_exactly_the_positions(case: tuple[int, list[int]]) -> None:
    count, at = case
    mask = mask_at(count, at)
    assert mask.type == pa.bool_() and mask.null_count == 0 and len(mask) == count
    assert mask.to_pylist() == [i in set(at) for i in range(count)]
    assert positions(mask).to_pylist() == sorted(set(at))


@pytest.mark.parametrize("scatter", [True, False])
def test_mask_at_many_positions_agrees_with_few(scatter: bool,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Many positions are scattered (pyarrow 23+) or looked up (older pyarrow): the same."""
    monkeypatch.setattr(arrays, "_SCATTER", scatter and arrays._SCATTER)
    rng = random.Random(3)
    count = 50_000
    at = [rng.randrange(count) for _ in range(_FEW * 3)]
    many = mask_at(count, pa.array(at, pa.int64()))
    expected = [False] * count
    for i in at:
        expected[i] = True
    assert many.to_pylist() == expected
    assert mask_at(count, pa.array(at[:10], pa.uint64())).to_pylist() == mask_at(
        count, at[:10]).to_pylist()


def test_mask_at_refuses_a_position_outside() -> None:
    with pytest.raises(IndexError):
        mask_at(3, [3])
    with pytest.raises(IndexError):
        mask_at(3, [-1])


def test_positions_treat_null_as_false() -> None:
    assert positions(pa.array([True, None, False, True])).to_pylist() == [0, 3]
    assert positions(pa.chunked_array([[True], [False, True]])).to_pylist() == [0, 2]


def test_generated_customers_are_seeded_and_realistic() -> None:
    a, b, c = (generate.customers(20_000, seed) for seed in (5, 5, 6))
    assert a.equals(b) and not a.equals(c)
    assert a.column_names == generate.EXPORT_HEADERS
    assert all(t == pa.string() for t in a.schema.types)
    accounts = a.column("Account Number")
    assert pc.count_distinct(accounts).as_py() == 20_000
    assert pc.all(pc.match_substring_regex(accounts, r"^[0-9]{10}$")).as_py()

    def share(mask: pa.ChunkedArray | pa.Array) -> float:
        return float(pc.sum(mask).as_py()) / a.num_rows

    email = pc.not_equal(a.column("Email Address"), "")
    method = a.column("Payment Type")
    assert 0.83 < share(email) < 0.87
    assert 0.43 < share(pc.equal(method, "Credit Card")) < 0.47
    assert 0.28 < share(pc.equal(method, "Checking")) < 0.32
    # paperless only with an email, autopay only with a payment method, last 4 with one
    assert not pc.any(pc.and_(pc.invert(email), pc.equal(a.column("Paperless"), "Y"))).as_py()
    no_method = pc.equal(method, "")
    assert not pc.any(pc.and_(no_method, pc.equal(a.column("AutoPay"), "Y"))).as_py()
    assert pc.all(pc.equal(pc.equal(a.column("Last Four"), ""), no_method)).as_py()
    assert pc.all(pc.match_substring_regex(a.column("Last Four").filter(pc.invert(no_method)),
                                           r"^[0-9]{4}$")).as_py()
    assert pc.all(pc.match_substring_regex(a.column("Phone"), r"^555-[0-9]{4}$")).as_py()
    assert generate.customers(0).num_rows == 0


@given(st.lists(st.integers(0, 30), max_size=40))
def test_inverse_permutation_is_the_stable_sort_or_none(values: list[int]) -> None:
    """The one-pass order agrees with a stable sort whenever it answers, and answers for
    every permutation."""
    array = pa.array(values, pa.int32())
    got = arrays.inverse_permutation(array)
    is_permutation = sorted(values) == list(range(len(values))) and len(values) > 0
    if not arrays._SCATTER:
        assert got is None
        return
    assert (got is not None) == is_permutation
    if got is not None:
        assert got.to_pylist() == pc.sort_indices(array).to_pylist()


@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789", max_size=19),
                          st.text(max_size=4)), max_size=30))
def test_account_keys_are_equal_exactly_when_the_texts_are(values: list[str | None]) -> None:
    keys = arrays.account_keys(pa.array(values, pa.string()))
    plain = all(v is None or (v.isascii() and (v.isdigit() or v == "") and len(v) <= 18)
                for v in values)
    assert (keys is not None) == plain
    if keys is not None:
        got = keys.to_pylist()
        assert [k is None for k in got] == [v is None for v in values]
        pairs = [(k, v) for k, v in zip(got, values) if v is not None]
        assert all((a == b) == (x == y) for a, x in pairs for b, y in pairs)
        back = arrays.account_texts(pa.array([k for k, _ in pairs], pa.int64()))
        assert back.to_pylist() == [v for _, v in pairs]
