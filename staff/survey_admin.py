"""Admins edit a survey's wording and cadence, and see whom it goes to next. No Flask here.

Templates are filled with ``str.format`` when a survey is sent, so a typo in a placeholder
would only fail on the worker, one contractor at a time. Everything is checked here instead,
when the admin saves, with a message naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import templates
from outreach.models import Consent, Contractor, Invitation, Survey
from outreach.schedule import HARD_END, HARD_START, is_due, local_today
from staff import audit
from staff.errors import NotFound, WorkError

MAX_DAY = 730
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class SurveyError(WorkError):
    """A survey change is not valid; ``field`` names the form field."""


@dataclass(frozen=True)
class SurveyChanges:
    name: str
    question: str
    scale_max: int
    sms_template: str
    email_subject: str
    email_template: str
    onboarding_days: list[int]
    pulse_every_days: int | None
    window_start: str
    window_end: str
    weekdays_only: bool
    active: bool
    # The Spanish texts staff wrote ({"sms_template": ...}); one left blank is sent in our
    # default Spanish wording (outreach.templates.SPANISH_DEFAULT).
    spanish: dict[str, str] = dataclass_field(default_factory=dict)


def _text(raw: Mapping[str, Any], field: str, label: str, max_length: int) -> str:
    value = str(raw.get(field) or "").strip().replace("\r\n", "\n")
    if not value:
        raise SurveyError(f"{label} must not be empty.", field)
    if len(value) > max_length:
        raise SurveyError(f"{label} is {len(value)} characters; at most {max_length} fit.", field)
    return value


def check_template(template: str, field: str, label: str) -> str:
    """Raises SurveyError when a placeholder is unknown or a brace is unmatched."""
    problem = templates.placeholders_problem(template)
    if problem:
        raise SurveyError(f"{label}: {problem}.", field)
    return template


# Per language: how its SMS text is named in messages, the words that tell how to opt out
# (any one will do), and an example.
_SMS_IN = {
    "en": ("The SMS text", ("STOP",), "'Reply STOP to opt out'"),
    "es": ("The Spanish SMS text", ("BAJA", "STOP"), "'Responde BAJA para no recibir mas'"),
}


def check_sms_template(template: str, field: str = "sms_template", language: str = "en") -> str:
    """Placeholders, the GSM-7 alphabet and length in segments (``outreach.templates``, with
    long sample names, the reminder in ``language``), and the opt-out instruction."""
    label, stop_words, example = _SMS_IN[language]
    try:
        templates.require_sms_template(template, language)
    except templates.TemplateError as exc:
        raise SurveyError(f"{label}: {str(exc).removeprefix(exc.field + ': ')}.", field) from None
    if not any(word in template.upper() for word in stop_words):
        raise SurveyError(
            f"{label} must tell contractors how to opt out, e.g. {example}.",
            field,
        )
    return template


def sms_cost(template: str, language: str = "en") -> str:
    """What the saved SMS text costs, in words, for the edit page."""
    try:
        return templates.check_sms_template(template, language).summary()
    except templates.TemplateError as exc:
        return str(exc)


# The Spanish texts on the form: (form field, translation key, label, longest).
SPANISH_FIELDS = (
    ("es_sms_template", "sms_template", "The Spanish SMS text", 1000),
    ("es_email_subject", "email_subject", "The Spanish email subject", 200),
    ("es_email_template", "email_template", "The Spanish email text", 10000),
)


def _spanish(raw: Mapping[str, Any]) -> dict[str, str]:
    """The Spanish texts staff wrote, checked like the English ones; blanks are left out."""
    texts = {}
    for field, key, label, longest in SPANISH_FIELDS:
        if not str(raw.get(field) or "").strip():
            continue
        value = _text(raw, field, label, longest)
        if key == "sms_template":
            texts[key] = check_sms_template(value, field, "es")
        else:
            texts[key] = check_template(value, field, label)
    return texts


def parse_days(raw: str, field: str = "onboarding_days") -> list[int]:
    """ "3, 14, 30" -> [3, 14, 30]: days after the assignment starts."""
    days: set[int] = set()
    for part in re.split(r"[,\s]+", raw.strip()):
        if not part:
            continue
        if not part.isdigit() or int(part) > MAX_DAY:
            raise SurveyError(
                f"Onboarding days: {part!r} is not a whole number of days from 0 to {MAX_DAY}.",
                field,
            )
        days.add(int(part))
    return sorted(days)


def _whole(raw: Mapping[str, Any], field: str, label: str, lo: int, hi: int) -> int | None:
    value = str(raw.get(field) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise SurveyError(f"{label}: {value!r} is not a whole number from {lo} to {hi}.", field)
    return int(value)


def _time(raw: Mapping[str, Any], field: str, label: str) -> str:
    value = str(raw.get(field) or "").strip()
    if not _HHMM.match(value):
        raise SurveyError(f"{label}: {value!r} is not a time written HH:MM.", field)
    hours, minutes = (int(p) for p in value.split(":"))
    hard = f"{HARD_START:%H:%M}-{HARD_END:%H:%M}"
    if not (HARD_START.hour * 60 <= hours * 60 + minutes <= HARD_END.hour * 60):
        raise SurveyError(f"{label}: {value} is outside {hard}, when no text may go out.", field)
    return value


def check_survey(raw: Mapping[str, Any]) -> SurveyChanges:
    """Check a survey as an admin filled it in (strings, and booleans for the checkboxes).

    Raises:
        SurveyError: the first problem found, naming its field.
    """
    scale_max = _whole(raw, "scale_max", "Rating scale", 2, 10)
    if scale_max is None:
        raise SurveyError("Rating scale must not be empty.", "scale_max")
    onboarding = parse_days(str(raw.get("onboarding_days") or ""))
    every = _whole(raw, "pulse_every_days", "Pulse every", 1, 365)
    if not onboarding and every is None:
        raise SurveyError(
            "Give onboarding days, a pulse interval, or both: otherwise the survey never goes out.",
            "onboarding_days",
        )
    start = _time(raw, "window_start", "Window opens")
    end = _time(raw, "window_end", "Window closes")
    if start >= end:
        raise SurveyError(
            f"Window opens at {start}, which is not before it closes ({end}).", "window_start"
        )
    return SurveyChanges(
        name=_text(raw, "name", "The name", 200),
        question=_text(raw, "question", "The question", 500),
        scale_max=scale_max,
        sms_template=check_sms_template(_text(raw, "sms_template", "The SMS text", 1000)),
        email_subject=check_template(
            _text(raw, "email_subject", "The email subject", 200),
            "email_subject",
            "The email subject",
        ),
        email_template=check_template(
            _text(raw, "email_template", "The email text", 10000),
            "email_template",
            "The email text",
        ),
        onboarding_days=onboarding,
        pulse_every_days=every,
        window_start=start,
        window_end=end,
        weekdays_only=bool(raw.get("weekdays_only")),
        active=bool(raw.get("active")),
        spanish=_spanish(raw),
    )


def translations_with(
    saved: Any, language: str, texts: dict[str, str]
) -> dict[str, dict[str, str]] | None:
    """The survey's translations with ``language``'s texts replaced by ``texts`` (the form
    holds one language; any other stays as saved)."""
    merged = {k: dict(v) for k, v in (saved or {}).items() if k != language}
    if texts:
        merged[language] = texts
    return merged or None


def get_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"There is no survey #{survey_id}.")
    return survey


def as_form(survey: Survey) -> dict[str, Any]:
    """A survey's values the way the edit form shows them."""
    return {
        "name": survey.name,
        "question": survey.question,
        "scale_max": str(survey.scale_max),
        "sms_template": survey.sms_template,
        "email_subject": survey.email_subject,
        "email_template": survey.email_template,
        "onboarding_days": ", ".join(str(d) for d in survey.onboarding_days or []),
        "pulse_every_days": str(survey.pulse_every_days or ""),
        "window_start": survey.window_start,
        "window_end": survey.window_end,
        "weekdays_only": survey.weekdays_only,
        "active": survey.active,
        **{
            field: (survey.translations or {}).get("es", {}).get(key, "")
            for field, key, _label, _longest in SPANISH_FIELDS
        },
    }


