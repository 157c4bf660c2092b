"""The project's settings as one typed object, and the rules a setting's value must meet.

`Settings` is what a project knows about itself: the biller, the BIDs, the go-live date, the
window's length, the PM and what the biller decides for the notices (`extra`).
`Settings.from_stored` reads it from the store's raw settings; `validate` and the `check_*`
functions check values on the way in (`convwiz init`, the start screen), and `parse_change`
types a changed value. `STALE_AFTER` says which steps' outputs use each setting;
settings_change.py applies a change with it. `is_demo` tells a demo's settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any

from wizard.core.vocabulary import (
    DEFAULT_WINDOW_DAYS,
    MAX_BID,
    TEMPLATE_SETTINGS,
    WINDOW_DAYS_RANGE,
)
from wizard.errors import UsageError

_EMAIL = re.compile(r"^[^@\s,;<>()\[\]]+@[^@\s,;<>()\[\]]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Settings:
    """What a conversion project knows about itself (no secret is ever one of these)."""

    biller: str
    go_live: date
    production_bid: str
    test_bid: str | None = None
    window_days: int = DEFAULT_WINDOW_DAYS
    pm_name: str = ""
    pm_email: str = ""
    pm_phone: str = ""
    # what the biller decides and the notices quote (see flow/papers/templates.py)
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["go_live"] = self.go_live.isoformat()
        extra = out.pop("extra")
        return {**out, **extra}

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Settings:
        """The settings from the store's raw ones (`store.settings()`), typed. A missing
        optional setting takes its default, an empty test BID is none, an empty notice
        setting is left out, and keys that are no setting (the window's dates) are skipped;
        a missing go-live date is a KeyError (every project has one)."""
        return cls(
            biller=str(stored.get("biller", "")),
            go_live=date.fromisoformat(str(stored["go_live"])),
            production_bid=str(stored.get("production_bid", "")),
            test_bid=kept_test_bid(stored.get("test_bid")),
            window_days=int(stored.get("window_days", DEFAULT_WINDOW_DAYS)),
            pm_name=str(stored.get("pm_name") or ""),
            pm_email=str(stored.get("pm_email") or ""),
            pm_phone=str(stored.get("pm_phone") or ""),
            extra={k: str(stored[k]) for k in EXTRA_SETTINGS
                   if stored.get(k) not in (None, "")},
        )


# which steps' outputs each setting goes into: changing it makes them stale
STALE_AFTER: dict[str, tuple[str, ...]] = {
    "production_bid": ("cross_reference", "report"),
    "test_bid": ("report",),
    "biller": ("report",),
    "go_live": ("report",),
    "window_days": ("report",),
    "pm_name": ("report",),
    "pm_email": ("report",),
    "pm_phone": ("report",),
}
# settings kept beside the typed ones: what the biller decides for the notices (keys filled
# in by flow/papers/templates.py's definitions)
EXTRA_SETTINGS: tuple[str, ...] = tuple(s.key for s in TEMPLATE_SETTINGS)
EDITABLE = tuple(f.name for f in fields(Settings) if f.name != "extra")


def kept_test_bid(value: object) -> str | None:
    """The test BID as kept in the store: none when empty (it is optional)."""
    return None if value in (None, "") else str(value)


def check_bid(value: object, what: str) -> str:
    """A BID is a positive whole number (kept as its digits, e.g. "2806")."""
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,10}", text) or not 1 <= int(text) <= MAX_BID:
        raise UsageError(f"{what} {text!r} is not a BID: give the biller ID the provider "
                         "assigned, a positive whole number such as 2806")
    return str(int(text))


def check_date(text: object, what: str = "--go-live") -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a date: write it as YYYY-MM-DD") from None


def check_window_days(value: object) -> int:
    low, high = WINDOW_DAYS_RANGE
    try:
        days = int(str(value).strip())
    except ValueError:
        days = 0
    if not low <= days <= high:
        raise UsageError(f"a maintenance window of {value} days? Give {low} to {high} days "
                         f"(the procedure's window is {DEFAULT_WINDOW_DAYS})")
    return days


def check_email(value: str, what: str) -> str:
    value = value.strip()
    if value and not _EMAIL.match(value):
        raise UsageError(f"{what} {value!r} is not an e-mail address")
    return value


def validate(settings: Settings, today: date, allow_past: bool = False) -> Settings:
    """The settings with every value checked; UsageError (exit 2) names the first bad one."""
    biller = settings.biller.strip()
    if not biller:
        raise UsageError("the biller's name is empty: give --biller NAME")
    production = check_bid(settings.production_bid, "the production BID")
    test = check_bid(settings.test_bid, "the test BID") if settings.test_bid else None
    if test is not None and test == production:
        raise UsageError(f"the test BID and the production BID are both {production}: the "
                         "test BID is a separate biller ID for trying the conversion first")
    if settings.go_live < today and not allow_past:
        raise UsageError(f"the go-live date {settings.go_live} is in the past: give the "
                         "planned date, or --allow-past for a conversion that already went live")
    return replace(
        settings, biller=biller, production_bid=production, test_bid=test,
        window_days=check_window_days(settings.window_days),
        pm_name=settings.pm_name.strip(), pm_email=check_email(settings.pm_email, "--pm-email"),
        pm_phone=settings.pm_phone.strip(),
    )


def parse_change(key: str, value: str | None) -> Any:
    """A setting's new value from the command line or a form, as the type it is kept as."""
    if key == "go_live":
        return check_date(value)
    if key == "window_days":
        return check_window_days(value)
    if key == "test_bid" and (value is None or not str(value).strip()):
        return None
    return "" if value is None else str(value)


# -- a demo's settings (flow.demo_projects: what marks a demo, and removing one) --------
DEMO_SETTING = "demo"
DEMO_PM = "Demo PM"
DEMO_PM_EMAIL = "demo.pm@example.com"


def is_demo(settings: Mapping[str, Any]) -> bool:
    """Whether a project's stored settings are a demo's."""
    if settings.get(DEMO_SETTING) in (True, 1, "1", "true", "True"):
        return True
    return (str(settings.get("pm_email") or "").strip().lower() == DEMO_PM_EMAIL
            and str(settings.get("pm_name") or "").strip() == DEMO_PM)
