"""The texts the PM sends, filled from the project, ready to send: the letter to the biller,
the customer re-registration notice (which the biller sends its customers), the Platform
Conversion request and the DBR ticket for the CRM change.

The biller's letter attaches the biller workbook and, when it is encrypted, says its password
comes separately. On request (`--password-draft`) a second draft carries the password alone,
with no attachment, to send separately; it is written outside the project
(`places.password_drafts_dir`), since no secret is ever written inside it.

Every sentence comes from the conversion procedure or from a project setting
(docs/templates-sources.md lists each with its source). What the procedure leaves to the
biller or the PM (the customer service phone, when customers can re-register, who receives
each mail, ...) is a setting of `TEMPLATE_SETTINGS`. Until it is filled, the text carries an
unmistakable marker in its place, `[[FILL IN: label (setting key)]]`, and the draft is held
back from sending: its Subject starts with `[NOT READY: ...]` and it has no `To:`, so no mail
program sends it. `convwiz templates` still writes every file, says which settings are
missing, and lists them under `"unfilled"` in its `--json` result (`"ready"` is false); run it
again after `convwiz settings` to get drafts ready to send.

The texts live under `resources/templates/` as `string.Template` files whose first line is
the Subject, so a wording change needs no code change; every placeholder must be known here
(`Template.substitute` fails loudly on a typo rather than sending "$biler" to a customer).
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from wizard.core.vocabulary import (
    BILLER_WORKBOOK_KIND,
    SIGNATURE_SETTINGS,
    TEMPLATE_SETTINGS,
    TemplateSetting,
)
from wizard.errors import NotReady, UsageError
from wizard.flow.papers import conversion_calendar
from wizard.flow.project import workbook_password
from wizard.flow.project.project import Project
from wizard.resources import resource
from wizard.services import office_crypto
from wizard.services.email_draft import draft
from wizard.services.files import atomic_output
from wizard.services.places import password_drafts_dir

# project settings `init` writes; only the test BID may be missing
_PROJECT_SETTINGS: tuple[TemplateSetting, ...] = (
    TemplateSetting("test_bid", "Test BID", "9806", "PM"),
)
_ALL_SETTINGS = {s.key: s for s in TEMPLATE_SETTINGS + SIGNATURE_SETTINGS + _PROJECT_SETTINGS}


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    title: str
    to: str  # the setting holding the recipient's address
    attach_workbook: bool = False


SPECS: tuple[TemplateSpec, ...] = (
    TemplateSpec("biller_letter", "Letter to the biller", "biller_email", attach_workbook=True),
    # the biller sends the notice to its customers (in Bcc); the PM's draft goes to the biller
    TemplateSpec("reregistration_notice", "Customer re-registration notice", "biller_email"),
    TemplateSpec("platform_conversion_request", "Platform Conversion request",
                 "platform_conversion_email"),
    TemplateSpec("dbr_ticket", "DBR ticket: CRM Username with Password", "dbr_email"),
)
# drafts written by a later step, not by `convwiz templates` (flow.papers.reminder, after verify)
FOLLOW_UPS: tuple[TemplateSpec, ...] = (
    TemplateSpec("registration_reminder", "Re-registration reminder to the biller",
                 "biller_email", attach_workbook=True),
)
# the draft that carries the workbook password: only on request, never with an attachment,
# never in the project (a secret lives in the keyring; this one copy is for the PM who must
# use mail, in the user's own local data folder)
PASSWORD_SPEC = TemplateSpec("workbook_password", "Workbook password (send separately)",
                             "biller_email")
TEMPLATES: dict[str, str] = {s.name: s.title for s in (*SPECS, PASSWORD_SPEC)}
_KNOWN_SPECS = {s.name: s for s in (*SPECS, *FOLLOW_UPS, PASSWORD_SPEC)}
PROTECTED_SENTENCE = ("It is protected with a password, which you will receive separately: by "
                     "phone or in a separate message.")


@dataclass(frozen=True)
class Filled:
    """One template filled from the project."""

    name: str
    title: str
    to: str | None  # None while the recipient's setting is empty
    subject: str  # with the NOT READY mark while a placeholder is unfilled
    body: str
    unfilled: tuple[str, ...]  # setting keys still to fill, in order of first use

    @property
    def ready(self) -> bool:
        return not self.unfilled

    def text(self) -> str:
        """What the `.txt` file holds: the headers of the mail, then its body."""
        to = self.to or marker(_spec(self.name).to)
        if self.to and not self.ready:
            to = f"{self.to} (held back until the placeholders are filled)"
        return f"To: {to}\nSubject: {self.subject}\n\n{self.body}"


@dataclass(frozen=True)
class WrittenTemplate:
    name: str
    title: str
    text: str  # path of the .txt
    draft: str  # path of the .eml
    to: str | None
    subject: str
    attachments: list[str]
    unfilled: list[str]


@dataclass(frozen=True)
class UnfilledSetting:
    key: str
    label: str
    templates: list[str]


@dataclass
class TemplatesResult:
    """What `convwiz templates` wrote, and what still blocks sending."""

    templates: list[WrittenTemplate]
    calendar: str
    unfilled: list[UnfilledSetting] = field(default_factory=list)
    password_draft: str | None = None  # with --password-draft: its path (outside the project)

    @property
    def ready(self) -> bool:
        return not self.unfilled

    def as_json(self) -> dict[str, Any]:
        return {
            "files": [t.text for t in self.templates],
            "drafts": [t.draft for t in self.templates],
            "calendar": self.calendar,
            "ready": self.ready,
            "unfilled": [asdict(u) for u in self.unfilled],
            "templates": [asdict(t) for t in self.templates],
            "password_draft": self.password_draft,
        }


def marker(key: str) -> str:
    """The unmistakable stand-in for an unfilled setting."""
    s = _ALL_SETTINGS[key]
    return f"[[FILL IN: {s.label} (setting {s.key})]]"


def template_path(name: str) -> Traversable:
    if name not in _KNOWN_SPECS:
        raise UsageError(f"no template {name!r}; the templates are: {', '.join(TEMPLATES)}")
    return resource("templates", f"{name}.txt")


def _spec(name: str) -> TemplateSpec:
    template_path(name)  # the error naming the templates
    return _KNOWN_SPECS[name]


def workbook(project: Project) -> Path | None:
    """The biller workbook last written under reports/, if it is still there."""
    for entry in reversed(project.store.manifest(BILLER_WORKBOOK_KIND)):
        path = project.folder / entry.name
        if path.is_file() and path.parent == project.reports:
            return path
    return None


def values(project: Project) -> dict[str, str]:
    """The placeholders' values for this project; an unfilled setting gives its marker."""
    d = project.dates
    found = workbook(project)
    known = {
        "biller": project.biller,
        "go_live": d.go_live.isoformat(),
        "window_start": d.window_start.isoformat(),
        "window_end": d.window_end.isoformat(),
        "window_days": str(d.window_days),
        "production_bid": project.production_bid,
        "workbook_sentence": _workbook_sentence(found),
        "workbook_name": found.name if found is not None else "",
        "workbook_password": "",  # only the password draft is given it
    }
    for key in _ALL_SETTINGS:
        value = project.setting(key)
        text = "" if value is None else str(value).strip()
        known[key] = text or marker(key)
    return known


