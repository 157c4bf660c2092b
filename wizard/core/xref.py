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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.arrays import bool_array, int64_array
from wizard.core.cards import mask_cards_in_text
from wizard.core.findings import Findings
from wizard.core.reader import Table
from wizard.core.vocabulary import (
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
                 "--allow-unmatched to leave it out of the IC update")
FIX_UNMATCHED_ALLOWED = "left out of the IC update (--allow-unmatched): renumber it by hand"
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
    the new numbers on their own), so equal text gets an equal integer code; every set
    question after that (repeated, in the snapshot, in the file, where in the snapshot) is a
    numpy operation on the codes instead of another hash table over a million strings.
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
    codes = _Codes.of(c)
    keep, duplicates = _collapse_repeats(c, codes, usable, findings)
    clean = keep & ~_conflicts(c, codes, usable, keep, findings)
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

    ca: np.ndarray  # the snapshot's accounts
    co: np.ndarray  # the file's old numbers
    cn: np.ndarray  # the file's new numbers
    k: int  # a size every code is below
    dictionary: pa.Array  # the accounts' and old numbers' dictionary

    @classmethod
    def of(cls, c: _Columns) -> _Codes:
        na = len(c.accounts)
        encoded = pc.dictionary_encode(pa.concat_arrays([c.accounts, c.old]))
        codes = encoded.indices.to_numpy(zero_copy_only=False)  # int32
        new_encoded = pc.dictionary_encode(c.new)
        cn = new_encoded.indices.to_numpy(zero_copy_only=False)
        k = max(len(encoded.dictionary), len(new_encoded.dictionary))
        return cls(codes[:na], codes[na:], cn, k, encoded.dictionary)


def _check_cells(c: _Columns, findings: Findings) -> tuple[np.ndarray, np.ndarray]:
    """Each cell on its own: empty or mangled numbers block. (old usable, row usable)."""
    bad_side: dict[str, np.ndarray] = {}
    for side, col in (("old", c.old), ("new", c.new)):
        empty = pc.equal(pc.utf8_length(col), 0)
        mangled = pc.match_substring_regex(col, MANGLED_NUMBER)
        for mask, rule, fix in ((empty, RULE_EMPTY, FIX_EMPTY),
                                (mangled, RULE_MANGLED, FIX_MANGLED)):
            if pc.any(mask).as_py():
                findings.add_many(_rows(c.rows.filter(mask)), side, _shown(col.filter(mask)),
                                  BLOCKING, f"{side} {rule}", fix)
        bad_side[side] = _np_bool(pc.or_(empty, mangled))
    old_ok = ~bad_side["old"]
    return old_ok, old_ok & ~bad_side["new"]


def _collapse_repeats(c: _Columns, codes: _Codes, usable: np.ndarray,
                      findings: Findings) -> tuple[np.ndarray, int]:
    """The same pair repeated: a warning, collapsed to its first row. (rows kept, count)."""
    co, cn, k = codes.co, codes.cn, codes.k
    keep = usable.copy()
    old_count = np.bincount(co[usable], minlength=k)
    new_count = np.bincount(cn[usable], minlength=k)
    maybe = usable & (old_count[co] > 1) & (new_count[cn] > 1)
    if not maybe.any():
        return keep, 0
    at = np.flatnonzero(maybe)
    _, first = np.unique(co[at].astype(np.int64) * k + cn[at], return_index=True)
    repeat = np.setdiff1d(at, at[first], assume_unique=True)
    if len(repeat):
        keep[repeat] = False
        findings.add_many(_rows(_take_np(c.rows, repeat)), "old",
                          _shown(_take_np(c.old, repeat)), WARNING, RULE_DUPLICATE,
                          FIX_DUPLICATE)
    return keep, len(repeat)


def _conflicts(c: _Columns, codes: _Codes, usable: np.ndarray, keep: np.ndarray,
               findings: Findings) -> np.ndarray:
    """One old to two news, one new to two olds: blocking, every row involved."""
    old_count = np.bincount(codes.co[keep], minlength=codes.k)
    new_count = np.bincount(codes.cn[keep], minlength=codes.k)
    conflict = np.zeros(len(c.old), dtype=bool)
    for side, count, mine, rule, fix in (
            ("old", old_count, codes.co, RULE_OLD_TWICE, FIX_OLD_TWICE),
            ("new", new_count, codes.cn, RULE_NEW_TWICE, FIX_NEW_TWICE)):
        hit = usable & (count[mine] > 1)
        if hit.any():
            at = np.flatnonzero(hit)
            olds, news = _shown(_take_np(c.old, at)), _shown(_take_np(c.new, at))
            findings.add_many(_rows(_take_np(c.rows, at)), side,
                              [f"{a} -> {b}" for a, b in zip(olds, news)], BLOCKING, rule, fix)
            conflict |= hit
    return conflict


