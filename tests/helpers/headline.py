"""Verify's headline read back as a person reads it: its total, and the count of each problem
it names, to check that the total is the sum of the parts and that every problem is named."""

from __future__ import annotations

import re
from typing import Any

_HEADLINE = re.compile(r"^(?P<total>[\d,]+) problems?: (?P<parts>.+)$")
_PART = re.compile(r"^(?P<count>[\d,]+) (?P<words>.+)$")


def read_headline(text: str) -> tuple[int, dict[str, int]]:
    """("18 problems: 7 lost, 6 gained, ...") -> (18, {"lost": 7, "gained": 6, ...})."""
    if text == "no problems":
        return 0, {}
    match = _HEADLINE.match(text)
    assert match, f"not a headline: {text!r}"
    parts: dict[str, int] = {}
    for part in match["parts"].split(", "):
        found = _PART.match(part)
        assert found, f"a part without its count in {text!r}: {part!r}"
        parts[found["words"]] = int(found["count"].replace(",", ""))
    return int(match["total"].replace(",", "")), parts


def expected_parts(figures: dict[str, Any]) -> dict[str, int]:
    """Every problem of a verification's figures (the contract's keys), counted here."""
    a, p = figures["autopay"], figures["paperless"]
    every = {"lost": a["lost"] + p["lost"], "gained": a["gained"] + p["gained"],
             "missing": figures["missing_after"],
             "payment method changed": figures["method_changed"],
             "last-4 changed": figures["last4_changed"],
             "unexpected": figures["unexpected_after"]}
    return {words: count for words, count in every.items() if count}


def assert_headline_sums(result: Any) -> None:
    """The headline of `result` (a VerifyResult) names every problem, and its total is the
    sum of the parts it names."""
    text = result.problems.headline()
    total, parts = read_headline(text)
    assert total == sum(parts.values()), text
    assert parts == expected_parts(result.to_json()), text
    assert result.problems.total == total
