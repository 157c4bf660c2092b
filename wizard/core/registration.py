"""Re-registration after go-live: who of the matched customers has registered again.

Passwords are never transferred, so every customer registers again on the new portal. When
the post-conversion export has a registration column, `verify` reads it here. Pure table
work over whole columns (pyarrow compute; the text work runs on the column's distinct
values), so it adds little to verify's time at a million customers.

The column's kind is decided once per column, by its header (`REGISTRATION_HEADERS`):

- flag ("Registered", "Is Registered", "Registration Status"): Y, YES, TRUE or 1 (any case)
  is registered;
- date ("Registration Date", "Registered On", "Last Login"): a date from the go-live on is
  registered (YYYY-MM-DD, M/D/YYYY or YYYY/MM/DD, a time after it allowed);
- username ("Username", "User Name", "Login"): a user name that is not blank is registered.

Each kind also reads the contract's other signs the same way (a flag column holding a date
from go-live on, a date column holding Y), and a username column does not count what an
export writes for "no user" (N, FALSE, 0, NULL, a date before go-live): a user name is never
"N" or "1900-01-01". Anything else, blank included, is not registered. A column named by
`--map registered=HEADER` whose header is none of these is read as a flag/date column when
every value is a date or a yes/no word, else as a username column.

Segments come from the pre-conversion flags, exclusive, in `SEGMENTS`' order: autopay by
card, autopay by bank account, paperless, neither (an autopay customer with no payment
method on file is neither card nor bank: paperless or neither, by its paperless flag).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.vocabulary import (
    FLAG_NO,
    FLAG_YES,
    NO_USERNAME,
    REGISTERED_FIELD,
    REGISTERED_YES,
    REGISTRATION_DATE,
    REGISTRATION_FLAG,
    REGISTRATION_HEADERS,
    REGISTRATION_USERNAME,
    SEGMENTS,
    normalise_header,
)

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d")
KIND_WORDS = {REGISTRATION_FLAG: "a registered flag", REGISTRATION_DATE: "a registration date",
              REGISTRATION_USERNAME: "a user name"}


@dataclass(frozen=True)
class RegistrationColumn:
    """The post export's column that says who registered, and how to read it."""

    header: str
    kind: str | None  # flag, date, username; None: judged by its values (a --map'ped header)


def find_column(headers: Iterable[str], columns: Mapping[str, str]) -> RegistrationColumn | None:
    """The registration column: the one `--map registered=HEADER` named (already in
    `columns`, the fields' columns), else the first usual header not taken by a field, in
    `REGISTRATION_HEADERS`' order. None when the export has none."""
    mapped = columns.get(REGISTERED_FIELD)
    if mapped is not None:
        return RegistrationColumn(mapped, REGISTRATION_HEADERS.get(normalise_header(mapped)))
    taken = set(columns.values())
    by_norm: dict[str, str] = {}
    for header in headers:
        if header not in taken:
            by_norm.setdefault(normalise_header(header), header)
    for name, kind in REGISTRATION_HEADERS.items():
        if name in by_norm:
            return RegistrationColumn(by_norm[name], kind)
    return None


