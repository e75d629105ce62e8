"""Replies with their analysis as CSV, for a date range and the inbox's filters. No Flask.

Spreadsheets run a cell that starts with = + - or @ as a formula, and a contractor writes
whatever they like: every text cell that could be read as a formula gets a leading ' (OWASP's
advice for CSV injection). Numbers are written as numbers and need no such guard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from staff import audit
from staff.errors import WorkError
from staff.inbox import ReplyFilters, apply_filters
from surveys.models import Response

COLUMNS = (
    "reply_id",
    "received_at_utc",
    "contractor_external_id",
    "contractor_name",
    "client",
    "account_manager",
    "channel",
    "rating",
    "scale_max",
    "text",
    "polarity",
    "subjectivity",
    "vader_compound",
    "negative",
    "category",
    "quit_intent",
    "flagged",
    "cues",
    "ticket_ids",
    "alert_ids",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_RANGE = timedelta(days=366)
BATCH = 500


def safe_cell(value: Any) -> Any:
    """``value``, with a leading ' when a spreadsheet would otherwise run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def check_range(filters: ReplyFilters) -> ReplyFilters:
    """Raises WorkError unless both dates are given and at most a year apart."""
    if filters.date_from is None:
        raise WorkError("Give the first day of the export (date_from).", "date_from")
    if filters.date_to is None:
        raise WorkError("Give the last day of the export (date_to).", "date_to")
    if filters.date_to - filters.date_from > MAX_RANGE:
        raise WorkError("Export at most a year at a time.", "date_to")
    return filters


def _row(response: Response) -> list[Any]:
    contractor = response.contractor
    cues = response.flags.get("cues") if isinstance(response.flags, dict) else None
    return [
        response.id,
        response.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        contractor.external_id if contractor else "",
        contractor.name if contractor else "",
        contractor.client if contractor else "",
        contractor.account_manager if contractor else "",
        response.channel,
        "" if response.rating is None else response.rating,
        response.scale_max,
        response.text,
        round(response.polarity, 4),
        round(response.subjectivity, 4),
        round(response.vader_compound, 4),
        response.negative,
        response.category,
        response.quit_intent,
        response.flagged,
        "; ".join(str(c) for c in cues or []),
        " ".join(str(t.id) for t in response.tickets),
        " ".join(str(a.id) for a in response.alerts),
    ]


def rows(
    session: Session, filters: ReplyFilters, flagged_only: bool = False
) -> Iterator[list[Any]]:
    """Header, then one row per reply in time order, each cell made safe for spreadsheets."""
    yield list(COLUMNS)
    query = apply_filters(select(Response), check_range(filters))
    if flagged_only:
        query = query.where(Response.flagged)
    query = query.order_by(Response.created_at, Response.id).options(
        selectinload(Response.contractor),
        selectinload(Response.tickets),
        selectinload(Response.alerts),
    )
    for response in session.scalars(query.execution_options(yield_per=BATCH)):
        yield [safe_cell(value) for value in _row(response)]


def csv_chunks(
    session: Session, filters: ReplyFilters, flagged_only: bool = False
) -> Iterator[str]:
    """The CSV text in chunks of about ``BATCH`` rows, to stream without holding it all."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n, row in enumerate(rows(session, filters, flagged_only), start=1):
        writer.writerow(row)
        if n % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def record(session: Session, filters: ReplyFilters, flagged_only: bool, *, by: int) -> None:
    audit.record(
        session,
        by,
        "replies_exported",
        None,
        None,
        filters=filters.as_args(),
        flagged_only=flagged_only,
    )


def filename(filters: ReplyFilters) -> str:
    return f"replies_{filters.date_from}_{filters.date_to}.csv"
