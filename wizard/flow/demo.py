"""The demo: a whole conversion on generated customers against the built-in provider simulator.

`convwiz demo [PROJECT] [--customers N]` calls `run_demo`. It needs no display, no keyring
daemon and no network beyond loopback: the simulator listens on 127.0.0.1, and its random
password is handed to each step in memory (`connect(..., remember_secret=False)`, then
`secret=` to `send` and `fetch_xref`): it is never stored, not even in a keyring. Every step
runs through the very flow functions the commands use, so the demo is also a smoke test of
the product:

 1. init          a project for a fictional co-op, marked as a demo, go-live two days from
                  today: the demo runs on the first day of the 3-day maintenance window
 2. portal export `data/demo_portal_export.csv`: seeded realistic customers with two things
                  the validation warns about (a short last 4, paperless without an email)
 3. export-flags  the flag file in `outbox/`
 4. connect       the simulator's host, port, user and pinned host key
 5. send          the flag file, uploaded over SFTP
 6. fetch-xref    the simulator's cross-reference (old -> new numbers) into `inbox/`
 7. import-xref   the IC account update and rollback in `outbox/`
 8. after go-live `data/demo_post_go_live_day_NN.csv`: the portal's export under the new
                  numbers with a little known drift (`wizard.core.drift`), on days 1, 7
                  and 14 after go-live, as customers register again (35%, 60%, 78%)
 9. verify        each day's export as of that day: the re-registration trend's three points
10. checklist     the open tasks a person signs, signed off by "Demo PM" (`_sign_off_open_tasks`)
11. tokens        the token registration file in `outbox/`
12. report        the biller workbook in `reports/`, encrypted with the project's workbook
                  password, printed once (`workbook_password.for_demo`)
13. templates     the notices and tickets, the not-registered list and the biller's reminder

The project folder is PROJECT, else a new one under the user's documents (`default_folder`),
never the current folder. The simulator's files (its private host key; under `sftp/` the
flag file it received, the cross-reference it made) live in the project's `demo-provider/`
(owner-only, not the system's temporary folder) while it runs; `DemoSetup.stop()` removes
it, so a finished demo leaves none of them. Its password is never written anywhere.

For the GUI (`convwiz gui --demo`), `prepare_demo(folder, customers)` does steps 1, 2 and 4
with the simulator running, and returns a `DemoSetup` the window keeps while it is open::

    setup = prepare_demo(None, customers=5000)   # a new project, a running simulator,
                                                 # the connection saved (no secret stored)
    setup.project          # Path of the project folder: open it
    setup.customer_export  # Path of the portal export to choose on the Flag file page
    setup.connection       # dict host, port, user, key_file (None), host_key, upload_dir,
                           # download_dir: what the Send page's form shows
    setup.password         # the simulator's password, in memory only: pass it as
                           # `secret=` to exchange.send / fetch_xref; never store it
    setup.post_export()    # after import-xref: writes and returns the post-go-live export
                           # to choose on the Verify page
    setup.stop()           # when the window closes: stops the simulator, removes its files

`prepare_demo(..., connect=False)` leaves the connection for the person to make.
`DemoSetup` is also a context manager that calls `stop()`.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from wizard.core import generate
from wizard.core.drift import (
    REGISTRATION_SCHEDULE,
    Drift,
    post_conversion_export,
    with_registrations,
)
from wizard.core.registration_points import trend_text
from wizard.core.shell import quote
from wizard.core.vocabulary import DEMO_PROVIDER_FOLDER
from wizard.errors import ConvWizError, UsageError
from wizard.flow.project.project import Project
from wizard.flow.project.settings import DEMO_PM, DEMO_PM_EMAIL, DEMO_SETTING, Settings
from wizard.progress import NullProgress, Progress, Say
from wizard.services import logs, places
from wizard.services.files import atomic_path, private_dir

log = logging.getLogger("wizard.demo")

BILLER = "Prairie Valley Electric Co-op"
PRODUCTION_BID = "2806"
TEST_BID = "9806"
SEED = 2806
PORTAL_EXPORT = "demo_portal_export.csv"
POST_EXPORT = "demo_post_go_live_export.csv"
SIMULATOR_FOLDER = DEMO_PROVIDER_FOLDER  # the simulated provider's side, removed when it stops
MAX_CUSTOMERS = 2_000_000


class Simulator(Protocol):
    """What the demo needs of `wizard.services.simulator.start_simulator`'s result."""

    host: str
    port: int
    user: str
    password: str
    fingerprint: str

    def stop(self) -> None: ...


def default_folder(now: datetime | None = None) -> Path:
    """A new folder under the user's documents: `Documents/Conversion Wizard/demo-<time>`.

    Never the current directory: a double-clicked program on Windows starts in a folder the
    person cannot write or does not know (see `places.documents_dir`).
    """
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = places.documents_dir()
    name = f"demo-{stamp}"
    folder = base / name
    suffix = 2
    while folder.exists():
        folder = base / f"{name}-{suffix}"
        suffix += 1
    return folder