def _against_snapshot(c: _Columns, codes: _Codes, old_ok: np.ndarray, keep: np.ndarray,
                      allow_unmatched: bool, findings: Findings) -> tuple[int, int]:
    """Customers the file does not map, and accounts it has that the snapshot does not.
    (unmatched, extra)."""
    in_file = np.zeros(codes.k, dtype=bool)
    in_file[codes.co[old_ok]] = True  # a customer whose row has a bad new number: reported
    missing_np = ~in_file[codes.ca]
    unmatched = int(missing_np.sum())
    in_snapshot = np.zeros(codes.k, dtype=bool)
    in_snapshot[codes.ca] = True
    extra_rows = np.flatnonzero(keep & ~in_snapshot[codes.co])
    extra = int(len(np.unique(codes.co[extra_rows])))
    if unmatched:
        missing = bool_array(missing_np)
        lost = _lost_zeros(c.accounts.filter(missing), _take_np(c.old, extra_rows))
        if len(lost):
            extra_old = _take_np(c.old, extra_rows)
            at = extra_rows[_np_bool(pc.is_in(extra_old, value_set=lost))]
            findings.add_many(
                _rows(_take_np(c.rows, at)), "old", _shown(_take_np(c.old, at)), BLOCKING,
                f"old {RULE_LOST_ZEROS}",
                "a customer's account has this number with leading zeros: the spreadsheet "
                "saved it as a number. " + FIX_MANGLED)
        findings.add_many(
            _rows(c.account_rows.filter(missing)), "account (customer export)",
            _shown(c.accounts.filter(missing)),
            WARNING if allow_unmatched else BLOCKING, RULE_UNMATCHED,
            FIX_UNMATCHED_ALLOWED if allow_unmatched else FIX_UNMATCHED)
    if extra:
        findings.add_many(_rows(_take_np(c.rows, extra_rows)), "old",
                          _shown(_take_np(c.old, extra_rows)), WARNING, RULE_EXTRA, FIX_EXTRA)
    return unmatched, extra


def _chains(c: _Columns, codes: _Codes, clean: np.ndarray, findings: Findings) -> None:
    """A new number that is also another row's old number: renaming row by row would
    collide (looked up only when the new numbers' range overlaps the old numbers')."""
    if not _ranges_overlap(c.old, c.new):
        return
    new_as_old = pc.index_in(c.new, value_set=codes.dictionary)
    as_old = pc.fill_null(new_as_old, -1).to_numpy(zero_copy_only=False)
    is_old = np.zeros(len(codes.dictionary) + 1, dtype=bool)
    is_old[codes.co[clean]] = True
    is_old[-1] = False  # index -1: not an old number at all
    chain = np.flatnonzero(clean & is_old[as_old] & (as_old != codes.co))
    if len(chain):
        findings.add_many(_rows(_take_np(c.rows, chain)), "new",
                          _shown(_take_np(c.new, chain)), WARNING, RULE_CHAIN, FIX_CHAIN)


def _update(c: _Columns, codes: _Codes, clean: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """Every snapshot customer with a clean mapping, in snapshot order; and every clean pair
    of the file (the customers', then the extra accounts)."""
    na = len(c.accounts)
    position = np.full(codes.k, -1, dtype=np.int64)
    position[codes.ca] = np.arange(na, dtype=np.int64)
    at = np.flatnonzero(clean)
    where = position[codes.co[at]]
    matched = where >= 0
    # snapshot accounts are unique and so are clean old numbers: scatter, no sort needed
    by_customer = np.full(na, -1, dtype=np.int64)
    by_customer[where[matched]] = at[matched]
    in_order = by_customer[by_customer >= 0]
    update = _pairs(c.rows, c.old, c.new, in_order)
    mapping = pa.concat_tables([update, _pairs(c.rows, c.old, c.new, at[~matched])])
    return update, mapping


def _ranges_overlap(a: pa.Array, b: pa.Array) -> bool:
    """Whether the text ranges [min, max] of two non-empty columns overlap."""
    if not len(a) or not len(b):
        return False
    ra, rb = pc.min_max(a).as_py(), pc.min_max(b).as_py()
    if None in (ra["min"], rb["min"]):
        return False
    return not (ra["max"] < rb["min"] or rb["max"] < ra["min"])


def _np_bool(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(_as_array(pc.fill_null(mask, False)).to_numpy(zero_copy_only=False),
                      dtype=bool)


def _take_np(values: pa.Array, at: np.ndarray) -> pa.Array:
    return _as_array(values.take(int64_array(np.asarray(at))))


def _pairs(rows: pa.Array, old: pa.Array, new: pa.Array, at: np.ndarray) -> pa.Table:
    return pa.table({"row": _take_np(rows, at), "old": _take_np(old, at),
                     "new": _take_np(new, at)})


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
