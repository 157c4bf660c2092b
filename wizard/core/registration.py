"""Re-registration after go-live: who of the matched customers has registered again.

Passwords are never transferred, so every customer registers again on the new portal. When
the post-conversion export has a registration column, `verify` reads it here. Pure table
work over whole columns (pyarrow compute; the text work runs on the column's distinct
values), so it adds little to verify's time at a million customers.

The column's kind is decided once per column, by its header (`REGISTRATION_HEADERS`):

- flag ("Registered", "Is Registered", "Registration Status"): a yes-word (Y, YES, TRUE, 1,
  REGISTERED, ACTIVE, ENROLLED, any case) is registered, a no-word (N, NO, FALSE, 0, NOT
  REGISTERED, UNREGISTERED, PENDING, INACTIVE, NULL, N/A) or a blank is not;
- date ("Registration Date", "Registered On", "Last Login"): a date from the go-live on is
  registered, one before it is not (YYYY-MM-DD, M/D/YYYY or YYYY/MM/DD, a time after it
  allowed);
- username ("Username", "User Name", "Login"): a user name that is not blank is registered.

Each kind also reads the contract's other signs the same way (a flag column holding a date
from go-live on, a date column holding Y), and a username column does not count what an
export writes for "no user" (a no-word, a date before go-live): a user name is never "N" or
"1900-01-01". A flag or date column holding any other word is not guessed: the words and
their counts come back (`ColumnReading.unknown`) and nothing is measured until the person
names them (`RegistrationWords.by_hand`, `--registered-values yes=W1,W2 no=W3`). A column
named by `--map registered=HEADER` whose header is none of these is read as a flag/date
column when every value is a date or a yes/no word, else as a username column.

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
    METHOD_CARD,
    METHOD_CHECK,
    NO_USERNAME,
    REGISTERED_FIELD,
    REGISTERED_NO,
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


@dataclass(frozen=True)
class RegistrationWords:
    """The words a registration column is read by: the contract's, and any the person named
    (`--registered-values`), which win over the contract's (all lower case)."""

    yes: frozenset[str] = frozenset(REGISTERED_YES)
    no: frozenset[str] = frozenset(REGISTERED_NO)

    @classmethod
    def by_hand(cls, yes: Iterable[str] = (), no: Iterable[str] = ()) -> RegistrationWords:
        """The contract's words with the person's: `yes` and `no` as given (any case)."""
        said_yes, said_no = {normal_word(w) for w in yes}, {normal_word(w) for w in no}
        both = said_yes & said_no
        if both:
            raise ValueError("a word cannot mean both registered and not registered: "
                             + ", ".join(repr(w) for w in sorted(both)))
        return cls(frozenset(REGISTERED_YES) - said_no | said_yes,
                   frozenset(REGISTERED_NO) - said_yes | said_no)

    @property
    def no_user(self) -> frozenset[str]:
        """What a username column holds for "no user yet"."""
        return (self.no | frozenset(NO_USERNAME)) - self.yes


CONTRACT_WORDS = RegistrationWords()


def normal_word(text: str) -> str:
    """A value as the words are compared: trimmed, lower case, each run of spaces one."""
    return " ".join(str(text).split()).lower()


@dataclass(frozen=True)
class ColumnReading:
    """A registration column read: registered or not for each value (never null), and the
    words a flag or date column held that no list names, with how many rows hold each."""

    registered: pa.Array
    unknown: dict[str, int] = field(default_factory=dict)


def _normal(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(
        pc.replace_substring_regex(values, r"\s+", " ")))


def _distinct_verdicts(values: pa.Array, kind: str | None, go_live: date,
                       words: RegistrationWords) -> tuple[pa.Array, pa.Array]:
    """Registered or not, and unknown or not, for each distinct value (no nulls)."""
    low = _normal(values)
    yes = pc.is_in(low, value_set=pa.array(sorted(words.yes), pa.string()))
    no = pc.is_in(low, value_set=pa.array(sorted(words.no), pa.string()))
    candidates = pc.utf8_is_digit(pc.utf8_slice_codeunits(values, 0, 1))
    if pc.any(candidates).as_py():
        day = _dates(values)
    else:
        day = pa.nulls(len(values), pa.date32())
    is_date = pc.is_valid(day)
    dated = pc.fill_null(pc.greater_equal(day, pa.scalar(go_live, pa.date32())), False)
    if kind is None:
        known = pc.or_(is_date, pc.or_(yes, no))
        kind = REGISTRATION_FLAG if pc.all(known).as_py() else REGISTRATION_USERNAME
    if kind == REGISTRATION_USERNAME:
        no_user = pc.is_in(low, value_set=pa.array(sorted(words.no_user), pa.string()))
        named = pc.invert(no_user)
        registered = pc.or_(yes, pc.and_(named, pc.or_(pc.invert(is_date), dated)))
        return registered, pa.repeat(False, len(values))
    unknown = pc.invert(pc.or_(pc.or_(yes, no), is_date))
    return pc.or_(yes, dated), unknown  # a flag or a date column


