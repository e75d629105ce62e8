"""Everything we read in one reply: rating, tone, the problem it reports, quit intent, opt-out.

Pure functions, no database: the worker, the ``surveys analyze`` command and the benchmark all
call :func:`analyze`, so what staff measure is what runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from outreach.keywords import Keyword, carrier_keyword, classify
from surveys import rules, sentiment
from surveys.rules import CATEGORIES
from surveys.scoring import extract_rating

__all__ = ["CATEGORIES", "Analysis", "analyze"]


@dataclass(frozen=True)
class Analysis:
    rating: int | None  # on the survey's scale
    polarity: float  # TextBlob
    subjectivity: float  # TextBlob
    vader_compound: float  # VADER
    negative: bool
    category: str  # one of CATEGORIES
    rule: str | None  # id of the rules.toml rule that set the category
    priority: str | None  # urgent|high|normal|low from rules.toml, None for "none"
    quit_intent: bool
    opt_out: bool
    cues: tuple[str, ...]  # why we read it so, for staff: the words that mattered

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("polarity", "subjectivity", "vader_compound"):
            data[key] = round(data[key], 4)
        data["cues"] = list(self.cues)
        return data


_NOTHING = rules.Found(ticket=None, quit_intent=None, problem_cues=(), all_clear=False)


def _quote(text: str) -> str:
    return " ".join(text.split())


def analyze(text: str, scale_max: int = 5) -> Analysis:
    """Read one reply. ``scale_max`` is the top of the survey's rating scale."""
    ruleset = rules.ruleset()
    carrier = carrier_keyword(text)
    keyword = carrier or classify(text)
    rating = extract_rating(text, scale_max)
    prepared = sentiment.prepare(text)
    scores = sentiment.score_prepared(prepared)
    # "CANCEL" or "QUIT" alone is a consent instruction, not a problem or a resignation.
    found = _NOTHING if carrier else ruleset.scan(prepared.lower())
    cues: list[str] = []

    category, rule_id, priority = "none", None, None
    if found.ticket:
        rule, words = found.ticket
        category, rule_id, priority = rule.category, rule.id, rule.priority
        cues.append(f"{category}: {_quote(words)}")
    quit_intent = found.quit_intent is not None
    if found.quit_intent:
        cues.append(f"quit intent: {_quote(found.quit_intent[1])}")
    for _, words in found.problem_cues:
        cues.append(f"problem: {_quote(words)}")

    share = rating / scale_max if rating is not None else None
    low_rating = share is not None and share <= ruleset.low_rating_share
    if low_rating:
        cues.append(f"low rating: {rating} of {scale_max}")

    tone_negative = (
        scores.polarity < ruleset.polarity_below or scores.compound <= ruleset.compound_at_most
    )
    if tone_negative and (
        # A consent instruction is no opinion: "stop", "cancel" and "end" are negative to VADER.
        keyword is not None
        or category in ruleset.request_categories
        or (share is not None and share >= ruleset.high_rating_share)
        or found.all_clear
    ):
        tone_negative = False
    if tone_negative:
        cues.append(f"negative tone: TextBlob {scores.polarity:.2f}, VADER {scores.compound:.2f}")

    negative = (
        low_rating
        or tone_negative
        or bool(found.problem_cues)
        or quit_intent
        or category in ruleset.problem_categories
    )
    return Analysis(
        rating=rating,
        polarity=scores.polarity,
        subjectivity=scores.subjectivity,
        vader_compound=scores.compound,
        negative=negative,
        category=category,
        rule=rule_id,
        priority=priority,
        quit_intent=quit_intent,
        opt_out=keyword is Keyword.OPT_OUT,
        cues=tuple(cues),
    )
