"""The evidence pack's lists, from the project's record alone (the manifest, the audit log,
the settings): every file made, sent or received; the SFTP host keys the transfers used;
every sign-off; every setting change with its old and new value.

Nothing here reads a file the program made or a snapshot: a pack holds no customer row,
only names, sizes, hashes, times and who did what.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from wizard.flow.papers.report import KIND_WORDS
from wizard.services.audit_chain import AuditEntry
from wizard.services.evidence_workbook import TableSheet
from wizard.services.store import ManifestEntry
from wizard.services.workbook import Column, local_times

# what `connection saved` records, as settings (the SFTP password is never one: keyring)
CONNECTION_SETTINGS = {
    "host": "SFTP host", "port": "SFTP port", "user": "SFTP user", "key_file": "SFTP key file",
    "host_key": "SFTP host key", "key_type": "SFTP host key type",
    "upload_dir": "SFTP upload folder", "download_dir": "SFTP download folder",
    "xref_pattern": "Cross-reference file names", "secret_in": "SFTP secret kept in",
}
KIND_PREFIXES = {"template": "Notice text", "draft": "E-mail draft"}
SIGNED_OFF = "checklist signed off"
SETTING_CHANGED = "setting changed"
CONNECTION_SAVED = "connection saved"
PROJECT_CREATED = "project created"
PASSWORD_ACTIONS = ("workbook password made", "workbook password replaced")
TRANSFERS = ("sent", "received")

FILE_COLUMNS = [
    Column("Time", 15, "datetime"), Column("Direction", 9), Column("What", 16, wrap=True),
    Column("File", 34, wrap=True), Column("SHA-256", 34, wrap=True),
    Column("Bytes", 11, "int"), Column("Rows", 9, "int"), Column("Server", 16, wrap=True),
    Column("SFTP Host Key", 28, wrap=True), Column("Remote Path", 22, wrap=True),
]
HOST_KEY_COLUMNS = [
    Column("Server", 20, wrap=True), Column("Key Type", 12), Column("Fingerprint", 30, wrap=True),
    Column("Accepted", 15, "datetime"), Column("Accepted By", 12, wrap=True),
    Column("Transfers", 9, "int"), Column("First Used", 15, "datetime"),
    Column("Last Used", 15, "datetime"),
]
SIGN_OFF_COLUMNS = [
    Column("Time", 15, "datetime"), Column("Task", 40, wrap=True), Column("Task ID", 18),
    Column("Signed Off By", 16, wrap=True), Column("Note", 30, wrap=True),
    Column("Step State When Signed", 22, wrap=True),
]
SETTING_COLUMNS = [
    Column("Time", 15, "datetime"), Column("Setting", 20, wrap=True),
    Column("Old Value", 28, wrap=True), Column("New Value", 28, wrap=True),
    Column("Changed By", 14, wrap=True), Column("How", 20, wrap=True),
]


def text(value: Any) -> str:
    """A recorded value in words: lists and mappings flattened, nothing as JSON braces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    return str(value)


def kind_words(kind: str) -> str:
    """A manifest kind in words: `template:biller_letter` is "Notice text: biller letter"."""
    prefix, _, name = kind.partition(":")
    if name and prefix in KIND_PREFIXES:
        return f"{KIND_PREFIXES[prefix]}: {name.replace('_', ' ')}"
    return KIND_WORDS.get(kind, kind.replace("_", " "))


