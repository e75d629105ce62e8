"""The Reading rules page: staff read the must-catch rules and add or switch off their own
phrases. No Flask here.

A phrase is checked when it is saved, with a message naming the field: it must compile in the
rules dialect (see surveys/rules.toml), and it must not fire on a large share of the labelled
replies in the corpus outside its own category, because a must-catch phrase opens a ticket
whatever the reader thinks: "pay" as an urgent safety phrase would flood Support. Once saved it
fires in every worker from the next reply on (:mod:`surveys.must_catch`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from staff import audit
from staff.errors import NotFound, WorkError
from staff.models import StaffUser
from surveys import corpus, must_catch, rules
from surveys.categories import CATEGORIES, PRIORITIES, Category
from surveys.models import MustCatchPhrase

MAX_PHRASE = 200
MAX_EXCEPTIONS = 20
# A phrase firing on more than this share of the labelled replies outside its category would
# open more wrong tickets than it catches right ones.
MAX_WRONG_SHARE = 0.02
RULE_CATEGORIES = tuple(c for c in CATEGORIES if c != Category.NONE)


class PhraseError(WorkError):
    """A phrase cannot be saved as given; ``field`` names the form field."""


@dataclass(frozen=True)
class NewPhrase:
    phrase: str
    except_phrases: list[str]
    category: str
    priority: str


@dataclass(frozen=True)
class Reach:
    """Where a phrase fires among the labelled replies of the corpus."""

    fired: int
    wrong: int  # of those, replies labelled with another category
    replies: int
    example: str | None  # one reply it fires on outside its category


def _pattern(value: str, field: str, label: str) -> str:
    if len(value) > MAX_PHRASE:
        raise PhraseError(f"{label} is {len(value)} characters; at most {MAX_PHRASE} fit.", field)
    try:
        rules.check_pattern(value, label)
    except rules.RulesError as exc:
        raise PhraseError(f"{exc}. See how to write one below.", field) from None
    return value


def check_phrase(raw: Mapping[str, Any]) -> NewPhrase:
    """Check a phrase as staff filled in the form.

    Raises:
        PhraseError: the first problem found, naming its field.
    """
    phrase = " ".join(str(raw.get("phrase") or "").split())
    if not phrase:
        raise PhraseError("The phrase must not be empty.", "phrase")
    _pattern(phrase, "phrase", "The phrase")
    exceptions = [
        " ".join(line.split()) for line in str(raw.get("except_phrases") or "").splitlines()
    ]
    exceptions = [e for e in exceptions if e]
    if len(exceptions) > MAX_EXCEPTIONS:
        raise PhraseError(
            f"{len(exceptions)} look-alikes; at most {MAX_EXCEPTIONS} fit.", "except_phrases"
        )
    for exception in exceptions:
        _pattern(exception, "except_phrases", "The look-alike")
    category = str(raw.get("category") or "")
    if category not in RULE_CATEGORIES:
        raise PhraseError(
            f"Category {category!r} is not one of {', '.join(RULE_CATEGORIES)}.", "category"
        )
    priority = str(raw.get("priority") or "")
    if priority not in PRIORITIES:
        raise PhraseError(
            f"Priority {priority!r} is not one of {', '.join(PRIORITIES)}.", "priority"
        )
    new = NewPhrase(phrase, exceptions, category, priority)
    reach = reach_of(new)
    if reach.wrong > MAX_WRONG_SHARE * reach.replies:
        raise PhraseError(
            f"The phrase fires on {reach.wrong} of {reach.replies} labelled replies that are "
            f"not {category}, e.g. {reach.example!r}: make it narrower or add look-alikes.",
            "phrase",
        )
    return new


@cache
def _labelled() -> tuple[tuple[str, str], ...]:
    # (text, category) of every corpus reply: the packaged corpus never changes
    # while the process runs.
    return tuple((e.text, e.category) for e in corpus.load().examples)


def reach_of(new: NewPhrase) -> Reach:
    rule = rules.make_rule("new", new.category, new.priority, [new.phrase], new.except_phrases)
    only = rules.Ruleset(rules=(rule,))
    fired = wrong = 0
    example = None
    for text, category in _labelled():
        if only.scan(text) is None:
            continue
        fired += 1
        if category != new.category:
            wrong += 1
            example = example or text
    return Reach(fired, wrong, len(_labelled()), example)


def add_phrase(session: Session, new: NewPhrase, *, by: int) -> MustCatchPhrase:
    """Save ``new`` (audited); it is in force once the caller commits."""
    duplicate = session.scalar(
        select(MustCatchPhrase.id).where(
            MustCatchPhrase.phrase == new.phrase, MustCatchPhrase.active.is_(True)
        )
    )
    if duplicate is not None:
        raise PhraseError(
            f"The phrase {new.phrase!r} is already in force ({must_catch.rule_id(duplicate)}).",
            "phrase",
        )
    phrase = MustCatchPhrase(
        phrase=new.phrase,
        except_phrases=new.except_phrases,
        category=new.category,
        priority=new.priority,
        active=True,
        created_by=by,
    )
    session.add(phrase)
    session.flush()
    audit.record(
        session,
        by,
        "must_catch_added",
        "must_catch_phrase",
        phrase.id,
        phrase=new.phrase,
        category=new.category,
        priority=new.priority,
    )
    return phrase


def set_active(session: Session, phrase_id: int, active: bool, *, by: int) -> bool:
    """Switch a staff phrase on or off (audited). Returns whether anything changed."""
    phrase = session.get(MustCatchPhrase, phrase_id)
    if phrase is None:
        raise NotFound(f"There is no must-catch phrase #{phrase_id}.")
    if phrase.active == active:
        return False
    phrase.active = active
    action = "must_catch_enabled" if active else "must_catch_disabled"
    audit.record(session, by, action, "must_catch_phrase", phrase.id, phrase=phrase.phrase)
    return True


@dataclass(frozen=True)
class StaffPhrase:
    phrase: MustCatchPhrase
    rule_id: str
    added_by: str | None


def staff_phrases(session: Session) -> list[StaffPhrase]:
    """Every phrase staff added, newest first, with who added it."""
    rows = session.execute(
        select(MustCatchPhrase, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == MustCatchPhrase.created_by)
        .order_by(MustCatchPhrase.id.desc())
    )
    return [StaffPhrase(p, must_catch.rule_id(p.id), email) for p, email in rows]


def packaged_rules() -> tuple[rules.Rule, ...]:
    """The rules in surveys/rules.toml, most urgent first."""
    return rules.ruleset().rules
