"""Full card numbers: find them (13 to 19 digits, spaces or dashes allowed, Luhn-valid) and
mask them to their last four. A card number found here is never written anywhere whole.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

_CANDIDATE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,}(?![0-9])")


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


def _card_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every card number in `text`.

    A longer run of digits is searched for any 13-19 digit window that is a card, so a card
    glued to other digits by a separator is still found.
    """
    spans = []
    for match in _CANDIDATE.finditer(text):
        run = match.group(0)
        digits = re.sub(r"[ -]", "", run)
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
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
                    if len(digits) > 19:
                        break
                    if 13 <= len(digits) and luhn_ok(digits):
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