def _table(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> pa.Table:
    """Rows of Python values as the sheet's columns: times (UTC ISO) as local date cells,
    whole numbers as numbers, the rest as text."""
    out: dict[str, pa.Array] = {}
    for j, col in enumerate(columns):
        values = [r[j] for r in rows]
        if col.kind == "datetime":
            out[f"c{j}"] = local_times(values)
        elif col.kind == "int":
            out[f"c{j}"] = pa.array(values, pa.int64())
        else:
            out[f"c{j}"] = pa.array([text(v) for v in values], pa.string())
    return pa.table(out)


def _server(detail: dict[str, Any]) -> str:
    host, port = detail.get("host") or "", detail.get("port")
    return f"{host}:{port}" if host and port else str(host)


def files_sheet(manifest: Sequence[ManifestEntry]) -> TableSheet:
    """Every file made, sent or received, oldest first, with its SHA-256, size and time;
    a transfer with the server and the host key it was made with."""
    rows = [(e.at, e.direction, kind_words(e.kind), e.name, e.sha256, e.bytes,
             e.rows, _server(e.detail) if e.direction in TRANSFERS else "",
             e.detail.get("host_key") or "" if e.direction in TRANSFERS else "",
             e.detail.get("remote_path") or "" if e.direction in TRANSFERS else "")
            for e in manifest]
    return TableSheet("Files", FILE_COLUMNS, _table(FILE_COLUMNS, rows),
                      "No file made, sent or received yet", landscape=True)


@dataclass
class _HostKey:
    server: str
    key_type: str
    fingerprint: str
    accepted: str | None = None
    by: str = ""
    transfers: int = 0
    first: str | None = None
    last: str | None = None


def host_keys_sheet(audit: Sequence[AuditEntry], manifest: Sequence[ManifestEntry]
                    ) -> TableSheet:
    """Each SFTP host key: when it was accepted (pinned) and by whom, and the transfers that
    were made with it. A key a transfer used that was never pinned is listed too."""
    keys: dict[str, _HostKey] = {}
    for a in audit:
        fingerprint = str(a.detail.get("host_key") or "")
        if a.action == CONNECTION_SAVED and fingerprint:
            key = keys.setdefault(fingerprint, _HostKey(_server(a.detail),
                                                        text(a.detail.get("key_type")),
                                                        fingerprint))
            if key.accepted is None:
                key.accepted, key.by = a.at, a.actor
    for e in manifest:
        fingerprint = str(e.detail.get("host_key") or "")
        if e.direction not in TRANSFERS or not fingerprint:
            continue
        key = keys.setdefault(fingerprint, _HostKey(_server(e.detail), "", fingerprint))
        key.transfers += 1
        key.first = key.first or e.at
        key.last = e.at
    rows = [(k.server, k.key_type, k.fingerprint, k.accepted, k.by, k.transfers, k.first,
             k.last) for k in keys.values()]
    return TableSheet("Host Keys", HOST_KEY_COLUMNS, _table(HOST_KEY_COLUMNS, rows),
                      "No SFTP connection saved and no file sent or received", landscape=True)


def sign_offs_sheet(audit: Sequence[AuditEntry]) -> TableSheet:
    """Every sign-off of a checklist task, oldest first: who, when, which task (a task
    signed off again is listed each time)."""
    rows = [(a.at, a.detail.get("title") or a.detail.get("task"), a.detail.get("task"),
             a.actor, a.detail.get("note"), a.detail.get("evidence"))
            for a in audit if a.action == SIGNED_OFF]
    return TableSheet("Sign-offs", SIGN_OFF_COLUMNS, _table(SIGN_OFF_COLUMNS, rows),
                      "No task signed off yet", landscape=True)


def setting_changes(audit: Sequence[AuditEntry]) -> list[tuple[Any, ...]]:
    """(time, setting, old, new, by, how) for every setting the record shows set: at
    creation, by `convwiz settings` or the Coordinate page, by saving the SFTP connection,
    and the workbook password made or replaced (never the password: where it is kept)."""
    current: dict[str, str] = {}
    rows: list[tuple[Any, ...]] = []

    def changed(at: str, name: str, new: Any, by: str, how: str, old: Any = None) -> None:
        before = current.get(name, "") if old is None else text(old)
        after = text(new)
        current[name] = after
        if before != after:
            rows.append((at, name, before, after, by, how))

    for a in audit:
        if a.action == PROJECT_CREATED:
            for key, value in a.detail.items():
                changed(a.at, key.replace("_", " "), value, a.actor, "project created")
        elif a.action == SETTING_CHANGED:
            name = str(a.detail.get("setting", "")).replace("_", " ")
            changed(a.at, name, a.detail.get("new"), a.actor, "settings changed",
                    old=a.detail.get("old"))
        elif a.action == CONNECTION_SAVED:
            for key, words in CONNECTION_SETTINGS.items():
                if key in a.detail:
                    changed(a.at, words, a.detail[key], a.actor, "SFTP connection saved")
        elif a.action in PASSWORD_ACTIONS:
            where = f"kept in {text(a.detail.get('keyring'))} (entry " \
                    f"{text(a.detail.get('keyring_entry'))}; the password itself is never " \
                    "recorded)"
            rows.append((a.at, "workbook password", "an earlier password" if
                         a.action.endswith("replaced") else "", where, a.actor, a.action))
    return rows


def settings_sheet(audit: Sequence[AuditEntry]) -> TableSheet:
    return TableSheet("Setting Changes", SETTING_COLUMNS,
                      _table(SETTING_COLUMNS, setting_changes(audit)),
                      "No setting recorded", landscape=True)
