"""The provider's cross-reference checked as a whole: old (UTI) account -> new Daffron account.

A wrong mapping moves one customer's autopay onto another customer's bill, so nothing is
produced from the file until every row has been checked against the rest of the file and
against the pre-conversion customer snapshot. All the work is column-wise (pyarrow compute:
`group_by`, `is_in`, `index_in`); only the few problem rows are turned into Python findings.

Blocking: an empty or spreadsheet-mangled number (`1.23457E+09`, a trailing `.0`, a number
that lost its leading zeros), an old number mapped to two different new numbers, a new number
given to two different old numbers, a snapshot account the file does not map (a warning with
`allow_unmatched`). Warnings: the same old -> new pair repeated (collapsed to one), accounts
the snapshot does not have ("extra"), a new number that is another customer's old number.
Account numbers are text end to end: only surrounding whitespace is trimmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.arrays import (
    account_keys,
    account_texts,
    arange,
    inverse_permutation,
    mask_at,
    positions,
)
from wizard.core.cards import mask_cards_in_text
from wizard.core.findings import Findings, control_findings
from wizard.core.reader import Table
from wizard.core.recognition import CROSS_REFERENCE, shares_no_column_message
from wizard.core.vocabulary import (
    ALLOW_UNMATCHED_OPTION,
    BLOCKING,
    GENERIC_ACCOUNT,
    MANGLED_NUMBER,
    MANGLED_RULE,
    NEW_ACCOUNT,
    OLD_ACCOUNT,
    WARNING,
    normalise_header,
)
from wizard.errors import InputError

# the header names of each side, and the mangled-number rule: core/vocabulary.py
OLD_NAMES: frozenset[str] = frozenset(OLD_ACCOUNT)
NEW_NAMES: frozenset[str] = frozenset(NEW_ACCOUNT)
# a plain "Account Number" is the old side when the other column is clearly new (and the
# reverse): a file `Account Number,New Account Number` needs no --map
GENERIC_NAMES: frozenset[str] = frozenset(GENERIC_ACCOUNT)

RULE_EMPTY = "account number empty"
RULE_MANGLED = MANGLED_RULE
RULE_LOST_ZEROS = "account number lost its leading zeros"
RULE_OLD_TWICE = "old account mapped to two different new accounts"
RULE_NEW_TWICE = "new account given to two different old accounts"
RULE_UNMATCHED = "customer account missing from the cross-reference"
RULE_DUPLICATE = "identical row repeated (collapsed to one)"
RULE_EXTRA = "account not in the customer snapshot"
RULE_CHAIN = "new account is another customer's old account"

FIX_MANGLED = ("Ask the provider for the file again as CSV (or format the column as Text "
               "before saving): account numbers must keep every digit")
FIX_EMPTY = "fill in the account number or remove the row, then import again"
FIX_OLD_TWICE = "one old account gets exactly one new account: ask the provider which is right"
FIX_NEW_TWICE = ("each new account belongs to one customer: ask the provider which old "
                 "account it is for")
FIX_UNMATCHED = ("ask the provider for this customer's new account, or import with "
                 f"{ALLOW_UNMATCHED_OPTION} to leave it out of the IC update")
FIX_UNMATCHED_ALLOWED = (f"left out of the IC update ({ALLOW_UNMATCHED_OPTION}): renumber it "
                         "by hand")
FIX_DUPLICATE = "nothing to do: the repeated row was counted once"
FIX_EXTRA = ("not a customer of the flag file: left out of the IC update; check with the "
             "provider if it should be there")
FIX_CHAIN = ("apply the IC update as one batch (all accounts at once), never row by row, or "
             "one customer's account is renamed onto another's")


def find_columns(table: Table, mapping: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The (old, new) column names of the cross-reference: from `mapping` (`--map old=H`,
    `--map new=H`) or by their usual header names. Raises `InputError` naming the headers."""
    mapping = mapping or {}
    names = list(table.data.column_names)
    norm = {n: normalise_header(n) for n in names}
    found = ", ".join(repr(h) for h in table.headers if h.strip()) or "none"
    hint = ("; name them with --map old=HEADER --map new=HEADER, e.g. "
            "--map old='UTI Account Number' --map new='Daffron Account Number'")

    def by_map(side: str) -> str | None:
        wanted = mapping.get(side)
        if wanted is None:
            return None
        if wanted in names:
            return wanted
        matches = [n for n in names if norm[n] == normalise_header(wanted)]
        if len(matches) != 1:
            raise InputError(f"{table.path}: --map {side}={wanted!r} names no column of the "
                             f"file; its headers are {found}")
        return str(matches[0])

    def by_name(side: str, known: frozenset[str]) -> str | None:
        hits = [n for n in names if norm[n] in known]
        if len(hits) > 1:
            raise InputError(
                f"{table.path}: more than one column looks like the {side} account "
                f"({', '.join(repr(h) for h in hits)}){hint}")
        return hits[0] if hits else None

    old = by_map("old") or by_name("old", OLD_NAMES)
    new = by_map("new") or by_name("new", NEW_NAMES)
    if (old is None) != (new is None):
        generic = [n for n in names if norm[n] in GENERIC_NAMES and n not in (old, new)]
        if len(generic) == 1:
            old, new = (generic[0], new) if old is None else (old, generic[0])
    missing = [side for side, col in (("old", old), ("new", new)) if col is None]
    if len(missing) == 2 and not any(norm[n] in GENERIC_NAMES for n in names):
        raise InputError(shares_no_column_message(table.path, table.headers, CROSS_REFERENCE))
    if missing:
        raise InputError(
            f"{table.path}: no {' and no '.join(missing)} account column found (headers "
            f"found: {found}){hint}")
    assert old is not None and new is not None
    if old == new:
        raise InputError(f"{table.path}: the old and new account are both column {old!r}{hint}")
    return old, new


