"""The demo as a newcomer runs it: `convwiz demo` with no display, no keyring daemon and no
network beyond loopback, leaving a real workbook, a flag file and verification figures that
show exactly the drift the demo injected; and the GUI's `prepare_demo` set-up."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import wizard
from tests.helpers.cli import Run
from tests.helpers.private import owner_only
from tests.helpers.workbooks import calamine, is_ole
from wizard.flow.project.project import Project
from wizard.services import places

FLAG_HEADER = ("Customer Name,UTI Account Number,Email,Paperless,Autopay,"
               "Default Payment Method Type,Last 4")
SHEETS = ["Summary", "Account Mapping", "Exceptions", "Re-registration", "Checklist", "Audit"]


def bare_convwiz(*args: object, cwd: Path, home: Path, timeout: float = 300) -> Run:
    """`convwiz ...` as its own process with a bare environment: no DISPLAY, no D-Bus session
    (so no keyring daemon), a fresh HOME, nothing inherited from this shell."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           # the code under test, not whichever copy the interpreter has installed
           "PYTHONPATH": str(Path(wizard.__file__).parent.parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", *[str(a) for a in args]],
        capture_output=True, text=True, encoding="utf-8", timeout=timeout, env=env, cwd=cwd,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def recount(before: list[dict[str, str]], xref: list[dict[str, str]],
            after: list[dict[str, str]]) -> dict[str, Any]:
    """The drift, counted from the files themselves, one customer at a time."""
    new_of = {r["UTI Account Number"]: r["Daffron Account Number"] for r in xref}
    now_of = {r["Account Number"]: r for r in after}
    yes = {"Y", "y", "Yes", "TRUE", "1"}
    counts = {"autopay_lost": 0, "autopay_gained": 0, "paperless_lost": 0,
              "paperless_gained": 0, "last4_changed": 0, "missing": 0}
    for row in before:
        now = now_of.get(new_of.get(row["Account Number"], ""))
        if now is None:
            counts["missing"] += 1
            continue
        for flag, header in (("autopay", "AutoPay"), ("paperless", "Paperless")):
            was, is_ = row[header] in yes, now[header] in yes
            counts[f"{flag}_lost"] += was and not is_
            counts[f"{flag}_gained"] += is_ and not was
        counts["last4_changed"] += row["Last Four"].zfill(4) != now["Last Four"].zfill(4)
    return counts


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    base = tmp_path_factory.mktemp("demo")
    # a user folder as a Windows PM has one (a space, accents) and the demo's own name, whose
    # time stamp passes the Luhn check (the issue saw it shown as `demo-****4945`)
    folder = base / "José Müller" / "demo-20261205-074945"
    run = bare_convwiz("demo", folder, "--customers", 300, "--json", cwd=base,
                       home=base / "home")
    assert run.code == 0, run.stderr
    return run, folder


def test_the_demo_leaves_a_real_biller_workbook(demo: tuple[Run, Path]) -> None:
    run, folder = demo
    result = run.result
    assert Path(result["project"]) == folder.absolute()
    workbook = Path(result["workbook"])
    assert workbook.parent == folder.absolute() / "reports"
    # encrypted. A bare environment on Linux has no keyring: a password for this run, said
    # once. Windows always has its Credential Manager, which keeps the password.
    assert is_ole(workbook)
    kept = "Windows Credential Manager" if sys.platform == "win32" else "memory only"
    found = re.search(rf"encrypted \(AES-256\) with the password ([^;\s]+); the password is "
                      rf"kept in {kept}\b", run.stderr)
    assert found, run.stderr
    assert not re.search(r"\)\)\.?$", run.stderr, re.MULTILINE), run.stderr  # no "))"
    book = calamine(workbook, found.group(1))
    assert book.sheet_names == SHEETS
    mapping = book.get_sheet_by_name("Account Mapping").to_python()
    header, rows = mapping[0], mapping[1:]
    assert len(rows) == 300
    export = read_csv(Path(result["customer_export"]))
    old = header.index("Old Account Number")
    # account numbers stay text with their leading zeros, end to end
    assert sorted(r[old] for r in rows) == sorted(r["Account Number"] for r in export)
    assert all(isinstance(r[old], str) and str(r[old]).startswith("0") for r in rows)


def test_the_flag_file_is_made_with_two_warnings_and_nothing_blocking(
        demo: tuple[Run, Path]) -> None:
    run, folder = demo
    flags = next(s for s in run.result["steps"] if s["step"] == "export-flags")
    flag_file = Path(run.result["flag_file"])
    assert flag_file.parent == folder.absolute() / "outbox"
    lines = flag_file.read_bytes().split(b"\r\n")
    assert lines[0].decode() == FLAG_HEADER
    assert len([ln for ln in lines[1:] if ln]) == 300
    assert flags["blocking"] == 0
    assert flags["warnings"] == 2  # a short last 4, paperless without an email
    assert Path(flags["exceptions"]).is_file()
    # the short last 4 of the portal export is zero-padded in the flag file
    short = [r for r in read_csv(Path(run.result["customer_export"]))
             if 1 <= len(r["Last Four"]) <= 3]
    assert len(short) == 1
    flag_rows = {r["UTI Account Number"]: r for r in read_csv(flag_file)}
    assert flag_rows[short[0]["Account Number"]]["Last 4"] == short[0]["Last Four"].zfill(4)


def test_verification_shows_exactly_the_injected_drift(demo: tuple[Run, Path]) -> None:
    run, folder = demo
    figures = run.result["verify"]
    # Drift.for_customers(300): 3 autopay lost, 2 paperless gained, 1 last 4, 1 missing
    assert figures["customers"] == 300
    assert figures["matched"] == 299
    assert figures["missing_after"] == 1
    assert figures["unexpected_after"] == 0
    assert figures["autopay"]["lost"] == 3 and figures["autopay"]["gained"] == 0
    assert figures["paperless"]["gained"] == 2 and figures["paperless"]["lost"] == 0
    assert figures["last4_changed"] == 1 and figures["method_changed"] == 0
    assert figures["preserved"] is False
    # and the files the demo left say the same, counted independently
    xref = read_csv(next((folder / "inbox").glob("*.csv")))
    counts = recount(read_csv(Path(run.result["customer_export"])), xref,
                     read_csv(Path(run.result["post_export"])))
    assert counts == {"autopay_lost": 3, "autopay_gained": 0, "paperless_lost": 0,
                      "paperless_gained": 2, "last4_changed": 1, "missing": 1}
    kept = sum(1 for r in read_csv(Path(run.result["post_export"])) if r["AutoPay"] == "Y")
    assert figures["autopay"]["kept"] == kept


def test_each_step_is_told_with_where_its_files_are(demo: tuple[Run, Path]) -> None:
    run, _ = demo
    steps = [s["step"] for s in run.result["steps"]]
    assert steps == ["init", "export-flags", "connect", "send", "fetch-xref", "import-xref",
                     "post-go-live export", "verify", "checklist", "tokens", "report",
                     "templates"]
    for step in steps[1:]:
        assert f"- {step}" in run.stderr
    assert run.result["workbook"] in run.stderr
    assert run.result["flag_file"] in run.stderr
    # stdout is the JSON alone
    assert json.loads(run.stdout) == run.result


def test_no_library_warning_reaches_the_pm(demo: tuple[Run, Path]) -> None:
    # cryptography 48 and newer warn at asyncssh's import about DSA, ten lines the PM can do
    # nothing about; the PM's screen carries the program's own messages only
    run, _ = demo
    assert not re.search(r"\b\w*Warning: ", run.stderr), run.stderr


def test_no_readable_customer_file_and_no_key_is_left_in_the_project(
        demo: tuple[Run, Path]) -> None:
    run, folder = demo
    connect = next(s for s in run.result["steps"] if s["step"] == "connect")
    assert connect["keyring"] is None, "the demo stores its password nowhere"
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        assert b"PRIVATE KEY" not in path.read_bytes(), path
        assert owner_only(path), f"{path} is readable by others"


def test_the_simulator_password_is_in_no_file_of_the_project(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole demo in this process, watching which password the simulator got."""
    from wizard.flow import demo

    started: list[Any] = []
    real_start = demo._start_simulator

    def watched(root: Path) -> Any:
        started.append(real_start(root))
        return started[-1]

    monkeypatch.setattr(demo, "_start_simulator", watched)
    told: list[str] = []
    result = demo.run_demo(tmp_path / "demo", 120, told.append)
    assert Path(result["workbook"]).is_file()
    password = started[0].password.encode()
    assert len(password) >= 12
    files = [p for p in (tmp_path / "demo").rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        assert password not in path.read_bytes(), f"{path} holds the simulator's password"
    assert all(started[0].password not in line for line in told)
    assert started[0].password not in json.dumps(result)
    assert not Path(started[0].root).exists(), "the simulator's files are removed"


def test_no_message_log_line_or_hint_masks_a_time_stamp(demo: tuple[Run, Path]) -> None:
    """The demo's data holds no full card number, so nothing it says is masked: its folder's
    stamp and every file's stamp are shown as they are, and each path it names exists."""
    run, folder = demo
    log = (folder / "convwiz.log").read_text(encoding="utf-8")
    for text in (run.stdout, run.stderr, log):
        assert "****" not in text
    assert str(folder.absolute()) in run.stderr
    named = [Path(v) for v in run.result.values() if isinstance(v, str) and os.sep in v]
    assert named and all(p.exists() for p in named), named
    # a refusal's message and hint name the folder as it is (the issue's `demo-****4945`)
    again = bare_convwiz("demo", folder, "--customers", 40, cwd=folder.parent,
                         home=folder.parent / "home")
    assert again.code == 2
    assert str(folder.absolute()) in again.stderr and "****" not in again.stderr


def test_the_demo_simulates_re_registration_over_two_weeks(demo: tuple[Run, Path]) -> None:
    """35%, 60% and 78% (about: 300 customers) on days 1, 7 and 14 after go-live: three
    points, a chart and the list of who has not registered yet."""
    run, folder = demo
    status = bare_convwiz("status", folder, "--json", cwd=folder, home=folder.parent / "home")
    go_live = date.fromisoformat(status.result["go_live"])
    points = status.result["registration"]
    assert [date.fromisoformat(p["date"]) - go_live for p in points] == [
        timedelta(days=1), timedelta(days=7), timedelta(days=14)]
    shares = [p["registered"] / p["expected"] for p in points]
    assert shares == sorted(shares)
    for share, target in zip(shares, (0.35, 0.60, 0.78)):
        assert abs(share - target) < 0.08
    assert run.result["verify"]["registration"]["registered"] == points[-1]["registered"]
    listed = next(s for s in run.result["steps"] if s["step"] == "templates")["not_registered"]
    assert listed["lists"]["not_registered"]["rows"] == (points[-1]["expected"]
                                                          - points[-1]["registered"])
    assert Path(listed["draft"]).is_file()


def test_the_checklist_is_signed_off_and_every_step_is_done(demo: tuple[Run, Path]) -> None:
    run, folder = demo
    status = bare_convwiz("status", folder, "--json", cwd=folder, home=folder.parent / "home")
    assert status.code == 0, status.stderr
    # the demo seeds drift: verification finds it, so that step needs attention, not done
    assert {s["id"]: s["state"] for s in status.result["steps"]} == {
        "coordination": "done", "flag_file": "done", "send": "done",
        "cross_reference": "done", "verification": "needs attention", "report": "done"}
    assert status.result["next_step"] == "verification"
    checklist = bare_convwiz("checklist", folder, "--json", cwd=folder,
                             home=folder.parent / "home")
    open_tasks = [t["id"] for t in checklist.result["tasks"] if not t["done"]]
    # never signed off by the program: the flags check, and the biller's own figure
    assert open_tasks == ["check_flags", "customers_reregistered"]
    signed = [t for t in checklist.result["tasks"] if not t["auto"] and t["done"]]
    assert signed and all(t["by"] == "Demo PM" for t in signed)


def test_a_demo_without_a_folder_goes_under_documents_and_never_reuses_a_project(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Started from a folder the person cannot write (a double-clicked program on Windows
    starts in one), the demo goes under the user's documents folder and says where."""
    home = tmp_path / "h"
    cwd = tmp_path / "read-only place"
    cwd.mkdir()
    mounted = _read_only(cwd)
    try:
        run = bare_convwiz("demo", "--customers", 40, "--json", cwd=cwd, home=home)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(cwd)], check=False)
    assert run.code == 0, run.stderr
    made = Path(run.result["project"])
    if sys.platform == "win32":
        # Windows names the user's Documents folder itself (a known folder), not from HOME:
        # this demo lands in the real one, and is removed when the test ends
        request.addfinalizer(lambda: shutil.rmtree(made, ignore_errors=True))
        assert made.parent == places.documents_dir()
    else:
        assert made.parent == home / "Documents" / "Conversion Wizard"
    assert re.fullmatch(r"demo-\d{8}-\d{6}(-\d+)?", made.name)
    assert str(made) in run.stderr  # it says where
    assert Path(run.result["workbook"]).is_file()
    again = bare_convwiz("demo", made, "--customers", 40, "--json", cwd=tmp_path, home=home)
    assert again.code == 2
    assert "already holds a conversion project" in again.result["error"]


def _read_only(folder: Path) -> bool:
    """Make `folder` really read-only (a read-only tmpfs: root ignores permission bits);
    where that is not possible, at least its mode. True if a mount was made."""
    if getattr(os, "geteuid", lambda: -1)() == 0 and sys.platform.startswith("linux"):
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                               str(folder)], check=False)
        if done.returncode == 0:
            return True
    folder.chmod(0o555)
    return False


