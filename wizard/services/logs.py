"""Log files that never hold a card number, a secret or an email address.

Each project has `convwiz.log` (0600); work outside a project logs to the user's state
folder. Redaction works by a whitelist, as Electrum's `sanitize_stack_item` does:

- of a log record only the known-safe fields are written: time, level, logger name and the
  message. Anything else a caller attaches (`extra=`, stack info) is never written.
- a message's arguments are kept as they are only when they are of a known-safe kind:
  numbers, booleans, dates, SHA-256 digests, and the values of known-safe keys of a
  mapping. Every other argument is
  treated as data: its card-like digit runs (Luhn-valid) become their last four, email
  addresses become `<email>`, registered secrets become `<secret>`; in a mapping, the value
  of any key not on the list becomes `<redacted>`.
- the message template, exception messages and tracebacks are text anyone may have put data
  into, so they get the same treatment as a data argument.

A log call whose arguments do not fit its template is written without its arguments; the
logging module would otherwise print them, unredacted, to standard error.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import logging.handlers
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wizard.core.cards import mask_cards_in_text
from wizard.services.places import restrict_fd, restrict_path, user_log_dir

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_secrets: set[str] = set()
LOG_NAME = "convwiz.log"

# arguments of these kinds carry no customer data and are logged as they are
_SAFE_TYPES: tuple[type, ...] = (bool, int, float, type(None), dt.date, dt.time,
                                 dt.timedelta, enum.Enum)
_SHA256 = re.compile(r"[0-9a-f]{64}")
# the time stamp the program puts in the names of files it makes (20261126-170822): 14
# digits that pass the Luhn check one time in ten, and no card is written this way
_STAMP = re.compile(
    r"(?<![0-9 -])20[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"-(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9](?![0-9 -])"
)
# keys of a mapping argument whose values are the program's own, never customer data
SAFE_KEYS = frozenset({
    "action", "attempt", "blocking", "bytes", "columns", "command", "direction", "duplicates",
    "exceptions", "exit", "extra", "files", "fingerprint", "host", "host_key", "kind",
    "mapped", "outcome", "output", "path", "port", "remote", "rollback", "rows",
    "seconds", "sha256", "size", "state", "status", "step", "unmatched", "update", "user",
    "warnings",
})
REDACTED = "<redacted>"


def register_secret(value: str) -> None:
    """Never let `value` reach a log (a password or passphrase typed this session)."""
    if value and len(value) >= 3:
        _secrets.add(value)


def _secret_forms(secret: str) -> set[str]:
    """The secret as text may show it: itself, and escaped as `repr` or a traceback does."""
    forms = {secret, repr(secret)[1:-1], secret.encode("unicode_escape").decode("ascii")}
    return {f for f in forms if f}


def redact(text: str) -> str:
    """The text with card numbers, emails and registered secrets removed."""
    text = str(text)
    for secret in sorted(_secrets, key=len, reverse=True):
        for form in sorted(_secret_forms(secret), key=len, reverse=True):
            text = text.replace(form, "<secret>")
    pieces = _STAMP.split(text)
    stamps = _STAMP.findall(text)
    text = "".join(
        mask_cards_in_text(piece) + (stamps[i] if i < len(stamps) else "")
        for i, piece in enumerate(pieces)
    )
    return _EMAIL.sub("<email>", text)


def sanitize(value: Any) -> Any:
    """A log argument as it may be written: kept if of a known-safe kind, else redacted."""
    if isinstance(value, _SAFE_TYPES):
        return value
    if isinstance(value, str) and _SHA256.fullmatch(value):
        return value
    if isinstance(value, Mapping):
        return {
            redact(str(k)): (sanitize(v) if str(k) in SAFE_KEYS else REDACTED)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [sanitize(v) for v in value]
    return redact(str(value))


def _safe_message(record: logging.LogRecord) -> str:
    template = redact(str(record.msg))
    args = record.args
    if not args:
        return template
    try:
        if isinstance(args, Mapping):
            return template % sanitize(args)
        return template % tuple(sanitize(a) for a in args)
    except (TypeError, ValueError, KeyError):
        return f"{template} <arguments left out: they do not fit the message>"


class RedactingFormatter(logging.Formatter):
    """Writes only the whitelisted fields of a record, each argument sanitized (see above)."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: "
        line += _safe_message(record)
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + redact(record.exc_text)
        return line


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the ones made at rollover too, is owner-only."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        restrict_fd(fd)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def log_path_for(project_folder: Path | None) -> Path:
    return (Path(project_folder) if project_folder else user_log_dir()) / LOG_NAME


def configure(project_folder: Path | None = None) -> Path:
    """Send the `wizard` loggers to the project's log (or the user's); return its path."""
    path = log_path_for(project_folder)
    logger = logging.getLogger("wizard")
    for old in list(logger.handlers):
        if getattr(old, "_convwiz", False):
            logger.removeHandler(old)
            old.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        os.close(fd)
        restrict_path(path)
        handler: logging.Handler = _PrivateRotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(RedactingFormatter())
    handler._convwiz = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return path
