"""Paths written into a command line the person may copy: quoted for the shell in use
(POSIX quoting on Linux and macOS; double quotes on Windows, whose cmd and PowerShell both
take them)."""

from __future__ import annotations

import re
import shlex
import sys


def quote(path: object) -> str:
    text = str(path)
    if sys.platform == "win32":
        return f'"{text}"' if re.search(r"[\s&()^%!;,=']", text) else text
    return shlex.quote(text)
