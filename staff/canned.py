"""Canned replies: texts admins write once, in English and Spanish, that staff start from.
Variables are filled for the contractor the reply goes to. No Flask here."""

from __future__ import annotations

import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import Contractor
from staff import audit
from staff.errors import WorkError, required_text
from staff.notify.models import CannedReply

VARIABLES = ("first_name", "account_manager", "payday")
LANGUAGES = ("en", "es")
# The roster carries no payroll calendar; weekly pay on Friday is what the demo firm runs.
PAYDAY = {"en": "Friday", "es": "viernes"}


def active(session: Session, language: str | None = None) -> list[CannedReply]:
    query = select(CannedReply).where(CannedReply.active.is_(True))
    if language:
        query = query.where(CannedReply.language == language)
    return list(session.scalars(query.order_by(CannedReply.language, CannedReply.title)))


def everything(session: Session) -> list[CannedReply]:
    return list(
        session.scalars(select(CannedReply).order_by(CannedReply.language, CannedReply.title))
    )


def _check(body: str) -> str:
    text = required_text(body, "body", "The reply", 1600)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise WorkError(f"The reply has a broken {{variable}}: {exc}.", "body") from exc
    unknown = sorted(names - set(VARIABLES))
    if unknown:
        known = ", ".join("{" + v + "}" for v in VARIABLES)
        raise WorkError(f"Unknown variable {{{unknown[0]}}}: use {known}.", "body")
    return text


def create(session: Session, title: str, language: str, body: str, *, by: int) -> CannedReply:
    if language not in LANGUAGES:
        raise WorkError(f"Language {language!r} is not one of {', '.join(LANGUAGES)}.", "language")
    reply = CannedReply(
        title=required_text(title, "title", "The title", 120),
        language=language,
        body=_check(body),
    )
    session.add(reply)
    session.flush()
    audit.record(session, by, "canned_reply_created", "canned_reply", reply.id)
    return reply


def set_active(session: Session, reply_id: int, on: bool | None, *, by: int) -> CannedReply:
    """Switch a canned reply on or off (``None``: the other way round). Never deleted."""
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise WorkError(f"There is no canned reply #{reply_id}.", "canned")
    reply.active = (not reply.active) if on is None else on
    on = reply.active
    audit.record(session, by, "canned_reply_switched", "canned_reply", reply.id, active=on)
    return reply


def fill(session: Session, reply_id: int, contractor: Contractor) -> str:
    reply = session.get(CannedReply, reply_id)
    if reply is None or not reply.active:
        raise WorkError(f"There is no canned reply #{reply_id}.", "canned")
    return reply.body.format(
        first_name=contractor.name.split()[0] if contractor.name.strip() else contractor.name,
        account_manager=contractor.account_manager,
        payday=PAYDAY.get(reply.language, PAYDAY["en"]),
    )
