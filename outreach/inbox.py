"""Storing what contractors send us, exactly once, before anything else happens to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.clock import now
from core.config import Settings
from core.db import insert_ignoring_duplicates, insert_once
from core.queue import INBOUND, Drain
from outreach import consent, consent_texts
from outreach.keywords import Keyword, classify, language_of_keyword
from outreach.models import Channel, Contractor, Direction, Message

# At most this many reader jobs at once: a worker running one reads ~1 core's worth.
READERS = 4

# Named by path: the job reads replies, which is the surveys package's business. Readers claim
# their batches atomically, so a backlog is shared by as many readers as workers can run.
INBOUND_DRAIN = Drain(
    "pulse:drain:inbound", INBOUND, "surveys.jobs.process_inbound", readers=READERS
)


@dataclass(frozen=True)
class Received:
    stored: bool  # False: we had this provider id already, nothing changed
    id: int | None
    keyword: Keyword | None
    needs_processing: bool
    language: str = "en"  # for the confirmation: the keyword's own, else the contractor's


def _row(params: dict[str, Any], channel: str, provider_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "direction": Direction.INBOUND.value,
        "channel": channel,
        "provider_id": provider_id,
        "status": "received",
        "payload": params,
        "created_at": now(),
        "process_attempts": 0,
        **extra,
    }


def receive_sms(engine: Engine, params: dict[str, str], settings: Settings) -> Received:
    """Store one inbound SMS webhook's parameters; act on consent keywords at once.

    Consent keywords are settled here, not in a worker, so that a STOP takes effect before any
    send that a worker may be about to make.
    """
    body = params.get("Body", "")
    row = _row(
        params,
        Channel.SMS,
        params["MessageSid"],
        from_address=params["From"],
        to_address=params.get("To", ""),
        body=body,
    )
    keyword = classify(body)
    if keyword is None:
        new_id = insert_once(engine, cast(Table, Message.__table__), row)
        return Received(stored=new_id is not None, id=new_id, keyword=None, needs_processing=True)

    with Session(engine) as session, session.begin():
        stmt = insert_ignoring_duplicates(Message.__table__, engine.dialect.name)
        row["processed_at"] = now()
        new_id = session.execute(stmt.returning(Message.__table__.c.id), row).scalar()
        language = "en"
        if new_id is not None:
            address = params["From"]
            if keyword is Keyword.OPT_OUT:
                consent.record_opt_out(
                    session,
                    address,
                    Channel.SMS,
                    source="keyword",
                    text_version=consent_texts.current_version("opt_out_keyword"),
                    message_id=new_id,
                )
            elif keyword is Keyword.OPT_IN:
                consent.record_opt_in(
                    session,
                    address,
                    Channel.SMS,
                    text_version=consent_texts.current_version("opt_in_keyword"),
                    message_id=new_id,
                )
            language = _language_for(session, body, address)
    return Received(
        stored=new_id is not None,
        id=new_id,
        keyword=keyword,
        needs_processing=False,
        language=language,
    )


def _language_for(session: Session, body: str, address: str) -> str:
    # "BAJA" is answered in Spanish; "STOP" in the language the contractor is surveyed in.
    said = language_of_keyword(body)
    if said == "es":
        return said
    known = session.scalar(select(Contractor.language).where(Contractor.phone == address).limit(1))
    return known or said or "en"


def nudge_processing() -> bool:
    """Make sure a worker reads stored inbound messages soon; see :class:`core.queue.Drain`."""
    return INBOUND_DRAIN.nudge()


def confirmation_text(keyword: Keyword, settings: Settings, language: str = "en") -> str:
    """The one reply a consent keyword gets: no survey, no marketing (FCC 24-18, CTIA). The
    wording is versioned data (outreach.consent_texts), so a consent event can name it."""
    purpose = {Keyword.OPT_OUT: "opt_out_keyword", Keyword.OPT_IN: "opt_in_keyword"}.get(
        keyword, "help"
    )
    return (
        help_text(settings, language) if purpose == "help" else _text(purpose, settings, language)
    )


def _text(purpose: str, settings: Settings, language: str) -> str:
    text, _version = consent_texts.render(
        purpose,
        "es" if language == "es" else "en",
        program=settings.program_name,
        contact=settings.support_contact,
    )
    return text


def help_text(settings: Settings, language: str = "en") -> str:
    """CTIA's HELP content: the program, the message frequency, how to opt out, the rates
    notice and a contact. GSM-7 only, and short enough for one segment with a long contact."""
    return _text("help", settings, language)