def _workbook_sentence(found: Path | None) -> str:
    if found is None:
        return ""
    protected = f" {PROTECTED_SENTENCE}" if office_crypto.is_encrypted_file(found) else ""
    return f"\nThe conversion workbook is attached: {found.name}.{protected}\n"


def _unfilled(text: str) -> list[str]:
    return [key for key in _ALL_SETTINGS if marker(key) in text]


def fill(project: Project, name: str, known: dict[str, str] | None = None) -> Filled:
    """One template filled from the project."""
    spec = _spec(name)
    path = template_path(name)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"the template {path} cannot be read ({exc.strerror}); "
                         "reinstall the wizard") from None
    first, _, body_source = source.partition("\n")
    if not first.startswith("Subject: "):
        raise UsageError(f"the template {path} does not start with a 'Subject: ' line; "
                         "reinstall the wizard")
    known = known if known is not None else values(project)
    subject = string.Template(first.removeprefix("Subject: ")).substitute(known)
    body = string.Template(body_source.lstrip("\n")).substitute(known)
    to = known[spec.to]
    unfilled = list(dict.fromkeys(_unfilled(to) + _unfilled(subject + "\n" + body)))
    if unfilled:
        subject = f"[NOT READY: fill {len(unfilled)} placeholder(s)] {subject}"
    return Filled(name, spec.title, None if to == marker(spec.to) else to, subject, body,
                  tuple(unfilled))


def render(project: Project, name: str, known: dict[str, str] | None = None) -> str:
    """One template filled from the project, as its `.txt` holds it (the GUI's Copy)."""
    return fill(project, name, known).text()


