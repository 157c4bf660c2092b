"""The `convwiz` commands: each reads its arguments, calls `wizard.flow`, prints for people
(standard error) and returns the `--json` result. Nothing more: the work is in flow.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wizard.core.shell import quote
from wizard.core.visible import shown
from wizard.core.vocabulary import FIELDS, REGISTERED_FIELD, XREF_FIELDS
from wizard.errors import UsageError

log = logging.getLogger("wizard.cli")


def say(message: str) -> None:
    """A message for people (standard error). The last line of defence for text from
    outside: a control character that reached the message is shown, never obeyed; the
    message's own line breaks stay."""
    print(shown(message, keep_lines=True), file=sys.stderr, flush=True)


def _progress() -> Any:
    from wizard.cli.progress_text import TextProgress

    return TextProgress()


def _open(args: argparse.Namespace) -> Any:
    from wizard.flow import runtime
    from wizard.flow.project.project import Project

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


def _registered_values(pairs: Sequence[str] | None) -> Any:
    """`--registered-values yes=W1,W2 no=W3` as the registration words (None: not given)."""
    from wizard.flow.steps.verification import registration_words

    said: dict[str, list[str]] = {"yes": [], "no": []}
    for pair in pairs or ():
        side, sep, words = pair.partition("=")
        side = side.strip().lower()
        if not sep or side not in said or not words.strip():
            raise UsageError(f"--registered-values {pair!r}: write it as yes=WORD,WORD or "
                             "no=WORD,WORD, e.g. --registered-values yes=Live no=Invited,Sent")
        said[side] += [w.strip() for w in words.split(",") if w.strip()]
    return registration_words(said["yes"], said["no"])


# -- commands ---------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow import runtime
    from wizard.flow.overview.status import status
    from wizard.flow.project.project import Project
    from wizard.flow.project.settings import Settings, check_date

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
    from wizard.flow.project import workbook_password
    from wizard.flow.project.settings import EDITABLE
    from wizard.flow.project.settings_change import change_settings

    changes = {key: getattr(args, key) for key in EDITABLE if getattr(args, key) is not None}
    changes.update(_extra_settings(args.set))
    renewed = None
    with _open(args) as project:
        result = change_settings(project, changes, allow_past=args.allow_past,
                                 by=args.by or "convwiz settings")
        if args.new_workbook_password:
            renewed = workbook_password.renew(project, by=args.by or "convwiz settings")
    for key, (old, new) in result.changed.items():
        say(f"  {key}: {old or '(not set)'} -> {new or '(not set)'}")
    for step_id in result.stale_steps:
        say(f"  '{step_id}' used the old value: it is back to ready, run it again")
    if renewed is not None:
        say(f"New workbook password, kept in {renewed.keyring}: {renewed.password}")
        say("  Workbooks written before keep the old password: write them again (convwiz "
            "report). " + workbook_password.TELL_THE_BILLER)
    if not args.json:
        for key, value in result.settings.to_json().items():
            print(f"{key:<16} {value if value not in (None, '') else '(not set)'}")
    out = result.to_json()
    if renewed is not None:
        out["new_workbook_password"] = True
    return out


