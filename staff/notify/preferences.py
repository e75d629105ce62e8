"""Each staff user's notification choices and own time zone. No Flask here."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from core.config import Settings
from staff import audit
from staff.errors import WorkError
from staff.notify.channels import hook_url_problem
from staff.notify.models import NotifyChannel, NotifySettings


@dataclass(frozen=True)
class Choices:
    known_as: str
    on_call: bool
    by_email: bool
    slack_url: str
    teams_url: str
    timezone: str
    daily_digest: bool = False


def of(session: Session, user_id: int) -> NotifySettings:
    """The user's settings; the defaults (email, UTC) when they never chose."""
    found = session.get(NotifySettings, user_id)
    if found is None:
        return NotifySettings(
            staff_user_id=user_id, on_call=False, by_email=True, daily_digest=False, timezone="UTC"
        )
    return found


def zone_name(session: Session, user_id: int) -> str:
    found = session.get(NotifySettings, user_id)
    return found.timezone if found is not None else "UTC"


def save(session: Session, user_id: int, choices: Choices, settings: Settings) -> NotifySettings:
    """Store the user's choices.

    Raises:
        WorkError: a webhook URL that is not one, or a time zone that does not exist; names
            the field.
    """
    for field, channel, url in (
        ("slack_url", NotifyChannel.SLACK, choices.slack_url.strip()),
        ("teams_url", NotifyChannel.TEAMS, choices.teams_url.strip()),
    ):
        problem = hook_url_problem(settings, channel, url) if url else None
        if problem:
            raise WorkError(f"The {channel.capitalize()} webhook URL {problem}.", field)
    zone = choices.timezone.strip() or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WorkError(
            f"Time zone {zone!r} is not one we know (e.g. America/Chicago).", "timezone"
        ) from exc
    row = session.get(NotifySettings, user_id)
    if row is None:
        row = NotifySettings(staff_user_id=user_id)
        session.add(row)
    row.known_as = choices.known_as.strip() or None
    row.on_call = choices.on_call
    row.by_email = choices.by_email
    row.slack_url = choices.slack_url.strip() or None
    row.teams_url = choices.teams_url.strip() or None
    row.timezone = zone
    row.daily_digest = choices.daily_digest
    session.flush()
    audit.record(session, user_id, "notify_settings_saved", "staff_user", user_id)
    return row
