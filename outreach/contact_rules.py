"""When and how often a contractor may be surveyed: the state quiet hours and the global
contact rule, asked once per send by the delivery path (outreach.delivery.invitations).

The contact rule: at most N survey conversations (invitations that went out) per contractor
in any 30 days, counted across every survey and campaign. A reminder belongs to its
invitation's conversation and staff messages are replies, not surveys: neither counts nor is
limited. An invitation over the limit is skipped, not deferred: it would come back as stale
as the limit is long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import config
from core.clock import now
from outreach import quiet_hours
from outreach.delivery.statuses import advance_invitation
from outreach.models import HoldReason, Invitation, InvitationStatus

CONTACT_PERIOD = timedelta(days=30)


@dataclass(frozen=True)
class Hold:
    reason: HoldReason
    until: datetime | None  # None: the invitation does not go at all


def conversations_since(
    session: Session, contractor_id: int, since: datetime, *, besides: int | None = None
) -> int:
    """Survey conversations the contractor was sent since ``since`` (those being sent now
    included), other than invitation ``besides``."""
    query = select(func.count(Invitation.id)).where(
        Invitation.contractor_id == contractor_id,
        or_(Invitation.sent_at >= since, Invitation.status == InvitationStatus.SENDING),
    )
    if besides is not None:
        query = query.where(Invitation.id != besides)
    return session.scalar(query) or 0


def hold(
    session: Session, invitation: Invitation, at: datetime, *, limit: int, reminder: bool
) -> Hold | None:
    """Why ``invitation`` (or its reminder) may not go at ``at``, or None when it may."""
    contractor = invitation.contractor
    if not quiet_hours.permits(at, contractor.timezone, contractor.state):
        until = quiet_hours.next_open(at, contractor.timezone, contractor.state)
        return Hold(HoldReason.QUIET_HOURS, until)
    if reminder:
        return None
    sent = conversations_since(session, contractor.id, at - CONTACT_PERIOD, besides=invitation.id)
    if sent >= limit:
        return Hold(HoldReason.CONTACT_LIMIT, None)
    return None


def defer_or_skip(invitation: Invitation, held: Hold, *, reminder: bool, at: datetime) -> None:
    """Apply ``held`` to a claimed invitation (or its reminder's claim), saying why."""
    invitation.hold_reason = held.reason
    if held.until is not None:
        invitation.not_before = held.until
        if reminder:
            invitation.reminder_count = 0  # its turn comes again when the hours open
        else:
            invitation.status = InvitationStatus.SCHEDULED
            invitation.status_changed_at = at
    elif not reminder:
        advance_invitation(invitation, InvitationStatus.SKIPPED)


def held_back(session: Session, invitation: Invitation, *, reminder: bool) -> bool:
    """The delivery path's one question: hold a claimed invitation (or reminder) back now?
    When so, it is deferred or skipped, with its reason, and committed."""
    at = now()
    limit = config.active().contact_limit_per_30_days
    held = hold(session, invitation, at, limit=limit, reminder=reminder)
    if held is None:
        return False
    defer_or_skip(invitation, held, reminder=reminder, at=at)
    session.commit()
    return True
