"""A conversion gone live where 999 of its 1,000 customers have registered again: the case
where rounding says "100%" while one customer is still missing (issue 33). Every face must
say 99%: the re-registration percentage is floored in one place
(`wizard.core.registration_points.percent`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post
from wizard.core import generate
from wizard.flow.project.project import Project
from wizard.flow.steps import verification

CUSTOMERS = 1000
NEARLY_ALL = "99%"  # 999 of 1,000, floored


@dataclass(frozen=True)
class NearlyAll:
    folder: Path
    measured_on: date


def nearly_all_registered(folder: Path, today: date | None = None) -> NearlyAll:
    """A project under `folder` (named "nearly-all"), gone live 20 days before `today`,
    verified 5 days after go-live with a post export where every customer but one is
    registered."""
    today = today or date.today()
    go_live = today - timedelta(days=20)
    project = folder / "nearly-all"
    run = convwiz("init", project, "--biller", "Nearly All Co-op", "--go-live",
                  go_live.isoformat(), "--production-bid", "2806", "--test-bid", "9806",
                  "--allow-past", "--json")
    assert run.code == 0, run.stderr
    build(project, n=CUSTOMERS)
    post = drifted_post(project, autopay_lost=0, paperless_gained=0, last4_changed=0,
                        missing=0).table
    assert post.num_rows == CUSTOMERS
    registered = ["Y"] * (CUSTOMERS - 1) + ["N"]
    post = post.append_column("Registered", pa.array(registered, pa.string()))
    post_file = generate.write_csv(post, folder / "post_nearly_all.csv")
    measured_on = go_live + timedelta(days=5)
    with Project.open(project) as p:
        result = verification.verify(p, post_file, {}, say=lambda _m: None,
                                     measured_on=measured_on).to_json()
    assert (result["registration"]["registered"], result["registration"]["expected"]) == (
        CUSTOMERS - 1, CUSTOMERS)
    return NearlyAll(project, measured_on)
