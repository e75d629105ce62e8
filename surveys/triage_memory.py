"""What triage looks up across the replies of one batch, loaded once for the batch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only
from sqlalchemy.sql.elements import ColumnElement

from core.clock import now
from outreach.models import Contractor
from surveys.care import (
    ALERT_COOLDOWN,
    BASELINE_RATINGS,
    HOTSPOT_WINDOW,
    NO_COOLDOWN,
    AlertKey,
    Negative,
    StoredNegative,
    alert_key,
)
from surveys.links import Links
from surveys.models import OPEN_WORK, Alert, Response, Ticket

_RATING_COLUMNS = load_only(
    Response.id,
    Response.contractor_id,
    Response.created_at,
    Response.rating,
    Response.scale_max,
    Response.negative,
)
_R = TypeVar("_R", Response, Negative)


def _in_order(responses: list[_R]) -> list[_R]:
    """Oldest first, as by (created_at, id); replies of this batch not yet flushed have no id
    but will get ids in the order they were made, after every stored one."""
    return sorted(responses, key=lambda r: (r.created_at, r.id is None, r.id or 0))


@dataclass
class Memory:
    """What triage looks up across replies, loaded once for a batch of replies and kept up to
    date as each is triaged, so that a reply costs no queries of its own. Each look-up that
    the memory cannot answer exactly falls back to the query that would have run."""

    # contractor id -> rated replies, newest first: the newest that were stored, then the
    # batch's own
    ratings: dict[int, list[Response]] = field(default_factory=dict)
    # contractor id -> their newest stored rated replies (BASELINE_RATINGS + 1 at most)
    rated_loaded: dict[int, list[Response]] = field(default_factory=dict)
    # client -> negative replies since the hot-spot window of the batch's earliest reply
    negatives: dict[str, list[Negative]] = field(default_factory=dict)
    # the identities of the replies in ``negatives``: a batch asks for each of its own
    listed: set[int] = field(default_factory=set)
    since: datetime | None = None
    # (contractor id, client, kind) -> the open alert of that kind, None when there is none;
    # for the contractors (client alerts: the clients) in ``scopes``, a missing key is None
    alerts: dict[AlertKey, Alert | None] = field(default_factory=dict)
    scopes: set[tuple[int | None, str | None]] = field(default_factory=set)
    # alerts that staff resolved within ALERT_COOLDOWN, for the same scopes
    cooling: set[AlertKey] = field(default_factory=set)
    # (contractor id, category) -> the open ticket, None when there is none; for the
    # contractors in ``ticketed``, a missing key is None
    tickets: dict[tuple[int, str], Ticket | None] = field(default_factory=dict)
    ticketed: set[int] = field(default_factory=set)
    # negative replies whose client hot-spot is looked at once the batch is read, in reading
    # order, with their clients (see surveys.care.raise_hotspots)
    hotspots_due: list[tuple[Response, str]] = field(default_factory=list)
    # which replies the tickets and alerts above list, and those the batch adds
    links: Links = field(default_factory=Links)

    @classmethod
    def load(cls, session: Session, contractor_ids: Iterable[int], earliest: datetime) -> Memory:
        memory = cls(since=earliest - HOTSPOT_WINDOW)
        ids = set(contractor_ids)
        if not ids:
            return memory
        newest = (
            select(
                Response.id,
                func.row_number()
                .over(
                    partition_by=Response.contractor_id,
                    order_by=(Response.created_at.desc(), Response.id.desc()),
                )
                .label("n"),
            )
            .where(Response.contractor_id.in_(ids), Response.rating.is_not(None))
            .subquery()
        )
        for response in session.scalars(
            select(Response)
            .join(newest, newest.c.id == Response.id)
            # The columns the rating rules read: whole replies decoded each one's JSON.
            .options(_RATING_COLUMNS)
            .where(newest.c.n <= BASELINE_RATINGS + 1)
            .order_by(Response.created_at.desc(), Response.id.desc())
        ):
            memory.rated_loaded.setdefault(response.contractor_id or 0, []).append(response)
        for contractor_id in ids:
            loaded = memory.rated_loaded.setdefault(contractor_id, [])
            memory.ratings[contractor_id] = list(loaded)
        memory._load_work(session, ids)
        return memory

    def load_clients(
        self, session: Session, clients: Iterable[str], leave_out: Iterable[Response] = ()
    ) -> None:
        """What the client hot-spot rule reads of these clients, as it is now: their negative
        replies since the window of the batch's earliest reply (but ``leave_out``, the batch's
        own, which :meth:`triaged` adds as they are triaged) and their open or cooling
        hot-spot alerts. Asked at the end of a batch, under the clients' locks
        (:func:`surveys.care.raise_hotspots`), so that it sees every other reader's commits."""
        clients = set(clients)
        if not clients or self.since is None:
            return
        own = {r.id for r in leave_out}
        self.negatives.update({client: [] for client in clients})
        for client, reply_id, contractor_id, created_at, negative in session.execute(
            select(
                Contractor.client,
                Response.id,
                Response.contractor_id,
                Response.created_at,
                Response.negative,
            )
            .join(Contractor, Contractor.id == Response.contractor_id)
            .where(
                Contractor.client.in_(clients),
                Response.negative.is_(True),
                Response.created_at >= self.since,
            )
        ):
            stored = StoredNegative(reply_id, contractor_id, created_at, negative)
            if stored.id not in own:
                self.negatives[client].append(stored)
                self.listed.add(id(stored))
        for key in [k for k in self.alerts if k[0] is None and k[1] in clients]:
            del self.alerts[key]
        self.cooling -= {k for k in self.cooling if k[0] is None and k[1] in clients}
        self._load_alerts(session, Alert.contractor_id.is_(None) & Alert.client.in_(clients))
        self.scopes |= {(None, c) for c in clients}

    def _load_work(self, session: Session, ids: set[int]) -> None:
        """The open tickets and alerts, and the alerts cooling down, of these contractors."""
        tickets = list(
            session.scalars(
                select(Ticket)
                .where(Ticket.contractor_id.in_(ids), Ticket.status.in_(OPEN_WORK))
                .order_by(Ticket.id.desc())  # the oldest last: it is the one a report joins
            )
        )
        for ticket in tickets:
            self.tickets[(ticket.contractor_id or 0, ticket.category)] = ticket
        # Which replies they list, as ids: linking a reply asks, and one lazy load (and
        # autoflush) per ticket was most of a batch's time.
        self.links.load(session, tickets)
        self.ticketed |= ids
        self._load_alerts(session, Alert.contractor_id.in_(ids))
        self.scopes |= {(i, None) for i in ids}

    def _load_alerts(self, session: Session, scope: ColumnElement[bool]) -> None:
        closed_at = func.coalesce(Alert.resolved_at, Alert.updated_at)
        open_ = []
        for alert in session.scalars(
            select(Alert)
            .where(scope, Alert.status.in_(OPEN_WORK) | (closed_at >= now() - ALERT_COOLDOWN))
            .order_by(Alert.id.desc())
        ):
            key = alert_key(alert.contractor_id, alert.client, alert.kind)
            if alert.status in OPEN_WORK:
                self.alerts[key] = alert
                open_.append(alert)
            elif alert.kind not in NO_COOLDOWN:
                self.cooling.add(key)
        self.links.load(session, open_)

    def open_alert(self, key: AlertKey) -> tuple[bool, Alert | None]:
        """(whether the memory knows, the open alert for ``key`` if any)."""
        if key in self.alerts:
            return True, self.alerts[key]
        return key[:2] in self.scopes, None

    def open_ticket(self, key: tuple[int, str]) -> tuple[bool, Ticket | None]:
        if key in self.tickets:
            return True, self.tickets[key]
        return key[0] in self.ticketed, None

    def previous_ratings(self, response: Response) -> list[Response] | None:
        """The contractor's rated replies before this one, newest first (BASELINE_RATINGS of
        them at most); None when the memory cannot tell."""
        contractor_id = response.contractor_id
        if contractor_id is None or contractor_id not in self.ratings:
            return None
        loaded = self.rated_loaded[contractor_id]
        # Stored replies not loaded are older than every loaded one: exact while each loaded
        # reply (but this one) came before this one and is still rated.
        if any(
            r is not response and (r.created_at > response.created_at or r.rating is None)
            for r in loaded
        ):
            return None
        before = [
            r
            for r in self.ratings[contractor_id]
            if r is not response and r.rating is not None and r.created_at <= response.created_at
        ]
        return _in_order(before)[::-1][:BASELINE_RATINGS]

    def client_negatives(self, client: str, response: Response) -> list[Negative] | None:
        """Negative replies at ``client`` in the hot-spot window up to this one, oldest first;
        None when the memory cannot tell."""
        known = self.negatives.get(client)
        since = response.created_at - HOTSPOT_WINDOW
        if known is None or self.since is None or since < self.since:
            return None
        return _in_order(
            [r for r in known if r.negative and since <= r.created_at <= response.created_at]
        )

    def triaged(self, response: Response, client: str) -> None:
        """Keep the memory up to date with a reply just triaged."""
        contractor_id = response.contractor_id
        if contractor_id is None:
            return
        rated = self.ratings.get(contractor_id)
        if rated is not None and response.rating is not None and response not in rated:
            rated.append(response)
        self.triaged_negative(response, client)

    def triaged_negative(self, response: Response, client: str) -> None:
        negatives = self.negatives.get(client)
        if negatives is not None and response.negative and id(response) not in self.listed:
            negatives.append(response)
            self.listed.add(id(response))
