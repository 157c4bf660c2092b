"""Integration fixtures: the provider simulator, OpenSSH's sshd, a project with a flag
file, and an in-memory keyring for the commands run in this process."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import sshd as sshd_helper
from tests.helpers.memkeyring import MemoryKeyring, installed
from wizard.flow.project.project import Project
from wizard.services.simulator import Simulator, start_simulator

FLAG_HEADER = ("Customer Name,UTI Account Number,Email,Paperless,Autopay,"
               "Default Payment Method Type,Last 4")
FIRST = ["Ada", "Ben", "Cora", "Dev", "Elif", "Farid", "Gus", "Hana", "Ivo", "June"]
LAST = ["Okafor", "Lindqvist", "Marsh", "O'Neil", "Zhou", "Nakamura", "Brandt", "Quispe"]


def write_flag_file(project_folder: Path, rows: int, seed: int = 7) -> Path:
    """A flag file as export-flags writes it, recorded in the project's manifest."""
    rng = random.Random(seed)
    lines = [FLAG_HEADER]
    for i in range(rows):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        account = f"{i + 1:010d}"  # leading zeros: account numbers are text
        method = rng.choice(["card", "check", ""])
        last4 = f"{rng.randrange(10000):04d}" if method else ""
        email = f"{name.split()[0].lower()}{i}@example.org" if rng.random() < 0.8 else ""
        paperless = "Y" if email and rng.random() < 0.6 else "N"
        autopay = "Y" if method and rng.random() < 0.5 else "N"
        lines.append(f"\"{name}\",{account},{email},{paperless},{autopay},{method},{last4}")
    path = project_folder / "outbox" / "flags_Acme_Electric_Co_op_20261126-170000.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    path.chmod(0o600)
    with Project.open(project_folder) as project:
        project.record_made(path, "flag_file", rows=rows)
    return path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with installed() as backend:
        yield backend


@pytest.fixture
def flag_project(project: Path) -> Path:
    """A project whose outbox holds a 2,000-customer flag file."""
    write_flag_file(project, 2000)
    return project


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    with start_simulator(tmp_path / "provider") as sim:
        yield sim


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshd_helper.Sshd]:
    if not sshd_helper.available():
        pytest.skip("OpenSSH's sshd is not installed (/usr/sbin/sshd): apt install "
                    "openssh-server")
    with sshd_helper.running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server