@dataclass
class XrefCheck:
    """What the check found. `update` holds the snapshot's customers with their new account,
    in snapshot order: columns `row` (the cross-reference row), `old`, `new`. `mapping`
    holds every clean pair of the file (the customers', then the extra accounts, file
    order) for the cross-reference snapshot."""

    update: pa.Table
    mapping: pa.Table
    findings: Findings = field(default_factory=Findings)
    unmatched: int = 0
    extra: int = 0
    duplicates: int = 0

    @property
    def mapped(self) -> int:
        return int(self.update.num_rows)

    @property
    def blocking(self) -> int:
        return self.findings.blocking


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def _shown(values: pa.Array) -> list[str]:
    """Problem values as text for people, card numbers masked (never written whole)."""
    return [mask_cards_in_text(v) for v in values.to_pylist()]


def _rows(values: pa.Array) -> list[int | None]:
    return [int(v) for v in values.to_pylist()]


def check_cross_reference(
    table: Table,
    old_col: str,
    new_col: str,
    accounts: pa.Array | pa.ChunkedArray,
    account_rows: pa.Array | pa.ChunkedArray,
    allow_unmatched: bool = False,
) -> XrefCheck:
    """Check the cross-reference `table` against the snapshot's `accounts` (with their rows
    in the customer export, `account_rows`).

    The snapshot's accounts and the file's old numbers are dictionary-encoded together (and
    the new numbers on their own), so equal text gets an equal integer code. The file's rows
    are then sorted once by old code, so every set question after that (repeated, in the
    snapshot, in the file, where in the snapshot) is a pass over sorted int32 codes instead
    of another hash table over a million values.
    """
    findings = Findings()
    c = _Columns(
        old=_as_array(pc.utf8_trim_whitespace(table.data.column(old_col))),
        new=_as_array(pc.utf8_trim_whitespace(table.data.column(new_col))),
        rows=_as_array(table.row_numbers),
        accounts=_as_array(pc.fill_null(accounts, "")).cast(pa.string()),
        account_rows=_as_array(account_rows),
    )
    old_ok, usable = _check_cells(c, findings)
    # a control character anywhere in the file blocks; in the two numbers, line breaks too
    findings.extend(control_findings(table.data, c.rows, {old_col: "old", new_col: "new"}))
    codes = _Codes.of(c)
    keep, duplicates = _collapse_repeats(c, codes, usable, findings)
    clean = pc.and_(keep, pc.invert(_conflicts(c, codes, usable, keep, findings)))
    unmatched, extra = _against_snapshot(c, codes, old_ok, keep, allow_unmatched, findings)
    _chains(c, codes, clean, findings)
    update, mapping = _update(c, codes, clean)
    return XrefCheck(update, mapping, findings, unmatched, extra, duplicates)


@dataclass(frozen=True)
class _Columns:
    """The file's columns and the snapshot's, as plain arrays."""

    old: pa.Array
    new: pa.Array
    rows: pa.Array
    accounts: pa.Array
    account_rows: pa.Array


