"""Text from outside is shown, never obeyed: pure text, no I/O.

A file name from the provider's server, a header or a value from a customer's export may
hold control characters. Printed raw, `ESC ] 0 ; ... BEL` retitles the terminal, `ESC [ 2 J`
clears it, a newline forges a line of the program's own output (in the terminal and in the
log), a right-to-left override turns `xlsx.exe` around. `shown` makes each of them visible
as the escape a programmer would write: `\\x1b`, `\\n`, `\\u202e`.

It is applied where outside text enters a message, and once more, as the last line of
defence, where messages leave the program (the command line's printing, the log's
formatter) with `keep_lines=True`: there the program's own line breaks and tabs stay, and
text already shown is left as it is (its escapes are plain characters now).
"""

from __future__ import annotations

import re

# C0 controls and DEL; C1 controls (0x9b is a one-character CSI to some terminals); the
# Unicode line and paragraph separators; the bidirectional overrides and isolates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEPING_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e"
                                    "\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shown(text: object, *, keep_lines: bool = False) -> str:
    """`text` with its control characters made visible (`\\x1b`, `\\n`, `\\u202e`).

    `keep_lines`: the program's own message, whose line breaks (LF) and tabs are meant;
    a CR is still shown, since it can overwrite a line on a terminal.
    """
    pattern = _CONTROL_KEEPING_LINES if keep_lines else _CONTROL
    return pattern.sub(_escape, str(text))


def has_control(text: str) -> bool:
    """Whether `text` holds a character `shown` would change."""
    return _CONTROL.search(text) is not None