def portal_export(customers: int, seed: int = SEED) -> pa.Table:
    """Generated customers as the portal exports them, with two rows validation warns about.

    A last 4 of two digits (a spreadsheet dropped its leading zeros) and a paperless customer
    without an email: warnings, never blocking, so the flag file is still made.
    """
    table = generate.customers(customers, seed)
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    short = next((i for i, m in enumerate(columns["Payment Type"]) if m), None)
    if short is not None:
        columns["Last Four"][short] = str(int(columns["Last Four"][short]) % 100 or 7)
    no_email = next((i for i, e in enumerate(columns["Email Address"])
                     if not e and i != short), None)
    if no_email is not None:
        columns["Paperless"][no_email] = "Y"
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def _write_csv(table: pa.Table, target: Path) -> Path:
    with atomic_path(target) as tmp:
        generate.write_csv(table, tmp)
    return target


def _start_simulator(root: Path) -> Simulator:
    from wizard.services.simulator import start_simulator

    simulator: Simulator = start_simulator(root, port=0)
    return simulator


@dataclass
class DemoSetup:
    """A demo project, its portal export, and the running simulator (see the docstring)."""

    project: Path
    customer_export: Path
    simulator: Simulator
    simulator_root: Path
    seed: int = SEED
    _stopped: bool = field(default=False, repr=False)

    @property
    def password(self) -> str:
        return self.simulator.password

    @property
    def connection(self) -> dict[str, Any]:
        sim = self.simulator
        return {
            "host": sim.host,
            "port": sim.port,
            "user": sim.user,
            "key_file": None,
            "host_key": sim.fingerprint,
            "upload_dir": getattr(sim, "upload_dir", None),
            "download_dir": getattr(sim, "download_dir", None),
        }

    def post_export(self, project: Project | None = None) -> Path:
        """Write the post-go-live portal export (needs the cross-reference imported)."""
        if project is not None:
            return write_post_export(project, self.seed)[0]
        with Project.open(self.project) as opened:
            return write_post_export(opened, self.seed)[0]

    def stop(self) -> None:
        """Stop the simulator and remove its files; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self.simulator.stop()
        finally:
            shutil.rmtree(self.simulator_root, ignore_errors=True)

    def __enter__(self) -> DemoSetup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _check_customers(customers: int) -> None:
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise UsageError(f"--customers {customers}: give 1 to {MAX_CUSTOMERS:,} customers")


def _create_project(folder: Path | None, today: date) -> Project:
    folder = Path(folder).expanduser() if folder is not None else default_folder()
    go_live = today + timedelta(days=2)
    settings = Settings(biller=BILLER, go_live=go_live, production_bid=PRODUCTION_BID,
                        test_bid=TEST_BID, window_days=3, pm_name=DEMO_PM,
                        pm_email=DEMO_PM_EMAIL, pm_phone="555-0100")
    project = Project.create(folder, settings, today=today)
    try:
        # a demo is not a conversion: the portfolio marks it, and leaves it out of window
        # clashes and overdue counts (flow/demo_projects.py)
        with project.writing("demo"):
            project.store.set_setting(DEMO_SETTING, True)
    except BaseException:
        project.close()
        raise
    return project


def prepare_demo(folder: Path | None = None, customers: int = 5000,
                 say: Callable[[str], None] | None = None, connect: bool = True) -> DemoSetup:
    """A new demo project with its portal export written, the simulator running and (with
    `connect`) the connection to it saved.

    Raises UsageError (exit 2) if `folder` already holds a project. The caller owns the
    result and must call `stop()` (or use it as a context manager).
    """
    _check_customers(customers)
    tell = say or (lambda _message: None)
    with _create_project(folder, date.today()) as project:
        export = _write_csv(portal_export(customers), project.data / PORTAL_EXPORT)
        tell(f"Created the demo project {project.folder}")
        tell(f"  the portal's customer export: {export}")
        # the simulated provider's folder holds customer data (the flag file it receives):
        # inside the project, owner-only, never in the system's temporary folder
        simulator_root = private_dir(project.folder / SIMULATOR_FOLDER)
        try:
            simulator = _start_simulator(simulator_root)
        except BaseException:
            shutil.rmtree(simulator_root, ignore_errors=True)
            raise
        logs.register_secret(simulator.password)
        setup = DemoSetup(project.folder, export, simulator, simulator_root)
        tell(f"  the provider simulator listens on {simulator.host}:{simulator.port}, "
             f"host key {simulator.fingerprint}")
        if connect:
            try:
                connect_to_simulator(project, setup, NullProgress(), say)
            except BaseException:
                setup.stop()
                raise
        return setup


def connect_to_simulator(project: Project, setup: DemoSetup, progress: Progress,
                         say: Say | None = None) -> dict[str, Any]:
    """Save the connection to the demo's simulator; its password stays in memory only."""
    from wizard.flow.steps import exchange

    c = setup.connection
    return exchange.connect(
        project, host=c["host"], port=c["port"], user=c["user"], key_file=None,
        secret=setup.password, host_key=c["host_key"], upload_dir=c["upload_dir"],
        download_dir=c["download_dir"], progress=progress, remember_secret=False, say=say,
    ).to_json()