def _extra_settings(pairs: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {pair!r}: write it as KEY=VALUE")
        out[key.strip()] = value
    return out


def cmd_status(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.overview.status import status

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
        print(f"  {current.registration_trend()}")
        if current.chain is not None:
            print(f"  audit log: {current.chain.describe()}")
        print(current.headline())
    return current.to_json()


def cmd_portfolio(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.overview.portfolio import portfolio
    from wizard.flow.overview.portfolio_files import write_calendar, write_workbook

    folders = [Path(f) for f in args.folders] or None
    found = portfolio(folders, with_calendar=bool(args.calendar))
    if not args.json:
        for c in found.conversions:
            days = "" if c.days_left is None else f"{c.days_left:+d}d"
            state = ("DEMO " if c.demo else "") + c.state.upper()
            print(f"{state + (' +CLASH' if c.clashes else ''):<22} {days:>6}  "
                  f"{c.biller or c.path.name}  {c.go_live or ''}")
            print(f"{'':<30}{c.next_action or c.error}"
                  + (f" [{c.owner}]" if c.owner else ""))
            for warning in c.warnings:
                print(f"{'':<30}! {warning}")
    real = [c for c in found.conversions if not c.demo]  # a demo is counted as a demo only
    demos = len(found.conversions) - len(real)
    counts = ", ".join(f"{n} {s}" for s in ("overdue", "needs attention", "busy", "unreadable")
                       if (n := sum(1 for c in real if c.state == s)))
    say(f"{len(real)} conversion{'' if len(real) == 1 else 's'}"
        + (f" ({counts})" if counts else "")
        + (f" and {demos} demo project{'' if demos == 1 else 's'}" if demos else "")
        + (f"; {len(found.clashes)} maintenance window clash"
           f"{'' if len(found.clashes) == 1 else 'es'}" if found.clashes else ""))
    result = found.to_json()
    if args.calendar:
        n = write_calendar(found, Path(args.calendar))
        say(f"Calendar: {args.calendar} ({n} events; importing it again updates them)")
        result["calendar"] = str(Path(args.calendar).absolute())
    if args.workbook:
        write_workbook(found, Path(args.workbook))
        say(f"Workbook: {args.workbook} (not encrypted: it holds no customer data, only "
            "billers, dates and states)")
        result["workbook"] = str(Path(args.workbook).absolute())
    return result


def cmd_export_flags(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps.export import export_flags

    mapping = _mapping(args.map, FIELDS)
    with _open(args) as project:
        result = export_flags(project, Path(args.input), args.sheet, mapping, _progress())
    say(f"Flag file: {result.output} ({result.rows:,} customers)")
    if result.warnings:
        say(f"{result.warnings:,} warnings, listed in {result.exceptions}")
    say(f"Next: convwiz send {quote(args.project)}")
    return result.to_json()


def cmd_host_key(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps.exchange import host_key

    result = host_key(args.host, args.port)
    if not args.json:
        print(result.fingerprint)
    return result.to_json()


def cmd_connect(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps.exchange import connect

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
            xref_pattern=args.xref_pattern, say=say,
        ).to_json()


def cmd_send(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps.exchange import send

    with _open(args) as project:
        return send(project, _progress(), say=say).to_json()


def cmd_fetch_xref(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps.exchange import fetch_xref

    with _open(args) as project:
        return fetch_xref(project, args.wait, _progress(), say=say).to_json()


def cmd_import_xref(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps.renumber import import_xref

    mapping = _mapping(args.map, XREF_FIELDS)
    with _open(args) as project:
        return import_xref(
            project, Path(args.xref) if args.xref else None, mapping, args.allow_unmatched,
            _progress(), say,
        ).to_json()


def cmd_verify(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.errors import BlockingFindings
    from wizard.flow.steps.verification import verdict_message, verify

    mapping = _mapping(args.map, (*FIELDS, REGISTERED_FIELD))
    words = _registered_values(args.registered_values)
    with _open(args) as project:
        result = verify(project, Path(args.post), mapping, _progress(), say, words=words)
    if not result.preserved:  # exit 3, with the contract's figures in the --json object
        raise BlockingFindings(verdict_message(result, Path(args.post)), **result.to_json())
    return result.to_json()


def cmd_report(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.papers.report import write_report

    with _open(args) as project:
        result = write_report(project, Path(args.out) if args.out else None, _progress(),
                              encrypt=not args.no_encrypt)
    _say_protection(result.output, result.password, result.password_created, result.keyring)
    return result.to_json(show_password=args.show_password)


def _say_protection(output: Path, password: str | None, created: bool, keyring: str) -> None:
    """How the workbook is protected, for people: the password once, or the plain warning."""
    from wizard.flow.project.workbook_password import TELL_THE_BILLER

    if password is None:
        say(f"NOT ENCRYPTED (--no-encrypt): {output} opens without a password; anyone who gets "
            "it reads every customer's data. The audit log records this choice.")
        return
    if created:
        say(f"A workbook password was made for this project and kept in {keyring}.")
    say(f"{output.name} is encrypted (AES-256). Its password: {password}")
    say(f"  {TELL_THE_BILLER}")


def write_evidence(args: argparse.Namespace, project: Any) -> dict[str, Any]:
    """`convwiz audit PROJECT --workbook [FILE] [--no-encrypt] [--show-password]`: the
    evidence pack for the biller's auditors (`flow.papers.evidence`), its password said once as for
    the biller workbook."""
    from wizard.flow.papers.evidence import write_evidence_pack

    result = write_evidence_pack(project, Path(args.workbook) if args.workbook else None,
                                 _progress(), encrypt=not args.no_encrypt)
    say(f"The evidence pack for the biller's auditors: {result.output}")
    say(f"  the audit log: {result.chain.describe()}")
    if result.password is None:
        say(f"NOT ENCRYPTED (--no-encrypt): {result.output.name} opens without a password. "
            "The audit log records this choice.")
    else:
        _say_protection(result.output, result.password, result.password_created,
                        result.keyring)
    return result.to_json(show_password=args.show_password)


def cmd_outreach(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.papers.outreach import write_outreach

    if getattr(args, "not_registered", False):
        from wizard.flow.papers.not_registered import write_not_registered

        with _open(args) as project:
            return write_not_registered(project, _progress(), say).to_json()
    with _open(args) as project:
        result = write_outreach(project, _progress(), workbook=args.workbook)
    for f in result.files:
        say(f"  {f.title}: {f.rows:,} in {f.path}")
    if result.workbook is not None:
        say(f"  One workbook, a sheet per list, for the biller: {result.workbook}")
        _say_protection(result.workbook, result.password, result.password_created,
                        result.keyring)
    return result.as_json()


def cmd_checklist(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.steps.checklist import checklist_command

    if (args.by or args.note) and not args.done:
        raise UsageError("--by and --note go with --done ID")
    if args.done and not (args.by or "").strip():
        raise UsageError("--done needs --by NAME: who signs the task off")
    with _open(args) as project:
        result = checklist_command(project, args.done, args.by, args.note)
    if not args.json:
        for task in result.tasks:
            mark = "x" if task.done else " "
            who = f"  ({task.by}, {(task.at or '')[:10]})" if task.done else ""
            print(f"  [{mark}] {task.id:<28} {task.owner:<9} {task.title}{who}")
    return result.to_json()


def cmd_templates(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.papers.templates import write_templates

    with _open(args) as project:
        result = write_templates(project, password_draft=args.password_draft)
    for written in result.templates:
        say(f"  {written.draft}  ({written.title})")
    if result.password_draft is not None:
        say(f"  {result.password_draft}  (the workbook password alone: SEND SEPARATELY, "
            "after the letter, never with the workbook)")
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
    from wizard.flow.steps.renumber import tokens

    with _open(args) as project:
        return tokens(project, args.days, say=say).to_json()


def cmd_purge(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.purge import purge, size_text

    def ask(question: str) -> bool:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("purge removes customer data: run it at a terminal to be asked, "
                             "or confirm with --yes")
        # the question goes to stderr: stdout's last line is the --json object
        print(f"{shown(question, keep_lines=True)} [y/N] ", end="", file=sys.stderr, flush=True)
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
        if result.workbook_password_removed:
            say("The workbook password was removed from the keyring: the workbooks already "
                "sent still open with it.")
        if result.steps_purged:
            say(f"Steps now marked purged: {', '.join(result.steps_purged)}")
    else:
        say("Nothing was removed.")
    for skipped in result.skipped:
        say(f"Left in place: {skipped.name} ({skipped.reason})")
    return result.to_json()


def cmd_audit(args: argparse.Namespace) -> dict[str, Any]:
    from wizard.flow.records.audit import read_log, verify_log

    if args.workbook is None and (args.no_encrypt or args.show_password):
        raise UsageError("--no-encrypt and --show-password go with --workbook")
    with _open(args) as project:
        if args.workbook is not None:
            return write_evidence(args, project)
        if args.verify:
            log_ = verify_log(project)  # exit 3, naming the first bad row, when broken
            say(f"The audit log of {project.folder}: {log_.chain.describe()}")
            return log_.to_json(entries=False)
        log_ = read_log(project)
    if not args.json:
        for line in log_.lines():
            print(line)
    say(f"{len(log_.entries)} rows; the chain: {log_.chain.describe()}")
    return log_.to_json()


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
