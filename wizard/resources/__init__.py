"""The program's own files: icons for the window, templates for the notices and tickets.

They ship inside the package as data, read through `importlib.resources`, so a wheel, an
editable install and the frozen bundle find them the same way (a symlink to a folder beside
the package broke Windows checkouts without symlink rights).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def resource(*parts: str) -> Traversable:
    """A file under this folder, e.g. `resource("templates", "dbr_ticket.txt")`."""
    return resources.files(__name__).joinpath(*parts)
