"""Which file of the provider's download folder may be the cross-reference, by its name
alone: a CSV or XLSX matching the connection's pattern (`--xref-pattern`), or by default one
whose name holds "xref" or "cross". Pure rules, no I/O."""

from __future__ import annotations

import fnmatch

from wizard.core.vocabulary import XREF_SUFFIXES, XREF_WORDS
from wizard.errors import UsageError


def check_pattern(pattern: str | None) -> str | None:
    """The `--xref-pattern` GLOB tidied, or `UsageError`; None keeps the default."""
    if pattern is None or not pattern.strip():
        return None
    pattern = pattern.strip()
    if "/" in pattern or "\\" in pattern:
        raise UsageError(f"--xref-pattern {pattern!r} names a folder: give a file name pattern "
                         "such as '*xref*.csv' (the folder is --download-dir)")
    if not pattern.lower().endswith(XREF_SUFFIXES + ("*",)):
        raise UsageError(f"--xref-pattern {pattern!r} cannot match a CSV or XLSX file: end it "
                         "with .csv, .xlsx or *")
    return pattern


def name_matches(name: str, pattern: str | None) -> bool:
    """Whether a file in the download folder may be the cross-reference, by its name alone:
    a CSV or XLSX, matching the connection's pattern (any case), or by default holding
    "xref" or "cross"."""
    lowered = name.lower()
    if not lowered.endswith(XREF_SUFFIXES):
        return False
    if pattern:
        return fnmatch.fnmatchcase(lowered, pattern.lower())
    return any(word in lowered for word in XREF_WORDS)


def name_reason(pattern: str | None) -> str:
    """Why a file was passed over by its name, for the list of skipped files."""
    if pattern:
        return (f"its name does not match the connection's pattern {pattern!r}, or it is "
                "not a CSV or XLSX file")
    return "not a CSV or XLSX file whose name holds \"xref\" or \"cross\""
