"""Every headline sums its parts: Verify's "18 problems: 7 lost, 6 gained, 2 missing, 3 last-4
changed" (it once said "18 problems" and named 15), on every face that says it.

`tests/conftest.py` checks the same for every verify outcome any test produces."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.cli import convwiz
from tests.helpers.headline import assert_headline_sums, expected_parts, read_headline
from wizard.flow.project.project import Project
from wizard.flow.steps.verification import FlagCounts, Problems, VerifyResult
from wizard.ui.truth import attention_count, conversion

counts = st.integers(min_value=0, max_value=2_000_000)


@st.composite
def results(draw: st.DrawFn) -> VerifyResult:
    flags = [FlagCounts(draw(counts), draw(counts), draw(counts)) for _ in range(2)]
    missing, unexpected, method, last4 = (draw(counts) for _ in range(4))
    customers = draw(counts)
    preserved = not (missing or method or last4 or any(f.lost or f.gained for f in flags))
    return VerifyResult(customers=customers, matched=customers, missing_after=missing,
                        unexpected_after=unexpected, autopay=flags[0], paperless=flags[1],
                        method_changed=method, last4_changed=last4, preserved=preserved,
                        exceptions=None)


@settings(max_examples=300, deadline=None)
@given(result=results())
def test_the_headline_total_is_the_sum_of_the_problems_it_names(result: VerifyResult) -> None:
    assert_headline_sums(result)
    # the same figures as the step records them: the sidebar's count is the headline's
    figures = result.to_json()
    assert attention_count(figures) == read_headline(result.problems.headline())[0]
    assert Problems.of_figures(figures) == result.problems


def test_the_demo_names_all_eighteen_problems_everywhere(tmp_path: Path) -> None:
    """The demo's planted drift: 7 autopay lost, 6 paperless gained, 2 missing, 3 last 4."""
    folder = tmp_path / "demo"
    run = convwiz("demo", folder)
    assert run.code == 0, run.stderr
    headline = "18 problems: 7 lost, 6 gained, 2 missing, 3 last-4 changed"
    assert f"4,998 of 5,000 customers found; {headline}" in run.stderr
    status = convwiz("status", folder)
    assert f"'Verify' needs attention: {headline}" in status.stdout
    with Project.open(folder) as p:
        figures = p.store.step("verification")[2]  # type: ignore[index]
        assert expected_parts(figures) == read_headline(headline)[1]
        verify = conversion(p).step("verification")
        assert verify.problems == 18 and verify.words() == "needs attention: 18 problems"
    # verify on the command line leads with the same headline
    post = folder / "data" / "demo_post_go_live_day_14.csv"
    again = convwiz("verify", folder, "--post", post)
    assert again.code == 3
    assert f"{post}: not every enrolment was preserved: {headline}." in again.stderr
