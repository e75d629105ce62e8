"""Which replies each ticket and alert lists, kept for a batch of replies and written as plain
rows once the batch is flushed.

Appending a reply to ``ticket.responses`` through the ORM loads the list first, fires the
back-reference on the reply, and flushes one link row at a time: a client hot-spot alert lists
thousands of replies, and loading them again for each batch grew with every reply read. A
batch asks here instead: the ids already linked are loaded as plain integers with the
ticket or alert, the batch's links are remembered, and :meth:`Links.write` inserts the new
ones in one statement per table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.db import insert_ignoring_duplicates
from surveys.models import Alert, Ticket, alert_responses, ticket_responses


class Reply(Protocol):
    """A reply as a link needs it: a Response of this batch, or a stored one's columns."""

    @property
    def id(self) -> int | None: ...


Item = Ticket | Alert


def _table(item: Item) -> tuple[Table, str]:
    if isinstance(item, Ticket):
        return ticket_responses, "ticket_id"
    return alert_responses, "alert_id"


@dataclass
class Links:
    # ticket or alert -> ids of the replies it listed when loaded; a new item has none
    stored: dict[Item, set[int]] = field(default_factory=dict)
    # ticket or alert -> the replies this batch adds, by identity: the batch's own have no id
    # until it is flushed (written twice, a reply is linked once: write() skips what it wrote)
    added: dict[Item, dict[int, Reply]] = field(default_factory=dict)

    def load(self, session: Session, items: Iterable[Item]) -> None:
        """The ids linked to these stored tickets and alerts, one query per table."""
        by_table: dict[Table, dict[int, Item]] = {}
        for item in items:
            self.stored[item] = set()
            if item.id is not None:  # a new one lists nothing yet
                by_table.setdefault(_table(item)[0], {})[item.id] = item
        for table, items_by_id in by_table.items():
            key = table.c.ticket_id if table is ticket_responses else table.c.alert_id
            for chunk in _chunks(sorted(items_by_id)):
                for item_id, response_id in session.execute(
                    select(key, table.c.response_id).where(key.in_(chunk))
                ):
                    self.stored[items_by_id[item_id]].add(response_id)

    def has(self, session: Session, item: Item, reply: Reply) -> bool:
        self._known(session, item)
        added = self.added.get(item, {})
        return (reply.id is not None and reply.id in self.stored[item]) or id(reply) in added

    def add(self, session: Session, item: Item, replies: Iterable[Reply]) -> None:
        self._known(session, item)
        added = self.added.setdefault(item, {})
        for reply in replies:
            added.setdefault(id(reply), reply)

    def _known(self, session: Session, item: Item) -> None:
        # An item the batch did not load (its owner was not in the batch) is asked about once.
        if item not in self.stored:
            self.load(session, [item])

    def write(self, session: Session) -> None:
        """Insert the batch's new links. The replies, tickets and alerts must have their ids
        (the batch is flushed first)."""
        rows: dict[Table, list[dict[str, int]]] = {}
        for item, added in self.added.items():
            table, column = _table(item)
            stored = self.stored[item]
            assert item.id is not None, "flush before writing links"
            for reply in added.values():
                assert reply.id is not None, "flush before writing links"
                if reply.id not in stored:
                    stored.add(reply.id)
                    rows.setdefault(table, []).append({column: item.id, "response_id": reply.id})
        self.added.clear()
        dialect = session.get_bind().dialect.name
        for table, table_rows in rows.items():
            # Ignoring duplicates: a link another reader wrote first is the same link.
            session.execute(insert_ignoring_duplicates(table, dialect), table_rows)


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
