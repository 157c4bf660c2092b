"""The customer export, made into the flag file's seven fields and checked.

`detect_columns` finds the seven fields by their usual header names (or `--map`), `prepare`
normalises every value column-wise with pyarrow compute and records every finding the
contract lists: blocking ones stop the export (exit 3), warnings let it go on. A full card
number anywhere in the file is blocking and is only ever shown masked to its last four.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.arrays import mask_at
from wizard.core.cards import card_cells, mask_cards_in_text
from wizard.core.findings import Findings, control_findings
from wizard.core.reader import Table
from wizard.core.recognition import shares_no_column_message
from wizard.core.vocabulary import (
    BLOCKING,
    CARD_WORDS,
    CHECK_WORDS,
    FIELD_LABELS,
    FIELDS,
    FLAG_NO,
    FLAG_YES,
    HEADER_NAMES,
    MANGLED_FIX,
    MANGLED_NUMBER,
    MANGLED_RULE,
    SUMMARY_ROW,
    WARNING,
    normalise_header,
)
from wizard.errors import InputError
from wizard.progress import NullProgress, Progress, check

# the fields sent on as the file has them (trimmed); the others are read into Y/N, card/check
# or four digits
SENT_AS_TYPED = ("name", "account", "email")
_EMAIL_OK = r"^[^@\s,;<>()\[\]]+@[^@\s,;<>()\[\]]+\.[A-Za-z]{2,}$"


@dataclass
class Prepared:
    """The customers made ready for the flag file, and what was found on the way."""

    customers: pa.Table  # row (int64) + FIELDS, all text, one row per customer
    findings: Findings
    columns: dict[str, str]  # field -> the file's column it came from
    duplicates_removed: int = 0


def match_columns(headers: list[str], mapping: Mapping[str, str] | None = None,
                  path: Path | str = "the file") -> dict[str, str]:
    """Field -> column for every field found, by `mapping` (from --map) first, then by the
    usual header names (the first usual name that matches a column not yet taken). Fields
    not found are simply absent; a `mapping` naming no column is an InputError (exit 2)."""
    mapping = dict(mapping or {})
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise_header(h), h)
    found: dict[str, str] = {}
    for field, header in mapping.items():
        if header in headers:
            found[field] = header
        elif normalise_header(header) in by_norm:
            found[field] = by_norm[normalise_header(header)]
        else:
            raise InputError(
                f"{path}: --map {field}={header!r} names no column; the columns are: "
                + ", ".join(repr(h) for h in headers)
            )
    taken = set(found.values())
    for field in FIELDS:
        if field in found:
            continue
        for name in HEADER_NAMES[field]:
            column = by_norm.get(name)
            if column is not None and column not in taken:
                found[field] = column
                taken.add(column)
                break
    return found


def detect_columns(headers: list[str], mapping: Mapping[str, str] | None = None,
                   path: Path | str = "the file") -> dict[str, str]:
    """Field -> column name for all seven fields (see `match_columns`).

    A missing field is an InputError (exit 2) naming the headers found.
    """
    found = match_columns(headers, mapping, path)
    if not found:
        raise InputError(shares_no_column_message(path, headers, "customer_export"))
    missing = [f for f in FIELDS if f not in found]
    if missing:
        need = ", ".join(f"{f} ({FIELD_LABELS[f]})" for f in missing)
        raise InputError(
            f"{path}: no column for {need}. The headers found are: "
            + ", ".join(repr(h) for h in headers)
            + ". Rename the column or give --map FIELD=HEADER"
        )
    return found


def _clean(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_trim_whitespace(pc.fill_null(column, ""))


def _lower(column: pa.ChunkedArray, known: tuple[str, ...] = ()) -> pa.ChunkedArray:
    """Trimmed, lower case, inner white space collapsed (only computed where needed)."""
    low = pc.utf8_lower(pc.utf8_trim_whitespace(pc.fill_null(column, "")))
    if known and pc.all(pc.is_in(low, value_set=pa.array(known))).as_py():
        return low
    return pc.replace_substring_regex(low, r"\s+", " ")


def _indices(mask: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.indices_nonzero(pc.fill_null(mask, False))


def _add(findings: Findings, mask: pa.ChunkedArray | pa.Array, rows: pa.Array,
         values: pa.ChunkedArray | Callable[[], pa.ChunkedArray], field: str, severity: str,
         rule: str, fix: str) -> None:
    """Add one finding per true cell of `mask` (vectorised; only hits reach Python).
    `values` may be a function: the column is then made only when there is a hit."""
    idx = _indices(mask)
    if len(idx) == 0:
        return
    if callable(values):
        values = values()
    hit_rows = pc.take(rows, idx).to_pylist()
    hit_values = [mask_cards_in_text(v) for v in pc.take(values, idx).to_pylist()]
    findings.add_many(hit_rows, field, hit_values, severity, rule, fix)


def _is_blank(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty or white space only, worked out on the column's few distinct values (a flag
    column of a million cells holds a handful)."""
    return _by_distinct_value(column, lambda values: (
        pc.equal(pc.utf8_trim_whitespace(pc.fill_null(values, "")), ""),
        pc.equal(pc.utf8_trim_whitespace(pc.fill_null(values, "")), "")))[0]


