"""The evidence pack for the biller's auditors (`convwiz audit PROJECT --workbook [FILE]`, and
"Write the evidence pack" on the Biller workbook page): one workbook a PCI DSS assessor reads
without the program.

It holds, from the project's record alone (`flow.papers.evidence_sheets`): every file made, sent or
received with its SHA-256, size and time; the SFTP host key each transfer used; every
sign-off; every setting change with its old and new value; and, on its Summary, the audit
log's hash chain as the store finds it ("whole, N rows, last hash ...") with the head kept
outside the database. It holds no customer row. Written to `reports/<biller>_evidence_pack.xlsx`
unless a file is given, atomically, 0600, recorded in the manifest; encrypted with the
project's workbook password like the biller workbook (`flow.project.workbook_password`) unless
`encrypt` is false, which the audit log records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from wizard.flow.papers import evidence_sheets
from wizard.flow.project import workbook_password
from wizard.flow.project.project import Project
from wizard.progress import NullProgress, Progress, check
from wizard.services.audit_chain import AuditEntry, ChainState
from wizard.services.evidence_workbook import Figure, Section, write_evidence_workbook
from wizard.services.store import ManifestEntry, now_iso
from wizard.services.workbook import local_time

log = logging.getLogger("wizard.evidence")
KIND = "evidence_pack"
COMMAND = "audit"
NO_CUSTOMER_DATA = ("This pack holds no customer data: files are listed by name, size, time "
                    "and SHA-256 only, never their contents (no customer name, account number, "
                    "email or payment detail).")
HOW_TO_CHECK = ("Compute the file's SHA-256 and compare it with the Files sheet: on Windows "
                "`certutil -hashfile FILE SHA256`, on macOS and Linux `shasum -a 256 FILE`.")


def default_path(project: Project) -> Path:
    return project.reports / f"{project.slug()}_evidence_pack.xlsx"


@dataclass(frozen=True)
class EvidencePack:
    """What `write_evidence_pack` wrote; `to_json` is the `--json` object."""

    output: Path
    sheets: list[str]
    rows: dict[str, int]
    sha256: str
    chain: ChainState  # the audit log's hash chain as the pack states it
    encrypted: bool = True
    # for the person (shown once on standard error); in --json only with --show-password
    password: str | None = field(default=None, repr=False)
    password_created: bool = False
    keyring: str = ""

    def to_json(self, show_password: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "output": str(self.output), "sheets": self.sheets, "rows": self.rows,
            "sha256": self.sha256, "encrypted": self.encrypted, "chain": self.chain.to_json()}
        if show_password and self.password:
            result["password"] = self.password
        return result

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EvidencePack:
        """The pack back from `to_json()` (the window gets it from its worker process; the
        password never travels)."""
        return cls(Path(data["output"]), list(data["sheets"]), dict(data["rows"]),
                   str(data["sha256"]), ChainState.from_json(data["chain"]),
                   bool(data["encrypted"]))


def write_evidence_pack(project: Project, out: Path | None = None,
                        progress: Progress | None = None, *, encrypt: bool = True,
                        password: str | None = None) -> EvidencePack:
    """Write the evidence pack, encrypted with the project's workbook password (made and kept
    in the keyring on first use) unless `encrypt` is false; or with `password`, given in
    memory (the window, the demo without a keyring). Works at any stage of the project."""
    progress = progress or NullProgress()
    with project.writing(COMMAND):
        target = Path(out).expanduser().absolute() if out else default_path(project)
        created, keyring = False, ""
        if encrypt and password is None:  # before any work: no keyring is exit 2 at once
            kept = workbook_password.ensure(project)
            password, created, keyring = kept.password, kept.created, kept.keyring
        progress.report(0, 0, "reading the project's record")
        # first: the pack states the chain it was made from (with the keyring's head)
        chain = project.store.verify_chain()
        manifest, audit = project.store.manifest(), project.store.audit_log()
        sheets = [evidence_sheets.files_sheet(manifest),
                  evidence_sheets.host_keys_sheet(audit, manifest),
                  evidence_sheets.sign_offs_sheet(audit),
                  evidence_sheets.settings_sheet(audit)]
        check(progress)
        written = write_evidence_workbook(
            target, f"{project.biller}: evidence of the conversion", _subtitle(project),
            _summary(project, chain, manifest, audit, [s.rows for s in sheets]), sheets,
            progress, biller=project.biller, password=password if encrypt else None)
        digest = project.record_made(target, KIND, rows=sum(written.rows.values()),
                                     encrypted=encrypt, chain=chain.describe())
        if not encrypt:
            project.store.audit("evidence pack written without encryption (--no-encrypt)",
                                output=project.relative(target))
        log.info("wrote the evidence pack %s (%s)", project.relative(target),
                 "encrypted" if encrypt else "NOT encrypted, as asked")
        progress.report(1, 1, f"wrote {target}")
    return EvidencePack(target, list(written.sheets), dict(written.rows), digest, chain,
                        encrypt, password if encrypt else None, created, keyring)


def _subtitle(project: Project) -> str:
    offset = datetime.now().astimezone().strftime("%z")
    return (f"For the biller's auditors (PCI DSS): what the Conversion Wizard made, sent and "
            f"received for {project.biller}, and who did what. Times are local (UTC"
            f"{offset[:3]}:{offset[3:]}).")


def _chain_section(chain: ChainState) -> Section:
    """The chain's state in an auditor's words: "whole, N rows, last hash ..." or where it
    breaks, and how its tail was checked against the head kept outside the database."""
    mood = "" if not chain.chained else "good" if chain.whole else "bad"
    figures = [Figure("State", chain.describe(), mood), Figure("Rows", chain.rows),
               Figure("Last hash", chain.last_hash or "none")]
    if chain.chained and not chain.whole:
        figures += [Figure("First bad row", chain.first_bad_row),
                    Figure("First bad row's time", local_time(chain.first_bad_time)
                           or chain.first_bad_time or "unknown"),
                    Figure("What is wrong", chain.why)]
    figures.append(Figure("Head kept outside the database (keyring)", chain.head))
    figures.append(Figure("Checked", local_time(now_iso())))
    return Section("The audit log (hash chain)", figures)


def _summary(project: Project, chain: ChainState, manifest: list[ManifestEntry],
             audit: list[AuditEntry], counts: list[int]) -> list[Section]:
    d = project.dates
    by_direction = {w: sum(1 for e in manifest if e.direction == w)
                    for w in ("made", "sent", "received")}
    pm = str(project.setting("pm_name") or "").strip()
    about = Section("The conversion", [
        Figure("Biller", project.biller),
        Figure("Production BID", str(project.production_bid)),
        Figure("Go-live", d.go_live),
        Figure("Maintenance window", f"{d.window_start} to {d.window_end}"),
        Figure("Prepared by", pm or "not set"),
        Figure("Pack written", local_time(now_iso())),
        Figure("Audit log rows read", len(audit)),
    ])
    files, keys, sign_offs, settings = counts
    holds = Section("What this pack holds", [
        Figure("Files", f"{files:,} ({by_direction['made']:,} made, {by_direction['sent']:,} "
                        f"sent, {by_direction['received']:,} received): the Files sheet"),
        Figure("SFTP host keys", f"{keys:,}: the Host Keys sheet"),
        Figure("Sign-offs", f"{sign_offs:,}: the Sign-offs sheet"),
        Figure("Setting changes", f"{settings:,}: the Setting Changes sheet"),
        Figure("Customer data", NO_CUSTOMER_DATA),
        Figure("Checking a file", HOW_TO_CHECK),
    ])
    return [about, _chain_section(chain), holds]
