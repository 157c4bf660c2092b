"""E-mail drafts as `.eml` files that a mail program opens as a new, unsent message.

Built with the standard library's `email` package (`EmailMessage` and the SMTP policy: CRLF
line ends, headers encoded as RFC 2047 where they are not ASCII). The `X-Unsent: 1` header
is what makes Outlook open the file as a draft with a Send button instead of as a received
message; Apple Mail and Thunderbird open any `.eml` they are given and offer "Edit as New"
or send it as it is. There is no `Date` and no `Message-ID`: the mail program adds both
when the message is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from pathlib import Path

# mimetypes reads the Windows registry and /etc/mime.types, which may not know .xlsx: the
# few kinds we attach are named here
_TYPES = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".csv": ("text", "csv"),
    ".txt": ("text", "plain"),
    ".ics": ("text", "calendar"),
    ".pdf": ("application", "pdf"),
}


def draft(subject: str, body: str, to: Sequence[str] = (), sender: str | None = None,
          attachments: Sequence[Path] = ()) -> bytes:
    """The `.eml` bytes of an unsent message; `to` may be empty (the person fills it)."""
    message = EmailMessage(policy=policy.SMTP)
    message["X-Unsent"] = "1"
    if sender:
        message["From"] = sender
    if to:
        message["To"] = ", ".join(to)
    message["Subject"] = subject
    # quoted-printable: 7-bit safe through every mail program and gateway, still readable
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    for path in attachments:
        maintype, subtype = _TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                               filename=path.name)
    return message.as_bytes()