def _by_distinct_value(
    column: pa.ChunkedArray,
    normalise: Callable[[pa.ChunkedArray], tuple[pa.ChunkedArray, pa.ChunkedArray]],
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """`normalise` applied to the column's few distinct values, then spread back to every
    row: a flag or method column of a million cells holds a handful of values."""
    encoded = pc.dictionary_encode(pc.fill_null(column, ""))
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if len(chunks) == 0:
        return normalise(column)
    dictionary = chunks[0].dictionary
    if any(not c.dictionary.equals(dictionary) for c in chunks[1:]):
        return normalise(column)  # chunks encoded apart: no shared dictionary
    values, bad = normalise(pa.chunked_array([dictionary]))
    indices = pa.chunked_array([c.indices for c in chunks], type=chunks[0].indices.type)
    return (pc.take(values.combine_chunks(), indices),
            pc.take(bad.combine_chunks(), indices))


def normalise_flag(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """(Y/N column, mask of unrecognised values)."""
    return _by_distinct_value(column, _normalise_flag)


def _normalise_flag(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    low = _lower(column, FLAG_YES + FLAG_NO)
    yes = pc.is_in(low, value_set=pa.array(FLAG_YES))
    no = pc.is_in(low, value_set=pa.array(FLAG_NO))
    return pc.if_else(yes, "Y", "N"), pc.invert(pc.or_(yes, no))


_SEP = r"[ /&,+-]"
_CARD_WORD = (rf"(?:^|{_SEP})(?:card|credit|debit|visa|mastercard|mc|amex|american express|"
              rf"discover)(?:$|{_SEP})")
_CHECK_WORD = rf"(?:^|{_SEP})(?:check|checking|savings|ach|echeck|e-check|bank)(?:$|{_SEP})"
# every word of the value is one of these: a method named in more words ("Business Checking",
# "Visa Debit"), not a sentence that happens to hold one ("no card on file")
_KNOWN_WORDS = (r"^(?:(?:card|credit|debit|visa|mastercard|mc|amex|american|express|discover|"
                r"check|checking|savings|ach|echeck|e|bank|account|business|personal|"
                r"consumer|commercial|corporate|prepaid)(?:[ /&,+-]+|$))+$")


def normalise_method(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """(card/check/'' column, mask of unrecognised values)."""
    return _by_distinct_value(column, _normalise_method)


def _normalise_method(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    low = _lower(column, CARD_WORDS + CHECK_WORDS + ("",))
    card = pc.is_in(low, value_set=pa.array(CARD_WORDS))
    check_ = pc.is_in(low, value_set=pa.array(CHECK_WORDS))
    empty = pc.equal(low, "")
    known = pc.or_(pc.or_(card, check_), empty)
    if not pc.all(known).as_py():
        # the longer forms: "Credit Card", "Checking Account", "Visa Debit", "Visa/MC",
        # "Checking/Savings", and the contract's "... card" and "... account"
        has_card = pc.match_substring_regex(low, _CARD_WORD)
        has_check = pc.match_substring_regex(low, _CHECK_WORD)
        words_known = pc.match_substring_regex(low, _KNOWN_WORDS)
        card_form = pc.or_(pc.and_(words_known, has_card),
                           pc.match_substring_regex(low, r"^\S.* card$"))
        check_form = pc.or_(pc.and_(words_known, has_check),
                            pc.match_substring_regex(low, r"^\S.* account$"))
        # a value naming both a card and a bank account says nothing clear: not recognised
        card = pc.or_(card, pc.and_(card_form, pc.invert(has_check)))
        check_ = pc.or_(check_, pc.and_(check_form, pc.invert(has_card)))
        known = pc.or_(pc.or_(card, check_), empty)
    out = pc.if_else(card, "card", pc.if_else(check_, "check", ""))
    return out, pc.invert(known)


def _starts_like_formula(column: pa.ChunkedArray) -> pa.ChunkedArray:
    first = pc.utf8_slice_codeunits(column, 0, 1)
    return pc.is_in(first, value_set=pa.array(["=", "+", "-", "@"]))


@dataclass(frozen=True)
class _Export:
    """The customer export's columns as the checks read them (trimmed, never null)."""

    table: Table
    columns: dict[str, str]  # field -> the file's column
    name: pa.ChunkedArray
    account: pa.ChunkedArray
    email: pa.ChunkedArray

    @classmethod
    def of(cls, table: Table, columns: dict[str, str]) -> _Export:
        data = table.data
        return cls(table, columns, _clean(data.column(columns["name"])),
                   _clean(data.column(columns["account"])), _clean(data.column(columns["email"])))

    @property
    def rows(self) -> pa.Array:
        return self.table.row_numbers

    def raw(self, field: str) -> pa.ChunkedArray:
        return self.table.data.column(self.columns[field])


def prepare(table: Table, mapping: Mapping[str, str] | None = None,
            progress: Progress | None = None) -> Prepared:
    """Normalise and check the customer export (see the contract's reading rules)."""
    progress = progress or NullProgress()
    export = _Export.of(table, detect_columns(table.data.column_names, mapping, table.path))
    findings = Findings()
    steps = 9

    # a full card number anywhere in the file (every column, not just the seven) and the
    # count of distinct accounts run on a second thread (pyarrow releases the GIL)
    progress.report(0, steps, "looking for full card numbers")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-scan")
    data = table.data
    card_scan = pool.submit(lambda: [(name, card_cells(data.column(name)))
                                     for name in data.column_names])
    distinct = pool.submit(lambda: pc.count_distinct(export.account).as_py())
    pool.shutdown(wait=False)

    progress.report(1, steps, "reading names and account numbers")
    check(progress)
    # a control character anywhere in the file blocks; in what is sent on, tab and line
    # breaks too
    findings.extend(control_findings(data, export.rows, {
        export.columns[f]: f for f in SENT_AS_TYPED}))
    _check_accounts(export, findings)
    progress.report(2, steps, "reading paperless and autopay flags")
    paperless, autopay = _read_flags(export, findings)
    check(progress)
    progress.report(3, steps, "reading payment methods")
    method = _read_method(export, findings)
    card_mask = _full_cards(export, card_scan.result(), findings)
    check(progress)
    progress.report(4, steps, "reading last-4 digits")
    last4 = _read_last4(export, card_mask, findings)
    check(progress)
    progress.report(5, steps, "checking emails and enrolments")
    _content_warnings(export, paperless, autopay, method, last4, findings)
    check(progress)

    customers = pa.table({
        "row": export.rows, "name": export.name, "account": export.account,
        "email": export.email, "paperless": paperless, "autopay": autopay, "method": method,
        "last4": last4,
    })
    progress.report(6, steps, "looking for duplicate accounts")
    removed = 0
    if distinct.result() != customers.num_rows:
        customers, removed = _duplicates(customers, findings)
    progress.report(steps, steps, "checked")
    # every finding names the row's account and customer, as the file has them
    findings.identify(export.rows, pc.utf8_trim_whitespace(export.raw("account")),
                      pc.utf8_trim_whitespace(export.raw("name")))
    return Prepared(customers, findings, export.columns, removed)


def _check_accounts(export: _Export, findings: Findings) -> None:
    """Account numbers: text, never empty, never spreadsheet-mangled; and rows that are not
    customers: a report's footer ("Total", "Count") or a row with nothing of a customer in
    it (name, email and flags all empty)."""
    rows, name, account, email = export.rows, export.name, export.account, export.email
    # the regular expressions run only on the few cells that are not plain digits: a
    # million account numbers are almost all digits, and so never mangled nor "Total"
    not_digits = pc.invert(pc.utf8_is_digit(account))
    _add(findings, pc.equal(account, ""), rows, account, "account", BLOCKING,
         "the account number is empty",
         "Fill in the customer's UTI account number or remove the row")
    _add(findings, _where(account, not_digits, MANGLED_NUMBER), rows, account, "account",
         BLOCKING, MANGLED_RULE, MANGLED_FIX)

    no_flags = pc.and_(_is_blank(export.raw("paperless")), _is_blank(export.raw("autopay")))
    no_email = pc.equal(email, "")
    nothing = pc.and_(pc.and_(pc.equal(name, ""), no_email), no_flags)
    # "Total" as the account, or as the name of a row with no email and no flags
    summary_word = pc.or_(_where(account, not_digits, SUMMARY_ROW, ignore_case=True),
                          _where(name, pc.and_(no_email, no_flags), SUMMARY_ROW,
                                 ignore_case=True))
    not_customer = pc.and_(pc.or_(summary_word, nothing), pc.not_equal(account, ""))
    _add(findings, not_customer, rows, account, "account", BLOCKING,
         "not a customer row (a footer?)",
         "Remove the totals or footer rows from the export, or fill in the customer's name, "
         "email and flags")
    _add(findings, pc.and_(pc.equal(name, ""), pc.invert(not_customer)), rows, name, "name",
         WARNING, "the customer name is empty",
         "Fill in the customer's name: the biller needs it to reach the customer")


def _where(column: pa.ChunkedArray, candidates: pa.ChunkedArray | pa.Array, pattern: str,
           ignore_case: bool = False) -> pa.Array:
    """`pattern` matched on the `candidates` cells only (false elsewhere): a regular
    expression over a handful of cells instead of a million."""
    at = _indices(candidates)
    if not len(at):
        return mask_at(len(column), [])
    hits = pc.match_substring_regex(pc.take(column, at), pattern, ignore_case=ignore_case)
    return mask_at(len(column), at.filter(pc.fill_null(hits, False)))


def _read_flags(export: _Export, findings: Findings) -> tuple[pa.ChunkedArray,
                                                               pa.ChunkedArray]:
    """(paperless, autopay) as Y/N; an unrecognised value blocks."""
    out = []
    for field, label in (("paperless", "Paperless"), ("autopay", "Autopay")):
        flag, bad = normalise_flag(export.raw(field))
        _add(findings, bad, export.rows, partial(_clean, export.raw(field)), field, BLOCKING,
             f"{label} is not a yes/no value",
             "Use Y or N (yes/no, true/false, 1/0, enrolled/not enrolled are read too)")
        out.append(flag)
    return out[0], out[1]


def _read_method(export: _Export, findings: Findings) -> pa.ChunkedArray:
    method, bad_method = normalise_method(export.raw("method"))
    _add(findings, bad_method, export.rows, lambda: _clean(export.raw("method")), "method",
         BLOCKING, "the payment method type is not card or check",
         "Use card (credit, debit, Visa, ...) or check (checking, savings, ACH, ...), "
         "or leave it empty when no method is on file")
    return method


def _full_cards(export: _Export, hits_by_column: list[tuple[str, list[int]]],
                findings: Findings) -> pa.Array:
    """One blocking finding per cell holding a full card number, shown masked; the mask of
    rows that hold one."""
    table = export.table
    card_rows: set[int] = set()
    for column_name, hits in hits_by_column:
        for i in hits:
            card_rows.add(i)
            findings.add(table.source_row(i), _label_for(column_name, export.columns),
                         mask_cards_in_text(table.data.column(column_name)[i].as_py()),
                         BLOCKING, "a full card number is in the file",
                         "Remove the card number from the export: only the last 4 digits "
                         "may be sent")
    return mask_at(table.num_rows, sorted(card_rows))


def _read_last4(export: _Export, card_mask: pa.Array, findings: Findings) -> pa.ChunkedArray:
    """Masked forms (****1234, XXXX-1234) give their digits; 1-3 digits are padded
    (spreadsheets drop leading zeros); more than 4 digits is blocking."""
    rows = export.rows
    raw_last4 = _clean(export.raw("last4"))
    # the text work runs on the distinct values only (at most 10,000 four-digit ones),
    # then each row takes its value's answer
    encoded = pc.dictionary_encode(raw_last4).combine_chunks()
    values, at = encoded.dictionary, encoded.indices
    digits = values
    if not pc.all(pc.match_substring_regex(values, r"^[0-9]*$")).as_py():
        digits = pc.replace_substring_regex(values, r"^[*xX#•.\s-]+", "")
    v_is_digits = pc.match_substring_regex(digits, r"^[0-9]+$")
    v_length = pc.utf8_length(digits)
    v_short = pc.and_(v_is_digits, pc.less(v_length, 4))
    v_last4 = pc.if_else(v_is_digits, pc.if_else(v_short, pc.utf8_lpad(digits, 4, "0"), digits),
                         "")
    is_digits = pc.take(v_is_digits, at)
    length = pc.take(v_length, at)
    too_long = pc.and_(pc.and_(is_digits, pc.greater(length, 4)), pc.invert(card_mask))
    short = pc.take(v_short, at)
    not_digits = pc.and_(pc.invert(is_digits), pc.not_equal(raw_last4, ""))
    not_digits = pc.and_(not_digits, pc.invert(card_mask))
    _add(findings, too_long, rows, raw_last4, "last4", BLOCKING,
         "Last 4 has more than four digits",
         "Give only the last four digits of the payment method")
    _add(findings, not_digits, rows, raw_last4, "last4", BLOCKING,
         "Last 4 is not digits", "Give the last four digits of the payment method, or leave "
         "it empty when no method is on file")
    _add(findings, short, rows, raw_last4, "last4", WARNING,
         "Last 4 has fewer than four digits; padded with leading zeros",
         "Check the value: spreadsheets drop leading zeros (42 becomes 0042)")
    return pc.take(v_last4, at)


def _content_warnings(export: _Export, paperless: pa.ChunkedArray, autopay: pa.ChunkedArray,
                      method: pa.ChunkedArray, last4: pa.ChunkedArray,
                      findings: Findings) -> None:
    rows, email = export.rows, export.email
    bad_email = pc.and_(pc.not_equal(email, ""),
                        pc.invert(pc.match_substring_regex(email, _EMAIL_OK)))
    _add(findings, bad_email, rows, email, "email", WARNING, "the email address is not valid",
         "Correct the address, or the customer will miss the re-registration notice")
    _add(findings, pc.and_(pc.equal(paperless, "Y"), pc.equal(email, "")), rows, email,
         "paperless", WARNING, "paperless without an email address",
         "Add the customer's email or they will receive no bill")
    _add(findings, pc.and_(pc.equal(autopay, "Y"), pc.equal(method, "")), rows, method,
         "autopay", WARNING, "autopay without a payment method",
         "Check the customer's wallet: autopay needs a default card or bank account")
    _add(findings, pc.and_(pc.and_(pc.equal(autopay, "Y"), pc.not_equal(method, "")),
                           pc.equal(last4, "")), rows, method, "last4", WARNING,
         "autopay with a payment method but no last 4 digits",
         "Add the last four digits of the customer's default card or bank account, so the "
         "customer can recognise it when re-registering")
    for field, col in (("name", export.name), ("account", export.account), ("email", email)):
        _add(findings, _starts_like_formula(col), rows, col, field,
             WARNING, "the text begins with = + - or @ (a spreadsheet may run it as a formula)",
             "Check the value; it is sent as text, never as a formula")


def _duplicates(customers: pa.Table, findings: Findings) -> tuple[pa.Table, int]:
    """Identical rows collapse (a warning); one account with different values blocks. Only
    accounts seen more than once reach Python. (customers, rows removed)."""
    counts = customers.group_by("account").aggregate([("account", "count")])
    repeated = counts.filter(pc.greater(counts["account_count"], 1))["account"]
    if not len(repeated):
        return customers, 0
    dup_idx = _indices(pc.is_in(customers["account"], value_set=repeated)).to_pylist()
    subset = customers.take(pa.array(dup_idx, pa.int64())).to_pylist()
    by_account: dict[str, list[tuple[int, dict[str, object]]]] = {}
    for i, rec in zip(dup_idx, subset):
        by_account.setdefault(str(rec["account"]), []).append((i, rec))
    drop: list[int] = []
    for acct, members in by_account.items():
        if acct != "":  # empty accounts are already blocking, one finding each
            drop += _one_account(acct, members, findings)
    if not drop:
        return customers, 0
    return customers.filter(pc.invert(mask_at(customers.num_rows, drop))), len(drop)


def _one_account(acct: str, members: list[tuple[int, dict[str, object]]],
                 findings: Findings) -> list[int]:
    """The rows of one repeated account: exact repeats to drop (warned), and every row of
    an account with different values blocking."""
    drop = []
    seen: dict[tuple[object, ...], int] = {}
    for i, rec in members:
        key = tuple(rec[f] for f in FIELDS)
        row = int(str(rec["row"]))
        if key in seen:
            drop.append(i)
            findings.add(row, "account", acct, WARNING, "exact duplicate row; collapsed to one",
                         f"Nothing to do: the same as row {seen[key]}, sent once")
        else:
            seen[key] = row
    if len(seen) > 1:
        first_rows = ", ".join(str(r) for r in seen.values())
        for row in seen.values():
            findings.add(row, "account", acct, BLOCKING,
                         "the same account is on several rows with different values",
                         f"Rows {first_rows}: keep one row for the account with the "
                         "right values and remove the others")
    return drop


def _label_for(column: str, columns: Mapping[str, str]) -> str:
    for field, col in columns.items():
        if col == column:
            return field
    return column
