"""One rule for "is this a card number" (core/cards.py): a brand's issuer prefix and length,
the Luhn check, and never a date-time stamp. A real card is masked wherever it stands (a
file name, a cell, a message); a time stamp in a name is never masked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from wizard.core import cards
from wizard.core.redaction import redact

VISA16 = "4111111111111111"


def luhn_complete(prefix: str) -> str:
    """`prefix` with the check digit that makes it pass the Luhn test."""
    return next(prefix + d for d in "0123456789" if cards.luhn_ok(prefix + d))


# a real card: a prefix some brand issues from, one of its lengths, the Luhn digit
_ISSUED = [(low, length) for _name, ranges, lengths in cards.BRANDS
           for low, _high in ranges for length in sorted(lengths)]


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix, length = draw(st.sampled_from(_ISSUED))
    body = draw(st.text("0123456789", min_size=length - len(prefix) - 1,
                        max_size=length - len(prefix) - 1))
    return luhn_complete(prefix + body)


def written(digits: str, sep: str) -> str:
    """A card as people write it: whole, or in groups of four with spaces or dashes."""
    return digits if not sep else sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))


STAMP_FORMATS = ["%Y%m%d-%H%M%S", "%Y%m%d%H%M%S", "%Y%m%d_%H%M%S", "%Y-%m-%dT%H:%M:%S",
                 "%Y-%m-%d %H:%M:%S", "%Y-%m-%d_%H%M%S", "%Y-%m-%d-%H-%M-%S", "%Y-%m-%d",
                 "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M"]
stamps = st.builds(
    lambda moment, fmt: moment.strftime(fmt),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    st.sampled_from(STAMP_FORMATS),
)
# what stands around a stamp in a name: words, separators, other numbers
around = st.sampled_from(["", "demo-", "demo ", "run 41 ", "flag_file_Acme_", "4-", "12 ",
                          "/home/ann/demo-", "C:\\Users\\José Müller\\demo-", "x 4111 "])
after = st.sampled_from(["", ".csv", "-12", " 1234", "_v2.xlsx", " 5", "/convwiz.log"])


@given(stamps, around, after)
def test_a_time_stamp_in_a_name_is_never_masked(stamp: str, before: str, tail: str) -> None:
    text = f"{before}{stamp}{tail}"
    assert redact(text) == text
    assert not cards.contains_card(text)


def test_every_day_of_a_year_of_demo_names_is_kept() -> None:
    """The issue's count: 1,241 of 12,343 demo names of one day were masked."""
    day = dt.datetime(2026, 12, 5)
    masked = [name for s in range(0, 86400, 7)
              if redact(name := (day + dt.timedelta(seconds=s)).strftime("demo-%Y%m%d-%H%M%S"))
              != name]
    assert masked == []


@given(card_numbers(), st.sampled_from(["", " ", "-"]), around, after)
def test_a_real_card_is_masked_wherever_it_stands(digits: str, sep: str, before: str,
                                                   tail: str) -> None:
    text = f"{before}{written(digits, sep)}{tail}"
    shown = redact(text)
    assert digits not in shown.replace(" ", "").replace("-", "")
    assert "****" in shown  # its own last four, or a longer card's its neighbours made
    assert cards.contains_card(text)


@given(card_numbers(), stamps)
def test_a_card_beside_a_time_stamp_is_still_masked(digits: str, stamp: str) -> None:
    for text in (f"demo-{stamp} {written(digits, ' ')}", f"{written(digits, '-')}-{stamp}.csv",
                 f"{stamp} card {digits}"):
        shown = redact(text)
        assert digits not in shown.replace(" ", "").replace("-", "")
        assert "****" in shown and stamp in shown


@given(st.text("0123456789", min_size=12, max_size=18))
def test_luhn_alone_is_not_a_card(body: str) -> None:
    """A Luhn-valid number no brand issues (prefix 0, 7, 9 but Troy's 9792) is left alone."""
    for first in "07":
        number = luhn_complete(first + body)
        assert not cards.is_card_number(number)
        assert redact(f"ref {number}") == f"ref {number}"


def test_brands_by_prefix_and_length() -> None:
    assert cards.brand(luhn_complete("411111111111111")) == "Visa"
    assert cards.brand(luhn_complete("41111111111111")) is None  # Visa has no 15
    assert cards.brand(luhn_complete("222100000000000")) == "Mastercard"
    assert cards.brand(luhn_complete("37828224631000")) == "American Express"
    assert cards.brand(luhn_complete("3782822463100")) is None  # Amex is 15 only
    assert cards.brand(luhn_complete("3530111333300")) is None
    assert cards.brand(luhn_complete("353011133330000")) == "JCB"
    assert cards.brand(luhn_complete("622126000000000")) == "Discover"
    assert cards.brand(luhn_complete("3000000000000")) == "Diners Club"
    assert cards.brand(luhn_complete("2026120507494")) is None  # the issue's stamp


def test_a_visa_in_a_file_name_is_masked_in_the_message(project: Path, tmp_path: Path) -> None:
    """The contract's bad-input message names the file; the card in its name is masked."""
    bad = tmp_path / f"export {VISA16}.csv"
    bad.write_text("Name,Something\nAnn,1\n", encoding="utf-8")
    run = convwiz("export-flags", project, "--input", bad)
    assert run.code == 2
    assert VISA16 not in run.stdout + run.stderr
    assert "****1111" in run.stderr
    log = (project / "convwiz.log").read_text(encoding="utf-8")
    assert VISA16 not in log


def test_a_visa_in_a_cell_blocks_and_is_masked(project: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "export-20261205-074945.csv", [
        f"Ann Lee,1001,ann@example.com,Y,N,card,{VISA16}",
        "Bo Chan,1002,bo@example.com,N,N,check,",
    ])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3, run.stderr
    everything = run.stdout + run.stderr + (project / "convwiz.log").read_text(encoding="utf-8")
    assert VISA16 not in everything
    assert "export-20261205-074945.csv" in everything
    assert "****" + "4945" not in everything
