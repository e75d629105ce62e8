"""The must-catch rules in force: the packaged ``rules.toml`` and the phrases staff added on the
Reading rules page (:class:`surveys.models.MustCatchPhrase`).

Staff phrases live in the database, not in a process: every worker reads the active ones for
each reply it reads (one small query), so a phrase added in the web process fires in every
worker from the next reply on, with no restart, no retraining and no message to broadcast. The
compiled rules are cached by the phrases' contents, so an unchanged table costs no compiling.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import rules
from surveys.models import MustCatchPhrase

log = logging.getLogger(__name__)


# (id, phrase, except phrases, category, priority) of each active phrase, in id order.
_Key = tuple[tuple[int, str, tuple[str, ...], str, str], ...]


def rule_id(phrase_id: int) -> str:
    """What a ticket records as its rule when a staff phrase fired."""
    return f"staff-{phrase_id}"


def _rule(row: tuple[int, str, tuple[str, ...], str, str]) -> rules.Rule:
    phrase_id, phrase, exceptions, category, priority = row
    return rules.make_rule(rule_id(phrase_id), category, priority, [phrase], exceptions)


@lru_cache(maxsize=8)
def _ruleset(key: _Key) -> rules.Ruleset:
    staff: list[rules.Rule] = []
    for row in key:
        try:
            staff.append(_rule(row))
        except re.error:
            # Phrases are checked when saved; a row written some other way is skipped (and
            # said), so one bad row never stops every other rule.
            log.warning("must-catch phrase %s does not compile: left out", row[0])
    return rules.ruleset().adding(staff)


def in_force(session: Session) -> rules.Ruleset:
    """rules.toml and every active staff phrase, most urgent first."""
    rows = session.execute(
        select(
            MustCatchPhrase.id,
            MustCatchPhrase.phrase,
            MustCatchPhrase.except_phrases,
            MustCatchPhrase.category,
            MustCatchPhrase.priority,
        )
        .where(MustCatchPhrase.active.is_(True))
        .order_by(MustCatchPhrase.id)
    )
    key: _Key = tuple(
        (row.id, row.phrase, tuple(row.except_phrases or ()), row.category, row.priority)
        for row in rows
    )
    return _ruleset(key)
