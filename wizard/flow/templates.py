"""The texts the PM sends, filled from the project: the customer re-registration notice,
the Platform Conversion request (with the two Data Pump threads) and the DBR ticket for
the CRM change. The texts live under `resources/templates/` as `string.Template` files,
so a PM's wording change needs no code change; every placeholder must be known here
(`Template.substitute` fails loudly on a typo rather than sending "$biler" to a customer).
"""

from __future__ import annotations

import string
from datetime import date
from importlib.resources.abc import Traversable
from typing import Any

import pyarrow.compute as pc

from wizard.errors import UsageError
from wizard.flow import snapshot
from wizard.flow.project import Project
from wizard.resources import resource
from wizard.services.files import atomic_output

TEMPLATES: dict[str, str] = {
    "reregistration_notice": "Customer re-registration notice",
    "platform_conversion_request": "Platform Conversion request",
    "dbr_ticket": "DBR ticket: CRM Username with Password",
}
NOT_KNOWN = "(not known yet: run export-flags)"


def template_path(name: str) -> Traversable:
    if name not in TEMPLATES:
        raise UsageError(f"no template {name!r}; the templates are: {', '.join(TEMPLATES)}")
    return resource("templates", f"{name}.txt")


def values(project: Project) -> dict[str, str]:
    """The placeholders' values for this project."""
    d = project.dates
    counts = {"customers": NOT_KNOWN, "autopay_customers": NOT_KNOWN,
              "paperless_customers": NOT_KNOWN}
    if snapshot.exists(project, snapshot.CUSTOMERS):
        customers = snapshot.load(project, snapshot.CUSTOMERS)
        counts = {
            "customers": f"{customers.num_rows:,}",
            "autopay_customers": f"{_count_y(customers, 'autopay'):,}",
            "paperless_customers": f"{_count_y(customers, 'paperless'):,}",
        }
    return {
        "biller": project.biller,
        "go_live": d.go_live.isoformat(),
        "window_start": d.window_start.isoformat(),
        "window_end": d.window_end.isoformat(),
        "window_days": str(d.window_days),
        "production_bid": project.production_bid,
        "test_bid": project.test_bid or "(not set yet)",
        "today": date.today().isoformat(),
        "pm_signature": str(project.setting("pm_name") or "the conversion project manager"),
        **counts,
    }


def _count_y(table: Any, column: str) -> int:
    return int(pc.sum(pc.cast(pc.equal(table[column], "Y"), "int64")).as_py() or 0)


def render(project: Project, name: str, known: dict[str, str] | None = None) -> str:
    """One template filled from the project (the GUI's Copy button)."""
    path = template_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"the template {path} cannot be read ({exc.strerror}); "
                         "reinstall the wizard") from None
    return string.Template(text).substitute(known if known is not None else values(project))


def write_templates(project: Project) -> dict[str, Any]:
    """`convwiz templates`: every text written to reports/templates/ (0600) and recorded."""
    known = values(project)
    files: list[str] = []
    with project.writing("templates"):
        folder = project.reports / "templates"
        for name in TEMPLATES:
            text = render(project, name, known)
            target = folder / f"{name}.txt"
            with atomic_output(target) as (handle, _tmp):
                handle.write(text.encode("utf-8"))
            project.record_made(target, f"template:{name}")
            files.append(str(target))
    return {"files": files, "templates": dict(TEMPLATES)}
