"""`convwiz`: the command line, a thin face over `wizard.flow` (see CONTRACT.md).

Every command accepts `--json`, before or after the command name: the last line of standard
output is then one JSON object with the result (with an "error" message on failure).
Messages for people go to standard error. Exit statuses are CONTRACT.md's: 0 done, 1
internal error, 2 bad usage or unreadable input or no keyring or the world refused, 3
blocking findings, 4 not ready or busy, 5 remote failure.

`commands.py` holds the commands, `parser.py` their options; this module runs them and turns
every failure into its message and exit status.
"""

from __future__ import annotations

import argparse
import errno
import io
import json
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from wizard.cli.commands import say
from wizard.cli.parser import build_parser
from wizard.errors import ConvWizError, UsageError

__all__ = ["build_parser", "environment_failure", "main", "say"]
log = logging.getLogger("wizard.cli")


def _emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _utf8_output() -> None:
    """What the program writes to a pipe or file is UTF-8 on every system. On Windows the
    default is the ANSI code page (cp1252): `→` could not be written (the demo ended in a
    UnicodeEncodeError) and `Conversión` reached a UTF-8 reader as `Conversi\ufffdn`. A
    console is written as Unicode by Python itself, whatever this says."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace(
                "-", "") != "utf8":
            stream.reconfigure(encoding="utf-8", errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _utf8_output()
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
        refused = environment_failure(exc, getattr(args, "project", None))
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


def environment_failure(exc: BaseException, project: str | None = None) -> UsageError | None:
    """An OSError (or SQLite's word for one) the world caused, as exit 2 naming the path
    and the fix (a full disk: the disk holding `project`, and its free space); None for
    anything that is our own bug."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text:
            return UsageError("the project cannot be written (it is on a read-only medium "
                              "or its files are read-only): copy it to a writable folder. "
                              "Nothing was changed")
        if "disk is full" in text or "database or disk is full" in text:
            from wizard.flow.runtime import disk_full

            folder = Path(project) if project else Path.cwd()
            return disk_full(folder / "convwiz.sqlite", folder if project else None)
        return None
    if not isinstance(exc, OSError) or exc.errno not in _REFUSALS:
        return None
    if _REFUSALS[exc.errno] == _REFUSALS[errno.ENOSPC]:
        from wizard.flow.runtime import disk_full

        written = Path(str(exc.filename)) if exc.filename else Path(project or ".") / "a file"
        return disk_full(written, Path(project) if project else None)
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
    from wizard.flow.project.project import Project

    if folder and Project.is_project(Path(folder)):
        return runtime.configure_log(Path(folder))
    return runtime.configure_log(None)


