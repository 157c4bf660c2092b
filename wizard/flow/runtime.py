"""What the program's faces (the command line, the window, its worker process) need from
the outside world, through the flow layer: the log, redaction, the keyring's name, the
provider simulator. The faces never import `wizard.services` themselves (checked by
import-linter), so every way in goes through one layer that can be tested without them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from wizard.core.redaction import redact as redact
from wizard.core.redaction import register_secret as register_secret
from wizard.services import crashes, logs, places, secrets
from wizard.services.files import disk_full as disk_full


def configure_log(project_folder: Path | None) -> Path:
    """Send the program's log to the project's `convwiz.log` (or the user's log folder)."""
    return logs.configure(project_folder)


def log_path_for(project_folder: Path | None) -> Path:
    return logs.log_path_for(project_folder)


def trace_crashes_to(log: Path) -> None:
    """A fatal error's stack goes to `log` (faulthandler; wizard/services/crashes.py)."""
    crashes.trace_to(log)


def stop_tracing_crashes() -> None:
    crashes.stop_tracing()


def window_marker() -> crashes.WindowMarker:
    """The marker of an open window, in the user's state folder: a crash leaves it."""
    return crashes.WindowMarker()


def projects_folder() -> Path:
    """Where new projects go by default: Documents/Conversion Wizard on every system."""
    return places.documents_dir()


def keyring_backend() -> secrets.Backend:
    """Which keyring holds the secrets, whether it is a real system store, and its name."""
    return secrets.backend()


def serve_provider_simulator(root: Path, *, port: int, say: Callable[[str], None],
                             **faults: Any) -> dict[str, Any]:
    """Run the simulated provider on loopback until interrupted (`convwiz provider-sim`)."""
    from wizard.services.simulator import serve_forever

    result: dict[str, Any] = serve_forever(root, port=port, say=say, **faults)
    return result
