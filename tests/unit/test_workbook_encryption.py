"""The workbooks that leave the project are encrypted (ECMA-376 agile, AES-256) with the
project's passphrase, kept in the keyring alone; read back by msoffcrypto-tool directly."""

from __future__ import annotations

import email
import io
import re
import zipfile
from email import policy
from email.message import EmailMessage
from pathlib import Path

import olefile
import pytest

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post
from tests.helpers.memkeyring import MemoryKeyring, kept_secrets
from tests.helpers.private import PRIVATE_FILE, mode
from tests.helpers.workbooks import calamine, is_ole
from wizard.core import generate
from wizard.core.reader import read_table
from wizard.errors import WorkbookLocked
from wizard.flow.papers import outreach, templates
from wizard.flow.project import workbook_password
from wizard.flow.project.project import Project
from wizard.services import office_crypto

LIST_SHEETS = ["Notify by email", "No email (mail or phone)", "Autopay by card",
               "Autopay by bank account", "Paperless"]


def _keyring_passwords() -> list[str]:
    return [p for entries in kept_secrets().values() for p in entries.values()]


def _descriptor(path: Path) -> str:
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
        with ole.openstream("EncryptionInfo") as stream:
            info = stream.read()
    assert info[:4] == b"\x04\x00\x04\x00"  # version 4.4: agile encryption
    return info[8:].decode("utf-8")


