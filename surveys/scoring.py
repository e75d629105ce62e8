"""The rating a contractor gave, read from free text: "4", "4/5", "four", "8 out of 10", "5!".

A number is only a rating when it reads like one. Phone numbers, times ("5pm", "at 5"), dates,
durations ("2 weeks"), counts ("12 hours", "2 of 5"), money and out-of-range numbers are not.
Each number in the reply is looked at in its context; when several could be the rating, the
clearest kind wins: "4/5" or "8 out of 10", then "5 stars", then a cue ("I'd give it a 4"), then a
number opening the reply ("4 - going well", "two"), then star emoji, then a number closing it.
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
# Every number (or number word) in lower-case text; whether it stands alone is checked after.
_CANDIDATE = re.compile(r"\d+|" + "|".join(_WORDS))
_STARS = "\u2b50\u2605\U0001f31f"
_STAR_EMOJI = re.compile(f"[{_STARS}]")

# What follows a count, a time, a duration or an amount rather than a rating.
# Only spaces: a line break ends the number's phrase ("4" on one line, the problem on the next).
_UNITS = re.compile(
    r"[ \t]*(?:a\.?m\b|p\.?m\b|o'?clock|hours?|hrs?|h\b|minutes?|mins?|seconds?|secs?|"
    r"days?|nights?|"
    r"weeks?|wks?|months?|mos?|years?|yrs?|times?|x\b|people|persons?|guys|workers|employees|"
    r"shifts?|dollars?|bucks|cents?|k\b|%|percent|th\b|st\b|nd\b|rd\b|of\b|or\b|to\b|and\b|"
    r"-\s*\d|miles?|mi\b|km|kids?|children|jobs?|sites?|calls?|texts?|messages?|emails?|"
    r"more|less|extra|other|different|separate|pieces?|units?|items?|pallets?|boxes|orders?|"
    r"tickets?|checks?|paychecks?|pay\s?checks?|stubs?|invoices?|timecards?|timesheets?|"
    r"managers?|supervisors?|bosses|coworkers?|co-workers?|departments?|locations?|"
    r"projects?|tasks?|machines?|computers?|laptops?|badges?|thumbs?|am\b|pm\b|"
    r"in a row|straight|consecutive|per\b|a (?:week|day|month|year|shift)|an hour|each|every)"
    r"(?!\w)"  # whole words: "time" is a unit, the "time" in "timecard" is not
)
# Counted things take the plural after any number but one: "4 timecards" is a count, but in
# "4 timecard is late" the 4 is the rating and the timecard is the news.
_SINGULAR_THING = re.compile(
    r"job|site|call|text|message|email|piece|unit|item|pallet|order|ticket|check|paycheck|"
    r"stub|invoice|timecard|timesheet|manager|supervisor|coworker|co-worker|department|"
    r"location|project|task|machine|computer|laptop|badge"
)
# What comes just before a time, a date, a place, a quantity or a label ("at 5", "gate 4").
_BEFORE_CLOSING = re.compile(
    r"(?:\b(?:at|by|until|til|till|before|after|around|about|from|to|for|past|last|every|over|"
    r"within|than|in|on|since|between|only|nearly|almost|room|building|bldg|gate|door|floor|"
    r"level|bay|line|unit|site|lot|station|badge|ext|extension|dock|aisle|zone|shift|route|"
    r"truck|no|number|ages?|step|day|week|month|year|version|v|grade|worked|work|row|seat|"
    r"group|option|press|dial|page|part|chapter|item|question|round|phase|"
    r"working|spent|took|takes|lasted|waited|waiting|called|texted|emailed|lost|missed|"
    r"owe|owed|owes|got|get|paid|pay|earn|earned|make|made|deserves?|and|or|of|outta|"
    r"jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|"
    r"sept|september|oct|october|nov|november|dec|december)|[&#(+-])\s*$"
)
_CUE_BEFORE = re.compile(
    r"\b(?:(?:rat(?:e|ing|ed)|scored?|grade)(?: (?:it|them|this|the \w+|my \w+))?(?: an?| at)?|"
    r"(?:give|gave|giving) (?:it|them|this|this week|you|u|y'all|my \w+)(?: an?)?|"
    r"(?:i'?d|i would|i) say(?: an?)?|(?:it'?s|its|it is|that'?s|was|is) an?|"
    r"(?:a )?(?:solid|strong|easy)|maybe an?|probably an?|like an?|call it an?|overall)"
    r"\s*[:=-]?\s*$"
)
_FRACTION_TAIL = re.compile(rf"\s*(/|out of|outta|of)\s*({_NUMBER})(?![\w%/]|[.,:]\d)")
_STARS_TAIL = re.compile(r"\s*(?:stars?|\*|pts?|points?)(?!\w)")
_OPENING = re.compile(r"[^\w$#+\u00a3\u20ac]*")
_STANDS_ALONE = re.compile(r"\s*(?:$|[-\u2013\u2014:,.!;)]|\W+$)")
_CLOSING = re.compile(r"[^\w%]*")
_SCALES = {5, 10, 100}
# Runs of digits joined by separators are phone numbers, dates, ids or amounts.
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_NOT_BEFORE = frozenset("._/$#+:'\u00a3\u20ac")

_FRACTION, _STARRED, _CUED, _LEADING, _LEADING_WORD, _EMOJI, _TRAILING = range(7)


def _value(token: str) -> int:
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


def _stands_alone(text: str, start: int, end: int) -> bool:
    if start and (text[start - 1].isalnum() or text[start - 1] in _NOT_BEFORE):
        return False
    if start > 1 and text[start - 1] == "-" and text[start - 2].isdigit():
        return False  # "1-2"
    if end < len(text):
        after = text[end]
        if after.isalnum() or after in "%_":
            return False
        if after in ".,:" and text[end + 1 : end + 2].isdigit():
            return False  # 4.5, 1,000, 5:30
    return True


def _kind(
    text: str, start: int, end: int, word: bool, scale_max: int
) -> tuple[int, int | None] | None:
    """How the number at text[start:end] reads as a rating, and the rating; None if it does not."""
    value = _value(text[start:end])
    opening = _OPENING.fullmatch(text, 0, start) is not None
    tail = _FRACTION_TAIL.match(text, end)
    if tail:
        separator, denominator = tail[1], _value(tail[2])
        on_scale = denominator in _SCALES or denominator == scale_max
        counted = _UNITS.match(text, tail.end()) is not None
        # "2 of 5" is a count unless it opens the answer or follows a cue ("rating 4 of 5").
        cued = (
            separator == "of"
            and _CUE_BEFORE.search(text, max(0, start - 40), start)
            and _STANDS_ALONE.match(text, tail.end())
        )
        if on_scale and not counted and (separator != "of" or opening or cued):
            return _FRACTION, _on_scale(value, denominator, scale_max)
        if separator == "/":
            return None  # a date, a ratio or a fraction on no scale we know
    in_range = value if 1 <= value <= scale_max else None
    if _STARS_TAIL.match(text, end):
        return _STARRED, in_range
    unit = _UNITS.match(text, end)
    if unit and not (value != 1 and _SINGULAR_THING.fullmatch(unit.group().strip())):
        return None
    alone = _STANDS_ALONE.match(text, end) is not None
    if _CUE_BEFORE.search(text, max(0, start - 40), start) and (alone or not word):
        return _CUED, in_range
    if opening and not word:
        return _LEADING, in_range
    if opening and alone:
        return _LEADING_WORD, in_range
    closing = not word and end - start <= 2 and _CLOSING.fullmatch(text, end)
    if closing and not _BEFORE_CLOSING.search(text, max(0, start - 20), start):
        return _TRAILING, in_range
    return None


def extract_rating(text: str, scale_max: int = 5) -> int | None:
    """The rating in a reply, on the survey's 1..scale_max scale, or None if there is none."""
    if scale_max < 2:
        raise ValueError(f"scale_max must be at least 2, not {scale_max}")
    text = text.lower().replace("\u2019", "'")
    if len(text) > 7:
        text = _PHONE_LIKE.sub(" ", text)

    best: tuple[int, int | None] | None = None
    for match in _CANDIDATE.finditer(text):
        start, end = match.span()
        if not _stands_alone(text, start, end):
            continue
        kind = _kind(text, start, end, not text[start].isdigit(), scale_max)
        if kind is None or (kind[1] is None and kind[0] != _FRACTION):
            continue
        if kind[0] == _FRACTION:
            return kind[1]
        if best is None or kind[0] < best[0]:
            best = kind
    if best is not None and best[0] < _EMOJI:
        return best[1]
    if not text.isascii():
        stars = len(_STAR_EMOJI.findall(text))
        if 0 < stars <= scale_max:
            return stars
    return best[1] if best else None
