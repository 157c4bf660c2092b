"""`convwiz purge` and the window's Purge page: remove the customer data, keep the record.

What goes: exactly the files in the project's manifest (every file the program made or
received: snapshots, the flag file, the IC update and rollback, files received from the
provider, workbooks, templates, outreach lists, token files) that lie inside the project,
the project's own temporary folder, and the demo provider's folder. Only regular files whose
real path lies inside the project: a link in a file's place, or anything else that is not a
plain file, is left where it is and named with the reason (`skipped`); a folder of the
project that is a link stops purge before anything goes (`Project.acquire`). Nothing else: a
file the PM put in `reports/` is the PM's, and a workbook written with `report --out` outside the
project is where the PM chose to keep it (the question names it, so the PM can decide).

What stays: `convwiz.sqlite` (settings, steps, checklist, the append-only audit log and the
manifest with every file's SHA-256), the log, and the folders, so the project still opens and
says what was done, when, and which files existed. The steps whose files were removed say
"purged", never "done".

Before anything is removed, an audit entry lists every file with its SHA-256 and size, so a
crash halfway still leaves the record; a second entry says how it ended. Declining the
question removes nothing and is not an error (exit 0, `"purged": false`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from wizard.core.vocabulary import DEMO_PROVIDER_FOLDER, S_HOST, S_PORT, S_USER, is_store_file
from wizard.errors import KeyringUnavailable, NotReady, UsageError
from wizard.flow.project import steps, workbook_password
from wizard.flow.project.project import TEMP_FOLDER, Project
from wizard.services import room, secrets
from wizard.services.files import remove
from wizard.services.store import ManifestEntry

log = logging.getLogger("wizard.purge")


@dataclass(frozen=True)
class Doomed:
    """A file purge will remove."""

    path: Path
    name: str  # relative to the project, as the manifest and the audit name it
    size: int
    changed: bool = False  # its content differs from what the program recorded


@dataclass(frozen=True)
class Skipped:
    """A manifest file purge leaves where it is, and why."""

    name: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True)
class PurgePlan:
    """What a purge would remove, and why the person might hesitate."""

    files: tuple[Doomed, ...]
    outside: tuple[str, ...]  # files the program wrote outside the project: kept, named
    secret_account: str | None  # the SFTP secret's keyring entry, if a connection is saved
    verified: bool
    before_go_live: bool
    workbook_entry: str | None = None  # the workbook password's keyring entry, if made
    skipped: tuple[Skipped, ...] = ()  # manifest files that are not plain files inside

    @property
    def has_secrets(self) -> bool:
        return self.secret_account is not None or self.workbook_entry is not None

    @property
    def total(self) -> int:
        return sum(d.size for d in self.files)

    def warnings(self) -> list[str]:
        out = []
        if not self.verified:
            out.append("The conversion has not been verified yet: the later steps need these "
                       "files and would have to start over.")
        if self.before_go_live:
            out.append("Go-live has not happened yet.")
        return out

    def question(self, folder: Path) -> str:
        lines = [f"Remove {len(self.files)} file(s) the program made or received "
                 f"({size_text(self.total)}) from {folder}?"]
        lines += [f"  {d.name}  ({size_text(d.size)})" for d in self.files[:50]]
        if len(self.files) > 50:
            lines.append(f"  ... and {len(self.files) - 50} more")
        lines.append("Files you put in the project yourself are kept, and so is the audit "
                     "log with each removed file's SHA-256.")
        lines += [f"  Left in place: {s.name} ({s.reason})" for s in self.skipped[:50]]
        if self.outside:
            lines.append("Kept, because you chose where they went (remove them yourself if "
                         "they hold customer data): " + ", ".join(self.outside))
        return "\n".join(lines + self.warnings())


@dataclass(frozen=True)
class PurgeResult:
    purged: bool
    files: int = 0
    bytes: int = 0
    removed: tuple[str, ...] = ()
    kept_outside: tuple[str, ...] = ()
    secret_removed: bool = False
    steps_purged: tuple[str, ...] = field(default=())
    workbook_password_removed: bool = False
    skipped: tuple[Skipped, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"purged": self.purged, "files": self.files, "bytes": self.bytes,
                "removed": list(self.removed), "kept_outside": list(self.kept_outside),
                "secret_removed": self.secret_removed, "steps_purged": list(self.steps_purged),
                "workbook_password_removed": self.workbook_password_removed,
                "skipped": [s.to_json() for s in self.skipped]}


def plan(project: Project, today: date | None = None) -> PurgePlan:
    """What `purge` would remove now: the manifest and the files' sizes and times, nothing
    read from the files themselves (the window asks for it whenever the Purge page shows)."""
    latest: dict[str, ManifestEntry] = {}
    outside: dict[str, None] = {}
    skipped: list[Skipped] = []
    for entry in project.store.manifest():
        if entry.direction not in ("made", "received"):
            continue  # "sent" names the same local file as "made", or a remote one
        path = Path(entry.name)
        if is_store_file(path):  # a manifest naming the database (changed by hand)
            skipped.append(Skipped(entry.name, "the project's database: SQLite's alone"))
            continue
        if path.is_absolute():
            try:
                path.relative_to(project.folder)
            except ValueError:
                if path.is_file():
                    outside[str(path)] = None  # named as this system writes it
                continue
        latest[entry.name] = entry
    files: list[Doomed] = []
    for name, entry in latest.items():
        path = project.folder / name
        reason = _not_ours(project, path)
        if reason:
            skipped.append(Skipped(name, reason))
            continue
        with contextlib.suppress(OSError):
            stat = path.stat()
            files.append(Doomed(path, name, stat.st_size,
                                changed=_changed(entry, stat.st_size, stat.st_mtime)))
    files.sort(key=lambda d: d.name)
    settings = project.store.settings()
    account = None
    if settings.get(S_HOST) and settings.get(S_USER):
        account = secrets.sftp_account(str(settings[S_USER]), str(settings[S_HOST]),
                                       int(settings.get(S_PORT) or 22))
    return PurgePlan(
        files=tuple(files), outside=tuple(outside), secret_account=account,
        verified=steps.is_done(project, "verification"),
        before_go_live=(today or date.today()) < project.dates.go_live,
        workbook_entry=workbook_password.entry(project), skipped=tuple(skipped),
    )


def _not_ours(project: Project, path: Path) -> str | None:
    """Why purge must leave `path` alone (None: a plain file inside the project, or gone)."""
    root, absolute = Path(os.path.abspath(project.folder)), Path(os.path.abspath(path))
    if root not in absolute.parents:
        return "its name leads out of the project"
    if room.is_link(path):
        return "a link, not a file the program made: it is never followed; remove it yourself"
    for folder in path.relative_to(project.folder).parents:
        if folder != Path(".") and room.is_link(project.folder / folder):
            return f"{folder.as_posix()} is a link out of the project"
    if not path.exists():
        return None  # gone already: nothing to remove
    if not path.is_file():
        return "not a plain file (a folder or a device): left as it is"
    try:
        room.check_inside(path)
    except UsageError:
        return "its real path lies outside the project"
    return None


def _changed(entry: ManifestEntry, size: int, mtime: float) -> bool:
    """Changed since the program recorded it: another size, or written after (a moment's
    grace for the clock). Cheap on purpose: hashing every snapshot would stall the page."""
    if entry.bytes is not None and size != entry.bytes:
        return True
    try:
        recorded = datetime.fromisoformat(entry.at).timestamp()
    except ValueError:
        return False
    return mtime > recorded + 2


def purge(project: Project, confirm: Callable[[str], bool], *, force: bool = False,
          assume_yes: bool = False, remove_secret: Callable[[str], bool] | None = None,
          today: date | None = None,
          remove_workbook_password: Callable[[str], bool] | None = None) -> PurgeResult:
    """Remove the project's customer data after asking `confirm` (the whole plan as text).

    `assume_yes` (the command's `--yes`) before verification is done is refused unless
    `force`. `remove_secret` is asked whether to remove the SFTP secret from the keyring,
    and `remove_workbook_password` (`remove_secret` when not given) whether to remove the
    workbook password.
    """
    with project.writing("purge"):
        doomed = plan(project, today)
        if assume_yes and not doomed.verified and not force and doomed.files:
            raise NotReady("the conversion has not been verified yet: purge now and the "
                           "later steps must start over. Give --force with --yes to purge "
                           "anyway, or run purge without --yes to be asked")
        if not doomed.files and not doomed.has_secrets:
            project.store.audit("purge: no customer data to remove")
            _clear_temporaries(project)
            return PurgeResult(True, kept_outside=doomed.outside, skipped=doomed.skipped)
        if not confirm(doomed.question(project.folder)):
            project.store.audit("purge declined", files=len(doomed.files))
            log.info("purge declined: %s files kept", len(doomed.files))
            return PurgeResult(False, kept_outside=doomed.outside, skipped=doomed.skipped)
        return _remove(project, doomed, remove_secret, remove_workbook_password or remove_secret)


def _remove(project: Project, doomed: PurgePlan, remove_secret: Callable[[str], bool] | None,
            remove_password: Callable[[str], bool] | None) -> PurgeResult:
    project.store.audit(
        "purging customer data",
        files=[{"name": d.name, "bytes": d.size, "changed_since_made": d.changed}
               for d in doomed.files],
        bytes=doomed.total,
    )
    removed: list[Doomed] = []
    failed: list[tuple[Doomed, str]] = []
    for d in doomed.files:
        try:
            why = _not_ours(project, d.path)  # again: the plan may be minutes old
            if why:
                failed.append((d, why))
                continue
            remove(d.path)
            removed.append(d)
        except FileNotFoundError:
            removed.append(d)  # gone already: nothing of it remains
        except OSError as exc:
            failed.append((d, exc.strerror or str(exc)))
        except UsageError as exc:
            failed.append((d, exc.message))
    _clear_temporaries(project)
    purged_steps = _mark_steps_purged(project)
    secret_removed = _remove_secret(project, doomed.secret_account, remove_secret)
    password_removed = _remove_workbook_password(project, doomed.workbook_entry, remove_password)
    removed_bytes = sum(d.size for d in removed)
    project.store.audit(
        "customer data purged" if not failed else "customer data partly purged",
        files=len(removed), bytes=removed_bytes, secret_removed=secret_removed,
        workbook_password_removed=password_removed,
        failed=[{"name": d.name, "error": why} for d, why in failed],
    )
    log.info("purged %s files (%s bytes)", len(removed), removed_bytes)
    if failed:
        names = "; ".join(f"{d.name} ({why})" for d, why in failed[:5])
        raise NotReady(
            f"{len(failed)} file(s) could not be removed: {names}. Close the program that has "
            "them open or fix their permissions, then run purge again",
            purged=False, files=len(removed), bytes=removed_bytes,
        )
    return PurgeResult(True, len(removed), removed_bytes, tuple(d.name for d in removed),
                       doomed.outside, secret_removed, purged_steps, password_removed,
                       doomed.skipped)


def _clear_temporaries(project: Project) -> None:
    for folder in (project.folder / TEMP_FOLDER, project.folder / DEMO_PROVIDER_FOLDER):
        if folder.is_dir() and not room.is_link(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _mark_steps_purged(project: Project) -> tuple[str, ...]:
    """Every step that had produced files no longer has them: it is purged, not done."""
    records = project.store.steps()
    marked = []
    for s in steps.STEPS:
        if s.id == "coordination":
            continue  # sign-offs, no files
        if records.get(s.id, ("",))[0] in ("done", "attention", "failed", "stale"):
            steps.mark_purged(project, s.id)
            marked.append(s.id)
    return tuple(marked)


def _remove_secret(project: Project, account: str | None,
                   ask: Callable[[str], bool] | None) -> bool:
    if account is None or ask is None:
        return False
    if not ask(f"Also remove the provider's password or key passphrase ({account}) from the "
               "system keyring? The connection can be saved again with connect."):
        return False
    try:
        removed = secrets.delete_secret(account)
    except KeyringUnavailable as exc:
        project.store.audit("keyring secret not removed", account=account, reason=exc.message)
        return False
    project.store.audit("keyring secret removed" if removed else "no keyring secret to remove",
                        account=account)
    return removed


def _remove_workbook_password(project: Project, entry: str | None,
                              ask: Callable[[str], bool] | None) -> bool:
    if entry is None or ask is None:
        return False
    if not ask(f"Also remove the workbook password ({entry}) from the system keyring? The "
               "workbooks already sent keep it; the next workbook gets a new one."):
        return False
    from wizard.flow.papers.templates import password_draft_path

    with contextlib.suppress(OSError):  # the password draft, outside the project, goes too
        password_draft_path(project).unlink(missing_ok=True)
    try:
        removed = workbook_password.forget(project)
    except KeyringUnavailable as exc:
        project.store.audit("workbook password not removed", keyring_entry=entry,
                            reason=exc.message)
        return False
    project.store.audit("workbook password removed" if removed else
                        "no workbook password to remove", keyring_entry=entry)
    return removed


def size_text(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"  # pragma: no cover
