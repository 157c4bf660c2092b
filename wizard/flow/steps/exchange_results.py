"""What the exchange with the provider returns: typed results the CLI and the pages read.

`to_json()` gives each as the command's `--json` object, keys as CONTRACT.md and the
commands have always printed them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServerKey:
    """`convwiz host-key`: the key a server shows."""

    host: str
    port: int
    key_type: str
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Connection:
    """`convwiz connect`: the connection as saved. `keyring` names where the secret went
    (None: not kept, or none needed)."""

    host: str
    port: int
    user: str
    key_file: str | None
    fingerprint: str
    key_type: str
    upload_dir: str
    download_dir: str
    keyring: str | None
    xref_pattern: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sent:
    """`convwiz send`: the flag file on the provider's server."""

    file: str  # the flag file's name in the project (outbox/...)
    remote_path: str
    bytes: int
    sha256: str
    host_key: str
    tries: int
    resumed_from: int
    rename: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A file of the download folder that is not the cross-reference, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Fetched:
    """`convwiz fetch-xref`: the cross-reference in the inbox, and what was passed over."""

    file: str  # relative to the project
    path: Path
    remote_path: str
    bytes: int
    rows: int
    sha256: str
    host_key: str
    skipped: list[Skipped] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        result = asdict(self)
        result["path"] = str(self.path)
        return result