def _message(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def drafts_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's local data folder (where the password draft goes), in the test's folder."""
    home = tmp_path / "local-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))  # Linux
    # Windows and macOS ask the system for the folder, not the environment
    monkeypatch.setattr(templates, "password_drafts_dir",
                        lambda: home / "convwiz" / "password drafts")
    return home


def test_report_is_encrypted_by_default_with_aes_256(project: Path) -> None:
    built = build(project, n=120)
    run = convwiz("report", project, "--json")
    assert run.code == 0, run.stderr
    out = Path(run.result["output"])
    assert run.result["encrypted"] is True and "password" not in run.result
    raw = out.read_bytes()
    assert is_ole(out) and not zipfile.is_zipfile(out)
    assert mode(out) == PRIVATE_FILE
    descriptor = _descriptor(out)
    assert 'cipherAlgorithm="AES"' in descriptor and 'keyBits="256"' in descriptor
    assert 'cipherChaining="ChainingModeCBC"' in descriptor
    assert 'hashAlgorithm="SHA512"' in descriptor and 'spinCount="100000"' in descriptor
    # no customer's e-mail or account number in the file's bytes
    export = built.export_table
    for value in (export.column("Account Number").to_pylist()
                  + [e for e in export.column("Email Address").to_pylist() if e]):
        assert value.encode() not in raw and value.encode("utf-16-le") not in raw, value
    # the password: shown once on standard error for people, with how to hand it over
    (password,) = _keyring_passwords()
    assert run.stderr.count(password) == 1
    assert "by phone or in a separate message, never in the same mail" in run.stderr
    book = calamine(out, password)
    assert book.sheet_names[0] == "Summary" and len(book.sheet_names) == 6
    # --show-password puts it in the --json result, the same one (no new password)
    again = convwiz("report", project, "--json", "--show-password")
    assert again.code == 0 and again.result["password"] == password
    assert _keyring_passwords() == [password]


def test_the_password_is_six_words_of_a_kept_list_about_77_bits() -> None:
    words = office_crypto.word_list()
    assert len(words) >= 7_770 and all(w.isalpha() for w in words)
    assert office_crypto.passphrase_bits() >= 77
    made = {office_crypto.new_passphrase() for _ in range(20)}
    assert len(made) == 20  # drawn at random each time
    for phrase in made:
        parts = phrase.split("-")
        assert len(parts) == 6 and all(p in words for p in parts)


def test_no_encrypt_writes_plain_says_so_and_audits_it(project: Path) -> None:
    build(project, n=40, xref=False)
    run = convwiz("report", project, "--no-encrypt", "--json", "--show-password")
    assert run.code == 0, run.stderr
    out = Path(run.result["output"])
    assert zipfile.is_zipfile(out) and not is_ole(out)
    assert run.result["encrypted"] is False and "password" not in run.result
    assert "NOT ENCRYPTED" in run.stderr
    assert _keyring_passwords() == []  # no password made for a plain workbook
    with Project.open(project) as p:
        actions = [a.action for a in p.store.audit_log()]
        assert "biller workbook written without encryption (--no-encrypt)" in actions
        assert p.store.latest_file("biller_workbook").detail["encrypted"] is False  # type: ignore[union-attr]


def test_no_usable_keyring_is_exit_2_and_nothing_written(project: Path) -> None:
    build(project, n=20, xref=False)
    MemoryKeyring.locked = True
    run = convwiz("report", project, "--json")
    assert run.code == 2
    assert "locked" in run.result["error"]
    assert list((project / "reports").glob("*.xlsx")) == []


def test_a_new_password_replaces_the_old_and_old_workbooks_keep_theirs(project: Path) -> None:
    build(project, n=30, xref=False)
    first = convwiz("report", project, "--json", "--show-password")
    out = Path(first.result["output"])
    old = first.result["password"]
    kept_copy = project.parent / "sent-before.xlsx"
    kept_copy.write_bytes(out.read_bytes())
    run = convwiz("settings", project, "--new-workbook-password", "--json")
    assert run.code == 0, run.stderr
    (new,) = _keyring_passwords()
    assert new != old and new in run.stderr and new not in run.stdout
    with Project.open(project) as p:
        assert "workbook password replaced" in [a.action for a in p.store.audit_log()]
        # the program reads back a workbook with its password; the old one is exit 2
        with pytest.raises(WorkbookLocked, match="cannot be opened with this"):
            workbook_password.open_workbook(p, kept_copy)
        assert zipfile.is_zipfile(io.BytesIO(workbook_password.open_workbook(p, kept_copy, old)))
    second = convwiz("report", project, "--json", "--show-password")
    assert second.result["password"] == new
    assert calamine(out, new).sheet_names[0] == "Summary"


def test_an_encrypted_export_is_read_with_the_projects_password(project: Path,
                                                               tmp_path: Path) -> None:
    """A biller sends the customer export back protected with the project's password: the
    program reads it in memory; with another password it is exit 2, never a traceback."""
    build(project, n=10, xref=False)
    assert convwiz("report", project, "--json").code == 0  # makes the password
    (password,) = _keyring_passwords()
    plain = generate.write_xlsx(generate.customers(25, seed=3), tmp_path / "plain.xlsx")
    protected = tmp_path / "protected.xlsx"
    protected.write_bytes(office_crypto.encrypt(plain.read_bytes(), password))
    run = convwiz("export-flags", project, "--input", protected, "--json")
    assert run.code == 0, run.stderr
    assert run.result["rows"] == 25
    stranger = tmp_path / "stranger.xlsx"
    stranger.write_bytes(office_crypto.encrypt(plain.read_bytes(), "not-the-password"))
    run = convwiz("export-flags", project, "--input", stranger, "--json")
    assert run.code == 2
    assert "stranger.xlsx cannot be opened with this password" in run.result["error"]
    assert "Traceback" not in run.stderr
    # the project's own workbook is read back too (its Account Mapping, as a table)
    with Project.open(project) as p:
        workbook = next((project / "reports").glob("*_conversion_workbook.xlsx"))
        table = read_table(workbook, "Re-registration",
                           opener=workbook_password.opener(p))
        assert table.num_rows == 10
    # no password in the keyring at all: exit 2 saying so
    MemoryKeyring.reset()
    run = convwiz("export-flags", project, "--input", protected, "--json")
    assert run.code == 2 and "no password" in run.result["error"]


def test_outreach_workbook_is_one_encrypted_sheet_per_list(project: Path) -> None:
    build(project, n=200)
    run = convwiz("outreach", project, "--workbook", "--json")
    assert run.code == 0, run.stderr
    workbook = Path(run.result["workbook"])
    assert workbook.parent == project / "reports" and is_ole(workbook)
    (password,) = _keyring_passwords()
    assert password in run.stderr and password not in run.stdout
    book = calamine(workbook, password)
    assert book.sheet_names == LIST_SHEETS
    for key, sheet in zip(outreach.SHEET_NAMES, LIST_SHEETS):
        rows = book.get_sheet_by_name(sheet).to_python()
        expected = run.result["lists"][key]["rows"]
        assert len(rows) - 1 == expected or (expected == 0 and len(rows) == 2), sheet
        assert rows[0] == ["Customer Name", "Old Account Number", "New Account Number",
                           "Email"]
    # the CSVs stay in the project for the PM's own tools
    for item in run.result["lists"].values():
        assert Path(item["path"]).parent == project / "reports" / "outreach"
    # without --workbook: the CSVs only
    plain = convwiz("outreach", project, "--json")
    assert plain.code == 0 and plain.result["workbook"] is None


def test_the_outreach_workbook_takes_more_lists(project: Path) -> None:
    """Another list (e.g. the customers not registered yet) is one more (sheet, rows) pair."""
    build(project, n=50)
    with Project.open(project) as p:
        joined, _xref = outreach.load_joined(p)
        lists = outreach.lists(joined)
        extra = [*[(outreach.sheet_name(i), i.rows) for i in lists],
                 ("Not registered", lists[0].rows.slice(0, 3))]
        with p.writing("test"):
            path = outreach.write_workbook(p, extra, "correct-horse-battery-staple-x-y")
    book = calamine(path, "correct-horse-battery-staple-x-y")
    assert book.sheet_names == [*LIST_SHEETS, "Not registered"]
    assert len(book.get_sheet_by_name("Not registered").to_python()) == 4


def test_letter_attaches_the_encrypted_workbook_and_the_password_goes_alone(
        project: Path, drafts_home: Path) -> None:
    with Project.open(project) as p:
        for key, value in (("biller_email", "billing@acme.example"), ("pm_name", "Pat Morgan"),
                           ("pm_email", "pat@ic.example"), ("pm_phone", "555-0100")):
            p.store.set_setting(key, value)
    build(project, n=60)
    post = generate.write_csv(drifted_post(project, autopay_lost=1).table,
                              project.parent / "post.csv")
    assert convwiz("verify", project, "--post", post).code == 3  # an exceptions workbook
    assert convwiz("report", project, "--json").code == 0
    (password,) = _keyring_passwords()
    run = convwiz("templates", project, "--json")
    assert run.code == 0, run.stderr
    assert run.result["password_draft"] is None
    workbook = next((project / "reports").glob("*_conversion_workbook.xlsx"))
    letter = _message(project / "reports" / "templates" / "biller_letter.eml")
    attached = list(letter.iter_attachments())
    assert [a.get_filename() for a in attached] == [workbook.name]  # never the exceptions
    assert attached[0].get_content() == workbook.read_bytes()
    assert attached[0].get_content()[:8] == office_crypto.OLE_MAGIC
    body = _body(letter)
    assert "protected with a password, which you will receive separately" in body
    assert password not in letter.as_string()
    # no draft in the project holds the password
    for path in (project / "reports").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path

    run = convwiz("templates", project, "--password-draft", "--json")
    assert run.code == 0, run.stderr
    draft = Path(run.result["password_draft"])
    assert draft.is_relative_to(drafts_home) and not draft.is_relative_to(project)
    assert draft.name.endswith("SEND_SEPARATELY.eml")
    assert mode(draft) == PRIVATE_FILE
    message = _message(draft)
    assert list(message.iter_attachments()) == []  # never beside an attachment
    assert password in _body(message)
    assert "sent separately" in str(message["Subject"])
    assert message["To"] == "billing@acme.example"
    assert "SEND SEPARATELY" in run.stderr
    # purge removes the password from the keyring, and its draft with it
    purged = convwiz("purge", project, "--yes", "--force", "--json")
    assert purged.code == 0, purged.stderr
    assert purged.result["workbook_password_removed"] is True
    assert _keyring_passwords() == [] and not draft.exists()


def test_password_draft_needs_an_encrypted_workbook(project: Path, drafts_home: Path) -> None:
    build(project, n=10, xref=False)
    run = convwiz("templates", project, "--password-draft", "--json")
    assert run.code == 4 and "convwiz report" in run.result["error"]
    assert not drafts_home.exists()


def test_purge_keeps_the_password_when_asked(project: Path) -> None:
    build(project, n=10, xref=False)
    assert convwiz("report", project).code == 0
    run = convwiz("purge", project, "--yes", "--force", "--keep-secret", "--json")
    assert run.code == 0
    assert run.result["workbook_password_removed"] is False and len(_keyring_passwords()) == 1


def test_the_password_is_in_no_file_of_the_project(project: Path, drafts_home: Path) -> None:
    """convwiz.log, the audit log, the database (and its WAL), .tmp/, every file under the
    project: none holds any password the project ever had."""
    with Project.open(project) as p:
        p.store.set_setting("biller_email", "billing@acme.example")
    build(project, n=80)
    post = generate.write_csv(drifted_post(project).table, project.parent / "post.csv")
    convwiz("verify", project, "--post", post)
    seen: set[str] = set()
    for command in (("report", "--show-password", "--json"), ("outreach", "--workbook"),
                    ("templates",), ("settings", "--new-workbook-password"),
                    ("report", "--json", "--show-password"), ("status",)):
        run = convwiz(command[0], project, *command[1:])
        assert run.code == 0, (command, run.stderr)
        seen.update(_keyring_passwords())
    assert len(seen) == 2
    files = [f for f in project.rglob("*") if f.is_file()]
    assert any(f.name == "convwiz.log" for f in files)
    assert any(f.name.startswith("convwiz.sqlite") for f in files)
    for path in files:
        data = path.read_bytes()
        for password in seen:
            for form in (password, password.replace("-", " ")):
                assert form.encode() not in data, (path, "holds a workbook password")
                assert form.encode("utf-16-le") not in data, path
    temp = project / ".tmp"
    assert not temp.exists() or not any(temp.iterdir())
    with Project.open(project) as p:
        text = " ".join(f"{a.action} {a.detail}" for a in p.store.audit_log())
        text += " ".join(str(v) for v in p.store.settings().values())
    assert not any(pw in text for pw in seen)
    assert re.search(r"workbook:Acme_Electric_Co-op:[0-9a-f]{16}", text)
