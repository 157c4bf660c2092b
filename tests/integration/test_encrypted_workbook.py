"""The encrypted biller workbook, read by independent readers: an OLE compound file, not a ZIP;
msoffcrypto-tool decrypts it with the password (and refuses a wrong one); LibreOffice opens
the result headless and saves it again with every sheet and every row intact."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import msoffcrypto
import olefile
import pytest

from tests.helpers.cli import convwiz
from tests.helpers.conversion import build, drifted_post
from tests.helpers.memkeyring import MemoryKeyring
from tests.helpers.workbooks import calamine, decrypted
from wizard.core import generate

pytestmark = pytest.mark.libreoffice

SHEETS = ["Summary", "Account Mapping", "Exceptions", "Re-registration", "Checklist", "Audit"]


def _soffice_convert(source: Path, to: str, out_dir: Path, tmp_path: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (libreoffice-calc-nogui)")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
         "--norestore", "--convert-to", to, "--outdir", str(out_dir), str(source)],
        capture_output=True, encoding="utf-8", timeout=240, env={**os.environ, "HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr
    made = out_dir / f"{source.stem}.{to.split(':')[0]}"
    assert made.exists(), proc.stdout + proc.stderr
    return made


def test_the_encrypted_workbook_decrypts_and_opens_in_libreoffice(
        project: Path, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    built = build(project, n=300)
    post = generate.write_csv(drifted_post(project, autopay_lost=3, missing=1).table,
                              tmp_path / "post.csv")
    assert convwiz("verify", project, "--post", post).code == 3
    run = convwiz("report", project, "--json", "--show-password")
    assert run.code == 0, run.stderr
    workbook = Path(run.result["output"])
    password = run.result["password"]

    # an OLE compound file holding Office's encryption, not a ZIP
    assert not zipfile.is_zipfile(workbook)
    assert olefile.isOleFile(str(workbook))
    with olefile.OleFileIO(str(workbook)) as ole:
        assert ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
    raw = workbook.read_bytes()
    export = built.export_table
    for value in (export.column("Account Number").to_pylist()
                  + [e for e in export.column("Email Address").to_pylist() if e]):
        assert value.encode() not in raw, value

    # a wrong password fails cleanly: the reader refuses it, nothing decrypted
    with open(workbook, "rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        with pytest.raises(msoffcrypto.exceptions.InvalidKeyError):
            office.load_key(password=password + "x", verify_password=True)

    # decrypted with the password, it opens in LibreOffice, which saves every sheet again
    plain = tmp_path / "decrypted" / "workbook.xlsx"
    plain.parent.mkdir()
    plain.write_bytes(decrypted(workbook, password))
    ours = calamine(plain)
    assert ours.sheet_names == SHEETS
    resaved = _soffice_convert(plain, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo",
                               tmp_path)
    theirs = calamine(resaved)
    assert theirs.sheet_names == SHEETS
    for sheet in SHEETS:
        mine = ours.get_sheet_by_name(sheet).to_python()
        lo = theirs.get_sheet_by_name(sheet).to_python()
        assert len(lo) == len(mine), sheet
        assert lo[0] == mine[0], sheet  # the header row
    for sheet in ("Account Mapping", "Re-registration", "Exceptions"):  # text, cell by cell
        assert (theirs.get_sheet_by_name(sheet).to_python()
                == ours.get_sheet_by_name(sheet).to_python()), sheet
    assert len(ours.get_sheet_by_name("Account Mapping").to_python()) == 301
    pdf = _soffice_convert(plain, "pdf", tmp_path / "pdf", tmp_path)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_a_wrong_password_is_exit_2_with_a_clear_message(
        project: Path, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """The program reading an encrypted workbook it cannot open: exit 2, the file named, the
    fix said, no traceback; in a process of its own, as a person runs it."""
    from tests.helpers.cli import convwiz_process

    build(project, n=20, xref=False)
    store = tmp_path / "keyring.json"
    env = {"PYTHON_KEYRING_BACKEND": "tests.helpers.memkeyring.MemoryKeyring",
           "CONVWIZ_TEST_KEYRING": str(store),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = convwiz_process("report", project, "--json", env=env)
    assert run.code == 0, run.stderr
    workbook = Path(run.result["output"])
    assert convwiz_process("settings", project, "--new-workbook-password",
                           env=env).code == 0
    run = convwiz_process("export-flags", project, "--input", workbook, "--json", env=env)
    assert run.code == 2
    assert f"{workbook.name} cannot be opened with this password" in run.result["error"]
    assert "Traceback" not in run.stderr


# a Basic macro in a test profile: LibreOffice opens a file with a password (its command line
# has no way to give one) and saves what it opened as a plain XLSX
_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1"
 script:language="StarBasic">
Sub OpenWithPassword(src As String, pw As String, dst As String)
  Dim args(1) As New com.sun.star.beans.PropertyValue
  args(0).Name = &quot;Password&quot;
  args(0).Value = pw
  args(1).Name = &quot;Hidden&quot;
  args(1).Value = True
  Dim doc As Object
  doc = StarDesktop.loadComponentFromURL(src, &quot;_blank&quot;, 0, args())
  If IsNull(doc) Then Exit Sub
  Dim o(0) As New com.sun.star.beans.PropertyValue
  o(0).Name = &quot;FilterName&quot;
  o(0).Value = &quot;Calc MS Excel 2007 XML&quot;
  doc.storeToURL(dst, o())
  doc.close(True)
End Sub
</script:module>
"""


