"""Each rule and word in one home (issue 33): two copies drift. The segments of the
re-registration figures and the outreach lists, the issues' words on the Verify page and in
the biller workbook, and the names the program's files and settings go by."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path

import pyarrow as pa

from wizard.core.registration import segment_codes
from wizard.core.verify import ISSUES
from wizard.core.vocabulary import EXCEPTION_LABELS, ISSUE_LABELS, SEGMENTS
from wizard.flow.papers import outreach

WIZARD = Path(__file__).resolve().parents[2] / "wizard"


def test_the_outreach_lists_and_the_segments_agree_on_every_customer() -> None:
    """A customer counted in the autopay-by-card segment is on the autopay-by-card list, and
    so on: one rule (core.registration.segment_masks) for both. Every mix of the flags."""
    mixes = list(product(("Y", "N"), ("card", "check", ""), ("Y", "N")))
    flags = pa.table({"autopay": [m[0] for m in mixes], "method": [m[1] for m in mixes],
                      "paperless": [m[2] for m in mixes], "email": [""] * len(mixes)})
    lists = outreach.masks(flags)
    codes = segment_codes(flags).to_pylist()
    keys = list(SEGMENTS)
    for i, code in enumerate(codes):
        on = [k for k in keys[:3] if lists[k][i].as_py()]
        assert keys[code] == (on[0] if on else "neither"), mixes[i]
    assert set(codes) == {0, 1, 2, 3}
    assert codes[mixes.index(("Y", "card", "Y"))] == 0  # autopay by card, and paperless too
    assert codes[mixes.index(("Y", "", "N"))] == 3  # autopay with no method on file: neither


def test_every_issue_verify_finds_has_its_words_in_order() -> None:
    assert list(ISSUE_LABELS) == list(ISSUES)
    assert list(EXCEPTION_LABELS)[:len(ISSUES)] == list(ISSUES)


def test_the_window_and_the_workbook_say_the_same_issue_words() -> None:
    from wizard.flow.papers import report

    assert not hasattr(report, "ISSUE_LABELS")
    source = (WIZARD / "ui" / "pages" / "verification.py").read_text(encoding="utf-8")
    assert [w for w in EXCEPTION_LABELS.values() if f'"{w}"' in source] == []


def test_names_are_written_once() -> None:
    """The demo's provider folder and the SFTP settings' keys are named in core/vocabulary.py
    only (a file elsewhere uses the constant)."""
    literal = re.compile(r"""["']demo-provider["']|f?["']sftp_""")
    found = [f"{p.relative_to(WIZARD)}:{n}" for p in WIZARD.rglob("*.py")
             if p.name != "vocabulary.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if literal.search(line)]
    assert found == []
