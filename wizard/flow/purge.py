"""`convwiz purge`: remove the customer data once the conversion is over; keep the record.

What goes: every file under `data/`, `inbox/`, `outbox/` and `reports/` (snapshots, files
received, the flag file and IC update/rollback, biller and exceptions workbooks, token
files, filled templates: the templates carry customer counts and go too, the program can
write them again), the project's log files (redacted, but they may name accounts), and
workbooks the program wrote outside the project (`report --out`) when they are still exactly
what it wrote (their SHA-256 matches the manifest; a file changed since is someone else's).

What stays: `convwiz.sqlite` (settings, steps, checklist, the append-only audit log and
the manifest of every file with its SHA-256) and the empty folders, so the project still
opens and `status` and the audit say what was done, when, and which files existed.

Before anything is removed, an audit entry lists every file with its SHA-256 and size, so a
crash halfway still leaves the record; a second entry says how it ended. Declining the
question removes nothing and is not an error (exit 0, `"purged": false`): the person chose.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.errors import NotReady
from wizard.flow.project import SUBFOLDERS, Project
from wizard.services import logs
from wizard.services.files import sha256_file
from wizard.services.store import now_iso

log = logging.getLogger("wizard.purge")


@dataclass(frozen=True)
class Doomed:
    """A file purge will remove."""

    path: Path
    name: str  # as the audit shows it: relative to the project, or absolute outside it
    sha256: str | None  # None for a symbolic link (removed, never followed)
    size: int


def purge(project: Project, confirm: Callable[[str], bool]) -> dict[str, Any]:
    """Remove the project's customer data after asking `confirm`; return what was removed."""
    with project.writing("purge"):
        doomed = customer_files(project)
        total = sum(d.size for d in doomed)
        if not doomed:
            project.store.audit("purge: no customer data to remove")
            return {"purged": True, "files": 0, "bytes": 0, "removed": []}
        if not confirm(_question(project, doomed, total)):
            project.store.audit("purge declined", files=len(doomed))
            log.info("purge declined: %s files kept", len(doomed))
            return {"purged": False, "files": 0, "bytes": 0, "removed": []}

        project.store.audit(
            "purging customer data",
            files=[{"name": d.name, "sha256": d.sha256, "bytes": d.size} for d in doomed],
            bytes=total,
        )
        removed: list[Doomed] = []
        failed: list[tuple[Doomed, str]] = []
        closing_log = _close_log_handler(project)
        for d in doomed:
            try:
                d.path.unlink()
                removed.append(d)
            except FileNotFoundError:
                removed.append(d)  # gone already: nothing of it remains
            except OSError as exc:
                failed.append((d, exc.strerror or str(exc)))
        _remove_empty_subfolders(project)
        if closing_log:
            logs.configure(project.folder)
        removed_bytes = sum(d.size for d in removed)
        project.store.audit(
            "customer data purged" if not failed else "customer data partly purged",
            files=len(removed), bytes=removed_bytes,
            failed=[{"name": d.name, "error": why} for d, why in failed],
        )
        project.store.set_setting("purged_at", now_iso())
        log.info("purged %s files (%s bytes)", len(removed), removed_bytes)
        if failed:
            names = "; ".join(f"{d.name} ({why})" for d, why in failed[:5])
            raise NotReady(
                f"{len(failed)} file(s) could not be removed: {names}. Close the program "
                "that has them open or fix their permissions, then run purge again",
                purged=False, files=len(removed), bytes=removed_bytes,
            )
        return {
            "purged": True,
            "files": len(removed),
            "bytes": removed_bytes,
            "removed": [d.name for d in removed],
        }


def customer_files(project: Project) -> list[Doomed]:
    """Every file purge removes, in a stable order."""
    found: dict[Path, Doomed] = {}
    for sub in SUBFOLDERS:
        folder = project.folder / sub
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or path.is_file():
                found[path] = _doomed(project, path)
    for path in _made_outside(project):
        found.setdefault(path, _doomed(project, path))
    if not found:
        return []  # the log alone is no reason to ask: it goes along with the data
    for path in sorted(project.folder.glob(logs.LOG_NAME + "*")):
        if path.is_file() and not path.is_symlink():
            found[path] = _doomed(project, path)
    return list(found.values())


def _doomed(project: Project, path: Path) -> Doomed:
    if path.is_symlink():
        return Doomed(path, project.relative(path), None, 0)
    return Doomed(path, project.relative(path), sha256_file(path), path.stat().st_size)


def _made_outside(project: Project) -> list[Path]:
    """Files the program made outside the project that are still exactly as it made them."""
    latest: dict[str, str] = {}
    for entry in project.store.manifest():
        if entry.direction == "made" and os.path.isabs(entry.name):
            latest[entry.name] = entry.sha256
    paths = []
    for name, digest in latest.items():
        path = Path(name)
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and sha256_file(path) == digest:
                paths.append(path)
    return paths


def _question(project: Project, doomed: list[Doomed], total: int) -> str:
    from wizard.flow.steps import is_done

    outside = [d.name for d in doomed if os.path.isabs(d.name)]
    lines = [
        f"Remove {len(doomed)} file(s) of customer data ({_size(total)}) from "
        f"{project.folder} (data/, inbox/, outbox/, reports/ and the log)?",
        "The audit log keeps what was done, when, and each file's SHA-256.",
    ]
    if outside:
        lines.append("Also, made by this program outside the project: " + ", ".join(outside))
    if not is_done(project, "verification"):
        lines.append("The conversion has not been verified yet: the later steps need these "
                     "files and would have to start over.")
    return "\n".join(lines)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"  # pragma: no cover


def _close_log_handler(project: Project) -> bool:
    """Close our handler on the project's log so its file can go; True if there was one."""
    target = str(logs.log_path_for(project.folder))
    logger = logging.getLogger("wizard")
    closed = False
    for handler in list(logger.handlers):
        if getattr(handler, "baseFilename", None) == target:
            logger.removeHandler(handler)
            handler.close()
            closed = True
    return closed


def _remove_empty_subfolders(project: Project) -> None:
    for sub in SUBFOLDERS:
        folder = project.folder / sub
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path.is_dir() and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.rmdir()
