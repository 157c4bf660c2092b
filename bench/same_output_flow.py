"""bench/same_output.py's cases for the rest of the flow layer, each one command:

- the whole `convwiz demo` (every file it leaves, its store, keyring and printed output),
  its simulator's host key fixed and its port chosen by the bench;
- `init`, `export-flags` (warnings; blocking findings, exit 3);
- `host-key`, `connect`, `send` and `fetch-xref` against `convwiz provider-sim` (fixed port,
  password and host key, its folder compared too);
- on a copy of one finished demo project (made once, with BASE): `report` (encrypted, and
  `--no-encrypt --out`), `outreach` (lists; `--workbook`; `--not-registered`, the reminder
  and its draft), `templates --password-draft`, `checklist` (shown; a sign-off), `status`
  (text and `--json`), `settings` (a change), `tokens`, `audit` (`--json`, `--verify`,
  `--workbook`), `purge --yes` (refused: not verified) and `--yes --force`, and
  `portfolio` (text, and `--json --workbook --calendar`) over the demo and two projects
  whose windows clash; `status` and `portfolio` again three weeks after the go-live;
- `status` and `portfolio` of a live project whose last verification found 999 of 1,000
  customers registered again (issue 33: the portfolio said 100% where status said 99%; the
  one case that shows that rounding's fix, when it lands, as a difference).
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

with warnings.catch_warnings():  # asyncssh names DSA's classes at import: not our concern
    warnings.simplefilter("ignore")
    import asyncssh

from bench.same_output_cases import KEYRING, Build, Command, exported, init, with_xref
from bench.same_output_run import ProviderSim, free_port
from wizard.core.drift import Drift, post_conversion_export
from wizard.core.generate import customers, write_csv

DEMO_CUSTOMERS = 5000
HOST_KEY_NAME = "simulator_host_ed25519_key"  # where provider-sim keeps its key (in --root)


def _key() -> bytes:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption())


def _project(b: Build) -> str:
    return str(b.project)


# -- the demo, init, export-flags -----------------------------------------------------------
def demo(b: Build) -> Command:
    return Command(["demo", _project(b), "--customers", str(b.extra.get(
        "demo_customers", DEMO_CUSTOMERS)), "--json"], port=free_port())


def make_demo(code: Path, folder: Path, demo_customers: int) -> Path:
    """One finished demo, the starting point of the cases below (made once, with BASE)."""
    folder.mkdir(parents=True, exist_ok=True)
    b = Build(code, folder, 0)
    command = demo(b)
    command.args[command.args.index("--customers") + 1] = str(demo_customers)
    b.cli(*command.args, port=command.port)
    return folder


def init_project(b: Build) -> Command:
    return Command(["init", _project(b), "--biller", "Bench Électric Co-op", "--go-live",
                    "2026-12-24", "--production-bid", "2806", "--window-days", "2",
                    "--pm-name", "Bench PM", "--pm-email", "pm@example.com", "--json"])


def export_flags(b: Build) -> Command:
    write_csv(customers(b.customers, 7), b.folder / "export.csv")
    init(b)
    return Command(["export-flags", _project(b), "--input", str(b.folder / "export.csv"),
                    "--json"])


def export_flags_blocking(b: Build) -> Command:
    table = customers(b.customers, 8)
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    columns["Account Number"][3] = "1.23457E+09"
    columns["Account Number"][4] = ""
    columns["Email Address"][5] = "4111 1111 1111 1111"
    columns["Paperless"][6] = "maybe"
    columns["Customer Name"][7] = "Total"
    write_csv(pa.table(columns), b.folder / "export.csv")
    init(b)
    return Command(["export-flags", _project(b), "--input", str(b.folder / "export.csv"),
                    "--json"])


# -- the provider: host-key, connect, send, fetch-xref --------------------------------------
def _provider(b: Build) -> tuple[Path, int, str]:
    root = b.folder / "provider"
    root.mkdir(parents=True)
    (root / HOST_KEY_NAME).write_bytes(_key())
    (root / HOST_KEY_NAME).chmod(0o600)
    fingerprint = asyncssh.import_private_key(_key()).get_fingerprint("sha256")
    return root, free_port(), fingerprint


def _connect(b: Build, port: int, fingerprint: str) -> list[str]:
    return ["connect", _project(b), "--host", "127.0.0.1", "--port", str(port), "--user",
            "daffron", "--password-stdin", "--host-key", fingerprint, "--json"]


def host_key(b: Build) -> Command:
    _root, port, _fingerprint = _provider(b)
    return Command(["host-key", "--host", "127.0.0.1", "--port", str(port), "--json"],
                   provider=port)


def connect(b: Build) -> Command:
    exported(b)
    _root, port, fingerprint = _provider(b)
    return Command(_connect(b, port, fingerprint), provider=port,
                   stdin=ProviderSim.PASSWORD + "\n")


def _connected(b: Build, then_send: bool) -> int:
    exported(b)
    root, port, fingerprint = _provider(b)
    with ProviderSim(b.code, root, port, b.folder / KEYRING):
        b.cli(*_connect(b, port, fingerprint), stdin=ProviderSim.PASSWORD + "\n")
        if then_send:
            b.cli("send", b.project, "--json")
    return port


def send(b: Build) -> Command:
    return Command(["send", _project(b), "--json"], provider=_connected(b, False))


def fetch_xref(b: Build) -> Command:
    return Command(["fetch-xref", _project(b), "--wait", "10", "--json"],
                   provider=_connected(b, True))


# -- on a finished demo ---------------------------------------------------------------------
def _from_demo(b: Build) -> str:
    assert b.demo is not None
    shutil.copytree(b.demo / "project", b.project)
    shutil.copy2(b.demo / KEYRING, b.folder / KEYRING)
    return _project(b)


def report(b: Build) -> Command:
    return Command(["report", _from_demo(b), "--json", "--show-password"])


def report_plain(b: Build) -> Command:
    return Command(["report", _from_demo(b), "--no-encrypt", "--out",
                    str(b.folder / "biller.xlsx"), "--json"])


def outreach(b: Build) -> Command:
    return Command(["outreach", _from_demo(b), "--json"])


def outreach_workbook(b: Build) -> Command:
    return Command(["outreach", _from_demo(b), "--workbook", "--json"])


def not_registered(b: Build) -> Command:
    return Command(["outreach", _from_demo(b), "--not-registered", "--json"])


def templates(b: Build) -> Command:
    return Command(["templates", _from_demo(b), "--password-draft", "--json"])


def checklist_shown(b: Build) -> Command:
    return Command(["checklist", _from_demo(b)])


def checklist_sign_off(b: Build) -> Command:
    return Command(["checklist", _from_demo(b), "--done", "customers_reregistered", "--by",
                    "Bench Biller", "--note", "78% is enough", "--json"])


def status_text(b: Build) -> Command:
    return Command(["status", _from_demo(b)])


def status_json(b: Build) -> Command:
    return Command(["status", _from_demo(b), "--json"])


def settings_change(b: Build) -> Command:
    return Command(["settings", _from_demo(b), "--window-days", "2", "--pm-phone",
                    "555-0199", "--set", "biller_email=billing@example.com", "--by",
                    "Bench PM", "--json"])


def tokens(b: Build) -> Command:
    return Command(["tokens", _from_demo(b), "--days", "20", "--json"])


def audit_json(b: Build) -> Command:
    return Command(["audit", _from_demo(b), "--json"])


def audit_verify(b: Build) -> Command:
    return Command(["audit", _from_demo(b), "--verify", "--json"])


def audit_workbook(b: Build) -> Command:
    return Command(["audit", _from_demo(b), "--workbook", "--json", "--show-password"])


def purge_refused(b: Build) -> Command:
    return Command(["purge", _from_demo(b), "--yes", "--json"])  # not verified: exit 4


def purge(b: Build) -> Command:
    return Command(["purge", _from_demo(b), "--yes", "--force", "--json"])


def _portfolio(b: Build) -> list[str]:
    _from_demo(b)
    init(b, b.folder / "second", "Second Water District", "2026-12-07")
    init(b, b.folder / "third", "Third Gas Co", "2026-12-08")
    return ["portfolio", str(b.folder)]


def portfolio_text(b: Build) -> Command:
    return Command(_portfolio(b))


def portfolio_files(b: Build) -> Command:
    return Command([*_portfolio(b), "--json", "--workbook", str(b.folder / "portfolio.xlsx"),
                    "--calendar", str(b.folder / "portfolio.ics")])


LATER = "2026-12-28T09:00:00"  # three weeks after the demo's go-live: overdue tasks, and
# the re-registration figure the portfolio shows once a conversion is live


def status_later(b: Build) -> Command:
    return Command(["status", _from_demo(b)], now=LATER)


def portfolio_later(b: Build) -> Command:
    return Command([*_portfolio(b), "--json", "--workbook", str(b.folder / "portfolio.xlsx"),
                    "--calendar", str(b.folder / "portfolio.ics")], now=LATER)


def portfolio_later_text(b: Build) -> Command:
    return Command(_portfolio(b), now=LATER)


def _registered_999(b: Build) -> str:
    """A live project whose last verification found 999 of 1,000 customers registered
    again: the figure the portfolio rounded (100%) where status rounds down (99%)."""
    small = replace(b, customers=1000)
    table = exported(small)
    post = post_conversion_export(table, with_xref(small, table), Drift(0, 0, 0, 0),
                                  seed=11).table
    post = post.append_column("Registered", pa.array(["N"] + ["Y"] * (post.num_rows - 1)))
    b.cli("verify", b.project, "--post", write_csv(post, b.folder / "post.csv"), "--json")
    return _project(b)


def registration_999_status(b: Build) -> Command:
    return Command(["status", _registered_999(b), "--json"], now=LATER)


def registration_999_portfolio(b: Build) -> Command:
    return Command(["portfolio", _registered_999(b), "--json"], now=LATER)


FLOW = [demo, init_project, export_flags, export_flags_blocking, host_key, connect, send,
        fetch_xref, report, report_plain, outreach, outreach_workbook, not_registered,
        templates, checklist_shown, checklist_sign_off, status_text, status_json,
        settings_change, tokens, audit_json, audit_verify, audit_workbook, purge_refused,
        purge, portfolio_text, portfolio_files, status_later, portfolio_later,
        portfolio_later_text, registration_999_status, registration_999_portfolio]
NEEDS_DEMO = set(FLOW[FLOW.index(report):FLOW.index(registration_999_status)])