def update(session: Session, survey_id: int, changes: SurveyChanges, *, by: int) -> list[str]:
    """Apply ``changes``; returns the names of the fields that changed (audited)."""
    survey = get_survey(session, survey_id)
    changed = []
    values = asdict(changes)
    values["translations"] = translations_with(survey.translations, "es", values.pop("spanish"))
    for name, value in values.items():
        if getattr(survey, name) != value:
            setattr(survey, name, value)
            changed.append(name)
    if changed:
        audit.record(session, by, "survey_edited", "survey", survey.id, fields=changed)
    return changed


@dataclass(frozen=True)
class PlannedSend:
    due_on: date
    contractor: Contractor
    channel: str
    status: str  # "planned" (no invitation yet) or the invitation's status


def next_sends(session: Session, survey_id: int, days: int = 14) -> list[PlannedSend]:
    """Who gets this survey in the next ``days`` days (each in their own zone), soonest first."""
    survey = get_survey(session, survey_id)
    contractors = list(session.scalars(select(Contractor).where(Contractor.status == "active")))
    if not contractors:
        return []
    earliest = min(local_today(c.timezone) for c in contractors)
    existing = {
        (contractor_id, due_on): status
        for contractor_id, due_on, status in session.execute(
            select(Invitation.contractor_id, Invitation.due_on, Invitation.status).where(
                Invitation.survey_id == survey.id, Invitation.due_on >= earliest
            )
        )
    }
    # Outreach skips whoever said no on any address (consent.contractor_opted_out): they are
    # not a "next send".
    refused = {
        c.address
        for c in session.scalars(select(Consent).where(Consent.opted_out_at.is_not(None)))
        if c.opted_out
    }
    planned = []
    for contractor in contractors:
        if refused & {contractor.phone, contractor.email}:
            continue
        today = local_today(contractor.timezone)
        for offset in range(days + 1):
            day = today + timedelta(days=offset)
            if is_due(survey, contractor.start_date, contractor.end_date, day):
                status = existing.get((contractor.id, day), "planned")
                planned.append(PlannedSend(day, contractor, contractor.channel, status))
    planned.sort(key=lambda p: (p.due_on, p.contractor.name))
    return planned
