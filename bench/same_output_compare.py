"""What bench/same_output.py compares after a run, and the few things it normalises.

Everything the run left in its folder is compared byte for byte: the project's files, files
written outside it (`--out`, `--workbook`, `--calendar`), the provider simulator's folder,
and the bench's keyring (the secrets kept and the audit chain's heads). The store
(`convwiz.sqlite`) is compared as every row of every table, and its schema. Then the exit
status, standard output and standard error.

The normalisations, each named in the report when it was needed:
- `log times`: the log's time stamps are taken out (their milliseconds run on);
- `elapsed`: the demo's `"seconds"` and "finished in N s" (a stopwatch, not the clock);
- `decrypted`: an encrypted workbook whose bytes differ is decrypted with the password
  from its run's keyring, and the plain packages are compared byte for byte instead (the
  salts and keys are drawn from the seeded `secrets`, so this should not be needed).
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

NORMALISATIONS = {
    "log times": "the log's time stamps taken out",
    "elapsed": "the demo's measured seconds masked",
    "decrypted": "encrypted workbooks compared decrypted, with their run's password",
}
_LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\d[ T][0-9:.,]+\S*\s*", re.M)
_ELAPSED = [(re.compile(r'"seconds": [0-9.]+'), '"seconds": "<elapsed>"'),
            (re.compile(r"finished in \d+ s"), "finished in <elapsed> s")]
_STORE = {"convwiz.sqlite", "convwiz.sqlite-wal", "convwiz.sqlite-shm",
          "convwiz.sqlite-journal"}
_SKIPPED = {"convwiz.log", ".convwiz.lock", ".convwiz.lock.holder"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _normal(text: str, used: set[str]) -> str:
    for pattern, mask in _ELAPSED:
        text, n = pattern.subn(mask, text)
        if n:
            used.add("elapsed")
    return text


def outcome(result: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A run's result (exit, stdout, stderr) with everything it left in `folder`."""
    used: set[str] = set()
    files: dict[str, bytes] = {}
    stores: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if not path.is_file() or ".tmp" in path.parts:
            continue
        if path.name == "convwiz.sqlite":
            stores[name] = store(path)
        elif path.name == "convwiz.log":
            used.add("log times")
            files[f"{name} (times out)"] = _LOG_TIME.sub(
                "", path.read_text(errors="replace")).encode()
        elif path.name not in _STORE | _SKIPPED:
            files[name] = path.read_bytes()
    return {"exit": result["exit"], "stdout": _normal(result["stdout"], used),
            "stderr": _normal(result["stderr"], used), "files": files, "stores": stores,
            "used": used, "keyring": folder / "keyring.json"}


def store(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema) of a project's store, read-only."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        dump = {"(schema)": db.execute("SELECT type, name, sql FROM sqlite_master "
                                       "ORDER BY type, name").fetchall()}
        for table in tables:
            dump[table] = db.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
    return dump


def _passwords(keyring_file: Path) -> list[str]:
    if not keyring_file.exists():
        return []
    kept = json.loads(keyring_file.read_text(encoding="utf-8"))
    return [p for entries in kept.values() for p in entries.values()]


def _decrypted(data: bytes, keyring_file: Path) -> bytes | None:
    from wizard.services import office_crypto

    for password in _passwords(keyring_file):
        try:
            return office_crypto.decrypt(data, password, "workbook")
        except Exception:  # noqa: BLE001, S112 - not this password: try the next
            continue
    return None


def _same_file(name: str, a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """None when the file is the same in both runs, else what differs."""
    fa, fb = a["files"].get(name), b["files"].get(name)
    if fa is None or fb is None:
        return f"file {name}: only {'after' if fb is not None else 'before'}"
    if fa == fb:
        return None
    if fa.startswith(_OLE) and fb.startswith(_OLE):
        plain_a, plain_b = _decrypted(fa, a["keyring"]), _decrypted(fb, b["keyring"])
        if plain_a is not None and plain_a == plain_b:
            b["used"].add("decrypted")
            return None
        if plain_a is not None and plain_b is not None:
            return (f"file {name}: bytes differ, and decrypted the workbooks differ too "
                    f"({len(plain_a)} and {len(plain_b)} bytes)")
    return f"file {name}: bytes differ ({len(fa)} and {len(fb)})"


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs between the run with BASE (`a`) and the one with this tree (`b`)."""
    found = []
    for key in ("exit", "stdout", "stderr"):
        if a[key] != b[key]:
            found.append(f"{key}: {_first_difference(str(a[key]), str(b[key]))}")
    for name in sorted(set(a["files"]) | set(b["files"])):
        if (what := _same_file(name, a, b)) is not None:
            found.append(what)
    for name in sorted(set(a["stores"]) | set(b["stores"])):
        sa, sb = a["stores"].get(name, {}), b["stores"].get(name, {})
        for table in sorted(set(sa) | set(sb)):
            if sa.get(table) != sb.get(table):
                rows_a, rows_b = sa.get(table, []), sb.get(table, [])
                at = next((i for i, (x, y) in enumerate(zip(rows_a, rows_b)) if x != y),
                          min(len(rows_a), len(rows_b)))
                found.append(f"store {name} table {table}: row {at + 1} differs "
                             f"({len(rows_a)} and {len(rows_b)} rows): "
                             f"{rows_a[at:at + 1]!r:.200} != {rows_b[at:at + 1]!r:.200}")
    return found


def _first_difference(a: str, b: str) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, at - 60)
    return f"at character {at}: {a[start:at + 80]!r} != {b[start:at + 80]!r}"
