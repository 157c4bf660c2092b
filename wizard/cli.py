"""The `convwiz` commands: argument parsing and printing over `wizard.flow`, nothing more.

Every command accepts `--json`: the last line of standard output is then one JSON object with
the result (with an "error" message on failure). Messages for people go to standard error.
Exit statuses are CONTRACT.md's: 0 done, 1 internal error, 2 bad usage or unreadable input or
no keyring, 3 blocking findings, 4 not ready or busy, 5 remote failure.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from wizard import __version__
from wizard.core.shell import quote
from wizard.core.vocabulary import FIELDS, XREF_FIELDS
from wizard.errors import ConvWizError, UsageError

log = logging.getLogger("wizard.cli")


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage raises UsageError so `--json` still gets its object."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def say(message: str) -> None:
    """A message for people (standard error)."""
    print(message, file=sys.stderr, flush=True)


def _progress() -> Any:
    from wizard.progress import TextProgress

    return TextProgress()


def _open(args: argparse.Namespace) -> Any:
    from wizard.flow import runtime
    from wizard.flow.project import Project

    project = Project.open(args.project)
    args._log = runtime.configure_log(project.folder)
    return project


def _mapping(pairs: Sequence[str] | None, allowed: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or ():
        field, sep, header = pair.partition("=")
        field = field.strip().lower()
        if not sep or not header.strip():
            raise UsageError(f"--map {pair!r}: write it as FIELD=HEADER, e.g. account='Acct No'")
        if field not in allowed:
            raise UsageError(f"--map {pair!r}: FIELD must be one of {' '.join(allowed)}")
        mapping[field] = header.strip()
    return mapping


# -- commands ---------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow import runtime
    from wizard.flow.project import Project
    from wizard.flow.settings import Settings, check_date
    from wizard.flow.status import status

    settings = Settings(
        biller=args.biller, go_live=check_date(args.go_live), production_bid=args.production_bid,
        test_bid=args.test_bid, window_days=args.window_days, pm_name=args.pm_name or "",
        pm_email=args.pm_email or "", pm_phone=args.pm_phone or "",
    )
    project = Project.create(Path(args.project), settings, allow_past=args.allow_past)
    with project:
        runtime.configure_log(project.folder)
        log.info("project created")
        result = status(project).to_json()
        d = project.dates
        say(f"Created the conversion project for {project.biller} in {project.folder}")
        say(f"  go-live {d.go_live}, maintenance window {d.window_start} to {d.window_end}, "
            f"production BID {project.production_bid}")
        say(f"Next: convwiz export-flags {quote(args.project)} --input CUSTOMER_EXPORT.csv")
        return result


def cmd_settings(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.settings import EDITABLE
    from wizard.flow.settings_change import change_settings

    changes = {key: getattr(args, key) for key in EDITABLE if getattr(args, key) is not None}
    changes.update(_extra_settings(args.set))
    with _open(args) as project:
        result = change_settings(project, changes, allow_past=args.allow_past,
                                 by=args.by or "convwiz settings")
    for key, (old, new) in result.changed.items():
        say(f"  {key}: {old or '(not set)'} -> {new or '(not set)'}")
    for step_id in result.stale_steps:
        say(f"  '{step_id}' used the old value: it is back to ready, run it again")
    if not args.json:
        for key, value in result.settings.to_json().items():
            print(f"{key:<16} {value if value not in (None, '') else '(not set)'}")
    return result.to_json()


def _extra_settings(pairs: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {pair!r}: write it as KEY=VALUE")
        out[key.strip()] = value
    return out


def cmd_status(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.status import status

    with _open(args) as project:
        current = status(project)
    if not args.json:
        s, d = current.settings, current.dates
        print(f"{s.biller}: go-live {d.go_live}, window {d.window_start} to {d.window_end}, "
              f"production BID {s.production_bid}, test BID {s.test_bid or '-'}")
        for step in current.steps:
            print(f"  [{step.state.value:>15}] {step.title}")
        done = len(current.checklist) - current.open_tasks
        print(f"  checklist: {done} of {len(current.checklist)} tasks signed off")
        print(current.headline())
    return current.to_json()


def cmd_export_flags(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.export import export_flags

    mapping = _mapping(args.map, FIELDS)
    with _open(args) as project:
        result = export_flags(project, Path(args.input), args.sheet, mapping, _progress())
    say(f"Flag file: {result['output']} ({result['rows']:,} customers)")
    if result["warnings"]:
        say(f"{result['warnings']:,} warnings, listed in {result['exceptions']}")
    say(f"Next: convwiz send {quote(args.project)}")
    return result


def cmd_host_key(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.exchange import host_key

    result = host_key(args.host, args.port)
    if not args.json:
        print(result["fingerprint"])
    return result


def cmd_connect(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.exchange import connect

    secret = None
    if args.password_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise UsageError("--password-stdin: standard input held no password")
    with _open(args) as project:
        return connect(
            project, host=args.host, port=args.port, user=args.user, key_file=args.key,
            secret=secret, host_key=args.host_key, upload_dir=args.upload_dir,
            download_dir=args.download_dir, progress=_progress(),
        )


def cmd_send(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.exchange import send

    with _open(args) as project:
        return send(project, _progress())


def cmd_fetch_xref(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.exchange import fetch_xref

    with _open(args) as project:
        return fetch_xref(project, args.wait, _progress())


def cmd_import_xref(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.renumber import import_xref

    mapping = _mapping(args.map, XREF_FIELDS)
    with _open(args) as project:
        return import_xref(
            project, Path(args.xref) if args.xref else None, mapping, args.allow_unmatched,
            _progress(),
        )


def cmd_verify(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.errors import BlockingFindings
    from wizard.flow.verification import verify

    mapping = _mapping(args.map, FIELDS)
    with _open(args) as project:
        result = verify(project, Path(args.post), mapping, _progress())
    if not result.preserved:  # exit 3, with the contract's figures in the --json object
        raise BlockingFindings(
            f"{args.post}: not every enrolment was preserved; the customers concerned are "
            f"listed in {result.exceptions}. The verification step needs attention",
            **result.to_json())
    return result.to_json()


def cmd_report(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.report import write_report

    with _open(args) as project:
        return write_report(project, Path(args.out) if args.out else None, _progress())


def cmd_checklist(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.checklist import checklist_command

    if (args.by or args.note) and not args.done:
        raise UsageError("--by and --note go with --done ID")
    if args.done and not (args.by or "").strip():
        raise UsageError("--done needs --by NAME: who signs the task off")
    with _open(args) as project:
        result = checklist_command(project, args.done, args.by, args.note)
    if not args.json:
        for task in result["tasks"]:
            mark = "x" if task["done"] else " "
            who = f"  ({task['by']}, {task['at'][:10]})" if task["done"] else ""
            print(f"  [{mark}] {task['id']:<28} {task['owner']:<9} {task['title']}{who}")
    return result


def cmd_templates(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.templates import write_templates

    with _open(args) as project:
        result = write_templates(project)
    for written in result.templates:
        say(f"  {written.draft}  ({written.title})")
    say(f"  {result.calendar}  (the conversion calendar, to import)")
    if result.ready:
        say("Open each .eml draft in your mail program and send it.")
    else:
        say("NOT READY to send: fill these settings with `convwiz settings`, then run "
            "`convwiz templates` again:")
        for missing in result.unfilled:
            say(f"  {missing.key}: {missing.label} (in {', '.join(missing.templates)})")
    return result.as_json()


def cmd_tokens(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.renumber import tokens

    with _open(args) as project:
        return tokens(project, args.days)


def cmd_purge(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.purge import purge, size_text

    def ask(question: str) -> bool:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("purge removes customer data: run it at a terminal to be asked, "
                             "or confirm with --yes")
        # the question goes to stderr: stdout's last line is the --json object
        print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()  # "" at end of input (Ctrl-D) is a no
        return answer.strip().lower() in ("y", "yes")

    def confirm(question: str) -> bool:
        if args.yes:
            say(question)
            return True
        return ask(question)

    def remove_secret(question: str) -> bool:
        if args.keep_secret:
            return False
        return True if args.yes else ask(question)

    with _open(args) as project:
        result = purge(project, confirm, force=args.force, assume_yes=args.yes,
                       remove_secret=remove_secret)
    if result.purged:
        say(f"Removed {result.files} file(s), {size_text(result.bytes)}; the audit log keeps "
            "their names and SHA-256.")
        if result.secret_removed:
            say("The provider's secret was removed from the keyring.")
        if result.steps_purged:
            say(f"Steps now marked purged: {', '.join(result.steps_purged)}")
    else:
        say("Nothing was removed.")
    return result.to_json()


def cmd_demo(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.demo import run_demo

    return run_demo(Path(args.project) if args.project else None, args.customers, say)


def cmd_provider_sim(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.runtime import serve_provider_simulator

    return serve_provider_simulator(
        Path(args.root), port=args.port, user=args.user, password=args.password,
        refuse_rename=args.refuse_rename, cut_after=args.cut_after, slow=args.slow,
        disk_full_after=args.disk_full_after, say=say,
    )


def cmd_gui(args: argparse.Namespace) -> dict[str, Any]:
    if not _display_available():
        raise UsageError("no display: run on a desktop or use the commands "
                         "(`convwiz --help` lists them)")
    try:
        from wizard.ui.app import run_gui
    except ImportError as exc:
        raise UsageError(
            f"the wizard's window cannot start: {exc}. Install the Qt libraries "
            "(see the README) or use the commands"
        ) from None
    code = run_gui(project=args.project, demo=args.demo)
    return {"exit": code}


def _display_available() -> bool:
    """Whether a window can be shown. Windows and macOS always have a desktop session for
    a person's program; on Linux and the BSDs an X or Wayland display must be named, unless
    Qt is told to draw elsewhere (offscreen, as the tests do)."""
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# -- the parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from wizard.core.vocabulary import DEFAULT_TOKEN_DAYS, DEFAULT_WINDOW_DAYS
    from wizard.flow.checklist import TASKS

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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    fmt = argparse.ArgumentDefaultsHelpFormatter
    fields = " ".join(FIELDS)

    def add(name: str, func: Callable[[argparse.Namespace], dict[str, Any]], help_: str,
            project: bool | None = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, parents=[common],
                           formatter_class=fmt)
        if project:
            p.add_argument("project", metavar="PROJECT", help="the project folder")
        elif project is None:
            p.add_argument("project", metavar="PROJECT", nargs="?", default=None,
                           help="the project folder (default: a new folder under "
                           "Documents/Conversion Wizard)")
        p.set_defaults(func=func)
        return p

    def person(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pm-name", default=None, metavar="NAME",
                       help="the project manager's name, to sign the notices")
        p.add_argument("--pm-email", default=None, metavar="EMAIL",
                       help="the project manager's e-mail address")
        p.add_argument("--pm-phone", default=None, metavar="PHONE",
                       help="the project manager's phone number")

    p = add("init", cmd_init, "create a conversion project in a new or empty folder")
    p.add_argument("--biller", required=True, metavar="NAME", help="the biller's name")
    p.add_argument("--go-live", required=True, metavar="YYYY-MM-DD", help="the go-live date")
    p.add_argument("--production-bid", required=True, metavar="BID",
                   help="the biller's production BID (a positive whole number)")
    p.add_argument("--test-bid", default=None, metavar="BID",
                   help="the biller's test BID, different from the production BID")
    p.add_argument("--window-days", type=int, default=DEFAULT_WINDOW_DAYS, metavar="N",
                   help="days of the maintenance window, ending on the go-live date")
    person(p)
    p.add_argument("--allow-past", action="store_true",
                   help="accept a go-live date in the past (a conversion already live)")

    p = add("settings", cmd_settings, "show the project's settings, or change them (each "
            "change is audited; a step that used the old value goes back to ready)")
    p.add_argument("--biller", default=None, metavar="NAME", help="the biller's name")
    p.add_argument("--go-live", default=None, metavar="YYYY-MM-DD", help="the go-live date")
    p.add_argument("--window-days", default=None, metavar="N",
                   help="days of the maintenance window, ending on the go-live date")
    p.add_argument("--production-bid", default=None, metavar="BID",
                   help="the production BID")
    p.add_argument("--test-bid", default=None, metavar="BID",
                   help="the test BID (an empty value removes it)")
    person(p)
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="a setting the notices quote (what the biller decided), e.g. "
                   "biller_phone='555-0100'")
    p.add_argument("--allow-past", action="store_true",
                   help="accept a go-live date in the past")
    p.add_argument("--by", default=None, metavar="NAME",
                   help="who makes the change, for the audit log")

    add("status", cmd_status, "show the steps with their state, the checklist and the dates")

    p = add("export-flags", cmd_export_flags,
            "read the customer export, validate it, write the flag file to outbox/")
    p.add_argument("--input", required=True, metavar="FILE",
                   help="the portal's customer export (CSV or XLSX)")
    p.add_argument("--sheet", default=None, metavar="NAME",
                   help="the workbook sheet to read (default: the first)")
    p.add_argument("--map", action="append", metavar="FIELD=HEADER",
                   help=f"the column holding FIELD, one of: {fields} (default: found by "
                   "its usual header names)")

    p = add("host-key", cmd_host_key, "print the SFTP server's host key fingerprint",
            project=False)
    p.add_argument("--host", required=True, metavar="H", help="the provider's SFTP server")
    p.add_argument("--port", type=int, default=22, metavar="P", help="its port")

    p = add("connect", cmd_connect, "save the provider's SFTP connection")
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

    add("send", cmd_send, "upload the latest flag file to the provider")

    p = add("fetch-xref", cmd_fetch_xref, "download the provider's cross-reference file")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                   help="wait this long for the file to appear")

    p = add("import-xref", cmd_import_xref,
            "validate the cross-reference, write the IC account update and rollback")
    p.add_argument("--xref", default=None, metavar="FILE",
                   help="the cross-reference file (default: the newest fetched to inbox/)")
    p.add_argument("--map", action="append", metavar="old|new=HEADER",
                   help="the column holding the old (UTI) or new (Daffron) account")
    p.add_argument("--allow-unmatched", action="store_true",
                   help="go on when customers are missing from the file (they are listed)")

    p = add("verify", cmd_verify, "compare the post-conversion export with the snapshot")
    p.add_argument("--post", required=True, metavar="FILE",
                   help="the portal's customer export after go-live")
    p.add_argument("--map", action="append", metavar="FIELD=HEADER",
                   help=f"the column holding FIELD, one of: {fields}")

    p = add("report", cmd_report, "write the biller workbook")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="where to write it (default: reports/ in the project)")

    task_ids = ", ".join(t.id for t in TASKS if t.step is None)
    p = add("checklist", cmd_checklist, "show the conversion checklist, or sign a task off")
    p.add_argument("--done", default=None, metavar="ID",
                   help=f"the task to sign off, one of: {task_ids}")
    p.add_argument("--by", default=None, metavar="NAME", help="who signs it off")
    p.add_argument("--note", default=None, metavar="TEXT", help="a note kept with it")

    add("templates", cmd_templates, "write the notices and tickets the PM sends, as text, "
        "e-mail drafts and a calendar, to reports/")

    p = add("tokens", cmd_tokens, "write the token registration file")
    p.add_argument("--days", type=int, default=DEFAULT_TOKEN_DAYS, metavar="DAYS",
                   help="days the links stay valid from go-live (at least 14)")

    p = add("purge", cmd_purge, "remove the files the program made or received (the audit "
            "log stays)")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--force", action="store_true",
                   help="with --yes: purge before verification is done")
    p.add_argument("--keep-secret", action="store_true",
                   help="keep the SFTP password in the keyring (default: asked; with --yes "
                   "it is removed)")

    p = add("demo", cmd_demo, "run the whole conversion on generated data", project=None)
    p.add_argument("--customers", type=int, default=5000, metavar="N",
                   help="how many customers to generate")

    p = add("provider-sim", cmd_provider_sim,
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

    p = add("gui", cmd_gui, "open the wizard", project=None)
    p.add_argument("--demo", action="store_true",
                   help="open it on a new demo project, with the provider simulated")
    return parser


def _emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for name in ("wizard", "paramiko", "asyncssh"):
        # nothing reaches the terminal through logging's last-resort handler: people get
        # the messages below, the log file gets the rest (redacted)
        quiet = logging.getLogger(name)
        if not quiet.handlers:
            quiet.addHandler(logging.NullHandler())
            quiet.propagate = False
    if argv[:1] == ["_ui-child"]:
        # the window's worker process in the frozen program (wizard.ui.workers); Qt-free
        from wizard.ui.child import main as child_main

        return child_main()
    want_json = "--json" in argv
    if not argv:
        argv = ["gui"]
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            raise UsageError("no command given")
        result = args.func(args)
        if args.json:
            _emit_json(result)
        return 0
    except (OSError, sqlite3.OperationalError) as exc:
        refused = environment_failure(exc)
        if refused is None:
            return _internal_error(exc, args, want_json)
        return _fail(refused, want_json)
    except ConvWizError as exc:
        return _fail(exc, want_json)
    except KeyboardInterrupt:
        say("convwiz: interrupted; nothing half-written was left behind")
        if want_json:
            _emit_json({"error": "interrupted", "exit": 130})
        # a library's half-run generators may complain while Python shuts down (openpyxl's
        # lxml writer did): the person has had the one message that matters
        sys.unraisablehook = lambda _unraisable: None
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        return _internal_error(exc, args, want_json)


def _fail(exc: ConvWizError, want_json: bool) -> int:
    from wizard.flow.runtime import redact

    message = redact(exc.message)
    log.warning("exit %s: %s", exc.exit_code, message)
    say(f"convwiz: {message}")
    if want_json:
        _emit_json({"error": message, "exit": exc.exit_code, **exc.result})
    return exc.exit_code


# what the world refuses, in words a person can act on (errno by name: numbers differ
# between Linux, macOS and Windows)
_REFUSALS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full", "free some space or choose another folder, then run "
                   "the step again"),
    errno.EROFS: ("it is on a read-only medium", "copy the project to a writable folder, or "
                  "choose one for the output"),
    errno.EACCES: ("permission denied", "choose a folder you can write, or ask for access"),
    errno.EPERM: ("the system does not allow it", "choose a folder you can write"),
    errno.EISDIR: ("it is a folder, where a file was asked for", "give a file name, e.g. "
                   "a name ending in .xlsx inside that folder"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.ENAMETOOLONG: ("the path is too long", "choose a shorter folder or file name"),
    errno.ENOENT: ("it does not exist", "check the path"),
}
if hasattr(errno, "EDQUOT"):
    _REFUSALS[errno.EDQUOT] = _REFUSALS[errno.ENOSPC]


def environment_failure(exc: BaseException) -> UsageError | None:
    """An OSError (or SQLite's word for one) the world caused, as exit 2 naming the path
    and the fix; None for anything that is our own bug."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text:
            return UsageError("the project cannot be written (it is on a read-only medium "
                              "or its files are read-only): copy it to a writable folder. "
                              "Nothing was changed")
        if "disk is full" in text or "database or disk is full" in text:
            return UsageError("the disk is full: free some space, then run the step again. "
                              "Nothing was changed")
        return None
    if not isinstance(exc, OSError) or exc.errno not in _REFUSALS:
        return None
    reason, fix = _REFUSALS[exc.errno]
    where = exc.filename or "the file"
    if exc.filename2 and Path(str(exc.filename)).name.startswith(".tmp-"):
        where = exc.filename2  # a rename of our temporary file onto the name asked for
    return UsageError(f"cannot write {where}: {reason}. {fix[0].upper()}{fix[1:]}. "
                      "Nothing was changed")


def _internal_error(exc: BaseException, args: argparse.Namespace | None,
                    want_json: bool) -> int:
    from wizard.flow import runtime

    folder = getattr(args, "project", None) if args else None
    log_path = getattr(args, "_log", None) or _fallback_log(folder)
    log.error("internal error", exc_info=exc)
    message = (f"internal error ({type(exc).__name__}); details are in {log_path}. "
               "Nothing was changed by the failed step")
    say(f"convwiz: {runtime.redact(message)}")
    if want_json:
        _emit_json({"error": runtime.redact(message), "exit": 1, "log": str(log_path)})
    return 1


def _fallback_log(folder: str | None) -> Path:
    from wizard.flow import runtime
    from wizard.flow.project import Project

    if folder and Project.is_project(Path(folder)):
        return runtime.configure_log(Path(folder))
    return runtime.configure_log(None)


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