def aligned(column: pa.ChunkedArray, source_rows: pa.Array,
            customer_rows: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """The column's values in the order of the prepared customers (whose `row` is each
    one's source row): the same order unless exact duplicate rows were collapsed."""
    if len(customer_rows) == len(source_rows):
        return column
    return pc.take(column, pc.index_in(customer_rows, value_set=source_rows))


def _dates(text: pa.Array) -> pa.Array:
    """Each value as a date32 (null where it is not a date in a known format)."""
    day_part = pc.replace_substring_regex(text, r"[T ].*$", "")
    parsed = [pc.strptime(day_part, format=f, unit="s", error_is_null=True)
              for f in DATE_FORMATS]
    return pc.cast(pc.coalesce(*parsed), pa.date32())


def _distinct_verdicts(values: pa.Array, kind: str | None, go_live: date) -> pa.Array:
    """Registered or not, for each distinct value (trimmed text, no nulls)."""
    low = pc.utf8_lower(values)
    yes = pc.is_in(low, value_set=pa.array(REGISTERED_YES))
    candidates = pc.utf8_is_digit(pc.utf8_slice_codeunits(values, 0, 1))
    if pc.any(candidates).as_py():
        day = _dates(values)
    else:
        day = pa.nulls(len(values), pa.date32())
    is_date = pc.is_valid(day)
    dated = pc.fill_null(pc.greater_equal(day, pa.scalar(go_live, pa.date32())), False)
    if kind is None:
        words_or_dates = pc.or_(is_date, pc.is_in(low, value_set=pa.array(FLAG_YES + FLAG_NO)))
        kind = REGISTRATION_FLAG if pc.all(words_or_dates).as_py() else REGISTRATION_USERNAME
    if kind == REGISTRATION_USERNAME:
        named = pc.invert(pc.is_in(low, value_set=pa.array(NO_USERNAME)))
        return pc.and_(named, pc.or_(pc.invert(is_date), dated))
    return pc.or_(yes, dated)  # a flag or a date column


# how a value that may say "no user" begins: blank or space, a digit (a date, 0), or the first
# letter of a word of NO_USERNAME; any other user name is registered as it stands
_NOT_USER_STARTS = pa.array(sorted(
    {"", " ", "\t", "-", *"0123456789"}
    | {w[:1] for w in NO_USERNAME} | {w[:1].upper() for w in NO_USERNAME}))


def registered_mask(values: pa.ChunkedArray | pa.Array, kind: str | None,
                    go_live: date) -> pa.Array:
    """True for each value that says the customer registered (see the module's rules);
    never null. The text work runs on the distinct values only; in a username column
    (a million distinct names), only on the names that could say "no user"."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.fill_null(pc.cast(values, pa.string()), "")
    if kind == REGISTRATION_USERNAME:
        maybe_not = pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=_NOT_USER_STARTS)
        if not pc.all(maybe_not).as_py():
            verdicts = _by_distinct(pc.filter(text, maybe_not), kind, go_live)
            return pc.replace_with_mask(pa.repeat(True, len(text)), maybe_not, verdicts)
    return _by_distinct(text, kind, go_live)


def _by_distinct(text: pa.Array, kind: str | None, go_live: date) -> pa.Array:
    encoded = pc.dictionary_encode(text)
    distinct = pc.utf8_trim_whitespace(encoded.dictionary)
    verdicts = _distinct_verdicts(distinct, kind, go_live)
    return pc.take(verdicts, encoded.indices)


def segment_codes(before: pa.Table) -> pa.Array:
    """Each pre-conversion customer's segment, as its position in `SEGMENTS` (int8)."""
    autopay = pc.equal(before["autopay"], "Y")
    card = pc.and_(autopay, pc.equal(before["method"], "card"))
    bank = pc.and_(autopay, pc.equal(before["method"], "check"))
    paperless = pc.equal(before["paperless"], "Y")
    codes = pc.if_else(card, 0, pc.if_else(bank, 1, pc.if_else(paperless, 2, 3)))
    flat = pc.cast(codes, pa.int8())
    return flat.combine_chunks() if isinstance(flat, pa.ChunkedArray) else flat


@dataclass(frozen=True)
class SegmentCount:
    registered: int
    expected: int

    def to_json(self) -> dict[str, int]:
        return {"registered": self.registered, "expected": self.expected}


@dataclass(frozen=True)
class Registration:
    """Re-registration as one verification measured it (the contract's object)."""

    measured: bool
    registered: int = 0
    expected: int = 0
    by_segment: dict[str, SegmentCount] = field(default_factory=dict)
    date: str | None = None  # the day measured, YYYY-MM-DD
    column: str | None = None  # the post export's column read
    kind: str | None = None
    new_point: bool = True  # False: this export was measured before (no second point)

    @property
    def percent(self) -> float:
        return 100.0 * self.registered / self.expected if self.expected else 0.0

    def to_json(self) -> dict[str, Any]:
        if not self.measured:
            return {"measured": False}
        return {"measured": True, "registered": self.registered, "expected": self.expected,
                "by_segment": {k: v.to_json() for k, v in self.by_segment.items()},
                "date": self.date}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Registration:
        if not data or not data.get("measured"):
            return NOT_MEASURED
        return cls(True, int(data["registered"]), int(data["expected"]),
                   {k: SegmentCount(int(v["registered"]), int(v["expected"]))
                    for k, v in (data.get("by_segment") or {}).items()},
                   data.get("date"))


NOT_MEASURED = Registration(False)


@dataclass(frozen=True)
class Measured:
    """The figures, and the snapshot positions of the matched customers not registered."""

    figures: Registration
    not_registered: pa.Array  # int64 positions in the customer snapshot


def measure(before: pa.Table, registered_after: pa.Array, b_idx: pa.Array, a_idx: pa.Array,
            on: date, column: RegistrationColumn) -> Measured:
    """Re-registration among the matched customers: `b_idx` are their positions in the
    snapshot `before`, `a_idx` their rows in the post export, whose registration mask is
    `registered_after` (in the post export's customer order)."""
    registered = pc.take(registered_after, a_idx)
    codes = pc.take(segment_codes(before), b_idx)
    by_segment: dict[str, SegmentCount] = {}
    for code, key in enumerate(SEGMENTS):
        in_segment = pc.equal(codes, code)
        by_segment[key] = SegmentCount(_count(pc.and_(in_segment, registered)),
                                       _count(in_segment))
    figures = Registration(
        measured=True, registered=sum(s.registered for s in by_segment.values()),
        expected=len(b_idx), by_segment=by_segment, date=on.isoformat(),
        column=column.header, kind=column.kind)
    not_registered = pc.filter(b_idx, pc.invert(registered))
    return Measured(figures, pc.cast(not_registered, pa.int64()))


def _count(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)

