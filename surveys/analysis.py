"""Everything we read in one reply: rating, tone, the problem it reports, quit intent, opt-out.

Pure functions, no database: the worker, the ``surveys analyze`` command and the benchmark all
call :func:`analyze`, so what staff measure is what runs.

Who decides what:

- consent keywords (STOP, START, HELP and the plain-language requests to stop, in English and
  Spanish) are exact rules in :mod:`outreach.keywords`: the model may add an opt-out, never
  remove one, and a bare keyword is a consent instruction, not a complaint or a resignation;
- the rating comes from :mod:`surveys.scoring`;
- category, negative and quit intent come from the learned reader (:mod:`surveys.reader`);
- a must-catch rule (:mod:`surveys.rules`) sets the category and priority when it fires;
- TextBlob polarity and VADER compound are computed and stored as they always were (the
  reader uses them as features), but no longer decide anything alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from outreach.keywords import Keyword, about_messages, carrier_keyword, classify
from surveys import language, reader, rules, sentiment
from surveys.categories import CATEGORIES, PROBLEMS, TICKET_PRIORITY, Category
from surveys.reader import OPT_OUT_WORDS
from surveys.scoring import extract_rating, is_low

__all__ = ["CATEGORIES", "Analysis", "analyze", "analyze_many", "mood"]


@dataclass(frozen=True)
class Analysis:
    rating: int | None  # on the survey's scale
    polarity: float  # TextBlob
    subjectivity: float  # TextBlob
    vader_compound: float  # VADER
    negative: bool
    category: str  # one of CATEGORIES
    rule: str | None  # id of the must-catch rule that set the category, None when the model did
    priority: str | None  # urgent|high|normal|low, None for "none"
    quit_intent: bool
    opt_out: bool
    cues: tuple[str, ...]  # why we read it so, for staff: the words that mattered
    lang: str = "en"
    model: str = ""  # the reader's version
    confidence: float = 1.0  # the reader's probability for the category it chose
    probabilities: dict[str, float] = field(default_factory=dict)
    unsure: tuple[str, ...] = ()  # labels the reader was not sure about: staff take a look

    @property
    def needs_look(self) -> bool:
        return bool(self.unsure)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("polarity", "subjectivity", "vader_compound", "confidence"):
            data[key] = round(data[key], 4)
        data["cues"] = list(self.cues)
        data["unsure"] = list(self.unsure)
        return data


def mood(reply: Any) -> float:
    """How the reply's words read, from -1 (something is wrong) to +1 (all good), for charts.

    Raw TextBlob polarity plotted a harassment report at +0.25 and "thinking about quitting"
    at +0.6; the reader's probability that the reply is negative does not, and a reply it
    reads as negative never plots above -0.2. Replies read before the reader (no
    probabilities) fall back to their polarity.
    """
    p_negative = (getattr(reply, "probabilities", None) or {}).get("negative")
    if p_negative is None:
        return round(float(getattr(reply, "polarity", 0.0)), 3)
    value = 1.0 - 2.0 * float(p_negative)
    if getattr(reply, "negative", False):
        value = min(value, -0.2)
    return round(max(-1.0, min(1.0, value)), 3)


# One short reply in each language the reader knows: reading them loads everything a reading
# needs (the reader, the language detector, TextBlob's and VADER's lexicons).
_WARM_UP = ("Thanks, all good this week. 4", "Todo bien esta semana, gracias. 4")
_ready_with: list[reader.Reader] = []


def make_ready() -> None:
    """Load in this process what reading a reply needs, or load the reader again when staff
    have trained another since. A worker does this before it forks each work horse, so a
    reader job starts reading at once instead of loading for a second or more."""
    fresh = reader.refresh()
    if _ready_with and _ready_with[0] is fresh:
        return
    for text in _WARM_UP:
        analyze(text, using=fresh)
    _ready_with[:] = [fresh]


# One reply to read: its text, the top of its survey's rating scale, the contractor's language.
Reply = tuple[str, int, str | None]


def analyze(
    text: str,
    scale_max: int = 5,
    known_language: str | None = None,
    using: reader.Reader | None = None,
    must_catch: rules.Ruleset | None = None,
) -> Analysis:
    """Read one reply. ``scale_max`` is the top of the survey's rating scale;
    ``known_language`` the contractor's, used when the reply itself does not tell; ``using``
    a reader other than this process's current one (training measures its candidates so);
    ``must_catch`` the must-catch rules in force (:func:`surveys.must_catch.in_force`: the
    packaged rules.toml and staff phrases), rules.toml alone when not given."""
    return analyze_many([(text, scale_max, known_language)], using, must_catch)[0]


def analyze_many(
    replies: Sequence[Reply],
    using: reader.Reader | None = None,
    must_catch: rules.Ruleset | None = None,
) -> list[Analysis]:
    """Read many replies, each as :func:`analyze` reads it alone, with one call of the learned
    reader for them all: a reader's batch analysed a reply at a time took about a third more
    CPU (benchmarks/reply_throughput.py --in-process; README)."""
    current = using or reader.current()
    ratings = [extract_rating(text, scale_max) for text, scale_max, _ in replies]
    readings = current.read_many(
        [text for text, _, _ in replies],
        [
            reader.Rated(rating, scale)
            for rating, (_, scale, _) in zip(ratings, replies, strict=True)
        ],
    )
    return [
        _analysis(reply, rating, reading, current, must_catch)
        for reply, rating, reading in zip(replies, ratings, readings, strict=True)
    ]


def _analysis(
    reply: Reply,
    rating: int | None,
    reading: reader.Reading,
    current: reader.Reader,
    must_catch: rules.Ruleset | None,
) -> Analysis:
    text, scale_max, known_language = reply
    carrier = carrier_keyword(text)
    keyword = carrier or classify(text)
    scores = sentiment.score(text)
    lang = language.of_reply(text, known_language)
    cues: list[str] = []
    unsure: tuple[str, ...]

    if carrier:
        # "CANCEL" or "QUIT" alone is a consent instruction, not a problem or a resignation.
        category, quit_intent, negative, unsure = "none", False, False, ()
        must: tuple[rules.Rule, str] | None = None
    else:
        must = (must_catch or rules.ruleset()).scan(text)
        category, quit_intent = reading.category, reading.quit_intent
        unsure = reading.unsure
        if must:
            rule, words = must
            category, unsure = rule.category, tuple(u for u in unsure if u != "category")
            cues.append(f"{category} (must-catch rule {rule.id}): {' '.join(words.split())}")
        elif category != Category.NONE:
            cues.append(f"{category}: {', '.join(reading.cues) or 'the reply as a whole'}")
        if quit_intent:
            cues.append(f"quit intent ({reading.probabilities['quit_intent']:.0%})")
        negative = reading.negative
    low_rating = is_low(rating, scale_max)
    if low_rating:
        cues.append(f"low rating: {rating} of {scale_max}")
    negative = negative or low_rating or quit_intent or category in PROBLEMS
    # The model may add an opt-out the keywords missed, never remove one, and only for a reply
    # that reports no problem ("remove me from the night rotation" is about a shift); the
    # head's opt-out only for a reply about our messages at all, the opt-out model's (which
    # learned the look-alikes) for one naming none of them only when it is surer still: a
    # false opt-out silences someone who wanted to talk.
    named = about_messages(text)
    sure = reading.probabilities.get(OPT_OUT_WORDS, 0.0) >= current.settings.opt_out_words_unnamed
    by_model = (reading.opt_out and named) or (reading.opt_out_words and (named or sure))
    opt_out = keyword is Keyword.OPT_OUT or (
        keyword is None and by_model and category == Category.NONE
    )
    if (
        reading.opt_out_words
        and not by_model
        and category == Category.NONE
        and "opt_out" not in unsure
    ):
        unsure = (*unsure, "opt_out")  # an uncertain opt-out is looked at, never dropped
    if opt_out and keyword is None:
        p = max(reading.probabilities["opt_out"], reading.probabilities.get(OPT_OUT_WORDS, 0.0))
        cues.append(f"opt-out in other words ({p:.0%})")
    priority = must[0].priority if must else TICKET_PRIORITY.get(category)
    return Analysis(
        rating=rating,
        polarity=scores.polarity,
        subjectivity=scores.subjectivity,
        vader_compound=scores.compound,
        negative=negative,
        category=category,
        rule=must[0].id if must else None,
        priority=str(priority) if priority else None,
        quit_intent=quit_intent,
        opt_out=opt_out,
        cues=tuple(cues),
        lang=lang,
        model=current.version,
        confidence=round(reading.category_probability, 4),
        probabilities=reading.probabilities,
        unsure=tuple(unsure),
    )
