"""Redaction of text that may hold customer data or a secret: pure text, no I/O.

Used by the log files (services/logs.py), the progress lines and every message for people.
Card numbers (the one rule of core/cards.py: a brand's prefix and length, Luhn, never a
date-time stamp) become their last four, email addresses `<email>`,
registered secrets `<secret>`. `sanitize` keeps a log argument only when it is of a
known-safe kind (a whitelist, as Electrum's `sanitize_stack_item` does).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from typing import Any

from wizard.core.cards import mask_cards_in_text

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_secrets: set[str] = set()

# arguments of these kinds carry no customer data and are logged as they are
_SAFE_TYPES: tuple[type, ...] = (bool, int, float, type(None), dt.date, dt.time,
                                 dt.timedelta, enum.Enum)
_SHA256 = re.compile(r"[0-9a-f]{64}")
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
    return _EMAIL.sub("<email>", mask_cards_in_text(text))


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
