"""The window's child process answers with typed results: each job's result crosses the
pipe as its `to_json()` and comes back, in the window, as the type its step returns
(`wizard.ui.jobs.answer`), so a page reads fields that exist, never a dict's keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wizard.core.findings import Findings
from wizard.core.registration import NOT_MEASURED
from wizard.flow.papers.evidence import EvidencePack
from wizard.flow.papers.report import WorkbookWritten
from wizard.flow.steps.export import FlagFileResult
from wizard.flow.steps.renumber import XrefImport
from wizard.flow.steps.verification import FlagCounts, VerifyResult
from wizard.services.audit_chain import ChainState
from wizard.ui.jobs import JOBS, FindingsData, Finished, answer

OUT = Path("outbox") / "flag_file.csv"
RESULTS: dict[str, Any] = {
    "export_flags": FlagFileResult(OUT, 12, 0, 2, Path("reports") / "exceptions.xlsx",
                                   Findings(), "ab" * 32, {"account": "Acct"}),
    "import_xref": XrefImport(10, 1, 2, 0, 3, Path("outbox") / "u.csv",
                              Path("outbox") / "r.csv", None, "outside the window"),
    "verify": VerifyResult(20, 18, 2, 1, FlagCounts(5, 1, 0), FlagCounts(7, 0, 1), 1, 0,
                           False, Path("reports") / "v.xlsx", registration=NOT_MEASURED),
    "write_report": WorkbookWritten(Path("reports") / "b.xlsx", ["Summary", "Audit"],
                                    {"Audit": 4}, "cd" * 32, ["a note"], True,
                                    password="never sent"),
    "write_evidence_pack": EvidencePack(Path("reports") / "e.xlsx", ["Files"], {"Files": 3},
                                        "ef" * 32, ChainState(False, 9, "12ab", 4,
                                                              "2026-01-02", "a row changed")),
}


def over_the_pipe(value: Finished[Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value.to_json(), default=str))


def test_every_job_has_a_typed_result() -> None:
    assert set(RESULTS) == set(JOBS)


@pytest.mark.parametrize("job", sorted(RESULTS))
def test_a_result_comes_back_as_its_own_type_with_the_same_json(job: str) -> None:
    sent = RESULTS[job]
    back = answer(job, over_the_pipe(Finished(sent, cancel_too_late=True)))
    assert type(back.result) is type(sent)
    assert back.result.to_json() == json.loads(json.dumps(sent.to_json(), default=str))
    assert back.cancel_too_late is True and back.findings is None


def test_the_workbook_password_never_crosses_the_pipe() -> None:
    back = answer("write_report", over_the_pipe(Finished(RESULTS["write_report"])))
    assert back.result.password is None
    assert "never sent" not in json.dumps(Finished(RESULTS["write_report"]).to_json())


def test_the_findings_travel_beside_the_result_as_columns() -> None:
    columns = FindingsData([3, None], ["email", "account"], ["x", ""], ["warning", "blocking"],
                           ["invalid email", "empty account"], ["fix it", "fill it"], 2)
    back = answer("export_flags", over_the_pipe(Finished(RESULTS["export_flags"], columns)))
    assert back.findings == columns
    assert back.result.findings is None  # the step's own Findings stay in the child


def test_the_chain_state_reads_back_with_its_words() -> None:
    chain = RESULTS["write_evidence_pack"].chain
    assert ChainState.from_json(chain.to_json()) == chain
    assert ChainState.from_json(chain.to_json()).describe() == chain.describe()