@dataclass(frozen=True)
class _Codes:
    """Integer codes: one dictionary for the accounts and old numbers, one for new ones."""

    ca: pa.Array  # the snapshot's accounts (int32 codes)
    co: pa.Array  # the file's old numbers
    cn: pa.Array  # the file's new numbers
    # the accounts' and old numbers' dictionary: their text, or their `account_keys` when
    # every one is plain digits (`keyed`)
    dictionary: pa.Array
    keyed: bool
    # customer i holds code i (the accounts are distinct and were encoded first): then a code
    # below len(ca) is that customer's, and every other code is not a customer's
    positional: bool
    new_distinct: bool  # no new number is given twice in the whole file
    order: pa.Array  # the file's rows by old code, equal codes by row (int64 positions)
    co_sorted: pa.Array  # co in that order

    @classmethod
    def of(cls, c: _Columns) -> _Codes:
        na = len(c.accounts)
        # plain account numbers are encoded as int64 keys: the same codes (equal keys are
        # equal texts, met in the same order) for a third of the work
        account_k, old_k = account_keys(c.accounts), account_keys(c.old)
        keyed = account_k is not None and old_k is not None
        encoded = pc.dictionary_encode(
            pa.concat_arrays([account_k, old_k]) if account_k is not None and old_k is not None
            else pa.concat_arrays([c.accounts, c.old]))
        codes = encoded.indices  # int32
        ca, co = codes.slice(0, na), codes.slice(na)
        new_k = account_keys(c.new)
        new_encoded = pc.dictionary_encode(c.new if new_k is None else new_k)
        positional = na == 0 or bool(pc.all(pc.equal(ca, arange(0, na))).as_py())
        order = _stable_order(co)
        return cls(ca, co, new_encoded.indices, encoded.dictionary, keyed, positional,
                   len(new_encoded.dictionary) == len(c.new), order, co.take(order))

    def as_old_codes(self, values: pa.Array) -> pa.Array:
        """Each of `values` as the code of the equal account or old number (null: none)."""
        if self.keyed:
            keys = account_keys(values)
            if keys is not None:
                return pc.index_in(keys, value_set=self.dictionary)
            return pc.index_in(values, value_set=account_texts(self.dictionary))
        return pc.index_in(values, value_set=self.dictionary)


def _stable_order(codes: pa.Array) -> pa.Array:
    """The positions of `codes` in ascending order, equal codes by position (int64): one
    pass when each code is there once (every customer mapped once, no extra), else a
    stable sort."""
    inverse = inverse_permutation(codes)
    return inverse if inverse is not None else pc.cast(pc.sort_indices(codes), pa.int64())


def _next_equal(values: pa.Array) -> pa.Array:
    """For each of `values` but the last: whether the next one equals it."""
    n = len(values)
    return pc.equal(values.slice(1), values.slice(0, n - 1)) if n > 1 else pa.array([], pa.bool_())


def _distinct_sorted(values: pa.Array) -> int:
    """How many distinct values sorted `values` hold."""
    return len(values) - int(pc.sum(_next_equal(values)).as_py() or 0)


def _held_twice(codes: pa.Array, order: pa.Array, ordered: pa.Array,
                where: pa.Array) -> pa.Array | None:
    """Which rows hold a code that two or more of the `where` rows hold (any row, in
    `where` or not); None when no code is held twice. `ordered` is `codes` sorted,
    `order` the rows in that order."""
    among = ordered.filter(where.take(order))
    same = _next_equal(among)
    if not pc.any(same).as_py():
        return None
    shared = pc.unique(among.slice(1).filter(same))
    return mask_at(len(codes), order.filter(pc.is_in(ordered, value_set=shared)))


def _new_held_twice(codes: _Codes, where: pa.Array) -> pa.Array | None:
    if codes.new_distinct:
        return None
    order = _stable_order(codes.cn)
    return _held_twice(codes.cn, order, codes.cn.take(order), where)


def _old_held_twice(codes: _Codes, where: pa.Array) -> pa.Array | None:
    return _held_twice(codes.co, codes.order, codes.co_sorted, where)


def _check_cells(c: _Columns, findings: Findings) -> tuple[pa.Array, pa.Array]:
    """Each cell on its own: empty or mangled numbers block. (old usable, row usable)."""
    bad_side: dict[str, pa.Array] = {}
    for side, col in (("old", c.old), ("new", c.new)):
        empty = pc.equal(pc.utf8_length(col), 0)
        mangled = pc.match_substring_regex(col, MANGLED_NUMBER)
        for mask, rule, fix in ((empty, RULE_EMPTY, FIX_EMPTY),
                                (mangled, RULE_MANGLED, FIX_MANGLED)):
            if pc.any(mask).as_py():
                findings.add_many(_rows(c.rows.filter(mask)), side, _shown(col.filter(mask)),
                                  BLOCKING, f"{side} {rule}", fix)
        bad_side[side] = _bool(pc.or_(empty, mangled))
    old_ok = pc.invert(bad_side["old"])
    return old_ok, pc.and_(old_ok, pc.invert(bad_side["new"]))


