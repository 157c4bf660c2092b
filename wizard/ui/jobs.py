"""The steps the window runs in a child process, with their findings sent back as data.

The window never reads back a workbook it has just written: reading one means importing
openpyxl on a worker thread while the window runs (the crash of issue 16), and it reads a
file only to learn what the step already knew. These functions run in the child
(`wizard.ui.child`), call the flow, and answer a `Finished`: the step's own result, with the
findings beside it as columns (`FindingsData`), from which the window builds its table. The
answer crosses the pipe as JSON; the window reads it back (`answer`) as the step's type.

No Qt here: this module runs in the child process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from wizard.errors import BlockingFindings, Cancelled

# findings sent back to the window at most: the exceptions workbook holds every one, and a
# table a person reads in a window does not need more (nor does the pipe)
MAX_FINDINGS = 50_000


@dataclass(frozen=True)
class FindingsData:
    """Findings as columns, as the window's findings table shows them."""

    rows: list[int | None]
    fields: list[str]
    values: list[str]
    severities: list[str]
    rules: list[str]
    fixes: list[str]
    total: int  # how many there were (the columns hold at most MAX_FINDINGS)

    @classmethod
    def of(cls, findings: Any) -> FindingsData:
        n = MAX_FINDINGS
        return cls(list(findings.rows[:n]), list(findings.fields[:n]),
                   list(findings.values[:n]), list(findings.severities[:n]),
                   list(findings.rules[:n]), list(findings.fixes[:n]), len(findings))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> FindingsData:
        return cls(**{k: value[k] for k in ("rows", "fields", "values", "severities", "rules",
                                            "fixes", "total")})


R = TypeVar("R")


@dataclass(frozen=True)
class Finished(Generic[R]):
    """A job's answer: the step's own typed result; the findings it found, as columns (the
    steps that check a file); and whether a Cancel came after the step had finished (its
    file is then written and kept). It crosses the pipe as `to_json()`; the window reads it
    back with `answer`."""

    result: R
    findings: FindingsData | None = None
    cancel_too_late: bool = False

    def to_json(self) -> dict[str, Any]:
        to_json = getattr(self.result, "to_json", None)
        # a typed result as its JSON fields (verify's travels as JSON already)
        result = to_json() if to_json is not None else dict(cast(Mapping[str, Any], self.result))
        return {"result": result,
                "findings": self.findings.to_json() if self.findings is not None else None,
                "cancel_too_late": self.cancel_too_late}


def answer(job: str, data: Mapping[str, Any]) -> Finished[Any]:
    """A job's answer back from its JSON, in the window: the result as the step's type."""
    findings = data.get("findings")
    return Finished(result_of(job, data["result"]),
                    FindingsData.from_json(findings) if findings else None,
                    bool(data.get("cancel_too_late")))


def result_of(job: str, data: Mapping[str, Any]) -> Any:
    """The result of `job` back from its JSON as the type its step returns (each imported
    only when its job ran: none imports a workbook library)."""
    if job == "export_flags":
        from wizard.flow.steps.export import FlagFileResult

        return FlagFileResult.from_json(data)
    if job == "import_xref":
        from wizard.flow.steps.renumber import XrefImport

        return XrefImport.from_json(data)
    if job == "verify":
        from wizard.flow.steps.verification import VerifyResult

        return VerifyResult.from_json(data)
    if job == "write_report":
        from wizard.flow.papers.report import WorkbookWritten

        return WorkbookWritten.from_json(data)
    if job == "write_evidence_pack":
        from wizard.flow.papers.evidence import EvidencePack

        return EvidencePack.from_json(data)
    raise ValueError(f"no job named {job!r}")


def audit_cancelled(project: Any, step: str) -> None:
    """A cancelled run leaves its line in the audit log (nothing else: it wrote nothing)."""
    from wizard.flow.project.steps import record_cancelled

    try:
        record_cancelled(project, step, by="window")
    except Exception:  # noqa: BLE001, S110 - the audit line must not hide the Cancel
        pass


def _audited(project: Any, step: str, progress: Any, call: Any,
             findings: bool = False) -> dict[str, Any]:
    """Run `call` (a step), its answer as `Finished.to_json()`: a Cancel is audited; a
    Cancel that came after the step had finished is said (`cancel_too_late`), since the
    file is then written and kept. With `findings`, the step's findings go in the answer,
    or in the error when the step refused the file."""
    try:
        value = call()
    except Cancelled:
        audit_cancelled(project, step)
        raise
    except BlockingFindings as exc:
        if findings and exc.findings is not None:
            exc.result["findings"] = FindingsData.of(exc.findings).to_json()
        raise
    found = getattr(value, "findings", None) if findings else None
    return Finished(value, FindingsData.of(found) if found is not None else None,
                    bool(getattr(progress, "cancelled", False))).to_json()


def export_flags(project: Any, input_path: Path, sheet: str | None,
                 mapping: Mapping[str, str] | None, progress: Any) -> dict[str, Any]:
    """`wizard.flow.steps.export.export_flags`, its findings in the result."""
    from wizard.flow.steps import export

    return _audited(project, "flag_file", progress, lambda: export.export_flags(
        project, input_path, sheet, mapping, progress), findings=True)


def import_xref(project: Any, xref: Path | None, mapping: Mapping[str, str],
                allow_unmatched: bool, progress: Any) -> dict[str, Any]:
    """`wizard.flow.steps.renumber.import_xref`, its findings in the result."""
    from wizard.flow.steps import renumber

    return _audited(project, "cross_reference", progress, lambda: renumber.import_xref(
        project, xref, mapping, allow_unmatched, progress), findings=True)


def verify(project: Any, post: Path, mapping: Mapping[str, str] | None,
           words: Mapping[str, list[str]] | None, progress: Any) -> dict[str, Any]:
    """`wizard.flow.steps.verification.verify_for_window` (its result as JSON), a Cancel audited;
    `words`: the registration words the person named ({"yes": [...], "no": [...]})."""
    from wizard.flow.steps import verification

    return _audited(project, "verification", progress,
                    lambda: verification.verify_for_window(project, post, mapping, progress,
                                                           words))


def write_report(project: Any, out: Path | None, password: str | None,
                 progress: Any) -> dict[str, Any]:
    """`wizard.flow.papers.report.write_report`, encrypted with `password` (the window read it from
    the keyring; it is not in the result), a Cancel audited."""
    from wizard.flow.papers import report
    from wizard.flow.runtime import register_secret

    if password:
        register_secret(password)
    return _audited(project, "report", progress,
                    lambda: report.write_report(project, out, progress, password=password))


def write_evidence_pack(project: Any, out: Path | None, password: str | None,
                        progress: Any) -> dict[str, Any]:
    """`wizard.flow.papers.evidence.write_evidence_pack`, encrypted with `password` (the window's,
    from the keyring, as for the workbook; not in the result)."""
    from wizard.flow.papers import evidence
    from wizard.flow.runtime import register_secret

    if password:
        register_secret(password)
    return Finished(evidence.write_evidence_pack(project, out, progress,
                                                 password=password)).to_json()


# The only functions the window's worker process will run: a job names one of these, never a
# module and function of its choosing.
JOBS: dict[str, Any] = {f.__name__: f for f in (export_flags, import_xref, verify, write_report,
                                              write_evidence_pack)}
