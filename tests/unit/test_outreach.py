"""`convwiz outreach`: the biller's lists as CSV, read back with the csv module."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, new_number
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.flow.project.project import Project
from wizard.flow.records import snapshot as snapshots

FILES = {"email": "notify_by_email.csv", "no_email": "no_email.csv",
         "autopay_card": "autopay_by_card.csv", "autopay_bank": "autopay_by_bank_account.csv",
         "paperless": "paperless.csv"}


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_outreach_lists(project: Path) -> None:
    build(project, n=120)
    run = convwiz("outreach", project, "--json")
    assert run.code == 0, run.stderr
    lists = run.result["lists"]
    assert set(lists) == set(FILES)
    with Project.open(project) as p:
        customers = snapshots.load(p, snapshots.CUSTOMERS).to_pylist()
    snapshot = {r["account"]: r for r in customers}
    expected = {
        "email": {a for a, r in snapshot.items() if r["email"]},
        "no_email": {a for a, r in snapshot.items() if not r["email"]},
        "autopay_card": {a for a, r in snapshot.items()
                         if r["autopay"] == "Y" and r["method"] == "card"},
        "autopay_bank": {a for a, r in snapshot.items()
                         if r["autopay"] == "Y" and r["method"] == "check"},
        "paperless": {a for a, r in snapshot.items() if r["paperless"] == "Y"},
    }
    with Project.open(project) as p:
        made = {e.name for e in p.store.manifest("outreach_list")}
    for key, name in FILES.items():
        path = project / "reports" / "outreach" / name
        assert Path(lists[key]["path"]) == path
        assert mode(path) == PRIVATE_FILE
        rows = read(path)
        assert {r["Old Account Number"] for r in rows} == expected[key], key
        assert lists[key]["rows"] == len(rows) == len(expected[key])
        for r in rows:
            assert r["New Account Number"] == new_number(r["Old Account Number"])
            assert r["Customer Name"].lstrip("'") == snapshot[r["Old Account Number"]]["name"]
            assert r["Email"] == snapshot[r["Old Account Number"]]["email"]
        assert f"reports/outreach/{name}" in made
    assert expected["email"] and expected["no_email"] and expected["autopay_card"]
    header = (project / "reports" / "outreach" / FILES["email"]).read_bytes().split(b"\r\n")[0]
    assert header == b"Customer Name,Old Account Number,New Account Number,Email"


def test_outreach_needs_the_flag_file(project: Path) -> None:
    assert convwiz("outreach", project, "--json").code == 4
