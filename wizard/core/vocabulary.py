"""The program's one vocabulary: every field, label, header name, rule word and default.

Every layer imports these; none writes its own copy. Two copies of a rule drift, and ours
did: the customer export and the cross-reference once disagreed on which spreadsheet-mangled
numbers block, and on which headers name an account. A header is now read the same way in
every step, and a number is mangled or not whatever file it is in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

# -- the flag file's seven fields -------------------------------------------------------------
FIELDS: Final = ("name", "account", "email", "paperless", "autopay", "method", "last4")
FLAG_FILE_HEADER: Final = ("Customer Name", "UTI Account Number", "Email", "Paperless",
                           "Autopay", "Default Payment Method Type", "Last 4")
FIELD_LABELS: Final[dict[str, str]] = dict(zip(FIELDS, FLAG_FILE_HEADER))
# the cross-reference's two fields, for `--map old=HEADER --map new=HEADER`
XREF_FIELDS: Final = ("old", "new")
XREF_LABELS: Final[dict[str, str]] = {"old": "Old (UTI) account number",
                                      "new": "New Daffron account number"}
ALL_LABELS: Final[dict[str, str]] = {**FIELD_LABELS, **XREF_LABELS}

# -- header names, compared after `normalise_header` (lower case, letters, digits, #) -------
# An account column is named by a number word ("account number", "acct no"), maybe
# qualified by whose account it is ("billing", "customer"), maybe prefixed by which side of
# the conversion it is on ("UTI", "old" / "Daffron", "new").
NUMBER_WORDS: Final = ("accountnumber", "account", "acctno", "acctnumber", "acct", "acct#",
                       "account#", "accountno", "accountnum", "acctnum", "accountid",
                       "accountnbr", "acctnbr", "accountcode")
ACCOUNT_QUALIFIERS: Final = ("", "customer", "billing", "service", "member", "utility")
OLD_PREFIXES: Final = ("uti", "old", "legacy", "previous", "prior", "current", "ic", "from",
                       "existing", "original", "portal", "source")
NEW_PREFIXES: Final = ("daffron", "new", "milsoft", "to", "target", "converted", "cis",
                       "destination", "replacement")


def _accounts(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for prefix in prefixes:
        for qualifier in ACCOUNT_QUALIFIERS:
            for word in NUMBER_WORDS:
                names[prefix + qualifier + word] = None
    return tuple(names)


# a plain "Account Number", "Billing Account Number", "Member Number"...
GENERIC_ACCOUNT: Final = _accounts(("",)) + ("membernumber", "customernumber", "custno",
                                             "cust#", "custnumber")
OLD_ACCOUNT: Final = _accounts(OLD_PREFIXES) + ("old", "oldacct")
NEW_ACCOUNT: Final = _accounts(NEW_PREFIXES) + ("new",)

HEADER_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "name": ("customername", "name", "fullname", "accountname", "customer", "payername",
             "accountholder", "accountholdername", "customerfullname", "billingname",
             "membername", "consumername", "payer", "client", "clientname"),
    # a customer export's account: the UTI one first, then a plain one, then (in a
    # post-conversion export) the renumbered one named after Daffron
    "account": OLD_ACCOUNT + GENERIC_ACCOUNT + NEW_ACCOUNT,
    "email": ("email", "emailaddress", "customeremail", "emailaddr", "mail", "ebillemail",
              "notificationemail", "primaryemail", "contactemail"),
    "paperless": ("paperless", "ebill", "ebilling", "paperlessbilling", "paperlessenrolled",
                  "paperlessflag", "paperlessstatus", "gopaperless", "electronicbill",
                  "electronicbilling", "ebillenrolled", "ebillflag", "ebillstatus",
                  "paperlessyn", "ebillyn", "estatement", "estatements", "ebillenrollment",
                  "paperlessenrollment", "enrolledinpaperless", "paperlessbill"),
    "autopay": ("autopay", "autopayment", "autopayenrolled", "autopayflag", "autopaystatus",
                "autopayyn", "recurringpayment", "recurring", "autodraft", "automaticpayment",
                "autopayenabled", "scheduledpayment", "autopaid", "autopayenrollment",
                "enrolledinautopay", "recurringautopay"),
    "method": ("defaultpaymentmethodtype", "paymentmethodtype", "paymenttype", "paymentmethod",
               "methodtype", "defaultpaymentmethod", "defaultpaymenttype", "wallettype",
               "paytype", "accounttype", "autopaymethod", "autopaytype", "method",
               "paymentsource", "defaultmethod", "storedpaymenttype", "paymethod",
               "defaultpaymethod", "paymentaccounttype"),
    "last4": ("last4", "lastfour", "last4digits", "lastfourdigits", "cardlast4", "last4ofcard",
              "accountlast4", "paymentlast4", "methodlast4", "last4ofaccount", "lastfourofcard",
              "maskednumber", "maskedaccount", "maskedcard", "last4number",
              "defaultpaymentlast4", "paymentmethodlast4", "cardaccountlast4", "acctlast4",
              "last4ofpaymentmethod", "paymentlastfour", "lastfourofaccount",
              "last4ofdefaultpayment", "last4digitsofcard", "last4digitsofaccount"),
    "old": OLD_ACCOUNT,
    "new": NEW_ACCOUNT,
}
# -- re-registration after go-live (`verify` reads it when the post export has it) ----------
# Passwords are never transferred: each customer registers again on the new portal. A post
# export may say who did, in one of three kinds of column, decided per column by its header:
#   flag      "Registered", "Is Registered", "Registration Status": a yes-word is registered
#   date      "Registration Date", "Registered On", "Last Login": a date from go-live on
#   username  "Username", "User Name", "Login": a non-blank user name
# (`wizard.core.registration` reads them; a column named by `--map registered=HEADER` that is
# none of these is judged by its values.) The names in the order a column is chosen when an
# export has several.
REGISTERED_FIELD: Final = "registered"
REGISTRATION_FLAG, REGISTRATION_DATE, REGISTRATION_USERNAME = "flag", "date", "username"
REGISTRATION_HEADERS: Final[dict[str, str]] = {
    "registered": REGISTRATION_FLAG, "isregistered": REGISTRATION_FLAG,
    "registrationstatus": REGISTRATION_FLAG, "portalregistered": REGISTRATION_FLAG,
    "registeredyn": REGISTRATION_FLAG, "registeredflag": REGISTRATION_FLAG,
    "registrationdate": REGISTRATION_DATE, "registeredon": REGISTRATION_DATE,
    "registereddate": REGISTRATION_DATE, "dateregistered": REGISTRATION_DATE,
    "username": REGISTRATION_USERNAME, "portalusername": REGISTRATION_USERNAME,
    "webusername": REGISTRATION_USERNAME, "login": REGISTRATION_USERNAME,
    "loginname": REGISTRATION_USERNAME,
    "lastlogin": REGISTRATION_DATE, "lastlogindate": REGISTRATION_DATE,
    "lastlogon": REGISTRATION_DATE,
}
# what a registration column says for "registered" and for "not registered" (the contract's
# words, any case, runs of spaces as one); any other word in a flag or date column is not
# guessed: it is reported (`unknown_values`) until `--registered-values yes=W no=W` names it
REGISTERED_YES: Final = ("y", "yes", "true", "1", "registered", "active", "enrolled")
REGISTERED_NO: Final = ("n", "no", "false", "0", "not registered", "unregistered", "pending",
                        "inactive", "null", "n/a", "")
# what a username column holds for "no user yet": the no-words, and the usual nulls
NO_USERNAME: Final = REGISTERED_NO + ("f", "none", "na", "-", "--")
# the re-registration segments, exclusive, in this order (from the pre-conversion flags)
SEGMENTS: Final[dict[str, str]] = {
    "autopay_card": "Autopay by card", "autopay_bank": "Autopay by bank account",
    "paperless": "Paperless", "neither": "Neither",
}
CUSTOMER_HEADERS: Final = frozenset(n for f in FIELDS for n in HEADER_NAMES[f])
XREF_HEADERS: Final = frozenset(OLD_ACCOUNT + NEW_ACCOUNT + GENERIC_ACCOUNT)


def normalise_header(text: str) -> str:
    """Header text as compared with the names above: lower case, letters, digits and #."""
    return re.sub(r"[^a-z0-9#]", "", str(text).lower())


