"""Wrong files are named as wrong before a step uses them.

The program knows its own files: the manifest holds the name, size and SHA-256 of every file
it made, sent or received, and the steps record the exports they read (the flag file's
customer export, the imported cross-reference, the verified post-go-live export). A step
that takes a file from outside (`import-xref --xref`, `verify --post`, and the window's
Cross-reference and Verify pages, which run the same flows) asks `refuse_known` first: one
of the program's own files, or an export already used for another step, is refused (exit 2,
nothing changed) in one line naming what the file is and what the step expected.

A file is recognised by its place in the project (a manifest name) or by its SHA-256, which
is computed only when a known file has the same size (or an older record has no size), so a
right file costs a `stat`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wizard.core.recognition import (
    CROSS_REFERENCE,
    CUSTOMER_EXPORT,
    EXPECTED,
    IMPORTED_CROSS_REFERENCE,
    POST_EXPORT,
    RECEIVED_CROSS_REFERENCE,
    VERIFIED_EXPORT,
    own_file_words,
)
from wizard.errors import InputError
from wizard.flow.project.project import Project
from wizard.services.files import sha256_file

__all__ = ["CROSS_REFERENCE", "POST_EXPORT", "Known", "recognise", "refuse_known"]


@dataclass(frozen=True)
class Known:
    """A file the project already knows: what it is, where and when it was made or used."""

    what: str  # "the program's own rollback file"
    where: str  # "outbox/ic_account_rollback.csv"
    when: str  # "made 2026-12-06 17:56 UTC"
    role: str | None = None  # the step role it may be given to again (None: no step's)


@dataclass(frozen=True)
class _Candidate:
    known: Known
    name: str | None  # its place in the project, as the manifest stores it
    sha256: str | None
    size: int | None


def _when(verb: str, at: str | None) -> str:
    if not at:
        return verb
    return f"{verb} {at[:16].replace('T', ' ')} UTC"


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) else None


def _candidates(project: Project) -> list[_Candidate]:
    """Every file the project knows, newest last."""
    found: list[_Candidate] = []
    for e in project.store.manifest():
        if e.direction == "received" and e.kind == "cross_reference":
            known = Known(RECEIVED_CROSS_REFERENCE, e.name, _when("received", e.at),
                          CROSS_REFERENCE)
        else:
            known = Known(own_file_words(e.kind), e.name,
                          _when("sent" if e.direction == "sent" else "made", e.at))
        found.append(_Candidate(known, e.name, e.sha256, e.bytes))
        source = e.detail.get("source_sha256") if e.kind == "flag_file" else None
        if source:
            found.append(_Candidate(
                Known(CUSTOMER_EXPORT, str(e.detail.get("source") or "?"),
                      _when("used", e.at)),
                None, str(source), _int(e.detail.get("source_bytes"))))
    steps = project.store.steps()
    for step_id, what, role in (("cross_reference", IMPORTED_CROSS_REFERENCE, CROSS_REFERENCE),
                                ("verification", VERIFIED_EXPORT, POST_EXPORT)):
        record = steps.get(step_id)
        if record is None or not record[2].get("source_sha256"):
            continue
        _state, at, detail = record
        found.append(_Candidate(Known(what, str(detail.get("source") or "?"), _when("used", at),
                                      role),
                                None, str(detail["source_sha256"]),
                                _int(detail.get("source_bytes"))))
    return found


def recognise(project: Project, path: Path) -> tuple[Known | None, str | None]:
    """What the project knows `path` to be (None: nothing), and its SHA-256 when it had to
    be computed (None otherwise). Known by its SHA-256 (not its place), `where` says so."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return None, None  # the reader says why it cannot be read
    candidates = _candidates(project)
    try:
        inside = project.relative(path) if path.resolve().is_relative_to(
            project.folder.resolve()) else None
    except (OSError, ValueError):
        inside = None
    if inside is not None:
        for c in reversed(candidates):
            if c.name == inside:
                return c.known, None
    same_size = [c for c in candidates if c.sha256 and c.size in (None, size)]
    if not same_size:
        return None, None
    digest = sha256_file(path)
    for c in reversed(same_size):
        if c.sha256 == digest:
            return replace(c.known, where=f"same SHA-256 as {c.known.where}"), digest
    return None, digest


def refuse_known(project: Project, path: Path, role: str) -> str | None:
    """Refuse (InputError, exit 2) one of the program's own files, or an export already
    used for another step, given for the step `role` (CROSS_REFERENCE or POST_EXPORT), in
    one line saying what it is and what was expected. Returns the file's SHA-256 when it
    was computed (None otherwise), so the step need not hash it again."""
    known, digest = recognise(project, path)
    if known is None or known.role == role:
        return digest
    raise InputError(
        f"{Path(path).name} is {known.what} ({known.where}, {known.when}): "
        f"{EXPECTED[role]}. Choose that file", wrong_file=known.what)
