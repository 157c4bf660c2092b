"""The `convwiz` commands: argument parsing and printing over `wizard.flow`, nothing more.

Every command accepts `--json`: the last line of standard output is then one JSON object with
the result (with an "error" message on failure). Messages for people go to standard error.
Exit statuses are CONTRACT.md's: 0 done, 1 internal error, 2 bad usage or unreadable input or
no keyring, 3 blocking findings, 4 not ready or busy, 5 remote failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from wizard import __version__
from wizard.errors import ConvWizError, UsageError

log = logging.getLogger("wizard.cli")
FIELDS = ("name", "account", "email", "paperless", "autopay", "method", "last4")


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
    from wizard.flow.project import Project
    from wizard.services import logs

    project = Project.open(args.project)
    args._log = logs.configure(project.folder)
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
    from wizard.flow.project import Project, parse_date
    from wizard.flow.steps import status
    from wizard.services import logs

    go_live = parse_date(args.go_live, "--go-live")
    project = Project.create(
        Path(args.project), args.biller, go_live, args.production_bid, args.test_bid,
        args.window_days,
    )
    with project:
        logs.configure(project.folder)
        log.info("project created")
        result = status(project)
        d = project.dates
        say(f"Created the conversion project for {project.biller} in {project.folder}")
        say(f"  go-live {d.go_live}, maintenance window {d.window_start} to {d.window_end}, "
            f"production BID {project.production_bid}")
        say(f"Next: convwiz export-flags {args.project} --input CUSTOMER_EXPORT.csv")
        return result


def cmd_status(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps import status

    with _open(args) as project:
        result = status(project)
    if not args.json:
        print(f"{result['biller']}: go-live {result['go_live']}, window "
              f"{result['window_start']} to {result['window_end']}, production BID "
              f"{result['production_bid']}, test BID {result['test_bid'] or '-'}")
        for s in result["steps"]:
            print(f"  [{s['state']:>7}] {s['title']}")
        if result.get("checklist"):
            done = sum(1 for t in result["checklist"] if t.get("done"))
            print(f"  checklist: {done} of {len(result['checklist'])} tasks signed off")
        print(f"Next step: {result['next_step'] or 'none, the conversion is complete'}")
    return result


def cmd_export_flags(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.export import export_flags

    mapping = _mapping(args.map, FIELDS)
    with _open(args) as project:
        result = export_flags(project, Path(args.input), args.sheet, mapping, _progress())
    say(f"Flag file: {result['output']} ({result['rows']:,} customers)")
    if result["warnings"]:
        say(f"{result['warnings']:,} warnings, listed in {result['exceptions']}")
    say(f"Next: convwiz send {args.project}")
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

    mapping = _mapping(args.map, ("old", "new"))
    with _open(args) as project:
        return import_xref(
            project, Path(args.xref) if args.xref else None, mapping, args.allow_unmatched,
            _progress(),
        )


def cmd_verify(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.verification import verify

    mapping = _mapping(args.map, FIELDS)
    with _open(args) as project:
        return verify(project, Path(args.post), mapping, _progress())


def cmd_report(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.report import write_report

    with _open(args) as project:
        return write_report(project, Path(args.out) if args.out else None, _progress())


def cmd_outreach(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.outreach import write_outreach

    with _open(args) as project:
        result = write_outreach(project, _progress())
    for f in result.files:
        say(f"  {f.title}: {f.rows:,} in {f.path}")
    return result.as_json()


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
    for path in result.get("files", []):
        say(f"  {path}")
    say("Copy each text into its e-mail or ticket; they are filled from the project.")
    return result


def cmd_tokens(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.renumber import tokens

    if args.days < 1 or args.days > 365:
        raise UsageError("--days must be between 1 and 365")
    with _open(args) as project:
        return tokens(project, args.days)


def cmd_purge(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.purge import purge

    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("purge removes customer data: confirm with --yes")
        # the question goes to stderr: stdout's last line is the --json object
        print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline()  # "" at end of input (Ctrl-D) is a no
        return answer.strip().lower() in ("y", "yes")

    with _open(args) as project:
        return purge(project, confirm)


def cmd_demo(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.demo import run_demo

    return run_demo(Path(args.project) if args.project else None, args.customers, say)


def cmd_provider_sim(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.services.simulator import serve_forever

    return serve_forever(
        Path(args.root), port=args.port, user=args.user, password=args.password,
        refuse_rename=args.refuse_rename, cut_after=args.cut_after, slow=args.slow,
        disk_full_after=args.disk_full_after, say=say,
    )


def cmd_gui(args: argparse.Namespace) -> dict[str, Any]:
    try:
        from wizard.ui.app import run_gui
    except ImportError as exc:
        raise UsageError(
            f"the wizard's window cannot start: {exc}. Install the Qt libraries "
            "(see the README) or use the commands"
        ) from None
    code = run_gui(project=args.project, demo=args.demo)
    return {"exit": code}


# -- the parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print the result as one JSON object on the last line")
    parser = _Parser(
        prog="convwiz",
        description="Conversion Wizard: move a biller's payment portal data to Daffron.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"convwiz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, func: Callable[[argparse.Namespace], dict[str, Any]], help_: str,
            project: bool | None = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, parents=[common])
        if project:
            p.add_argument("project", metavar="PROJECT", help="the project folder")
        elif project is None:
            p.add_argument("project", metavar="PROJECT", nargs="?", default=None,
                           help="the project folder")
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create a conversion project")
    p.add_argument("--biller", required=True, metavar="NAME")
    p.add_argument("--go-live", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--production-bid", default="2806", metavar="BID")
    p.add_argument("--test-bid", default=None, metavar="BID")
    p.add_argument("--window-days", type=int, default=3, metavar="N")

    add("status", cmd_status, "show the steps with their state, the checklist and the dates")

    p = add("export-flags", cmd_export_flags,
            "read the customer export, validate it, write the flag file to outbox/")
    p.add_argument("--input", required=True, metavar="FILE")
    p.add_argument("--sheet", default=None, metavar="NAME")
    p.add_argument("--map", action="append", metavar="FIELD=HEADER")

    p = add("host-key", cmd_host_key, "print the SFTP server's host key fingerprint",
            project=False)
    p.add_argument("--host", required=True, metavar="H")
    p.add_argument("--port", type=int, default=22, metavar="P")

    p = add("connect", cmd_connect, "save the provider's SFTP connection")
    p.add_argument("--host", required=True, metavar="H")
    p.add_argument("--port", type=int, default=22, metavar="P")
    p.add_argument("--user", required=True, metavar="U")
    p.add_argument("--key", default=None, metavar="FILE")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--host-key", default=None, metavar="SHA256:...")
    p.add_argument("--upload-dir", default=None, metavar="D")
    p.add_argument("--download-dir", default=None, metavar="D")

    add("send", cmd_send, "upload the latest flag file to the provider")

    p = add("fetch-xref", cmd_fetch_xref, "download the provider's cross-reference file")
    p.add_argument("--wait", type=float, default=0, metavar="SECONDS")

    p = add("import-xref", cmd_import_xref,
            "validate the cross-reference, write the IC account update and rollback")
    p.add_argument("--xref", default=None, metavar="FILE")
    p.add_argument("--map", action="append", metavar="old|new=HEADER")
    p.add_argument("--allow-unmatched", action="store_true")

    p = add("verify", cmd_verify, "compare the post-conversion export with the snapshot")
    p.add_argument("--post", required=True, metavar="FILE")
    p.add_argument("--map", action="append", metavar="FIELD=HEADER")

    p = add("report", cmd_report, "write the biller workbook")
    p.add_argument("--out", default=None, metavar="FILE")

    add("outreach", cmd_outreach, "write the biller's outreach lists to reports/outreach/ "
        "(email, no email, autopay by card, autopay by bank account, paperless)")

    p = add("checklist", cmd_checklist, "show the conversion checklist, or sign a task off")
    p.add_argument("--done", default=None, metavar="ID")
    p.add_argument("--by", default=None, metavar="NAME")
    p.add_argument("--note", default=None, metavar="TEXT")

    add("templates", cmd_templates, "write the notices and tickets the PM sends")

    p = add("tokens", cmd_tokens, "write the token registration file")
    p.add_argument("--days", type=int, default=30)

    p = add("purge", cmd_purge, "remove customer data after the conversion")
    p.add_argument("--yes", action="store_true")

    p = add("demo", cmd_demo, "run the whole conversion on generated data", project=None)
    p.add_argument("--customers", type=int, default=5000, metavar="N")

    p = add("provider-sim", cmd_provider_sim,
            "run the simulated provider SFTP endpoint on loopback", project=False)
    p.add_argument("--root", required=True, metavar="DIR")
    p.add_argument("--port", type=int, default=0, metavar="P")
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
    p.add_argument("--demo", action="store_true")
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
    except ConvWizError as exc:
        from wizard.services.logs import redact

        message = redact(exc.message)
        log.warning("exit %s: %s", exc.exit_code, message)
        say(f"convwiz: {message}")
        if want_json:
            _emit_json({"error": message, "exit": exc.exit_code, **exc.result})
        return exc.exit_code
    except KeyboardInterrupt:
        say("convwiz: interrupted; nothing half-written was left behind")
        if want_json:
            _emit_json({"error": "interrupted", "exit": 130})
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        from wizard.services import logs

        folder = getattr(args, "project", None) if args else None
        log_path = getattr(args, "_log", None) or _fallback_log(folder)
        log.exception("internal error")
        message = (f"internal error ({type(exc).__name__}); details are in {log_path}. "
                   "Nothing was changed by the failed step")
        say(f"convwiz: {logs.redact(message)}")
        if want_json:
            _emit_json({"error": logs.redact(message), "exit": 1, "log": str(log_path)})
        return 1


def _fallback_log(folder: str | None) -> Path:
    from wizard.flow.project import Project
    from wizard.services import logs

    if folder and Project.is_project(Path(folder)):
        return logs.configure(Path(folder))
    return logs.configure(None)


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
