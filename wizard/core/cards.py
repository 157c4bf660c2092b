"""Full card numbers: find them and mask them to their last four. A card number found here
is never written anywhere whole.

The one rule, used by every place that asks "is this a card number" (the flag file's
blocking rule, the findings and workbooks, every log line and message): a run of 13 to 19
digits, spaces or dashes allowed between them, that

- starts with a card brand's issuer prefix and has a length that brand issues (`BRANDS`),
- passes the Luhn check,
- and is not part of a date-time stamp (`20261205-074945`, `20261205074945`,
  `2026-12-05T07:49:45`, `2026-12-05 07:49:45`, ...): a stamp is never a card, whatever
  digits stand beside it.

Luhn alone is not enough: one digit string in ten passes it, so the program's own time
stamps (`demo-20261205-074945`) were taken for cards. Every number a card network issues
starts with its brand's prefix, so the brand table keeps every real card number found and
masked (the contract's "13 to 19 digits, spaces or dashes allowed, passing the Luhn check"
holds for each of them).
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

# (brand, issuer prefix ranges (low, high) compared on the first len(low) digits, lengths)
BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("Visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("Mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("American Express", (("34", "34"), ("37", "37")), frozenset({15})),
    ("Discover", (("6011", "6011"), ("644", "649"), ("65", "65"), ("622126", "622925")),
     frozenset(range(16, 20))),
    ("Diners Club", (("36", "36"), ("300", "305"), ("38", "39")), frozenset(range(14, 20))),
    ("JCB", (("3528", "3589"),), frozenset(range(16, 20))),
    ("UnionPay", (("62", "62"),), frozenset(range(16, 20))),
    # Maestro issues 12 to 19 digits; the contract's cards are 13 to 19
    ("Maestro", (("50", "50"), ("56", "69")), frozenset(range(13, 20))),
    ("Mir", (("2200", "2204"),), frozenset(range(16, 20))),
    ("RuPay", (("60", "60"), ("81", "82"), ("508", "508")), frozenset({16})),
    ("Troy", (("9792", "9792"),), frozenset({16})),
    ("UATP", (("1", "1"),), frozenset({15})),
)
MIN_DIGITS, MAX_DIGITS = 13, 19

_CANDIDATE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,}(?![0-9])")
# a date-time stamp, never glued to other digits: the program's own (`20261205-074945`,
# `20261205074945`; `-`, `_`, `T`, a space or nothing between date and time) and ISO forms
# (`2026-12-05`, `2026-12-05T07:49:45.123`, `2026-12-05 07:49`, `2026-12-05_074945`,
# `2026-12-05-07-49-45`). No card is written in these groups.
_HOUR = r"(?:[01][0-9]|2[0-3])"
_DAY = r"(?:19|20)[0-9]{2}%s(?:0[1-9]|1[0-2])%s(?:0[1-9]|[12][0-9]|3[01])"
_STAMP = re.compile(
    r"(?<![0-9])(?:"
    + _DAY % ("", "") + r"[-_T ]?" + _HOUR + r"[0-5][0-9][0-5][0-9]"
    + r"|" + _DAY % ("(?P<d>[-_.])", "(?P=d)")
    + r"(?:[-_T ]" + _HOUR
    + r"(?::[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?|(?P<t>[-_.]?)[0-5][0-9](?P=t)[0-5][0-9]))?"
    + r")(?![0-9])"
)


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand(digits: str) -> str | None:
    """The card brand whose issuer prefix and length `digits` has, or None."""
    for name, ranges, lengths in BRANDS:
        if len(digits) in lengths and any(low <= digits[:len(low)] <= high
                                          for low, high in ranges):
            return name
    return None


def is_card_number(digits: str) -> bool:
    """The one rule: a brand's prefix and length, and the Luhn check (digits only)."""
    return (MIN_DIGITS <= len(digits) <= MAX_DIGITS and digits.isdigit()
            and brand(digits) is not None and luhn_ok(digits))


def stamp_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every date-time stamp in `text`: never (part of) a card."""
    return [m.span() for m in _STAMP.finditer(text)]


def _without_stamps(text: str) -> str:
    """`text` with every stamp's characters made non-digits (positions kept)."""
    for start, end in stamp_spans(text):
        text = text[:start] + "#" * (end - start) + text[end:]
    return text


def _card_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every card number in `text`.

    A longer run of digits is searched for any 13-19 digit window that is a card, so a card
    glued to other digits by a separator is still found. Date-time stamps are left out first.
    """
    spans: list[tuple[int, int, str]] = []
    if _CANDIDATE.search(text) is None:
        return spans
    for match in _CANDIDATE.finditer(_without_stamps(text)):
        run = match.group(0)
        digits = re.sub(r"[ -]", "", run)
        if is_card_number(digits):
            spans.append((match.start(), match.end(), digits))
            continue
        # split on separators: a card may sit beside other numbers ("2024 4111 1111 ...")
        for sub in re.finditer(r"[0-9](?:[ -]?[0-9])*", run):
            pieces = re.split(r"([ -])", sub.group(0))
            groups = pieces[::2]
            # every card of the run, not just the first ("4111... 5500..." is two cards)
            a = 0
            while a < len(groups):
                next_a = a + 1
                for b in range(a + 1, len(groups) + 1):
                    digits = "".join(groups[a:b])
                    if len(digits) > MAX_DIGITS:
                        break
                    if is_card_number(digits):
                        start = match.start() + sub.start() + len("".join(pieces[: 2 * a]))
                        end = start + len("".join(pieces[2 * a : 2 * b - 1]))
                        spans.append((start, end, digits))
                        next_a = b
                        break
                a = next_a
    return spans


def contains_card(text: str) -> bool:
    return bool(_card_spans(text))


def mask(digits: str) -> str:
    """A card number shown as its last four only."""
    return "****" + digits[-4:]


def mask_cards_in_text(text: str) -> str:
    """The text with every card number replaced by `****1234`."""
    spans = _card_spans(text)
    for start, end, digits in reversed(spans):
        text = text[:start] + mask(digits) + text[end:]
    return text


def card_cells(column: pa.ChunkedArray | pa.Array) -> list[int]:
    """Indexes of the cells of a string column that hold a full card number.

    Only cells of 13 characters or more can hold one: the regex runs vectorised on those
    alone (a column of account numbers or flags is skipped whole), and Luhn runs only on the
    few candidates.
    """
    long_enough = pc.greater_equal(pc.binary_length(column), 13)
    if not pc.any(long_enough).as_py():
        return []
    if pc.all(pc.fill_null(long_enough, False)).as_py():
        where, values_at = None, column
    else:
        where = pc.indices_nonzero(pc.fill_null(long_enough, False))
        values_at = pc.take(column, where)
    candidates = pc.match_substring_regex(values_at, r"[0-9](?:[ -]?[0-9]){12}")
    hits = pc.indices_nonzero(pc.fill_null(candidates, False))
    if where is not None:
        hits = pc.take(where, hits)
    idx = hits.to_pylist()
    if not idx:
        return []
    values = pc.take(column, pa.array(idx)).to_pylist()
    return [i for i, v in zip(idx, values) if v is not None and contains_card(v)]
