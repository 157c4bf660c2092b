"""What a file is, before a step uses it: the words for the program's own files and for the
exports each step takes, and files that are no table at all (a PDF, an image) by their first
bytes.

Pure: the project's manifest is read by `wizard.flow.records.recognition`, which holds the rule
(which file each step refuses) and is what the command line and the window both call.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Final

from wizard.core.vocabulary import BILLER_WORKBOOK_KIND, DATABASE_SUFFIXES, is_store_file
from wizard.errors import InputError

# the steps that take a file someone else made, and what that file is, in the PM's words
CROSS_REFERENCE: Final = "cross_reference"
POST_EXPORT: Final = "post_export"
EXPECTED: Final[dict[str, str]] = {
    CROSS_REFERENCE: "the cross-reference comes from Daffron: the provider's file of each old "
                     "account number and its new one, sent back for the flag file (fetched "
                     "into inbox/)",
    POST_EXPORT: "the post-go-live export is the portal's customer export taken after "
                 "go-live, with the new Daffron account numbers",
}

# the manifest's kinds of file, in words ("this is the program's own ...")
_OWN: Final[dict[str, str]] = {
    "flag_file": "flag file",
    "ic_account_update": "IC account update",
    "ic_account_rollback": "rollback file",
    "tokens": "token registration file",
    "exceptions": "exceptions workbook",
    BILLER_WORKBOOK_KIND: "biller workbook",
    "outreach_list": "outreach list",
    "outreach_workbook": "outreach workbook",
    "calendar": "conversion calendar",
}
_OWN_PREFIXES: Final[dict[str, str]] = {
    "snapshot:": "snapshot of the project's data",
    "template:": "notice text",
    "draft:": "e-mail draft",
}
RECEIVED_CROSS_REFERENCE: Final = "the provider's cross-reference"
CUSTOMER_EXPORT: Final = "the pre-go-live customer export the flag file was made from"
IMPORTED_CROSS_REFERENCE: Final = "the cross-reference imported for the IC account update"
VERIFIED_EXPORT: Final = "the post-go-live export already verified"


def own_file_words(kind: str) -> str:
    """"the program's own rollback file", for a kind of the manifest."""
    words = _OWN.get(kind) or next(
        (w for prefix, w in _OWN_PREFIXES.items() if kind.startswith(prefix)), None)
    return f"the program's own {words or kind.replace('_', ' ')}"


# files that are no table, by their first bytes (after a UTF-8 byte order mark and blanks
# for the text ones): a reader would show a PDF's syntax as a one-column table
_NOT_TABLES: Final = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document (Word or WordPad)"),
    (b"SQLite format 3", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"<html", "a web page (HTML)"),
    (b"<!doctype html", "a web page (HTML)"),
    (b"<?xml", "an XML file"),
    (b"begin:vcalendar", "a calendar file"),
)
HEAD_BYTES: Final = 16  # how many first bytes `not_a_table` needs


def not_a_table(head: bytes) -> str | None:
    """What a file is when its first bytes say it is no table ("a PDF document"), else
    None."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    for magic, words in _NOT_TABLES:
        if head.startswith(magic) or text.startswith(magic.lower()):
            return words
    return None


def not_a_table_message(path: object, words: str) -> str:
    """The one line for a file that is no table."""
    return (f"{path} is {words}, not a table: choose the CSV or Excel (.xlsx) file "
            "exported from the system")


# what each kind of table holds, for a file that shares no column with it
TABLE_NEEDS: Final[dict[str, tuple[str, str]]] = {
    # kind: (what the table is, what its columns hold)
    "customer_export": ("a customer export", "a customer's name, account number, email, "
                        "paperless, autopay, payment method or last 4"),
    CROSS_REFERENCE: ("a cross-reference", "an old or a new account number"),
}
# how the command line names the columns by hand, per kind (the window has its column
# choices: `core.vocabulary.for_window`)
BY_HAND: Final[dict[str, str]] = {
    "customer_export": "--map FIELD=HEADER",
    CROSS_REFERENCE: "--map old=HEADER --map new=HEADER",
}


def shares_no_column_message(path: object, headers: list[str], kind: str) -> str:
    """The one line for a file none of whose columns is one the step needs."""
    what, holds = TABLE_NEEDS[kind]
    named = [h for h in headers if str(h).strip()]
    shown = ", ".join(repr(h[:40]) for h in named[:5]) + (", ..." if len(named) > 5 else "")
    columns = f"not one of its columns ({shown}) is" if named else "it has no header naming"
    return (f"{path} shares no column with {what}: {columns} {holds}. Choose "
            f"{what.replace('a ', 'the ', 1)}, or name its columns with {BY_HAND[kind]}")


RIGHT_FILE_SHARE: Final = 0.5  # more than this share of the customers not in a file: ask


def right_file_question(name: str, missing: int, customers: int, role: str,
                        why: str = "") -> str | None:
    """"Is X the right file?" with the counts, when more than half of the flag file's
    customers are not in the file given for the step `role` (None otherwise); `why` adds
    what the file looks like instead."""
    if not customers or missing <= RIGHT_FILE_SHARE * customers:
        return None
    return (f"Is {name} the right file? {missing:,} of {customers:,} customers of the flag "
            f"file ({100 * missing // customers}%) are not in it{why}: {EXPECTED[role]}.")


def refuse_database(path: Path) -> None:
    """InputError (exit 2) for a database or a file SQLite keeps beside one, by its name or
    the name it links to, before anything opens it: a project's `convwiz.sqlite` chosen or
    dropped by mistake would otherwise be opened here, in a process that may hold that very
    store, and closing that open() would drop the process's locks on it (issue 29)."""
    names = {path.name}
    with contextlib.suppress(OSError, RuntimeError):  # a link loop, an unresolvable path
        names.add(path.resolve().name)
    if is_store_file(path) or any(n.lower().endswith(DATABASE_SUFFIXES) for n in names):
        raise InputError(f"{path} is a database (a project's own record, or a file beside "
                         "one), not a table: choose the customer export or the "
                         "cross-reference itself (CSV or Excel)")
