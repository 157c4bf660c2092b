"""Fixtures every test layer shares: a fresh project, customer files, a quiet Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt draws nowhere in tests; set before anything imports PySide6
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_STATE_HOME", "/tmp/convwiz-test-state")

from tests.helpers.cli import convwiz  # noqa: E402

EXPORT_HEADER = ("Customer Name,Account Number,Email Address,Paperless,AutoPay,"
                 "Payment Type,Last Four")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A new conversion project folder (go-live 2026-12-14, production BID 2806)."""
    folder = tmp_path / "acme"
    run = convwiz("init", folder, "--biller", "Acme Electric Co-op", "--go-live",
                  "2026-12-14", "--production-bid", "2806", "--test-bid", "9806",
                  "--allow-past", "--json")
    assert run.code == 0, run.stderr
    return folder


def write_export(path: Path, rows: list[str], header: str = EXPORT_HEADER,
                 encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    """A customer export CSV from literal lines (the header is added)."""
    path.write_bytes(newline.join([header, *rows, ""]).encode(encoding))
    return path


# In CI (CONVWIZ_REQUIRE_INTEGRATION=1) a test that needs sshd, a real keyring, LibreOffice,
# the accessibility bus or Orca must run: .ci/run installs and starts them, so a skip there
# means a broken set-up, and it fails instead of passing quietly.
REQUIRED_MARKERS = ("sshd", "keyring_real", "libreoffice", "atspi", "orca")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if (os.environ.get("CONVWIZ_REQUIRE_INTEGRATION") == "1" and report.skipped
            and any(item.get_closest_marker(m) for m in REQUIRED_MARKERS)):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, where it must run: {reason}"


@pytest.fixture
def memory_keyring() -> Iterator[object]:
    """The in-memory keyring backend (unit tests only; CI also runs a real one)."""
    import keyring

    from tests.helpers.memkeyring import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def every_verify_headline_sums_its_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every verify outcome a test produces in this process (the command line, the demo, a
    flow called directly): its headline names every problem, and its total is their sum."""
    from tests.helpers.headline import assert_headline_sums
    from wizard.flow.steps import verification

    real = verification.verify

    def checked(*args: object, **kwargs: object) -> verification.VerifyResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        assert_headline_sums(result)
        return result

    monkeypatch.setattr(verification, "verify", checked)
