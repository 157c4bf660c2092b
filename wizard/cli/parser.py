"""The `convwiz` command line's parser: every command, option and help text (with defaults).

`--json` is accepted before or after the command name. Bad usage raises `UsageError`
(exit 2), so a `--json` caller still gets its object.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from wizard import __version__
from wizard.cli.commands import (
    cmd_audit,
    cmd_checklist,
    cmd_connect,
    cmd_demo,
    cmd_export_flags,
    cmd_fetch_xref,
    cmd_gui,
    cmd_host_key,
    cmd_import_xref,
    cmd_init,
    cmd_outreach,
    cmd_portfolio,
    cmd_provider_sim,
    cmd_purge,
    cmd_report,
    cmd_send,
    cmd_settings,
    cmd_status,
    cmd_templates,
    cmd_tokens,
    cmd_verify,
)
from wizard.core.vocabulary import DEFAULT_TOKEN_DAYS, DEFAULT_WINDOW_DAYS, FIELDS
from wizard.errors import UsageError

FIELD_WORDS = " ".join(FIELDS)
Command = Callable[[argparse.Namespace], dict[str, Any]]


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage raises UsageError so `--json` still gets its object."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")




class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default where it has a meaningful one (not for flags, required
    options, or options whose absence the help text already explains)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.required or action.default in (None, False, argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


class _Adder:
    """Adds sub-commands that share `--json` and the help formatter."""

    def __init__(self, sub: Any, common: argparse.ArgumentParser) -> None:
        self.sub, self.common = sub, common

    def add(self, name: str, func: Command, help_: str,
            project: bool | None = True) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = self.sub.add_parser(
            name, help=help_, description=help_, parents=[self.common],
            formatter_class=_Help)
        if project:
            p.add_argument("project", metavar="PROJECT", help="the project folder")
        elif project is None:
            p.add_argument("project", metavar="PROJECT", nargs="?", default=None,
                           help="the project folder (default: a new folder under "
                           "Documents/Conversion Wizard)")
        p.set_defaults(func=func)
        return p

    @staticmethod
    def person(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pm-name", default=None, metavar="NAME",
                       help="the project manager's name, to sign the notices")
        p.add_argument("--pm-email", default=None, metavar="EMAIL",
                       help="the project manager's e-mail address")
        p.add_argument("--pm-phone", default=None, metavar="PHONE",
                       help="the project manager's phone number")


def build_parser() -> argparse.ArgumentParser:
    # --json is accepted before or after the command name; SUPPRESS keeps a sub-command's
    # default from overwriting a --json given before it
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print the result as one JSON object on the last line of "
                        "standard output (also on failure, with an \"error\")")
    parser = _Parser(
        prog="convwiz",
        description="Conversion Wizard: move a biller's payment portal data to Daffron. "
        "Without a command, the wizard's window opens.",
        epilog="Exit status: 0 done, 1 internal error, 2 bad usage or input or environment, "
        "3 blocking findings, 4 not ready or busy, 5 remote failure.",
    )
    # its own action: a sub-command's --json shares `common`'s action object, whose
    # default must stay SUPPRESS
    parser.add_argument("--json", action="store_true", default=False,
                        help="print the result as one JSON object on the last line")
    parser.add_argument("--version", action="version", version=f"convwiz {__version__}")
    adder = _Adder(parser.add_subparsers(dest="command", metavar="COMMAND",
                                         parser_class=_Parser), common)
    for group in (_setup_commands, _flag_file_commands, _exchange_commands,
                  _after_go_live_commands, _paper_commands, _record_commands, _tool_commands):
        group(adder)
    return parser


def _setup_commands(a: _Adder) -> None:
    """Init, settings, status: the project itself."""
    p = a.add("init", cmd_init, "create a conversion project in a new or empty folder")
    p.add_argument("--biller", required=True, metavar="NAME", help="the biller's name")
    p.add_argument("--go-live", required=True, metavar="YYYY-MM-DD", help="the go-live date")
    p.add_argument("--production-bid", required=True, metavar="BID",
                   help="the biller's production BID (a positive whole number)")
    p.add_argument("--test-bid", default=None, metavar="BID",
                   help="the biller's test BID, different from the production BID")
    p.add_argument("--window-days", type=int, default=DEFAULT_WINDOW_DAYS, metavar="N",
                   help="days of the maintenance window, ending on the go-live date")
    a.person(p)
    p.add_argument("--allow-past", action="store_true",
                   help="accept a go-live date in the past (a conversion already live)")

    p = a.add("settings", cmd_settings, "show the project's settings, or change them (each "
            "change is audited; a step that used the old value goes back to ready)")
    p.add_argument("--biller", default=None, metavar="NAME", help="the biller's name")
    p.add_argument("--go-live", default=None, metavar="YYYY-MM-DD", help="the go-live date")
    p.add_argument("--window-days", default=None, metavar="N",
                   help="days of the maintenance window, ending on the go-live date")
    p.add_argument("--production-bid", default=None, metavar="BID",
                   help="the production BID")
    p.add_argument("--test-bid", default=None, metavar="BID",
                   help="the test BID (an empty value removes it)")
    a.person(p)
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="a setting the notices quote (what the biller decided), e.g. "
                   "biller_phone='555-0100'")
    p.add_argument("--allow-past", action="store_true",
                   help="accept a go-live date in the past")
    p.add_argument("--by", default=None, metavar="NAME",
                   help="who makes the change, for the audit log")
    p.add_argument("--new-workbook-password", action="store_true",
                   help="replace the project's workbook password with a new one (workbooks "
                   "written before keep the old one)")

    a.add("status", cmd_status, "show the steps with their state, the checklist and the dates")

    p = a.add("portfolio", cmd_portfolio, "every conversion under the folders, most urgent "
              "first; reads each project without a lock and never writes to it",
              project=False)
    p.add_argument("folders", metavar="FOLDER", nargs="*",
                   help="a project, or a folder of projects (default: Documents/Conversion "
                   "Wizard and the window's recent projects)")
    p.add_argument("--calendar", default=None, metavar="FILE.ics",
                   help="also write every go-live, window and due task to this calendar")
    p.add_argument("--workbook", default=None, metavar="FILE.xlsx",
                   help="also write a one-sheet printable workbook, a row per conversion "
                   "(not encrypted: it holds no customer data)")


def _flag_file_commands(a: _Adder) -> None:
    """The flag file."""
    p = a.add("export-flags", cmd_export_flags,
            "read the customer export, validate it, write the flag file to outbox/")
    p.add_argument("--input", required=True, metavar="FILE",
                   help="the portal's customer export (CSV or XLSX)")
    p.add_argument("--sheet", default=None, metavar="NAME",
                   help="the workbook sheet to read (default: the first)")
    p.add_argument("--map", action="append", metavar="FIELD=HEADER",
                   help=f"the column holding FIELD, one of: {FIELD_WORDS} (default: found by "
                   "its usual header names)")


def _exchange_commands(a: _Adder) -> None:
    """The provider: host key, connection, send, fetch, import."""
    p = a.add("host-key", cmd_host_key, "print the SFTP server's host key fingerprint",
            project=False)
    p.add_argument("--host", required=True, metavar="H", help="the provider's SFTP server")
    p.add_argument("--port", type=int, default=22, metavar="P", help="its port")

    p = a.add("connect", cmd_connect, "save the provider's SFTP connection")
    p.add_argument("--host", required=True, metavar="H", help="the provider's SFTP server")
    p.add_argument("--port", type=int, default=22, metavar="P", help="its port")
    p.add_argument("--user", required=True, metavar="U", help="the user name on it")
    p.add_argument("--key", default=None, metavar="FILE",
                   help="a private key file to sign in with")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password (or the key's passphrase) from standard input; "
                   "it goes to the system keyring, never to a file")
    p.add_argument("--host-key", default=None, metavar="SHA256:...",
                   help="the server's host key fingerprint, as the provider gave it")
    p.add_argument("--upload-dir", default=None, metavar="D",
                   help="the remote folder for the flag file (default: found on the server)")
    p.add_argument("--download-dir", default=None, metavar="D",
                   help="the remote folder the cross-reference arrives in (default: found)")
    p.add_argument("--xref-pattern", default=None, metavar="GLOB",
                   help="the cross-reference's file name, or a pattern such as '*xref*.csv' "
                        "(any case; default: a CSV or XLSX whose name holds 'xref' or "
                        "'cross')")

    a.add("send", cmd_send, "upload the latest flag file to the provider")

    p = a.add("fetch-xref", cmd_fetch_xref, "download the provider's cross-reference file")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="wait this long for the file to appear")

    p = a.add("import-xref", cmd_import_xref,
            "validate the cross-reference, write the IC account update and rollback")
    p.add_argument("--xref", default=None, metavar="FILE",
                   help="the cross-reference file (default: the newest fetched to inbox/)")
    p.add_argument("--map", action="append", metavar="old|new=HEADER",
                   help="the column holding the old (UTI) or new (Daffron) account")
    p.add_argument("--allow-unmatched", action="store_true",
                   help="go on when customers are missing from the file (they are listed)")


def _after_go_live_commands(a: _Adder) -> None:
    """After go-live: verify, and the biller workbook."""
    p = a.add("verify", cmd_verify, "compare the post-conversion export with the snapshot")
    p.add_argument("--post", required=True, metavar="FILE",
                   help="the portal's customer export after go-live")
    p.add_argument("--map", action="append", metavar="FIELD=HEADER",
                   help=f"the column holding FIELD, one of: {FIELD_WORDS} registered (who "
                   "registered again on the new portal: a flag, a date or a username)")
    p.add_argument("--registered-values", nargs="+", action="extend", default=None,
                   metavar="yes=W1,W2|no=W3",
                   help="what the registration column's own words mean, besides the "
                   "contract's (e.g. yes=Signed Up,Live no=Invited): a word no list names "
                   "is never guessed")

    p = a.add("report", cmd_report, "write the biller workbook, encrypted with the project's "
              "workbook password (AES-256; the password is kept in the keyring and shown once "
              "on standard error)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="where to write it (default: reports/ in the project)")
    p.add_argument("--no-encrypt", action="store_true",
                   help="write it without a password (said on standard error and recorded in "
                   "the audit log)")
    p.add_argument("--show-password", action="store_true",
                   help="with --json: put the workbook password in the result as \"password\"")


def _paper_commands(a: _Adder) -> None:
    """What the PM hands out: the lists, the checklist, the notices, the tokens."""
    from wizard.flow.steps.checklist import REREGISTERED, TASKS  # the task ids for --done's help

    p = a.add("outreach", cmd_outreach, "write the biller's outreach lists to "
              "reports/outreach/ (email, no email, autopay by card, autopay by bank account, "
              "paperless)")
    p.add_argument("--not-registered", action="store_true",
                   help="write the reminder list instead: the customers not yet registered "
                   "at the last verification, autopay first, and a reminder draft to the "
                   "biller")
    p.add_argument("--workbook", action="store_true",
                   help="also write one encrypted workbook with a sheet per list, for the "
                   "biller's mail merge (the CSVs stay in the project)")

    task_ids = ", ".join(t.id for t in (*TASKS, REREGISTERED) if t.step is None)
    p = a.add("checklist", cmd_checklist, "show the conversion checklist, or sign a task off")
    p.add_argument("--done", default=None, metavar="ID",
                   help=f"the task to sign off, one of: {task_ids}")
    p.add_argument("--by", default=None, metavar="NAME", help="who signs it off")
    p.add_argument("--note", default=None, metavar="TEXT", help="a note kept with it")

    p = a.add("templates", cmd_templates, "write the notices and tickets the PM sends, as "
              "text, e-mail drafts and a calendar, to reports/")
    p.add_argument("--password-draft", action="store_true",
                   help="also write a draft to the biller carrying the workbook password alone "
                   "(no attachment), marked: send separately")

    p = a.add("tokens", cmd_tokens, "write the token registration file")
    p.add_argument("--days", type=int, default=DEFAULT_TOKEN_DAYS, metavar="DAYS",
                   help="days the links stay valid from go-live (at least 14)")


def _record_commands(a: _Adder) -> None:
    """The project's records: purge, the audit log."""
    p = a.add("purge", cmd_purge, "remove the files the program made or received (the audit "
            "log stays)")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--force", action="store_true",
                   help="with --yes: purge before verification is done")
    p.add_argument("--keep-secret", action="store_true",
                   help="keep the SFTP password and the workbook password in the keyring "
                   "(default: asked; with --yes they are removed)")

    p = a.add("audit", cmd_audit, "print the audit log and check its hash chain")
    p.add_argument("--verify", action="store_true",
                   help="only check the chain: exit 0 when it is whole, 3 when it is broken "
                   "(the first bad row named)")
    p.add_argument("--workbook", nargs="?", const="", default=None, metavar="FILE",
                   help="write the evidence pack for the biller's auditors (default: "
                   "reports/ in the project), encrypted like the biller workbook")
    p.add_argument("--no-encrypt", action="store_true",
                   help="with --workbook: write it without a password")
    p.add_argument("--show-password", action="store_true",
                   help="with --workbook and --json: put the password in the result")


