"""The program's errors, each carrying the exit status CONTRACT.md gives it.

Every failure a person can meet is one of these, raised with a message that names the file,
the row and the fix. `cli.main` turns them into that message and exit status; the GUI shows
the same message. Anything else is a bug (exit 1, pointing at the log).
"""

from __future__ import annotations

from typing import Any


class ConvWizError(Exception):
    """A failure with a message for people and an exit status from the contract."""

    exit_code = 1

    def __init__(self, message: str, **result: Any) -> None:
        super().__init__(message)
        self.message = message
        # extra fields for the `--json` result (e.g. the exceptions workbook's path)
        self.result: dict[str, Any] = result


class UsageError(ConvWizError):
    """Bad usage, an unreadable input, or no usable keyring. Nothing changed (exit 2)."""

    exit_code = 2


class InputError(UsageError):
    """An input file that cannot be read as a table (exit 2)."""


class WorkbookLocked(InputError):
    """An encrypted workbook that cannot be opened: the password is wrong or missing, or the
    file is not one (exit 2)."""


class KeyringUnavailable(UsageError):
    """No usable keyring: none installed, or locked (exit 2)."""


class BlockingFindings(ConvWizError):
    """The data failed a blocking check; the exceptions workbook says which rows (exit 3).
    `findings`, when the step sets it, holds the same rows as data for the window."""

    exit_code = 3
    findings: Any = None


class NotReady(ConvWizError):
    """The project is not ready for this step, or another process holds it (exit 4)."""

    exit_code = 4


class RemoteError(ConvWizError):
    """Connection, authentication, host key or transfer failure (exit 5)."""

    exit_code = 5


class Cancelled(ConvWizError):
    """The person pressed Cancel. Nothing half-written is left behind."""

    exit_code = 1