# -- values -----------------------------------------------------------------------------------
FLAG_YES: Final = ("y", "yes", "true", "t", "1", "enrolled", "active", "on")
FLAG_NO: Final = ("n", "no", "false", "f", "0", "not enrolled", "inactive", "off", "")
CARD_WORDS: Final = ("card", "credit", "debit", "visa", "mastercard", "mc", "amex",
                     "american express", "discover", "credit card", "debit card", "visa card",
                     "mastercard card", "amex card", "discover card")
CHECK_WORDS: Final = ("check", "checking", "savings", "ach", "echeck", "e-check", "bank",
                      "checking account", "savings account", "bank account", "ach account")
METHOD_CARD, METHOD_CHECK = "card", "check"
# a row whose account is one of these is a report's footer or subtotal, not a customer
SUMMARY_WORDS: Final = ("total", "totals", "subtotal", "sub total", "sub-total",
                        "grand total", "count", "sum", "end of report", "end of file",
                        "report total", "total customers", "total accounts", "records",
                        "record count", "row count")
# a cell that is one of them, any case, maybe followed by a colon or a full stop
SUMMARY_ROW: Final = ("^(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+")
                                        for w in SUMMARY_WORDS) + r")\s*[:.]*$")

# What a spreadsheet does to a long number: 1.23457E+09, +1.2E+09, -1.23457E+09, 1.2e9,
# 1,23457E+09 (a decimal comma), 1234567890.0. One rule for every file that holds accounts.
MANGLED_NUMBER: Final = (r"^[+-]?[0-9]*[.,]?[0-9]+[eE][+-]?[0-9]+$"
                         r"|^[+-]?[0-9]+\.0+$")
