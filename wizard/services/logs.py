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
- text from outside is shown, never obeyed (`core/visible.py`): a control character in an
  argument (a remote file name with a newline would forge a log line) is written as its
  escape (`\\n`, `\\x1b`); the message's own line breaks stay.

A log call whose arguments do not fit its template is written without its arguments; the
logging module would otherwise print them, unredacted, to standard error.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wizard.core.redaction import REDACTED as REDACTED  # re-exported for the log's users
from wizard.core.redaction import SAFE_KEYS as SAFE_KEYS
from wizard.core.redaction import redact as redact
from wizard.core.redaction import register_secret as register_secret
from wizard.core.redaction import sanitize
from wizard.core.visible import shown
from wizard.services.places import restrict_fd, restrict_path, user_log_dir
from wizard.services.room import is_link

LOG_NAME = "convwiz.log"


def _shown(value: Any) -> Any:
    """A sanitized argument with the control characters of its text made visible."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, Mapping):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


def _safe_message(record: logging.LogRecord) -> str:
    template = shown(redact(str(record.msg)), keep_lines=True)
    args = record.args
    if not args:
        return template
    try:
        if isinstance(args, Mapping):
            return template % _shown(sanitize(args))
        return template % tuple(_shown(sanitize(a)) for a in args)
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
            line += "\n" + shown(redact(record.exc_text), keep_lines=True)
        return line


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the ones made at rollover too, is owner-only."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        restrict_fd(fd)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def log_path_for(project_folder: Path | None) -> Path:
    return (Path(project_folder) if project_folder else user_log_dir()) / LOG_NAME


def release(project_folder: Path) -> None:
    """Stop writing the project's log when this process writes it: the user's log takes over.
    Windows deletes no file a process holds open, so a project folder being removed (a demo)
    must first be let go of; a log elsewhere (another project's, the user's) stays as it is."""
    held = Path(project_folder).absolute() / LOG_NAME
    for handler in logging.getLogger("wizard").handlers:
        name = getattr(handler, "baseFilename", None)
        if getattr(handler, "_convwiz", False) and name and Path(name).absolute() == held:
            configure(None)
            return


def configure(project_folder: Path | None = None) -> Path:
    """Send the `wizard` loggers to the project's log (or the user's); return its path."""
    path = log_path_for(project_folder)
    logger = logging.getLogger("wizard")
    for old in list(logger.handlers):
        if getattr(old, "_convwiz", False):
            logger.removeHandler(old)
            old.close()
    try:
        if project_folder is not None and is_link(path):
            # never followed out of the project (a step refuses it, naming it: room.py)
            raise IsADirectoryError(path)
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
