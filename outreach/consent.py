"""Consent per address: who may be contacted, checked before every send on every path."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.models import Consent


def _consent(session: Session, address: str, channel: str) -> Consent:
    consent = session.scalar(select(Consent).where(Consent.address == address))
    if consent is None:
        consent = Consent(address=address, channel=channel)
        session.add(consent)
    return consent


def record_opt_out(session: Session, address: str, channel: str, source: str) -> Consent:
    """Stop all messages to ``address``. ``source`` says how we learned: keyword, 21610,
    bounce, spamreport, unsubscribe_link, plain_language, staff."""
    consent = _consent(session, address, channel)
    consent.opted_out_at = now()
    consent.source = source
    session.flush()
    return consent


def record_opt_in(session: Session, address: str, channel: str) -> Consent:
    consent = _consent(session, address, channel)
    consent.opted_in_at = now()
    session.flush()
    return consent


def mark_invalid(session: Session, address: str, channel: str, reason: str) -> Consent:
    consent = _consent(session, address, channel)
    consent.invalid_at = now()
    consent.invalid_reason = reason
    session.flush()
    return consent


class Reach(StrEnum):
    OK = "ok"
    OPTED_OUT = "opted_out"  # the person said no: respect it, on no other channel either
    UNREACHABLE = "unreachable"  # no address, or one the provider cannot deliver to


def reach(session: Session, address: str | None) -> Reach:
    if not address:
        return Reach.UNREACHABLE
    consent = session.scalar(select(Consent).where(Consent.address == address))
    if consent is None:
        return Reach.OK
    if consent.opted_out:
        return Reach.OPTED_OUT
    return Reach.UNREACHABLE if consent.invalid_at is not None else Reach.OK


def may_contact(session: Session, address: str | None) -> bool:
    """True when nothing we know forbids or prevents a message to ``address``."""
    return reach(session, address) is Reach.OK