def write_post_export(project: Project, seed: int = SEED,
                      day: int | None = None) -> tuple[Path, dict[str, Any]]:
    """The portal's post-go-live export with a little drift and a "Registration Date"
    column as of `day` days after go-live (default: the schedule's last day); return it
    and the figures that verification must find (`wizard.core.drift`)."""
    from wizard.flow.records import snapshot

    customers = snapshot.load(project, snapshot.CUSTOMERS)
    cross_reference = snapshot.load(project, snapshot.CROSS_REFERENCE)
    result = post_conversion_export(customers, cross_reference,
                                    Drift.for_customers(customers.num_rows), seed=seed)
    last_day = REGISTRATION_SCHEDULE[-1][0]
    table = with_registrations(result.table, project.dates.go_live,
                               last_day if day is None else day, seed=seed)
    name = POST_EXPORT if day is None else f"demo_post_go_live_day_{day:02d}.csv"
    target = _write_csv(table, project.data / name)
    return target, result.expected


class _SayProgress:
    """Progress for the demo's steps: each new message once, indented, through `say`."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._last = ""

    def report(self, done: int, total: int, message: str = "") -> None:
        if message and message != self._last:
            self._last = message
            self._say(f"    {message}")

    @property
    def cancelled(self) -> bool:
        return False


def run_demo(project: Path | None, customers: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Run the whole conversion on generated data; the `convwiz demo --json` result."""
    _check_customers(customers)
    started = time.monotonic()
    say(f"Conversion Wizard demo: {customers:,} generated customers, the provider simulated "
        "on this machine")
    setup = prepare_demo(project, customers, say, connect=False)
    with setup, Project.open(setup.project) as opened:
        logs.configure(opened.folder)
        log.info("demo started: %s customers", customers)
        result = _run_steps(opened, setup, say)
    seconds = time.monotonic() - started
    result["seconds"] = round(seconds, 1)
    say(f"The demo finished in {seconds:.0f} s. The biller workbook: {result['workbook']}")
    say(f"Look around: convwiz status {quote(setup.project)}   or   "
        f"convwiz gui {quote(setup.project)}")
    return result


@dataclass
class _Run:
    """What every step of one demo run shares: the project, the simulator, the voice."""

    project: Project
    setup: DemoSetup
    say: Callable[[str], None]
    progress: _SayProgress
    steps: list[dict[str, Any]]

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[dict[str, Any]]:
        """Time one step, say it, and name it in the message if it fails."""
        self.say(f"- {name}")
        record: dict[str, Any] = {"step": name}
        started = time.monotonic()
        try:
            yield record
        except ConvWizError as exc:
            exc.message = f"demo step '{name}' failed: {exc.message}"
            exc.args = (exc.message,)
            raise
        record["seconds"] = round(time.monotonic() - started, 2)
        self.steps.append(record)

    def indented(self, message: str) -> None:
        self.say(f"  {message}")


def _run_steps(project: Project, setup: DemoSetup, say: Callable[[str], None]) -> dict[str, Any]:
    run = _Run(project, setup, say, _SayProgress(say),
               [{"step": "init", "project": str(project.folder)}])
    flags = _export_flags(run)
    _exchange_with_provider(run)
    post_path, expected, figures = _after_go_live(run)
    with run.step("checklist") as record:
        record["signed_off"] = signed = _sign_off_open_tasks(project)
        say(f"  {len(signed)} tasks signed off by {DEMO_PM}")
    workbook = _write_papers(run)
    return {
        "project": str(project.folder),
        "workbook": str(workbook["output"]),
        "customer_export": str(setup.customer_export),
        "flag_file": str(flags["output"]),
        "post_export": str(post_path),
        "verify": figures,
        "expected": expected,
        "steps": run.steps,
    }


def _export_flags(run: _Run) -> dict[str, Any]:
    """The flag file from the portal's export, with the warnings it was made to raise."""
    from wizard.flow.steps.export import export_flags

    with run.step("export-flags") as record:
        flags = export_flags(run.project, run.setup.customer_export, None, {},
                             run.progress).to_json()
        record.update(flags)
        run.say(f"  flag file: {flags['output']} ({flags['rows']:,} rows, "
                f"{flags['warnings']} warnings)")
        if flags.get("exceptions"):
            run.say(f"  the warnings, row by row: {flags['exceptions']}")
    return flags


