"""The SFTP client (paramiko): a pinned host key, safe uploads, fast downloads.

One package, one module per seam:

- `hostkeys`: fingerprints as OpenSSH prints them, probing, pinning, refusals;
- `session`: connecting (Nagle off), logging in, the session's small operations;
- `pipeline`: requests in flight together, the only user of paramiko's private plumbing;
- `upload`: `.part` then rename, resume, retries;
- `download`: listing, fetching a known name, read-ahead;
- `failures`: paramiko's exceptions translated into `wizard.errors` (exit 5).

Above this package nothing imports paramiko or catches its exceptions.
"""

from __future__ import annotations

from wizard.services.sftp.download import RemoteFile, download, list_files
from wizard.services.sftp.failures import (
    ConnectionLost,
    StillWriting,
    TransferBroken,
    is_connection_error,
)
from wizard.services.sftp.hostkeys import (
    KEY_TYPES,
    HostKey,
    fingerprint,
    host_keys,
    normalize_fingerprint,
    probe_host_key,
    resolve_pin,
    unknown_host_key,
)
from wizard.services.sftp.session import (
    Endpoint,
    Session,
    key_needs_passphrase,
    load_key_file,
    open_session,
)
from wizard.services.sftp.upload import (
    PART_SUFFIX,
    Uploaded,
    UploadState,
    upload,
    upload_with_retries,
)

__all__ = [
    "KEY_TYPES", "PART_SUFFIX", "ConnectionLost", "Endpoint", "HostKey", "RemoteFile",
    "Session", "StillWriting", "TransferBroken", "UploadState", "Uploaded", "download",
    "fingerprint", "host_keys", "is_connection_error", "key_needs_passphrase",
    "list_files", "load_key_file", "normalize_fingerprint", "open_session",
    "probe_host_key", "resolve_pin", "unknown_host_key", "upload", "upload_with_retries",
]
