"""The rating a contractor gave, read from free text: "4", "4/5", "four", "8 out of 10", "5!".

A number is only a rating when it reads like one. Phone numbers, times ("5pm", "at 5"),
durations ("2 weeks"), counts ("12 hours", "3 of us"), money and out-of-range numbers are not.
"""

from __future__ import annotations

import re
from fractions import Fraction

_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_NUMBER = r"(?:\d{1,3}|" + "|".join(_WORDS) + ")"

# What follows a count, a time or a duration rather than a rating.
_UNITS = (
    r"(?:a\.?m\b|p\.?m\b|o'?clock|hours?|hrs?|h\b|minutes?|mins?|seconds?|secs?|days?|nights?|"
    r"weeks?|wks?|months?|mos?|years?|yrs?|times?|x\b|people|persons?|guys|workers|employees|"
    r"shifts?|dollars?|bucks|cents?|k\b|%|percent|th\b|st\b|nd\b|rd\b|of\b|or\b|to\b|and\b|"
    r"-\s*\d|miles?|mi\b|km|kids?|children|jobs?|sites?|calls?|texts?|messages?|emails?|"
    r"more|less|extra|other|different|separate|pieces?|units?|items?|pallets?|boxes|orders?|"
    r"tickets?|checks?|paychecks?|pay\s?checks?|stubs?|invoices?|timecards?|timesheets?|"
    r"managers?|supervisors?|bosses|coworkers?|co-workers?|departments?|locations?|"
    r"projects?|tasks?|machines?|computers?|laptops?|badges?|months?|am\b|pm\b|"
    r"in a row|straight|consecutive|per\b|a (?:week|day|month|year|shift)|an hour|each|every)"
)
# What comes before a time, a duration, a place or a quantity.
_NOT_AFTER = (
    r"(?:at|by|until|til|till|before|after|around|about|from|to|for|past|last|every|over|"
    r"within|than|in|on|since|between|only|nearly|almost|room|building|bldg|gate|door|floor|"
    r"level|bay|line|unit|site|lot|station|badge|ext|extension|dock|aisle|zone|shift|route|"
    r"truck|no|number|#|ages?|age|step|day|week|month|year|version|v|grade|worked|work|"
    r"working|spent|took|takes|lasted|waited|waiting|called|texted|emailed|lost|missed|"
    r"owe|owed|owes|got|get|paid|pay|earn|earned|make|made|only)"
)

_AFTER_NUMBER = r"(?![\w/:%]|[.,]\d)"

# "4/5", "4 out of 5", "8 outta 10": an explicit scale.
_FRACTION = re.compile(
    rf"(?<![\w./:$#-])(?P<n>{_NUMBER})\s*(?:/|out of|outta|of)\s*(?P<d>{_NUMBER})"
    rf"{_AFTER_NUMBER}(?!\s*{_UNITS})",
    re.IGNORECASE,
)
_SCALES = {5, 10, 100}
# "5 stars", "four star", "3 pts".
_STARS = re.compile(
    rf"(?<![\w./:$#-])(?P<n>{_NUMBER})\s*(?:stars?|\*|pts?|points?)(?!\w)", re.IGNORECASE
)
# "I'd give it a 4", "rating: 3", "rate them 2", "it's a 4", "solid 4", "overall 5".
_CUED = re.compile(
    r"(?:\b(?:(?:rat(?:e|ing|ed)|scored?|grade)(?: (?:it|them|this|the \w+|my \w+))?(?: an?| at)?|"
    r"(?:give|gave|giving) (?:it|them|this|this week|you|u|y'all|my \w+)(?: an?)?|"
    r"(?:i'?d|i would|i) say(?: an?)?|(?:it'?s|its|it is|that'?s|was|is) an?|"
    r"(?:a )?(?:solid|strong|easy)|maybe an?|probably an?|like an?|call it an?|overall)"
    r"\s*[:=-]?\s*)"
    rf"(?P<n>{_NUMBER}){_AFTER_NUMBER}(?!\s*{_UNITS})",
    re.IGNORECASE,
)
# A digit that opens the reply: "4 - going well", "5!", "3, it's fine", "2 my timecard...".
_LEADING_DIGIT = re.compile(
    rf"^[^\w$#+\u00a3\u20ac]*(?P<n>\d{{1,3}}){_AFTER_NUMBER}(?!\s*{_UNITS})", re.IGNORECASE
)
# A number word opens the reply only when it stands alone: "two", "Four - ok", "five!".
_LEADING_WORD = re.compile(
    rf"^\W*(?P<n>{'|'.join(_WORDS)})(?=\s*(?:$|[-\u2013\u2014:,.!;)]|\W+$))", re.IGNORECASE
)
# A digit that closes the reply: "team is great, 5", "overall... 4!", "good week 4 :)".
_CLOSING = re.compile(r"(?<![\w./:$#+%-])(?P<n>\d{1,2})(?=[^\w%]*$)")
_BEFORE_CLOSING = re.compile(rf"(?:\b{_NOT_AFTER}|and|or|&|-|\+)\s*$", re.IGNORECASE)
_STAR_EMOJI = re.compile(r"[\u2b50\u2605\U0001f31f]")
# Runs of digits joined by separators are phone numbers, dates, ids or amounts.
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def _value(token: str) -> int:
    token = token.lower()
    return _WORDS[token] if token in _WORDS else int(token)


def _on_scale(numerator: int, denominator: int, scale_max: int) -> int | None:
    """A score out of ``denominator`` on the survey's 1..scale_max scale, or None.

    A score that falls between two points of the survey's scale ("7/10" on a 5-point survey)
    is not stored: either neighbour would be a guess.
    """
    scaled = Fraction(numerator * scale_max, denominator)
    if scaled.denominator != 1 or not 1 <= scaled <= scale_max:
        return None
    return int(scaled)


def _in_range(value: int, scale_max: int) -> int | None:
    return value if 1 <= value <= scale_max else None


def extract_rating(text: str, scale_max: int = 5) -> int | None:
    """The rating in a reply, on the survey's 1..scale_max scale, or None if there is none."""
    if scale_max < 2:
        raise ValueError(f"scale_max must be at least 2, not {scale_max}")
    text = _PHONE_LIKE.sub(" ", text.replace("\u2019", "'"))

    for match in _FRACTION.finditer(text):
        denominator = _value(match["d"])
        if denominator in _SCALES or denominator == scale_max:
            return _on_scale(_value(match["n"]), denominator, scale_max)

    for pattern in (_STARS, _CUED, _LEADING_DIGIT, _LEADING_WORD):
        match = pattern.search(text)
        if match:
            rating = _in_range(_value(match["n"]), scale_max)
            if rating is not None:
                return rating

    stars = _STAR_EMOJI.findall(text)
    if stars and len(stars) <= scale_max:
        return len(stars)

    match = _CLOSING.search(text)
    if match and not _BEFORE_CLOSING.search(text, 0, match.start()):
        return _in_range(int(match["n"]), scale_max)
    return None