def _exchange_with_provider(run: _Run) -> None:
    """Connect, send, fetch the cross-reference, import it: the simulator's password in memory."""
    from wizard.flow.steps import exchange, renumber

    project, setup, say, progress = run.project, run.setup, run.say, run.progress
    connection = setup.connection
    with run.step("connect") as record:
        record.update(connect_to_simulator(project, setup, progress, say))
        say(f"  {connection['user']}@{connection['host']}:{connection['port']}, host key "
            f"{connection['host_key']} pinned; the password stays in memory")
    with run.step("send") as record:
        record.update(exchange.send(project, progress, secret=setup.password,
                                    say=say).to_json())
        say(f"  uploaded to {record['remote_path']}")
    with run.step("fetch-xref") as record:
        fetched = exchange.fetch_xref(project, 60, progress, secret=setup.password, say=say)
        record.update(fetched.to_json())
        say(f"  the provider's cross-reference: {fetched.file}")
    with run.step("import-xref") as record:
        record.update(renumber.import_xref(project, None, {}, False, progress,
                                           run.indented).to_json())


def _after_go_live(run: _Run) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """The portal's export on each day of the registration schedule, verified as of that day
    (only the last one speaks): the last export, its drift's figures, verification's."""
    from wizard.flow.records import registration
    from wizard.flow.steps import verification

    project, say = run.project, run.say
    with run.step("post-go-live export") as record:
        days = [day for day, _share in REGISTRATION_SCHEDULE]
        exports = [write_post_export(project, run.setup.seed, day) for day in days]
        post_path, expected = exports[-1]
        record.update({"output": str(post_path), "expected": expected,
                       "days": {str(d): str(p) for d, (p, _e) in zip(days, exports)}})
        say(f"  the portal's export after go-live: {post_path} (a little drift seeded: "
            f"{expected['autopay']['lost']} autopay lost, {expected['paperless']['gained']} "
            f"paperless gained, {expected['last4_changed']} last 4 changed, "
            f"{expected['missing_after']} missing), taken on days "
            f"{', '.join(str(d) for d in days)} after go-live as customers register again")
    with run.step("verify") as record:
        go_live = project.dates.go_live
        for day, (path, _expected) in zip(days, exports):
            last = day == days[-1]
            figures = verification.verify(
                project, path, {}, run.progress, say=say if last else None,
                measured_on=go_live + timedelta(days=day)).to_json()
        record.update(figures)
        say(f"  {figures['matched']:,} of {figures['customers']:,} customers found; "
            f"{verification.Problems.of_figures(figures).headline()}")
        say(f"  {trend_text(registration.points(project))} (simulated)")
    return post_path, expected, figures


def _write_papers(run: _Run) -> dict[str, Any]:
    """The token file, the workbook, the notices and the not-registered list: the workbook's."""
    from wizard.flow.papers import not_registered, report, templates
    from wizard.flow.project import workbook_password
    from wizard.flow.steps import renumber

    project, say, progress = run.project, run.say, run.progress
    with run.step("tokens") as record:
        record.update(renumber.tokens(project, 30, progress, run.indented).to_json())
    with run.step("report") as record:
        kept = workbook_password.for_demo(project)
        workbook = report.write_report(project, None, progress,
                                       password=kept.password).to_json()
        record.update(workbook)
        # no parentheses around the keyring's words, which may hold their own ("a keyring
        # that is not a system store (…)"): the line ended in "))"
        say(f"  the biller workbook: {workbook['output']}, encrypted (AES-256) with the "
            f"password {kept.password}; the password is kept in {kept.keyring}.")
    # after the workbook: the biller's letter carries it as its attachment
    with run.step("templates") as record:
        record.update(templates.write_templates(project).as_json())
        say(f"  the notices and tickets: {', '.join(str(f) for f in record['files'])}")
        # the re-registration reminder: who has not registered yet, and a draft to the biller
        record["not_registered"] = not_registered.write_not_registered(
            project, progress, run.indented).to_json()
    return workbook


def _sign_off_open_tasks(project: Project) -> list[str]:
    """Sign off, as the demo's PM, every open task a person signs (the program ticks the others
    itself), never the flags check while verification found losses: that would be untrue."""
    from wizard.flow.project import steps as step_states
    from wizard.flow.steps import checklist

    verified = step_states.is_done(project, "verification")
    signed = []
    for task in checklist.entries(project):
        if task.id == "check_flags" and not verified:
            continue
        if task.id == checklist.REREGISTERED.id:
            continue  # the biller's own figure to sign: left offered
        if not task.done and not task.auto:
            checklist.sign_off(project, task.id, DEMO_PM, "signed off by the demo")
            signed.append(task.id)
    return signed