def _tool_commands(a: _Adder) -> None:
    """The demo, the simulator, the window."""
    p = a.add("demo", cmd_demo, "run the whole conversion on generated data", project=None)
    p.add_argument("--customers", type=int, default=5000, metavar="N",
                   help="how many customers to generate")

    p = a.add("provider-sim", cmd_provider_sim,
            "run the simulated provider SFTP endpoint on loopback", project=False)
    p.add_argument("--root", required=True, metavar="DIR", help="the provider's folder")
    p.add_argument("--port", type=int, default=0, metavar="P", help="0 picks a free port")
    p.add_argument("--user", default="daffron", help=argparse.SUPPRESS)
    p.add_argument("--password", default=None, help=argparse.SUPPRESS)
    p.add_argument("--refuse-rename", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--cut-after", type=int, default=None, metavar="BYTES",
                   help=argparse.SUPPRESS)
    p.add_argument("--slow", type=float, default=0.0, metavar="SECONDS",
                   help=argparse.SUPPRESS)
    p.add_argument("--disk-full-after", type=int, default=None, metavar="BYTES",
                   help=argparse.SUPPRESS)

    p = a.add("gui", cmd_gui, "open the wizard", project=None)
    p.add_argument("--demo", action="store_true",
                   help="open it on a new demo project, with the provider simulated")


