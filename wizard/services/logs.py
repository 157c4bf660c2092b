"""Log files that never hold a card number, a secret or an email address.

Each project has `convwiz.log` (0600); work outside a project logs to the user's state
folder. Every record passes `redact` on its way out: card-like digit runs that pass the Luhn
check become their last four, email addresses become `<email>`, and any secret registered
with `register_secret` becomes `<secret>`. Free text from the data never needs to be trusted
to be clean, because the filter runs on the formatted message.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

from wizard.core.cards import mask_cards_in_text

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_secrets: set[str] = set()
LOG_NAME = "convwiz.log"


def register_secret(value: str) -> None:
    """Never let `value` reach a log (a password or passphrase typed this session)."""
    if value and len(value) >= 3:
        _secrets.add(value)


def redact(text: str) -> str:
    """The text with card numbers, emails and registered secrets removed."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "<secret>")
    text = mask_cards_in_text(text)
    return _EMAIL.sub("<email>", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole line (message, arguments and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def user_log_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "convwiz"


def log_path_for(project_folder: Path | None) -> Path:
    return (Path(project_folder) if project_folder else user_log_dir()) / LOG_NAME


def configure(project_folder: Path | None = None) -> Path:
    """Send the `wizard` loggers to the project's log (or the user's); return its path."""
    path = log_path_for(project_folder)
    logger = logging.getLogger("wizard")
    for handler in list(logger.handlers):
        if getattr(handler, "_convwiz", False):
            logger.removeHandler(handler)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._convwiz = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return path