MANGLED_RULE: Final = "the account number was mangled by a spreadsheet (scientific notation or .0)"
MANGLED_FIX: Final = ("Export the accounts again as text (in Excel: format the column as Text "
                      "before pasting, or export straight to CSV): account numbers must keep "
                      "every digit")

# -- findings ---------------------------------------------------------------------------------
BLOCKING: Final = "blocking"
WARNING: Final = "warning"
SEVERITY_LABELS: Final[dict[str, str]] = {BLOCKING: "Blocking", WARNING: "Warning"}

# -- verification's issues in words: the window's Verify page and the biller workbook's
# Exceptions sheet say these (core/verify.py's ISSUES, in the same order, says what to do)
ISSUE_LABELS: Final[dict[str, str]] = {
    "missing_after": "Missing after go-live",
    "unexpected_after": "Unexpected after go-live",
    "autopay_lost": "Autopay lost",
    "autopay_gained": "Autopay gained",
    "paperless_lost": "Paperless lost",
    "paperless_gained": "Paperless gained",
    "method_changed": "Payment method changed",
    "last4_changed": "Last 4 changed",
}
# a customer the cross-reference has no new number for, as the Exceptions sheet lists it
NOT_IN_CROSS_REFERENCE: Final = "not_in_cross_reference"
EXCEPTION_LABELS: Final[dict[str, str]] = {
    **ISSUE_LABELS, NOT_IN_CROSS_REFERENCE: "Not in the cross-reference"}

# -- control characters: one rule for every file read ----------------------------------------
# NUL and the other C0 controls never belong in a value, wherever in the file they are: a NUL
# in a name went into the flag file sent to the provider. Tab, CR and LF delimit fields and
# lines; inside a value that is sent on (a name, an account, an email) they break the
# receiver's rows, so there they count too (after the value is trimmed, as it is sent).
CONTROL_CHARACTERS: Final = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"  # a regex class
CONTROL_OR_LINE_CHARACTERS: Final = "[\\x00-\\x1f]"
CONTROL_RULE: Final = "the value holds a control character (NUL, tab, line break or another " \
    "invisible code)"
