"""The snapshots later steps need, kept in the project's `data/` as Parquet (0600).

- `customers.parquet`: the pre-conversion customers as the flag file has them, normalised:
  columns `row` (int64, the row in the source export), `name`, `account`, `email`,
  `paperless` (Y/N), `autopay` (Y/N), `method` (card/check/empty), `last4` (4 digits or
  empty); all text but `row`. Written by `export-flags`.
- `cross_reference.parquet`: the imported cross-reference: `row` (int64), `old`, `new`
  (text). Written by `import-xref`.

Each is written atomically and recorded in the manifest with its SHA-256; loading checks
that hash so a snapshot edited or damaged behind the program's back is refused.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from wizard.errors import NotReady
from wizard.flow.project.project import Project
from wizard.services.files import TEMP_PREFIX, atomic_path, private_dir, replace, sha256_file

CUSTOMERS = "customers"
CROSS_REFERENCE = "cross_reference"
CUSTOMER_COLUMNS = ("name", "account", "email", "paperless", "autopay", "method", "last4")


def path(project: Project, kind: str) -> Path:
    return project.data / f"{kind}.parquet"


def write(project: Project, kind: str, table: pa.Table) -> Path:
    """Write the snapshot atomically, without recording it (see `save`)."""
    target = path(project, kind)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return target


class Pending:
    """A snapshot written beside its final name, published only once the step's other files
    are safely written: a Cancel or a failure in between leaves the old snapshot (and its
    manifest entry) as they were."""

    def __init__(self, project: Project, kind: str, table: pa.Table) -> None:
        self.project, self.kind, self.rows = project, kind, table.num_rows
        target = path(project, kind)
        private_dir(target.parent)
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}.", dir=target.parent)
        os.close(fd)
        self.tmp = Path(name)
        try:
            pq.write_table(table, self.tmp, compression="zstd")
            os.chmod(self.tmp, 0o600)
        except BaseException:
            self.discard()
            raise

    def publish(self, **detail: Any) -> str:
        """Rename it into place and record it; return its SHA-256."""
        target = path(self.project, self.kind)
        replace(self.tmp, target)  # inside the project only (services/room.py)
        return self.project.record_made(target, f"snapshot:{self.kind}", rows=self.rows,
                                        **detail)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def save(project: Project, kind: str, table: pa.Table, **detail: Any) -> str:
    """Write the snapshot atomically and record it; return its SHA-256."""
    target = write(project, kind, table)
    return project.record_made(target, f"snapshot:{kind}", rows=table.num_rows, **detail)


def load(project: Project, kind: str, columns: list[str] | None = None) -> pa.Table:
    """The snapshot (only `columns`, when given), checked against its SHA-256."""
    target = path(project, kind)
    entry = project.store.latest_file(f"snapshot:{kind}")
    what = "customer snapshot (run export-flags)" if kind == CUSTOMERS else (
        "cross-reference snapshot (run import-xref)")
    if entry is None or not target.exists():
        raise NotReady(f"the project has no {what}")
    if sha256_file(target) != entry.sha256:
        raise NotReady(
            f"{target} does not match the SHA-256 recorded when it was made; it was changed "
            "outside the wizard. Run the step that makes it again"
        )
    # ParquetFile, not read_table: read_table imports pyarrow.dataset (and pandas), 0.3 s
    with pq.ParquetFile(target) as snapshot_file:
        return snapshot_file.read(columns=columns)


def exists(project: Project, kind: str) -> bool:
    recorded = project.store.latest_file(f"snapshot:{kind}") is not None
    return recorded and path(project, kind).exists()