def _collapse_repeats(c: _Columns, codes: _Codes, usable: pa.Array,
                      findings: Findings) -> tuple[pa.Array, int]:
    """The same pair repeated: a warning, collapsed to its first row. (rows kept, count)."""
    new_twice = _new_held_twice(codes, usable)
    old_twice = _old_held_twice(codes, usable) if new_twice is not None else None
    if old_twice is None or new_twice is None:
        return usable, 0
    maybe = pc.and_(pc.and_(usable, old_twice), new_twice)
    if not pc.any(maybe).as_py():
        return usable, 0
    at = positions(maybe)
    pair = pc.add(pc.multiply(pc.cast(codes.co.take(at), pa.int64()), len(c.new) + 1),
                  pc.cast(codes.cn.take(at), pa.int64()))
    # index_in answers the first position of an equal pair: a later one repeats it
    first = pc.index_in(pair, value_set=pair)
    repeat = at.filter(pc.not_equal(pc.cast(first, pa.int64()), arange(0, len(at))))
    if not len(repeat):
        return usable, 0
    keep = pc.and_(usable, pc.invert(mask_at(len(usable), repeat)))
    findings.add_many(_rows(c.rows.take(repeat)), "old", _shown(c.old.take(repeat)), WARNING,
                      RULE_DUPLICATE, FIX_DUPLICATE)
    return keep, len(repeat)


def _conflicts(c: _Columns, codes: _Codes, usable: pa.Array, keep: pa.Array,
               findings: Findings) -> pa.Array:
    """One old to two news, one new to two olds: blocking, every row involved."""
    conflict = mask_at(len(c.old), [])
    for side, twice, rule, fix in (
            ("old", _old_held_twice(codes, keep), RULE_OLD_TWICE, FIX_OLD_TWICE),
            ("new", _new_held_twice(codes, keep), RULE_NEW_TWICE, FIX_NEW_TWICE)):
        if twice is None:
            continue
        hit = pc.and_(usable, twice)
        if pc.any(hit).as_py():
            at = positions(hit)
            olds, news = _shown(c.old.take(at)), _shown(c.new.take(at))
            findings.add_many(_rows(c.rows.take(at)), side,
                              [f"{a} -> {b}" for a, b in zip(olds, news)], BLOCKING, rule, fix)
            conflict = pc.or_(conflict, hit)
    return conflict


def _missing(codes: _Codes, old_ok: pa.Array) -> pa.Array | None:
    """The customers no usable old number maps (None: every one is mapped)."""
    if codes.positional:
        # every customer's code (0 .. n-1) among the usable old numbers: none is missing
        held = codes.co_sorted.filter(old_ok.take(codes.order))
        held = held.filter(pc.less(held, len(codes.ca)))
        if _distinct_sorted(held) == len(codes.ca):
            return None
    missing = pc.invert(pc.is_in(codes.ca, value_set=codes.co.filter(old_ok)))
    return missing if pc.any(missing).as_py() else None


def _in_snapshot(codes: _Codes) -> pa.Array:
    """Whether each old number is a customer's account."""
    if codes.positional:
        return pc.less(codes.co, len(codes.ca))
    return pc.is_in(codes.co, value_set=codes.ca)