CONTROL_FIX: Final = ("Remove the invisible characters (shown as \\x00, \\t, \\n ...) from "
                      "the value in the source system or the spreadsheet, and export again")

# -- files ------------------------------------------------------------------------------------
SPREADSHEET_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
TEXT_TABLE_SUFFIXES: Final = (".csv", ".txt", ".tsv")
TABLE_SUFFIXES: Final = TEXT_TABLE_SUFFIXES + SPREADSHEET_SUFFIXES
# the cross-reference `fetch-xref` takes by default: a CSV or XLSX whose name holds a word
XREF_SUFFIXES: Final = (".csv", ".xlsx")
XREF_WORDS: Final = ("xref", "cross")
# a database and SQLite's files beside one (a project's `convwiz.sqlite`, its -wal, -shm and
# -journal): never a table, and never opened except through SQLite (issue 29: closing a
# plain open() of a store in a process that holds it drops that process's locks on it)
DATABASE_SUFFIXES: Final = (".sqlite", ".sqlite3", ".db", "-wal", "-shm", "-journal")

# -- advice: an option on the command line, its control in the window --------------------------
# A message is worded once, with the command line's option; `for_window` gives the window's
# words for it (the control's own label), so each face names what it has.
ALLOW_UNMATCHED_OPTION: Final = "--allow-unmatched"
ALLOW_UNMATCHED_LABEL: Final = "Allow customers missing from the cross-reference"
REGISTERED_VALUES_OPTION: Final = "--registered-values"
REGISTERED_VALUES_LABEL: Final = "Registration words"
XREF_COLUMNS_SECTION: Final = "2. Columns and checks"
WINDOW_CONTROLS: Final[tuple[tuple[str, str], ...]] = (
    (r"--map old=HEADER --map new=HEADER(?:, e\.g\. --map old='[^']*' --map new='[^']*')?",
     f"the column choices under '{XREF_COLUMNS_SECTION}'"),
    (re.escape(ALLOW_UNMATCHED_OPTION),
     f"the checkbox '{ALLOW_UNMATCHED_LABEL}' ticked"),
    (re.escape(REGISTERED_VALUES_OPTION) + r"(?: yes=WORD,WORD no=WORD)?",
     f"the '{REGISTERED_VALUES_LABEL}' fields of the Verify page"),
)


def for_window(text: str) -> str:
    """A message worded for the command line, with each option replaced by the window's
    control that does the same."""
    for pattern, control in WINDOW_CONTROLS:
        text = re.sub(pattern, control, text)
    return text


# -- the provider connection's settings (never a secret: those are in the keyring) ----------
S_HOST, S_PORT, S_USER = "sftp_host", "sftp_port", "sftp_user"
S_KEY_FILE, S_HOST_KEY, S_KEY_TYPE = "sftp_key_file", "sftp_host_key", "sftp_host_key_type"
S_UPLOAD, S_DOWNLOAD, S_AUTH = "sftp_upload_dir", "sftp_download_dir", "sftp_auth"
S_CLEANUP = "sftp_partial_to_remove"
S_XREF_PATTERN = "sftp_xref_pattern"
# the keyring entry of the project's workbook password (its name, never the password)
S_WORKBOOK_ENTRY = "workbook_keyring_entry"

# -- the project's database: opened by SQLite alone (CONTRACT.md, "The record") ----------------
STORE_NAME: Final = "convwiz.sqlite"
# the manifest's kind for the biller workbook (`convwiz report` records it; the reminder draft
# attaches the latest one, the window opens it)
BILLER_WORKBOOK_KIND: Final = "biller_workbook"
# the demo's simulated provider, a folder inside the demo project (flow/demo.py runs it; purge
# removes it; the project refuses it as a link)
DEMO_PROVIDER_FOLDER: Final = "demo-provider"