def test_prepare_demo_gives_the_gui_a_project_and_a_running_simulator(tmp_path: Path) -> None:
    from wizard.flow.demo import prepare_demo
    from wizard.flow.project import steps
    from wizard.flow.steps import exchange, renumber, verification
    from wizard.flow.steps.export import export_flags
    from wizard.progress import NullProgress

    progress = NullProgress()
    with prepare_demo(tmp_path / "gui demo", customers=200) as setup:
        c = setup.connection
        password = setup.password.encode()
        assert c["key_file"] is None and len(password) >= 12
        with Project.open(setup.project) as project:
            # the connection is saved already: the Send page can send at once
            assert project.setting(exchange.S_HOST) == c["host"]
            assert project.setting(exchange.S_HOST_KEY) == c["host_key"]
            export_flags(project, setup.customer_export, None, {}, progress)
            exchange.send(project, progress, secret=setup.password)
            exchange.fetch_xref(project, 60, progress, secret=setup.password)
            renumber.import_xref(project, None, {}, False, progress, lambda _m: None)
            post = setup.post_export(project)
            figures = verification.verify(project, post, {}, progress)
            assert steps.states(project)["verification"] is steps.State.ATTENTION
        assert figures.autopay.lost >= 1 and figures.missing_after >= 1
        root = setup.simulator_root
        assert root.is_dir()
    assert not root.exists()
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex((c["host"], c["port"])) != 0, "the simulator still listens"
    assert owner_only(setup.customer_export)
    files = [p for p in setup.project.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        assert password not in path.read_bytes(), f"{path} holds the simulator's password"


def test_a_demo_of_no_customers_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    from tests.helpers.cli import convwiz

    run = convwiz("demo", tmp_path / "nothing", "--customers", 0, "--json")
    assert run.code == 2
    assert "--customers 0" in run.result["error"]
    assert not (tmp_path / "nothing").exists()


def test_the_biller_letter_carries_the_workbook(demo: tuple[Run, Path]) -> None:
    """The demo writes the notices after the workbook, so the letter to the biller has it."""
    import email
    from email import policy

    _run, folder = demo
    drafts = list((folder / "reports" / "templates").glob("biller_letter*.eml"))
    assert drafts, list((folder / "reports" / "templates").iterdir())
    message = email.message_from_bytes(drafts[0].read_bytes(), policy=policy.default)
    names = [part.get_filename() for part in message.iter_attachments()]
    assert any(n and n.endswith("_conversion_workbook.xlsx") for n in names), names