def write_templates(project: Project, password_draft: bool = False) -> TemplatesResult:
    """`convwiz templates`: every text written to reports/templates/ as `.txt` and as an
    `.eml` draft, and the conversion calendar to reports/; all 0600, atomic, recorded.
    With `password_draft`, also the draft carrying the workbook password
    (`write_password_draft`)."""
    known = values(project)
    password = _password_for_draft(project) if password_draft else None  # fails first
    found = workbook(project)
    written: list[WrittenTemplate] = []
    with project.writing("templates"):
        for spec in SPECS:
            filled = fill(project, spec.name, known)
            attachments = [found] if spec.attach_workbook and found is not None else []
            text_path, eml_path = write_draft(project, filled, attachments)
            written.append(WrittenTemplate(
                spec.name, spec.title, str(text_path), str(eml_path),
                filled.to if filled.ready else None, filled.subject,
                [str(a) for a in attachments], list(filled.unfilled)))
        calendar_path = project.reports / conversion_calendar.CALENDAR_NAME
        _write(calendar_path, conversion_calendar.calendar_bytes(project))
        project.record_made(calendar_path, "calendar")
    missing: dict[str, list[str]] = {}
    for w in written:
        for key in w.unfilled:
            missing.setdefault(key, []).append(w.name)
    unfilled = [UnfilledSetting(key, _ALL_SETTINGS[key].label, names)
                for key, names in sorted(missing.items(), key=lambda kv: _order(kv[0]))]
    result = TemplatesResult(written, str(calendar_path), unfilled)
    if password is not None:
        result.password_draft = str(write_password_draft(project, password, known))
    return result


def _password_for_draft(project: Project) -> str:
    found = workbook(project)
    if found is None or not office_crypto.is_encrypted_file(found):
        raise NotReady("no encrypted workbook in reports/ yet: write it with `convwiz report` "
                       "before its password draft")
    password = workbook_password.current(project)
    if not password:
        raise NotReady("the project's workbook password is not in the keyring: write the "
                       "workbook again with `convwiz report`, which makes one")
    return password


def password_draft_path(project: Project) -> Path:
    key = (workbook_password.entry(project) or "workbook").rsplit(":", 1)[-1]
    return password_drafts_dir() / f"{project.slug()}_{key}_workbook_password_SEND_SEPARATELY.eml"


def write_password_draft(project: Project, password: str,
                         known: dict[str, str] | None = None) -> Path:
    """The draft to the biller carrying the workbook password alone: no attachment, its
    subject saying it is sent separately; written outside the project (0600), audited by
    its path, never by its content."""
    known = dict(known if known is not None else values(project))
    known["workbook_password"] = password
    filled = fill(project, PASSWORD_SPEC.name, known)
    path = password_draft_path(project)
    _write(path, _eml(project, filled, []))
    project.store.audit("workbook password draft written", path=str(path),
                        note="outside the project; delete it once sent")
    return path


def write_draft(project: Project, filled: Filled,
                attachments: list[Path]) -> tuple[Path, Path]:
    """A filled template written to reports/templates/ as NAME.txt (its text) and NAME.eml
    (the draft, with `attachments`), both atomic (0600) and in the manifest; returns the
    two paths. `convwiz templates` and the follow-ups (flow.papers.reminder) write theirs here."""
    folder = project.reports / "templates"
    text_path = folder / f"{filled.name}.txt"
    _write(text_path, filled.text().encode("utf-8"))
    project.record_made(text_path, f"template:{filled.name}")
    eml_path = folder / f"{filled.name}.eml"
    _write(eml_path, _eml(project, filled, attachments))
    project.record_made(eml_path, f"draft:{filled.name}")
    return text_path, eml_path


def _eml(project: Project, filled: Filled, attachments: list[Path]) -> bytes:
    """The draft of `filled`, from the PM's address; addressed only once it is ready (a
    draft with placeholders left has no recipient, so it cannot go out by mistake)."""
    sender = project.setting("pm_email") or None
    return draft(filled.subject, filled.body,
                 to=[filled.to] if filled.to and filled.ready else [],
                 sender=str(sender) if sender else None, attachments=attachments)


def _order(key: str) -> int:
    return list(_ALL_SETTINGS).index(key)


def _write(path: Path, data: bytes) -> None:
    with atomic_output(path) as (handle, _tmp):
        handle.write(data)

