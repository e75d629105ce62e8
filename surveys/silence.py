"""Care's silence alerts: contractors who stopped answering, looked for from the tick.

A ``silence`` alert (normal) is raised when the contractor's two latest invitations whose
answer window has closed both went unanswered, and nothing else was heard from them since.
Each run of silence is alerted once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.models import Contractor, Invitation, InvitationStatus
from surveys.care import raise_alert
from surveys.matching import ANSWER_WINDOW
from surveys.models import OPEN_WORK, Alert, AlertKind, Response, Severity

SILENT_INVITATIONS = 2


def _silent_contractors(session: Session, at: datetime) -> dict[int, list[Invitation]]:
    """Contractors whose latest closed invitations all went unanswered, with those invitations."""
    closed = (
        select(
            Invitation.id,
            Invitation.contractor_id,
            func.row_number()
            .over(
                partition_by=Invitation.contractor_id,
                order_by=(Invitation.sent_at.desc(), Invitation.id.desc()),
            )
            .label("n"),
        )
        .join(Contractor, Contractor.id == Invitation.contractor_id)
        .where(
            Contractor.status == "active",
            Invitation.sent_at.is_not(None),
            Invitation.sent_at <= at - ANSWER_WINDOW,
            # A failed send never reached them: that is not their silence.
            Invitation.status != InvitationStatus.FAILED,
        )
        .subquery()
    )
    latest = session.scalars(
        select(Invitation)
        .join(closed, closed.c.id == Invitation.id)
        .where(closed.c.n <= SILENT_INVITATIONS)
        .order_by(Invitation.contractor_id, Invitation.sent_at.desc())
    )
    runs: dict[int, list[Invitation]] = {}
    for invitation in latest:
        runs.setdefault(invitation.contractor_id, []).append(invitation)
    return {
        contractor_id: invitations
        for contractor_id, invitations in runs.items()
        if len(invitations) == SILENT_INVITATIONS
        and all(
            i.answered_at is None and i.status != InvitationStatus.ANSWERED for i in invitations
        )
    }


def raise_silence_alerts(session: Session) -> int:
    """Raise a silence alert for each contractor who stopped answering. Returns how many
    alerts were opened; safe to run every tick (each run of silence is alerted once)."""
    current = now()
    opened = 0
    for contractor_id, invitations in _silent_contractors(session, current).items():
        earliest = min(i.sent_at for i in invitations if i.sent_at is not None)
        heard_since = session.scalar(
            select(Response.id)
            .where(Response.contractor_id == contractor_id, Response.created_at >= earliest)
            .limit(1)
        )
        if heard_since is not None:
            continue
        ids = sorted(i.id for i in invitations)
        already = session.scalars(
            select(Alert.evidence).where(
                Alert.contractor_id == contractor_id, Alert.kind == AlertKind.SILENCE
            )
        )
        if any(ids[-1] in (evidence or {}).get("invitations", []) for evidence in already):
            continue  # this run of silence has had its alert
        contractor = session.get_one(Contractor, contractor_id)
        existing = session.scalar(
            select(Alert.id).where(
                Alert.contractor_id == contractor_id,
                Alert.kind == AlertKind.SILENCE,
                Alert.status.in_(OPEN_WORK),
            )
        )
        alert = raise_alert(
            session,
            AlertKind.SILENCE,
            Severity.NORMAL,
            f"{SILENT_INVITATIONS} invitations in a row unanswered",
            contractor_id=contractor_id,
            client=contractor.client,
            evidence={"invitations": ids},
        )
        if alert is not None and existing is None:
            opened += 1
    return opened