def _open_in_libreoffice(workbook: Path, password: str, tmp_path: Path) -> Path:
    """LibreOffice itself opens `workbook` with `password` (through the macro above) and saves
    what it opened as a plain XLSX, returned; the test fails if it could not open it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (libreoffice-calc-nogui)")
    profile = tmp_path / "lo-profile"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    base = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
    subprocess.run([*base, "--terminate_after_init"], capture_output=True, timeout=240,
                   env=env, check=True)
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    assert module.exists(), list(profile.rglob("*.xlb"))
    module.write_text(_MACRO, encoding="utf-8")
    opened = tmp_path / "opened by libreoffice.xlsx"
    call = (f'macro:///Standard.Module1.OpenWithPassword("{workbook.as_uri()}",'
            f'"{password}","{opened.as_uri()}")')
    subprocess.run([*base, call], capture_output=True, timeout=240, env=env)
    assert opened.exists(), f"LibreOffice did not open {workbook.name} with its password"
    return opened


def test_libreoffice_itself_opens_it_with_the_password(
        project: Path, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed (libreoffice-calc-nogui)")
    build(project, n=200)
    run = convwiz("report", project, "--json", "--show-password")
    assert run.code == 0, run.stderr
    workbook, password = Path(run.result["output"]), run.result["password"]
    theirs = calamine(_open_in_libreoffice(workbook, password, tmp_path))
    assert theirs.sheet_names == SHEETS
    ours = calamine(workbook, password)
    for sheet in ("Account Mapping", "Re-registration"):
        assert (theirs.get_sheet_by_name(sheet).to_python()
                == ours.get_sheet_by_name(sheet).to_python()), sheet
    # (a wrong password: LibreOffice headless waits for a person to type another one, so
    # the refusal is tested with msoffcrypto above and with the program's own exit 2)


def test_libreoffice_opens_the_evidence_pack_with_its_password(
        project: Path, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """The acceptance of issue 29: the evidence pack opens in LibreOffice with its password,
    and its file list and hashes match the manifest."""
    from wizard.flow.papers.evidence import write_evidence_pack
    from wizard.flow.project.project import Project

    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed (libreoffice-calc-nogui)")
    build(project, n=200)
    assert convwiz("checklist", project, "--done", "confirm_go_live", "--by", "Ann").code == 0
    with Project.open(project) as opened:
        pack = write_evidence_pack(opened)
        manifest = [(e.name, e.sha256) for e in opened.store.manifest()[:-1]]  # not itself
    assert pack.password is not None
    theirs = calamine(_open_in_libreoffice(pack.output, pack.password, tmp_path))
    assert theirs.sheet_names == ["Summary", "Files", "Host Keys", "Sign-offs",
                                  "Setting Changes"]
    files = theirs.get_sheet_by_name("Files").to_python()
    header = files[0]
    name, digest = header.index("File"), header.index("SHA-256")
    assert [(row[name], row[digest]) for row in files[1:]] == manifest
    signed = theirs.get_sheet_by_name("Sign-offs").to_python()
    assert [(row[2], row[3]) for row in signed[1:]] == [("confirm_go_live", "Ann")]
