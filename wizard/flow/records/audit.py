"""The project's record (`convwiz audit`): the audit log, and its hash chain checked.

The chain (`services/audit_chain.py`) is checked by the store; this module says what it
means for a person: the log as rows, and a broken chain as the sentence that `status`, the
window and the portfolio show first (the project "needs attention"). Nothing here repairs
the log: a broken chain stays broken, for whoever audits the project to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.core.visible import shown
from wizard.errors import BlockingFindings
from wizard.flow.project.project import Project
from wizard.services.audit_chain import AuditEntry, ChainState

__all__ = ["AuditEntry", "AuditLog", "ChainState", "attention", "read_log", "verify_log"]


@dataclass(frozen=True)
class AuditLog:
    """The audit log as read now, and its chain's state."""

    project: str
    entries: tuple[AuditEntry, ...]
    chain: ChainState

    def lines(self) -> list[str]:
        """The log for people, a row a line: number, time, actor, action and detail, with
        control characters from outside (a file's name) made visible."""
        out = []
        for e in self.entries:
            detail = "; ".join(f"{k}: {v}" for k, v in e.detail.items())
            out.append(shown(f"{e.seq:>6}  {e.at}  {e.actor:<16} {e.action}"
                                + (f"  ({detail})" if detail else "")))
        return out

    def to_json(self, *, entries: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"project": self.project, "rows": len(self.entries),
                               "whole": self.chain.whole, "chain": self.chain.to_json()}
        if entries:
            out["entries"] = [{"seq": e.seq, "at": e.at, "actor": e.actor,
                               "action": e.action, "detail": e.detail} for e in self.entries]
        return out


def attention(chain: ChainState | None) -> str | None:
    """The sentence a broken chain puts first wherever the project is shown (status, the
    window's status line, the portfolio's next action); None when it is whole."""
    if chain is None or chain.whole:
        return None
    when = f", {chain.first_bad_time}" if chain.first_bad_time else ""
    return (f"The audit log needs attention: its chain is broken at row "
            f"{chain.first_bad_row}{when}: {chain.why}. It is not repaired; check it with "
            "`convwiz audit PROJECT --verify`")


def read_log(project: Project) -> AuditLog:
    """Every row of the audit log, oldest first, with the chain checked."""
    return AuditLog(str(project.folder), tuple(project.store.audit_log()),
                    project.store.verify_chain())


def verify_log(project: Project) -> AuditLog:
    """The chain checked: the log when it is whole, `BlockingFindings` (exit 3) naming the
    first bad row when it is not."""
    log = read_log(project)
    if not log.chain.whole:
        raise BlockingFindings(f"{project.folder}: {log.chain.describe()}",
                               **log.to_json(entries=False))
    return log
