"""No card number, secret or email address reaches a log or the person's terminal, whatever
path it takes: any logger and level, arguments, tracebacks, the CLI's error paths."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_export
from tests.helpers.cli import convwiz
from tests.helpers.private import PRIVATE_FILE, mode
from wizard.core.cards import luhn_ok
from wizard.services import logs


def luhn_complete(prefix: str) -> str:
    """`prefix` with the check digit that makes it pass the Luhn test."""
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


def spaced(digits: str, sep: str, group: int = 4) -> str:
    return sep.join(digits[i:i + group] for i in range(0, len(digits), group))


CARD16 = luhn_complete("411111111111111")  # Visa, 16
CARD15 = luhn_complete("37828224631000")  # Amex, 15
CARD13 = luhn_complete("422222222222")  # old Visa, 13
CARD19 = luhn_complete("622126000000000000")  # UnionPay, 19
MC = luhn_complete("550000555555555")
CARDS = [CARD16, spaced(CARD16, " "), spaced(CARD16, "-"), CARD15, "3782-822463-10005",
         CARD13, CARD19, spaced(CARD19, " "), MC]
EMAILS = ["ann.lee@example.com", "o'brien+bills@coop-mail.net", "ZOE@Example.CO.UK"]
SECRET = "Tr0ub4dor&3 \"horse\" \\battery"


def leaks(text: str) -> list[str]:
    """Every card (as digits), email or secret found in `text`."""
    found = [c for c in CARDS if c in text]
    found += [e for e in EMAILS if e.lower() in text.lower()]
    for form in (SECRET, repr(SECRET)[1:-1], "Tr0ub4dor&3"):
        if form in text:
            found.append(form)
    return found


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    logs.register_secret(SECRET)
    path = logs.configure(tmp_path)
    yield path
    logger = logging.getLogger("wizard")
    for handler in list(logger.handlers):
        if getattr(handler, "_convwiz", False):
            logger.removeHandler(handler)
            handler.close()


def _flush() -> None:
    for handler in logging.getLogger("wizard").handlers:
        handler.flush()


def test_every_level_and_argument_form_is_redacted(log_file: Path) -> None:
    log = logging.getLogger("wizard.export")
    data = " ".join(CARDS + EMAILS + [SECRET])
    for level in (logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
        log.log(level, "template with data " + data)
        log.log(level, "row %d: %s %r", 41, data, data)
        log.log(level, "customer %(name)s paid with %(card)s",
                {"name": EMAILS[0], "card": CARDS[1]})
        log.log(level, "record %s", {"email": EMAILS[1], "rows": 3, "password": SECRET,
                                     "nested": [CARD15, {"card": CARD13}]})
        log.log(level, "tuple %s list %s", (CARD16, EMAILS[2]), [SECRET, CARD19])
        log.log(level, "extra fields are never written", extra={"customer": CARD16})
    log.getChild("deeper").warning("a child logger %s", CARD16)
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert leaks(text) == [], text
    # what is not data survives: numbers, structure, masked last four, placeholders
    assert "row 41:" in text
    assert "****1111" in text
    assert "<email>" in text and "<secret>" in text
    assert "'rows': 3" in text and "'email': '<redacted>'" in text
    assert text.count(" CRITICAL wizard.export: ") == 6


def test_tracebacks_are_redacted(log_file: Path) -> None:
    log = logging.getLogger("wizard.renumber")

    def parse(value: str) -> int:
        return int(value)  # ValueError naming the value

    try:
        parse(f"{CARD16} {EMAILS[0]} {SECRET}")
    except ValueError:
        log.exception("could not read the row of %s", EMAILS[1])
    try:
        raise KeyError({"card": spaced(CARD19, "-"), "pw": SECRET})
    except KeyError:
        log.error("lookup failed", exc_info=True)
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "ValueError: invalid literal for int()" in text
    assert leaks(text) == [], text


def test_a_log_call_that_does_not_fit_its_arguments_prints_nothing_of_them(
    log_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest's own capture handler would raise on the bad call: keep only the program's
    wizard = logging.getLogger("wizard")
    monkeypatch.setattr(wizard, "handlers",
                        [h for h in wizard.handlers if getattr(h, "_convwiz", False)])
    log = logging.getLogger("wizard.export")
    log.info("two placeholders %s %s", CARD16)  # a bug in a log call must not leak
    log.info("named %(card)s", CARD16)
    _flush()
    err = capsys.readouterr().err
    text = log_file.read_text(encoding="utf-8")
    assert leaks(text + err) == [], text + err
    assert "arguments left out" in text


def test_time_stamps_and_digests_in_file_names_are_kept(log_file: Path) -> None:
    # 20261126-170822 passes the Luhn check; it is the time stamp in a flag file's name
    name = "outbox/flag_file_Acme_20261126-170822.csv"
    digest = "1" * 16 + "4111111111111111" + "a" * 32
    logging.getLogger("wizard.project").info("made %s (sha256 %s)", name, digest)
    _flush()
    text = log_file.read_text(encoding="utf-8")
    assert name in text and digest in text


def test_rotated_logs_stay_private(log_file: Path) -> None:
    log = logging.getLogger("wizard.export")
    log.info("first file")
    handler = next(h for h in logging.getLogger("wizard").handlers if getattr(h, "_convwiz", 0))
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    old = os.umask(0o022)
    try:
        handler.doRollover()
        log.info("second file %s", CARD16)
    finally:
        os.umask(old)
    _flush()
    for path in (log_file, log_file.with_name(log_file.name + ".1")):
        assert mode(path) == PRIVATE_FILE, path
    assert leaks(log_file.read_text(encoding="utf-8")) == []


def _scan_project(project: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in project.glob("convwiz.log*"))


def test_cli_internal_error_is_redacted_and_names_the_log(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs.register_secret(SECRET)
    import wizard.flow.steps.export

    def broken(*args: object, **kwargs: object) -> dict[str, object]:
        raise RuntimeError(f"bug while reading {CARDS[2]} of {EMAILS[0]} with {SECRET!r}")

    monkeypatch.setattr(wizard.flow.steps.export, "export_flags", broken)
    export = write_export(tmp_path / "customers.csv", ["Ann Lee,0001,a@b.co,Y,Y,card,1111"])
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 1
    assert str(project / "convwiz.log") in run.stderr
    assert "Traceback" not in run.stderr
    assert run.result["log"] == str(project / "convwiz.log")
    text = _scan_project(project)
    assert "RuntimeError: bug while reading ****" in text
    assert leaks(run.stdout + run.stderr + text) == [], run.stderr + text


def test_cli_error_messages_naming_data_are_redacted(project: Path, tmp_path: Path) -> None:
    # the input's very name holds a card and an email: the message names the file, masked
    missing = tmp_path / f"export {CARDS[1]} for {EMAILS[0]}.csv"
    run = convwiz("export-flags", project, "--input", missing, "--json")
    assert run.code == 2
    assert "no such file" in run.stderr
    assert leaks(run.stdout + run.stderr + _scan_project(project)) == []


def test_blocking_findings_with_cards_and_emails_leave_no_trace(
    project: Path, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    rows = [
        f"Ann Lee,0001234567,{EMAILS[0]},Y,Y,card,{CARDS[1]}",
        f"Bob Ray,0001234568,{EMAILS[1]},Y,Y,card,1234",
        # two cards in one cell, as a note typed by a clerk
        f"Cy Dee,0001234569,,N,N,,,\"paid with {CARD16} then {MC}\"",
        f"Di Eve,0001234570,{EMAILS[2]},maybe,Y,{CARDS[2]},5678",
    ]
    header = ("Customer Name,Account Number,Email Address,Paperless,AutoPay,Payment Type,"
              "Last Four,Notes")
    export = write_export(tmp_path / "customers.csv", [r if r.count(",") >= 7 else r + ","
                                                       for r in rows], header=header)
    run = convwiz("export-flags", project, "--input", export, "--json")
    assert run.code == 3, run.stderr
    assert leaks(run.stdout + run.stderr + _scan_project(project)) == [], run.stderr
    workbook = Path(run.result["exceptions"])
    book = CalamineWorkbook.from_path(str(workbook))
    cells = " ".join(str(c) for name in book.sheet_names
                     for row in book.get_sheet_by_name(name).to_python() for c in row)
    for card in (CARD16, MC, CARDS[1], CARDS[2]):
        assert card not in cells
        assert card.replace(" ", "").replace("-", "") not in cells
    assert "****" in cells