# how a value that may say "no user" and is no word begins: blank, a space, a dash, a digit
# (a date, 0)
_ODD_STARTS = pa.array(["", " ", "\t", "-", *"0123456789"])


def _maybe_no_user(text: pa.Array, words: RegistrationWords) -> pa.Array:
    """Which values of a username column could say "no user": a word meaning none (any
    case, blanks around it or two inside), or one starting like a date, a dash or a blank.
    Every other user name is registered as it stands (whole-column work: a million
    distinct names never reach the dictionary)."""
    word = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(text)),
                    value_set=pa.array(sorted(words.no_user), pa.string()))
    odd = pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=_ODD_STARTS)
    return pc.or_(pc.or_(word, odd), pc.match_substring(text, "  "))  # "not  registered"


def registered_mask(values: pa.ChunkedArray | pa.Array, kind: str | None,
                    go_live: date) -> pa.Array:
    """True for each value that says the customer registered (see the module's rules);
    never null. An unknown word is not registered (`read_column` says which they are)."""
    return read_column(values, kind, go_live).registered


def read_column(values: pa.ChunkedArray | pa.Array, kind: str | None, go_live: date,
                words: RegistrationWords = CONTRACT_WORDS) -> ColumnReading:
    """Read a registration column (see the module's rules). The text work runs on the
    distinct values only; in a username column (a million distinct names), only on the
    names that could say "no user"."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.fill_null(pc.cast(values, pa.string()), "")
    if kind == REGISTRATION_USERNAME:
        maybe_not = _maybe_no_user(text, words)
        if not pc.all(maybe_not).as_py():
            part = _by_distinct(pc.filter(text, maybe_not), kind, go_live, words)
            return ColumnReading(pc.replace_with_mask(pa.repeat(True, len(text)), maybe_not,
                                                      part.registered))
    return _by_distinct(text, kind, go_live, words)


def _by_distinct(text: pa.Array, kind: str | None, go_live: date,
                 words: RegistrationWords) -> ColumnReading:
    encoded = pc.dictionary_encode(text)
    distinct = pc.utf8_trim_whitespace(encoded.dictionary)
    verdicts, unknown = _distinct_verdicts(distinct, kind, go_live, words)
    found: dict[str, int] = {}
    if pc.any(unknown).as_py():
        counts = pc.value_counts(encoded.indices)
        for entry in counts.to_pylist():
            at = int(entry["values"])
            if unknown[at].as_py():
                word = str(distinct[at].as_py())
                found[word] = found.get(word, 0) + int(entry["counts"])
    return ColumnReading(pc.take(verdicts, encoded.indices), found)


def segment_masks(flags: pa.Table) -> dict[str, pa.ChunkedArray]:
    """Who is in each of `SEGMENTS`' first three, from the pre-conversion flags (autopay,
    method, paperless), each on its own: a paperless customer on autopay is in two. The
    one home of the rule; `segment_codes` makes them exclusive, the outreach lists do not."""
    autopay = pc.equal(flags["autopay"], "Y")
    return {"autopay_card": pc.and_(autopay, pc.equal(flags["method"], METHOD_CARD)),
            "autopay_bank": pc.and_(autopay, pc.equal(flags["method"], METHOD_CHECK)),
            "paperless": pc.equal(flags["paperless"], "Y")}


def segment_codes(before: pa.Table) -> pa.Array:
    """Each pre-conversion customer's segment, as its position in `SEGMENTS` (int8)."""
    masks = segment_masks(before)
    card, bank, paperless = masks["autopay_card"], masks["autopay_bank"], masks["paperless"]
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
    # not measured because the column holds words no list names: each word, how many rows
    unknown_values: dict[str, int] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return 100.0 * self.registered / self.expected if self.expected else 0.0

    def to_json(self) -> dict[str, Any]:
        if not self.measured:
            if self.unknown_values:
                return {"measured": False, "unknown_values": dict(self.unknown_values)}
            return {"measured": False}
        return {"measured": True, "registered": self.registered, "expected": self.expected,
                "by_segment": {k: v.to_json() for k, v in self.by_segment.items()},
                "date": self.date}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Registration:
        if not data or not data.get("measured"):
            unknown = (data or {}).get("unknown_values") or {}
            if unknown:
                return cls(False, unknown_values={str(k): int(v) for k, v in unknown.items()})
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

