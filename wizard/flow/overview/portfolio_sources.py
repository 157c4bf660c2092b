"""Where the portfolio finds conversions: the folders named, or by default the documents
folder's `Conversion Wizard` and the window's recent projects.

The recent projects are read from the window's QSettings file (INI format) without Qt, so
`convwiz portfolio` runs where no window ever could. Qt writes a list as comma-separated
values, quoting one that holds a comma, a quote or a semicolon, and escaping backslashes
and quotes inside (`C:\\\\Users\\\\pat`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wizard.services import places
from wizard.services.store import STORE_NAME

RECENT_KEY = "recent_projects"  # wizard/ui/settings.py writes it under [General]


@dataclass(frozen=True)
class Candidate:
    """A folder that may hold a conversion. `named`: the person (or the window's recent
    list) named it, so a folder that is not a project is listed as unreadable; found while
    scanning, it is simply left out."""

    folder: Path
    named: bool
    error: str | None = None  # known already while looking (a folder that cannot be opened)


def qsettings_list(value: str) -> list[str]:
    """The items of a list value as QSettings writes it in an INI file."""
    items: list[str] = []
    current: list[str] = []
    quoted = in_quotes = False
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            if nxt == "x" and len(value) >= i + 6:  # \xNNNN: a character by its code
                try:
                    current.append(chr(int(value[i + 2:i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
            current.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(nxt, nxt))
            i += 2
            continue
        if ch == '"':
            if not in_quotes and not "".join(current).strip():
                current = []  # the space after the comma, before the quote
            in_quotes = not in_quotes
            quoted = True
        elif ch == "," and not in_quotes:
            items.append("".join(current) if quoted else "".join(current).strip())
            current, quoted = [], False
        else:
            current.append(ch)
        i += 1
    last = "".join(current) if quoted else "".join(current).strip()
    if last or items:
        items.append(last)
    return [item for item in items if item]


def recent_projects(settings_file: Path | None = None) -> list[Path]:
    """The window's recent projects, newest first; none when it has never run."""
    path = settings_file or places.window_settings_file()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            continue
        key, sep, value = stripped.partition("=")
        if sep and section == "General" and key.strip() == RECENT_KEY:
            if value.strip().startswith("@"):  # @Invalid() and other Qt variants
                return []
            return [Path(item) for item in qsettings_list(value.strip())]
    return []


def _key(folder: Path) -> str:
    return os.path.normcase(os.path.abspath(folder))


def candidates(folders: Sequence[Path] | None,
               recent: Sequence[Path] | None = None) -> list[Candidate]:
    """Every folder to read, each once: named ones first, then those found inside them.
    `recent`: the window's recent projects when the window gives them (else read from its
    settings file)."""
    named: list[Candidate] = []
    if folders:
        for folder in folders:
            named.extend(_look(Path(folder).expanduser(), named=True))
    else:
        named.extend(_look(places.documents_dir(), named=False))
        named.extend(Candidate(Path(os.path.abspath(p)), True)
                     for p in (recent_projects() if recent is None else recent))
    seen: set[str] = set()
    out: list[Candidate] = []
    for c in named:
        key = _key(c.folder)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _maybe_project(folder: str) -> bool:
    """It holds a store, or it cannot be looked into (then it may: listed as unreadable)."""
    try:
        os.stat(os.path.join(folder, STORE_NAME))
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return True


def _look(folder: Path, named: bool) -> Iterable[Candidate]:
    """The folder itself when it is a project (or named and broken), else the folders in
    it (one level: projects live side by side, as the window makes them)."""
    folder = Path(os.path.abspath(folder))
    try:
        if (folder / STORE_NAME).exists() or not folder.is_dir():
            return [Candidate(folder, named)] if named or folder.exists() else []
        children = sorted(e.path for e in os.scandir(folder)
                          if not e.name.startswith(".") and e.is_dir())
    except PermissionError:
        return [Candidate(folder, True, "no permission to open this folder")] if named else []
    except OSError as exc:
        if not named:
            return []
        return [Candidate(folder, True, f"cannot open this folder: {exc.strerror}")]
    found = [Candidate(Path(child), False) for child in children if _maybe_project(child)]
    if named and not found:
        return [Candidate(folder, True, f"not a conversion project (no {STORE_NAME}), and "
                                        "holds no project folder")]
    return found
