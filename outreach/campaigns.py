"""One-off campaigns: a survey sent once, on one day, to a segment of the roster.

A segment is any mix of client, account manager and tenure band (days on the assignment on the
campaign's day); a criterion left empty matches everyone. A campaign creates ordinary
invitations, planned by the tick like cadence ones, so windows, expiry, consent, pacing and
reminders apply to it unchanged; a contractor for whom the same survey is due that day by its
cadence gets one invitation, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import Campaign, Survey


class CampaignError(ValueError):
    """A campaign cannot be created; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Segment:
    client: str | None = None
    account_manager: str | None = None
    tenure_min_days: int | None = None
    tenure_max_days: int | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> Segment:
        return cls(
            client=campaign.client,
            account_manager=campaign.account_manager,
            tenure_min_days=campaign.tenure_min_days,
            tenure_max_days=campaign.tenure_max_days,
        )

    def matches(
        self, client: str, account_manager: str, start: date, end: date | None, on: date
    ) -> bool:
        """Whether a contractor on assignment ``start``..``end`` belongs to it on ``on``."""
        if on < start or (end is not None and on > end):
            return False  # never before the assignment starts or after it ends
        if self.client and client.casefold() != self.client.casefold():
            return False
        if self.account_manager and account_manager.casefold() != self.account_manager.casefold():
            return False
        tenure = (on - start).days
        if self.tenure_min_days is not None and tenure < self.tenure_min_days:
            return False
        return self.tenure_max_days is None or tenure <= self.tenure_max_days


def create_campaign(
    session: Session,
    *,
    survey_key: str,
    name: str,
    send_on: date,
    segment: Segment,
    today: date,
) -> Campaign:
    """Add a campaign after checking it, with errors naming the field.

    Raises:
        CampaignError: unknown or inactive survey, a day in the past, an empty name, or a
            tenure band that is negative or upside down.
    """
    survey = session.scalar(select(Survey).where(Survey.key == survey_key))
    if survey is None:
        raise CampaignError("survey", f"there is no survey {survey_key!r}")
    if not survey.active:
        raise CampaignError("survey", f"survey {survey_key!r} is not active")
    if not name.strip():
        raise CampaignError("name", "must not be empty")
    if send_on < today:
        raise CampaignError("send_on", f"{send_on.isoformat()} is in the past")
    low, high = segment.tenure_min_days, segment.tenure_max_days
    if (low is not None and low < 0) or (high is not None and high < 0):
        raise CampaignError("tenure", "days on assignment cannot be negative")
    if low is not None and high is not None and low > high:
        raise CampaignError("tenure", f"the band {low}-{high} days is empty")
    campaign = Campaign(
        survey_id=survey.id,
        name=name.strip(),
        send_on=send_on,
        client=(segment.client or "").strip() or None,
        account_manager=(segment.account_manager or "").strip() or None,
        tenure_min_days=low,
        tenure_max_days=high,
    )
    session.add(campaign)
    session.flush()
    return campaign
