"""The consent record of one or more addresses, as a carrier's reviewer asks for it (A2P 10DLC
brand/campaign vetting, toll-free verification): every change with its source, the consent
text shown (version and words), when, and who; and the current state.

Contractor-given values go out as data, never as spreadsheet formulas (see ``_cell``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import consent_texts
from outreach.consent import reach
from outreach.consent_log import history
from outreach.models import Consent

_E164 = re.compile(r"\+\d{6,15}")
CSV_COLUMNS = (
    "address",
    "channel",
    "occurred_at",
    "change",
    "source",
    "actor",
    "text_version",
    "text",
    "message_id",
)


def _text(version: str | None, program: str, limit: int) -> str:
    if not version:
        return ""
    try:
        return consent_texts.consent_texts().text(
            version, "en", program=program, limit=limit, contact="(support contact)"
        )
    except KeyError:
        return ""


def record(
    session: Session, addresses: Sequence[str], *, program: str, limit: int
) -> dict[str, Any]:
    """The whole record for ``addresses``: events oldest first, and the state now."""
    current = {
        c.address: c
        for c in session.scalars(select(Consent).where(Consent.address.in_(list(addresses))))
    }
    events = [
        {
            "address": e.address,
            "channel": e.channel,
            "occurred_at": e.occurred_at.isoformat(),
            "change": e.change,
            "source": e.source,
            "actor": e.actor,
            "text_version": e.text_version,
            "text": _text(e.text_version, program, limit),
            "message_id": e.message_id,
        }
        for e in history(session, list(addresses))
    ]
    return {
        "program": program,
        "addresses": [
            {
                "address": address,
                "state": reach(session, address).value,
                "opted_in_at": _iso(current.get(address), "opted_in_at"),
                "opted_out_at": _iso(current.get(address), "opted_out_at"),
            }
            for address in addresses
        ],
        "events": events,
    }


def _iso(consent: Consent | None, name: str) -> str | None:
    value = getattr(consent, name) if consent is not None else None
    return value.isoformat() if value is not None else None


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: quote it as text. An
    # E.164 number ("+14155550101") is only digits and stays as it is.
    if (
        isinstance(value, str)
        and value[:1] in ("=", "+", "-", "@", "\t", "\r")
        and not _E164.fullmatch(value)
    ):
        return "'" + value
    return "" if value is None else value


def to_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in data["events"]:
        writer.writerow([_cell(event[name]) for name in CSV_COLUMNS])
    return out.getvalue()


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
