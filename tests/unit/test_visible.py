"""Text from outside is shown, never obeyed (issue 30): `core.visible.shown`, and the two
last lines of defence that use it (the command line's messages, the log)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from wizard.core.visible import has_control, shown
from wizard.services import logs

HOSTILE = "xref\x1b]0;owned\x07\x1b[2J\nconvwiz: forged\r\u202eslx.exe\x9b31m\x00.csv"


def test_every_control_character_is_shown_as_its_escape() -> None:
    assert shown(HOSTILE) == ("xref\\x1b]0;owned\\x07\\x1b[2J\\nconvwiz: forged\\r"
                              "\\u202eslx.exe\\x9b31m\\x00.csv")
    assert not has_control(shown(HOSTILE))


def test_ordinary_text_and_paths_are_left_as_they_are() -> None:
    for text in ("Conversión Eléctrica 日本", r"C:\Users\pm\Documents\acme", "a\\nb", "tab\tx"):
        assert shown(text, keep_lines=True) == text
    assert shown("tab\tx") == "tab\\tx"


def test_the_programs_own_lines_stay_and_nothing_is_escaped_twice() -> None:
    message = f"Skipped {shown(HOSTILE)}: not a cross-reference.\nNext: fetch again"
    assert shown(message, keep_lines=True) == message
    assert shown("one\ntwo\r\x1b", keep_lines=True) == "one\ntwo\\r\\x1b"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = logs.configure(tmp_path)
    yield path
    logger = logging.getLogger("wizard")
    for handler in list(logger.handlers):
        if getattr(handler, "_convwiz", False):
            logger.removeHandler(handler)
            handler.close()


def test_a_name_from_outside_cannot_forge_a_log_line(log_file: Path) -> None:
    log = logging.getLogger("wizard.test")
    log.info("skipped %s", "notes\n2026-12-06 10:00:00,000 INFO wizard.cli: all fetched")
    log.info("detail %(remote)s", {"remote": "a\x1b[2J\nb"})
    log.info("raw %s", ["x\ny"])
    for handler in logging.getLogger("wizard").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "\x1b" not in text
    assert len(text.splitlines()) == 3, text
    assert "notes\\n2026-12-06" in text


def test_headers_with_control_characters_are_shown_escaped(project: Path,
                                                           tmp_path: Path) -> None:
    """A customer export whose headers hold a terminal's escape codes and a line break."""
    from tests.helpers.cli import convwiz

    export = tmp_path / "customers.csv"
    export.write_bytes(b'Customer Name\x1b]0;owned\x07,"Acct\nconvwiz: all checks passed",'
                       b"Email\r\nAnn Lee,0001234567,ann@example.com\r\n")

    run = convwiz("export-flags", project, "--input", export, "--json")

    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert not any(line.startswith("convwiz: all checks passed")
                   for line in run.stderr.splitlines()), run.stderr
    assert "Customer Name\\x1b]0;owned\\x07" in run.stderr
    assert not list((project / "outbox").iterdir())