def is_store_file(path: str | Path) -> bool:
    """Whether `path` is a project's database or one of SQLite's files beside it (`-wal`,
    `-shm`, `-journal`), itself or through a link, in any case of letters. Nothing but SQLite
    opens, hashes, copies, replaces or deletes those: on POSIX, closing any other descriptor
    of the file drops every lock the process holds on it, and the next process to close its
    connection then deletes the -wal under a live one (issue 29)."""
    names = [Path(path).name]
    try:
        names.append(Path(path).resolve().name)
    except (OSError, RuntimeError):  # a link loop, a path that cannot be resolved
        pass
    return any(n.casefold().startswith(STORE_NAME) for n in names)


# -- defaults and limits ----------------------------------------------------------------------
DEFAULT_WINDOW_DAYS: Final = 3  # the procedure's 3-day maintenance window
WINDOW_DAYS_RANGE: Final = (1, 14)
DEFAULT_TOKEN_DAYS: Final = 30  # registration links valid this long from go-live
MIN_TOKEN_VALIDITY: Final = timedelta(days=14)  # never ending before go-live + 14 days
TOKEN_DAYS_RANGE: Final = (1, 365)
MAX_BID: Final = 10**9

# characters Windows forbids in a file name, and names it reserves
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}


def file_name_part(text: str, limit: int = 60, fallback: str = "biller") -> str:
    """`text` made safe as part of a file name on every system we run on: letters of any
    alphabet kept ("Søren", "Ñandú" stay), only what Windows forbids replaced by `_`,
    no leading or trailing dots or spaces, no reserved device name."""
    text = unicodedata.normalize("NFC", str(text))
    text = _FORBIDDEN.sub("_", text)
    text = re.sub(r"\s+", "_", text.strip())
    text = re.sub(r"_+", "_", text).strip("._ ")[:limit].rstrip("._ ")
    if not text or text.lower().split(".")[0] in _RESERVED:
        return fallback if not text else f"_{text}"
    return text


# -- what the notices need that the procedure leaves to the biller or the PM -------------------
# (flow/papers/templates.py fills the texts with them; `convwiz settings --set KEY=VALUE` and the
# Coordinate page write them)
@dataclass(frozen=True)
class TemplateSetting:
    """A project setting the texts need that the procedure leaves to the biller or the PM."""

    key: str
    label: str
    placeholder: str  # an example, shown in the empty field
    decided_by: str  # "Biller" or "PM"


# what the biller decides or knows, then who receives each draft (the PM's address book)
TEMPLATE_SETTINGS: tuple[TemplateSetting, ...] = (
    TemplateSetting("biller_email", "Biller contact's e-mail address",
                    "billing@acme-electric.coop", "Biller"),
    TemplateSetting("customer_service_phone", "Customer service phone number",
                    "(555) 010-0199", "Biller"),
    TemplateSetting("office_hours", "Customer service hours",
                    "Monday to Friday, 8 AM to 5 PM Central", "Biller"),
    TemplateSetting("reregistration_opens", "When customers can re-register (on or after the "
                    "go-live date)", "December 14, 2026 at 6 PM Central", "Biller"),
    TemplateSetting("new_account_number_where", "Where and when customers first see their "
                    "new account number", "on your first bill from the new system, mailed "
                    "in December", "Biller"),
    TemplateSetting("window_payment_options", "How customers can pay during the maintenance "
                    "window", "at the office, 12 Main Street, or by mail", "Biller"),
    TemplateSetting("platform_conversion_email", "Where the Platform Conversion request goes "
                    "(e-mail)", "platform-conversions@invoicecloud.example", "PM"),
    TemplateSetting("dbr_email", "Where DBR tickets go (e-mail)",
                    "dbr@invoicecloud.example", "PM"),
)

# the signature; `init --pm-name --pm-email --pm-phone` and `convwiz settings` write them
SIGNATURE_SETTINGS: tuple[TemplateSetting, ...] = (
    TemplateSetting("pm_name", "PM's name", "Pat Morgan", "PM"),
    TemplateSetting("pm_email", "PM's e-mail address", "pat.morgan@invoicecloud.example",
                    "PM"),
    TemplateSetting("pm_phone", "PM's phone number", "(555) 010-0100", "PM"),
)
