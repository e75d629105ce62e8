"""Consent per address: who may be contacted, checked before every send on every path.

Rules a compliance officer can check against the code:

- An opt-out is recorded per address (phone or email) with how we learned it: a keyword
  (STOP and its family, or a plain-language "stop texting me"), Twilio's 21610, an
  unsubscribe link, a SendGrid unsubscribe or spam report.
- A contractor opted out on any of their addresses gets no survey on any channel: we do not
  route around a "no" (see :func:`contractor_opted_out`). Only an opt-in on that same address
  (START) lifts it.
- An address the provider cannot deliver to (21211, 21614, a hard bounce, a drop) is
  unreachable: it gets nothing, and the other channel may be used.
- Consent is read when a message goes, not when it was planned, on every path that sends:
  invitations, reminders and staff messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from outreach import consent_log
from outreach.models import Consent, ConsentChange, ConsentSource


def _consent(session: Session, address: str, channel: str) -> Consent:
    consent = session.scalar(select(Consent).where(Consent.address == address))
    if consent is None:
        consent = Consent(address=address, channel=channel)
        session.add(consent)
    return consent


def record_opt_out(
    session: Session,
    address: str,
    channel: str,
    source: str,
    *,
    actor: str = "contractor",
    text_version: str | None = None,
    message_id: int | None = None,
) -> Consent:
    """Stop all messages to ``address``. ``source`` says how we learned (a ConsentSource or
    a provider code); the change is appended to the consent record (outreach.consent_log)."""
    consent = _consent(session, address, channel)
    consent.opted_out_at = now()
    consent.source = source
    consent_log.append(
        session,
        address,
        channel,
        ConsentChange.OPT_OUT,
        source,
        actor=actor,
        text_version=text_version,
        message_id=message_id,
    )
    session.flush()
    return consent


def record_opt_in(
    session: Session,
    address: str,
    channel: str,
    source: str = ConsentSource.KEYWORD,
    *,
    actor: str = "contractor",
    text_version: str | None = None,
    message_id: int | None = None,
) -> Consent:
    consent = _consent(session, address, channel)
    consent.opted_in_at = now()
    consent_log.append(
        session,
        address,
        channel,
        ConsentChange.OPT_IN,
        source,
        actor=actor,
        text_version=text_version,
        message_id=message_id,
    )
    session.flush()
    return consent


def mark_invalid(
    session: Session, address: str, channel: str, reason: str, *, actor: str = "provider"
) -> Consent:
    consent = _consent(session, address, channel)
    consent.invalid_at = now()
    consent.invalid_reason = reason
    consent_log.append(session, address, channel, ConsentChange.INVALID, reason, actor=actor)
    session.flush()
    return consent


class Reach(StrEnum):
    OK = "ok"
    OPTED_OUT = "opted_out"  # the person said no: respect it, on no other channel either
    UNREACHABLE = "unreachable"  # no address, or one the provider cannot deliver to


def consents_for(session: Session, addresses: Iterable[str | None]) -> dict[str, Consent]:
    """The consent state we hold for ``addresses``, by address, read in one query.

    Read as the database has it now, even for rows this session loaded earlier: a STOP that
    arrived while a send waited for its turn must be seen by the look just before the send.
    """
    wanted = sorted({a for a in addresses if a})
    if not wanted:
        return {}
    found = session.scalars(
        select(Consent).where(Consent.address.in_(wanted)).execution_options(populate_existing=True)
    )
    return {c.address: c for c in found}


def reach_of(consents: Mapping[str, Consent], address: str | None) -> Reach:
    """:func:`reach` from states already read by :func:`consents_for`."""
    if not address:
        return Reach.UNREACHABLE
    consent = consents.get(address)
    if consent is None:
        return Reach.OK
    if consent.opted_out:
        return Reach.OPTED_OUT
    return Reach.UNREACHABLE if consent.invalid_at is not None else Reach.OK


def any_opted_out(consents: Mapping[str, Consent]) -> bool:
    """:func:`contractor_opted_out` from states already read by :func:`consents_for`."""
    return any(c.opted_out for c in consents.values())


def reach(session: Session, address: str | None) -> Reach:
    return reach_of(consents_for(session, [address]), address)


def may_contact(session: Session, address: str | None) -> bool:
    """True when nothing we know forbids or prevents a message to ``address``."""
    return reach(session, address) is Reach.OK


def contractor_opted_out(session: Session, addresses: Iterable[str | None]) -> bool:
    """True when any of a contractor's addresses said no."""
    return any_opted_out(consents_for(session, addresses))


# --- unsubscribe links -----------------------------------------------------------------------
# The token is our outbound Message id signed with SECRET_KEY: no table, no personal data in
# the URL, and it keeps working for as long as the key does (CAN-SPAM wants 30 days at least).

_SALT = "pulse-unsubscribe"


def unsubscribe_token(secret_key: str, message_id: int) -> str:
    return str(URLSafeSerializer(secret_key, salt=_SALT).dumps(message_id))


def message_for_token(secret_key: str, token: str) -> int | None:
    """The Message id a token was made for, or None when it is not one of ours."""
    try:
        value = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