def _against_snapshot(c: _Columns, codes: _Codes, old_ok: pa.Array, keep: pa.Array,
                      allow_unmatched: bool, findings: Findings) -> tuple[int, int]:
    """Customers the file does not map, and accounts it has that the snapshot does not.
    (unmatched, extra)."""
    # a customer whose row has a bad new number is in the file: reported for that number
    missing = _missing(codes, old_ok)
    unmatched = int(pc.sum(missing).as_py() or 0) if missing is not None else 0
    extra_rows = positions(pc.and_(keep, pc.invert(_in_snapshot(codes))))
    extra = int(pc.count_distinct(codes.co.take(extra_rows)).as_py()) if len(extra_rows) else 0
    if missing is not None:
        extra_old = c.old.take(extra_rows)
        lost = _lost_zeros(c.accounts.filter(missing), extra_old)
        if len(lost):
            at = extra_rows.filter(_bool(pc.is_in(extra_old, value_set=lost)))
            findings.add_many(
                _rows(c.rows.take(at)), "old", _shown(c.old.take(at)), BLOCKING,
                f"old {RULE_LOST_ZEROS}",
                "a customer's account has this number with leading zeros: the spreadsheet "
                "saved it as a number. " + FIX_MANGLED)
        findings.add_many(
            _rows(c.account_rows.filter(missing)), "account (customer export)",
            _shown(c.accounts.filter(missing)),
            WARNING if allow_unmatched else BLOCKING, RULE_UNMATCHED,
            FIX_UNMATCHED_ALLOWED if allow_unmatched else FIX_UNMATCHED)
    if extra:
        findings.add_many(_rows(c.rows.take(extra_rows)), "old",
                          _shown(c.old.take(extra_rows)), WARNING, RULE_EXTRA, FIX_EXTRA)
    return unmatched, extra


def _chains(c: _Columns, codes: _Codes, clean: pa.Array, findings: Findings) -> None:
    """A new number that is also another row's old number: renaming row by row would
    collide (looked up only when the new numbers' range overlaps the old numbers')."""
    if not _ranges_overlap(c.old, c.new):
        return
    as_old = codes.as_old_codes(c.new)  # null: not an old number at all
    is_old = pc.is_in(as_old, value_set=codes.co.filter(clean))  # a clean row's old number
    chain = positions(pc.and_(pc.and_(clean, is_old), pc.not_equal(as_old, codes.co)))
    if len(chain):
        findings.add_many(_rows(c.rows.take(chain)), "new", _shown(c.new.take(chain)),
                          WARNING, RULE_CHAIN, FIX_CHAIN)


def _update(c: _Columns, codes: _Codes, clean: pa.Array) -> tuple[pa.Table, pa.Table]:
    """Every snapshot customer with a clean mapping, in snapshot order; and every clean pair
    of the file (the customers', then the extra accounts)."""
    # clean old numbers are unique (a repeated one is a conflict), and so are the snapshot's
    # accounts (export-flags refuses an account given twice), so each customer has at most
    # one clean row
    na = len(codes.ca)
    if codes.positional:
        # customer i holds code i: the clean rows by old code are in snapshot order
        ordered = codes.co_sorted
        in_order = codes.order.filter(
            pc.and_(clean.take(codes.order), pc.less(ordered, na)))
        extra = positions(pc.and_(clean, pc.greater_equal(codes.co, na)))
    else:
        # an account given twice anyway: its last row gets the mapping, as it always has
        at = positions(clean)
        last_first = codes.ca.take(arange(na - 1, na, step=-1))
        where = pc.subtract(na - 1, pc.cast(
            pc.index_in(codes.co.take(at), value_set=last_first), pa.int64()))
        matched = pc.is_valid(where)
        in_order = at.filter(matched).take(pc.sort_indices(where.filter(matched)))
        extra = at.filter(pc.invert(matched))
    update = _pairs(c.rows, c.old, c.new, in_order)
    mapping = pa.concat_tables([update, _pairs(c.rows, c.old, c.new, extra)])
    return update, mapping


def _ranges_overlap(a: pa.Array, b: pa.Array) -> bool:
    """Whether the text ranges [min, max] of two non-empty columns overlap."""
    if not len(a) or not len(b):
        return False
    ra, rb = pc.min_max(a).as_py(), pc.min_max(b).as_py()
    if None in (ra["min"], rb["min"]):
        return False
    return not (ra["max"] < rb["min"] or rb["max"] < ra["min"])


def _bool(mask: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A mask as one array, null as false."""
    return _as_array(pc.fill_null(mask, False))


def _pairs(rows: pa.Array, old: pa.Array, new: pa.Array, at: pa.Array) -> pa.Table:
    return pa.table({"row": rows.take(at), "old": old.take(at), "new": new.take(at)})


def _lost_zeros(missing: pa.Array, extra_olds: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Extra old numbers that equal a missing customer account once its leading zeros go."""
    if not len(extra_olds):
        return pa.array([], pa.string())
    zeros = pc.starts_with(missing, "0")
    stripped = pc.utf8_ltrim(missing.filter(zeros), characters="0")
    candidates = _as_array(extra_olds)
    digits = pc.match_substring_regex(candidates, r"^[1-9][0-9]*$")
    candidates = candidates.filter(digits)
    return _as_array(candidates.filter(pc.is_in(candidates, value_set=stripped)))
