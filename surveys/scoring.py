"""The rating a contractor gave, read from free text, in English and Spanish: "4", "4/5", "four",
"8 out of 10", "5!", "#4", "a 4", "cuatro", "le doy un 4", "4 de 5", "4 estrellas".

A number is only a rating when it reads like one. Phone numbers, times ("5pm", "at 5", "a las 5"),
dates, durations ("2 weeks", "2 semanas"), counts ("12 hours", "2 of 5"), money, ranges and
choices ("3-4", "3 or 4", "4 o 5"), decimals ("3.5", "3,5") and out-of-range numbers are not.
Each number in the reply is looked at in its context; when several could be the rating, the
clearest kind wins: "4/5" or "8 out of 10", then "5 stars", then a cue ("I'd give it a 4", "5 from
me", "le doy un 4"), then a number opening the reply ("4 - going well", "two"), then a number that
is a clause of its own ("Doing good, 4. The weather is bad"), then star emoji, then a number
closing it. Two ratings for two parties ("un 5 a las compañeras y un 1 a la gerencia") are none.
A score on another scale is moved to the survey's and rounded half up: on a 5-point survey "7/10"
is a 4 (we would rather store the kinder neighbour than drop the answer).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

# A rating this share of the scale or lower is low whatever the words: 2 of 5, 4 of 10. Analysis
# reads such a reply as negative and triage counts it towards a streak, by this one measure.
LOW_SHARE = 0.4


def is_low(rating: int | None, scale_max: int) -> bool:
    return rating is not None and rating / scale_max <= LOW_SHARE


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
    "cero": 0,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
}
_WORD_ALTERNATION = "|".join(_WORDS)
_NUMBER = rf"(?:\d{{1,3}}|{_WORD_ALTERNATION})"
# Every number (or number word) in lower-case text; whether it stands alone is checked after.
_CANDIDATE = re.compile(rf"\d+|{_WORD_ALTERNATION}")
_SPANISH_MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|"
    "diciembre"
)
_STARS = "\u2b50\u2605\U0001f31f"
_STAR_EMOJI = re.compile(f"[{_STARS}]")

# What follows a count, a time, a duration or an amount rather than a rating.
# Only spaces: a line break ends the number's phrase ("4" on one line, the problem on the next).
_UNITS = re.compile(
    r"[ \t]*(?:a\.?m\b|p\.?m\b|o'?clock|hours?|hrs?|h\b|minutes?|mins?|seconds?|secs?|"
    r"days?|nights?|"
    r"weeks?|wks?|months?|mos?|years?|yrs?|times?|x\b|people|persons?|guys|workers|employees|"
    r"shifts?|dollars?|bucks|cents?|k\b|%|percent|th\b|st\b|nd\b|rd\b|of\b|or\b|to\b|"
    # "4 mi" is four miles, "4 mi compa\u00f1ero..." is Spanish; "3 1/2" is a half.
    r"-\s*\d|miles?|mi\b(?![ \t]+\w{3,})|1/2|\u00bd|km|kids?|children|jobs?|sites?|calls?|"
    r"texts?|messages?|emails?|"
    r"more(?! or less)|less|extra|other|different|separate|pieces?|units?|items?|pallets?|"
    r"boxes|orders?|"
    r"tickets?|checks?|paychecks?|pay\s?checks?|stubs?|invoices?|timecards?|timesheets?|"
    r"managers?|supervisors?|bosses|coworkers?|co-workers?|departments?|locations?|"
    r"projects?|tasks?|machines?|computers?|laptops?|badges?|thumbs?|am\b|pm\b|"
    r"in a row|straight|consecutive|per\b|a (?:week|day|month|year|shift)|an hour|each|every|"
    # Spanish: "4 horas", "2 semanas", "3 personas", "5 de mayo", "4 y media", "3 a la semana".
    r"horas?|minutos?|segundos?|d[i\u00ed]as?|noches?|semanas?|mes|meses|a[n\u00f1]os?|veces|vez|"
    r"personas?|gente|compa[n\u00f1]er[oa]s?|trabajador(?:es|as?)?|emplead[oa]s?|turnos?|"
    r"d[o\u00f3]lar(?:es)?|pesos?|euros?|mil|lucas|cajas?|pedidos?|tarimas?|paquetes?|"
    r"llamadas?|mensajes?|correos?|cheques?|pagos?|jef[ea]s?|supervisor(?:es|as?)?|tiendas?|"
    r"pacientes?|camas?|habitaciones|cuartos?|hij[oa]s?|ni[n\u00f1][oa]s?|kil[o\u00f3]metros?|"
    # "un 4 m\u00e1s o menos" is still a 4: a rating, more or less.
    r"cuadras?|m[a\u00e1]s(?! o menos)|menos|de los|de las|a la semana|"
    r"por (?:ciento|semana|d[i\u00ed]a|hora|mes|turno|cada|\d)|al (?:d[i\u00ed]a|mes|a[n\u00f1]o)|"
    r"de la (?:ma[n\u00f1]ana|tarde|noche|madrugada)|del (?:mes|a[n\u00f1]o)|"
    rf"de (?:{_SPANISH_MONTHS})|y (?:medi[oa]|cuarto|pico)|and a half|"
    # The first number of a range or a choice: "3 a 5", "4 o 5", "3 y 4".
    rf"(?:and|a|o|u|y|\u00f3)(?=\s+(?:un\s+)?(?:\d|(?:{_WORD_ALTERNATION})\b)))"
    r"(?!\w)"  # whole words: "time" is a unit, the "time" in "timecard" is not
)
# Counted things take the plural after any number but one: "4 timecards" is a count, but in
# "4 timecard is late" the 4 is the rating and the timecard is the news.
_SINGULAR_THING = re.compile(
    r"job|site|call|text|message|email|piece|unit|item|pallet|order|ticket|check|paycheck|"
    r"stub|invoice|timecard|timesheet|manager|supervisor|coworker|co-worker|department|"
    r"location|project|task|machine|computer|laptop|badge|"
    r"jef[ea]|supervisora?|compa[n\u00f1]er[oa]|cheque|pago|pedido|correo|mensaje|llamada|caja|"
    r"tienda|paciente|turno"
)
# What comes just before a time, a date, a place, a quantity or a label ("at 5", "gate 4").
_BEFORE_CLOSING = re.compile(
    r"(?:\b(?:at|by|until|til|till|before|after|around|about|from|to|for|past|last|every|over|"
    r"hour|hours|minute|x|be|told|said|says|"
    r"within|than|in|on|since|between|only|nearly|almost|room|building|bldg|gate|door|floor|"
    r"level|bay|line|unit|site|lot|station|badge|ext|extension|dock|aisle|zone|shift|route|"
    r"truck|no|number|ages?|step|day|week|month|year|version|v|grade|worked|work|row|seat|"
    r"group|option|press|dial|page|part|chapter|item|question|round|phase|"
    r"working|spent|took|takes|lasted|waited|waiting|called|texted|emailed|lost|missed|"
    r"owe|owed|owes|got|get|paid|pay|earn|earned|make|made|deserves?|and|or|of|outta|"
    r"jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|"
    r"sept|september|oct|october|nov|november|dec|december|not|"
    r"(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.|"
    # Spanish: "a las 5", "el d\u00eda 3", "edificio 5", "desde las 4", "turno 3".
    r"al|las?|los|el|de|del|desde|hasta|antes|despu[e\u00e9]s|para|por|cada|hace|entre|en|"
    r"con|sin|sobre|hora|dice|dijo|dijeron|unos|unas|como|m[a\u00e1]s|menos|y|o|u|d[i\u00ed]a|"
    r"semana|mes|a[n\u00f1]o|"
    r"edificio|puerta|piso|nivel|turno|bodega|nave|sala|cuarto|habitaci[o\u00f3]n|cami[o\u00f3]n|"
    r"ruta|l[i\u00ed]nea|and[e\u00e9]n|muelle|pasillo|zona|[a\u00e1]rea|n[u\u00fa]mero|num|"
    r"trabaj[e\u00e9o]|trabaja|llevo|tengo|tiene|tenemos|son|eran|fueron|pagaron|debe|deben|"
    r"perd[i\u00ed]|esper[e\u00e9]|gan[e\u00e9]|cobr[e\u00e9]|cuesta|vale|solo|s[o\u00f3]lo|casi|"
    rf"apenas|{_SPANISH_MONTHS})|[&#(+\u00d7-])\s*$"
)
# The second number of a range or a choice: "3-4", "3 or 4", "between 3 and 4", "4 o 5".
# A hyphen only joins digits: in "a quick one - a 5" the one is a word.
_RANGE_BEFORE = re.compile(
    rf"(?:\d\s*[-\u2013~]|(?:\d|\b(?:{_WORD_ALTERNATION}))\s*(?:&|or|to|and|a|o|u|y|\u00f3))"
    r"\s*(?:(?:un|an?)\s+)?$"
)
_CUE_BEFORE = re.compile(
    r"(?:\b(?:(?:rat(?:e|ing|ed)|scored?|grade)"
    r"(?: (?:it|them|things|this(?: \w+)?|the \w+|my \w+))?(?: an?| at| is| was| of)?|"
    r"(?:give|gave|giving)(?: (?:it|them|things|this(?: \w+)?|the \w+|you|u|y'all|my \w+))?"
    r"(?: an?)?|"
    r"(?:i'?d|i would|i'?ll|would|gonna|going to|let'?s) say(?: an?)?|"
    r"(?:it'?s|its|it is|that'?s|was|is|been|i'?m|i am) an?|"
    r"(?:a )?(?:solid|strong|easy)|honestly|maybe an?|probably an?|like an?|call it an?|overall|"
    r"(?:\w+ly|just|still|about|around|more like|and) an?|"
    # Spanish: "un 4", "le doy un 4", "calificar\u00eda con un 5", "calificaci\u00f3n: 4".
    r"un|(?:le |les )?(?:doy|dar[i\u00ed]a|pongo|pondr[i\u00ed]a|dar[e\u00e9])|"
    r"(?:calific(?:o|ar[i\u00ed]a|aci[o\u00f3]n)|puntuaci[o\u00f3]n|puntaje|nota|punt[u\u00fa]o)"
    r"(?: (?:es|de|con|mi|la|el|esta|este|semana|experiencia|trabajo))*|"
    r"(?:dir[i\u00ed]a|digo)(?: que)?)|"
    # "a 4" opening the reply, a sentence or a clause: "Things are good. A 5 for sure."
    r"(?:^|[^\w\s$#&+/'\"\u2018\u201c])\s*an?)"
    r"\s*[:=-]?\s*$"
)
# "of" and "de" also count things ("2 of 5 shifts"), so they need a clause of their own.
_FRACTION_TAIL = re.compile(rf"\s*(/|out of|outta|of|de|sobre)\s*({_NUMBER})(?![\w%/]|[.,:]\d)")
_COUNTING_SEPARATORS = frozenset({"of", "de"})
# Any mark but a sign, a slash or a label's hyphen ("W-2") ends the clause before it:
# "bien \U0001f60a 4 de 5".
_CLAUSE_START = re.compile(r"(?:[^\w\s$#&+/-]|(?<!\w)-)\s*$")
_CLAUSE_END = re.compile(r"\s*(?:$|[.!?,;\n\u2013\u2014]|-\s)")
# Only a sentence's end closes a number word: "One, the badge..." starts a list.
_WORD_CLAUSE_END = re.compile(r"\s*(?:$|[.!?\n])")
# After a cue and an article a number word is the rating whatever follows ("give it a two cause").
_ARTICLE_BEFORE = re.compile(r"\b(?:an?|un)\s+$")
# Words after a number that say it is the rating: "5 from me", "4 otherwise", "3 for now".
_CUE_AFTER = re.compile(
    r"\s*(?:from me|de mi parte|overall|otherwise|tho|though|btw|for now|this week|esta semana|"
    r"for sure|el trabajo|el jale|porque|because|cause|bc|xq|pq)\b"
)
# What may follow a number word opening the reply: "Four but the lead is a jerk".
_WORD_GOES_ON = re.compile(r"\s+(?:but|pero|aunque|though|tho|overall)\b")
_STARS_TAIL = re.compile(
    rf"\s*(?:stars?|\*|pts?|points?(?!\s+(?:\d|{_WORD_ALTERNATION})\b)|estrellas?|puntos?"
    rf"(?!\s+(?:\d|{_WORD_ALTERNATION})\b)|[{_STARS}])(?!\w)"
)
# "a 4, maybe a 5": a choice left open, no rating.
_CHOICE_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:or[ \t]+)?(?:maybe|perhaps|possibly|quiz[a\u00e1]s?|tal vez)[ \t]+"
    rf"(?:(?:an?|un)[ \t]+)?(?:\d|(?:{_WORD_ALTERNATION})\b)"
)
_CHOICE_BEFORE = re.compile(
    rf"(?:\d|\b(?:{_WORD_ALTERNATION}))[ \t]*,?[ \t]*(?:or[ \t]+)?"
    r"(?:maybe|perhaps|possibly|quiz[a\u00e1]s?|tal vez)[ \t]+(?:(?:an?|un)[ \t]+)?$"
)
# A rating given to someone: "un 5 a la agencia", "a 5 for the team".
_ADDRESSED = re.compile(r"(?:\s*(?:stars?|estrellas?))?\s+(?:a|al|para|for|to)\b")
_OPENING = re.compile(r"[^\w$#+\u00a3\u20ac]*")
_STANDS_ALONE = re.compile(r"\s*(?:$|[-\u2013\u2014:,.!;)]|\W+$)")
_CLOSING = re.compile(r"[^\w%]*")
_SCALES = {5, 10, 100}
_NEAR_ENOUGH = re.compile(r"(\d)ish\b")  # "4ish" is a 4
# Runs of digits joined by separators are phone numbers, dates, ids or amounts.
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
# In "call me. 555-0187. 4" the 4 after the sentence's end is the rating, not the number's.
_PHONE_THEN_RATING = re.compile(r"[.,!]\s+\d$")
_NOT_BEFORE = frozenset("._/$+:'\u00a3\u20ac")

_FRACTION, _STARRED, _CUED, _LEADING, _LEADING_WORD, _CLAUSE, _EMOJI, _TRAILING = range(8)


def _blank_phone(match: re.Match[str]) -> str:
    after = _PHONE_THEN_RATING.search(match[0])
    return " " + after[0] if after else " "


def _value(token: str) -> int:
    return _WORDS[token] if token in _WORDS else int(token)


def _on_scale(numerator: int, denominator: int, scale_max: int) -> int | None:
    """A score out of ``denominator`` on the survey's 1..scale_max scale, or None.

    Rounded half up, not to even: "5/10" on a 5-point survey is a 3, as a person would read it.
    """
    rounded = math.floor(Fraction(numerator * scale_max, denominator) + Fraction(1, 2))
    return rounded if 1 <= rounded <= scale_max else None


def _counted(unit: re.Match[str] | None, value: int) -> bool:
    """Whether a unit after the number makes it a count, an amount or a time."""
    return unit is not None and not (value != 1 and _SINGULAR_THING.fullmatch(unit[0].strip()))


def _stands_alone(text: str, start: int, end: int) -> bool:
    if start and (text[start - 1].isalnum() or text[start - 1] in _NOT_BEFORE):
        return False
    if start > 1 and text[start - 1] in "-," and text[start - 2].isdigit():
        return False  # "1-2", and "3,5" is three and a half
    if end < len(text):
        after = text[end]
        if after.isalnum() or after in "%_":
            return False
        if after == "-" and text[end + 1 : end + 2].isalpha() and text[start].isalpha():
            return False  # "a one-off", "two-way radio": part of a word
        if after in ".,:" and text[end + 1 : end + 2].isdigit():
            return False  # 4.5, 1,000, 5:30
    return True


def _kind(
    text: str, start: int, end: int, word: bool, scale_max: int
) -> tuple[int, int | None] | None:
    """How the number at text[start:end] reads as a rating, and the rating; None if it does not."""
    value = _value(text[start:end])
    in_range = value if 1 <= value <= scale_max else None
    window = max(0, start - 40)
    if _RANGE_BEFORE.search(text, max(0, start - 12), start):
        return None
    if _CHOICE_AFTER.match(text, end) or _CHOICE_BEFORE.search(text, max(0, start - 24), start):
        return None
    clause_start = start == 0 or _CLAUSE_START.search(text, max(0, start - 4), start) is not None
    if start and text[start - 1] == "#":
        # "#4" opening the reply or a sentence is a rating; "gate #4" is a label.
        hashed = _OPENING.fullmatch(text, 0, start - 1) or _CLAUSE_START.search(
            text, max(0, start - 5), start - 1
        )
        if hashed and not _counted(_UNITS.match(text, end), value):
            return _LEADING, in_range
        return None
    opening = _OPENING.fullmatch(text, 0, start) is not None
    tail = _FRACTION_TAIL.match(text, end)
    if tail:
        separator, denominator = tail[1], _value(tail[2])
        on_scale = denominator in _SCALES or denominator == scale_max
        unit = _UNITS.match(text, tail.end())
        # "2 of 5 shifts" is a count, "1/5 manager screams" and "2/5 second time" are not.
        counted = (
            unit is not None
            and unit[0].strip() not in ("second", "time")
            and _counted(unit, denominator)
        )
        # "2 of 5" is a count unless it opens the answer, follows a cue ("rating 4 of 5") or is
        # a clause of its own ("all good, 4 de 5.").
        if separator in _COUNTING_SEPARATORS and not opening:
            ends = _STANDS_ALONE.match(text, tail.end()) or _STARS_TAIL.match(text, tail.end())
            if not ends or not (
                _CUE_BEFORE.search(text, window, start) or _CLAUSE_START.search(text, window, start)
            ):
                on_scale = False
        if on_scale and not counted:
            return _FRACTION, _on_scale(value, denominator, scale_max)
        if separator == "/":
            return None  # a date, a ratio or a fraction on no scale we know
    if _STARS_TAIL.match(text, end):
        return _STARRED, in_range
    if _counted(_UNITS.match(text, end), value):
        return None
    alone = _STANDS_ALONE.match(text, end) is not None
    cue = _CUE_BEFORE.search(text, window, start)
    if cue and (alone or not word or _ARTICLE_BEFORE.search(text, window, start)):
        return _CUED, in_range
    if (clause_start or opening) and _CUE_AFTER.match(text, end):
        return _CUED, in_range
    if opening and not word:
        return _LEADING, in_range
    if opening and (alone or _WORD_GOES_ON.match(text, end)):
        return _LEADING_WORD, in_range
    # A number that is a clause of its own: "Doing good, 4. Weather is bad", "idk. 3. meh".
    if (
        clause_start
        and (_WORD_CLAUSE_END if word else _CLAUSE_END).match(text, end)
        and not _BEFORE_CLOSING.search(text, max(0, start - 20), start)  # "through Feb. 1"
    ):
        return _CLAUSE, in_range
    closing = not word and end - start <= 2 and _CLOSING.fullmatch(text, end)
    if closing and not _BEFORE_CLOSING.search(text, max(0, start - 20), start):
        return _TRAILING, in_range
    return None


def extract_rating(text: str, scale_max: int = 5) -> int | None:
    """The rating in a reply, on the survey's 1..scale_max scale, or None if there is none."""
    if scale_max < 2:
        raise ValueError(f"scale_max must be at least 2, not {scale_max}")
    text = text.lower().replace("\u2019", "'")
    if "ish" in text:
        text = _NEAR_ENOUGH.sub(r"\1", text)
    if len(text) > 7:
        text = _PHONE_LIKE.sub(_blank_phone, text)

    best: tuple[int, int | None] | None = None
    addressed: set[int | None] = set()
    for match in _CANDIDATE.finditer(text):
        start, end = match.span()
        if not _stands_alone(text, start, end):
            continue
        kind = _kind(text, start, end, not text[start].isdigit(), scale_max)
        if kind is None or (kind[1] is None and kind[0] != _FRACTION):
            continue
        if kind[0] == _FRACTION:
            return kind[1]
        if kind[0] in (_CUED, _STARRED) and _ADDRESSED.match(text, end):
            addressed.add(kind[1])
        if best is None or kind[0] < best[0]:
            best = kind
    if best is not None and best[0] in (_CUED, _STARRED) and len(addressed) > 1:
        return None  # "un 5 a las compañeras y un 1 a la gerencia": no one rating for the job
    if best is not None and best[0] < _EMOJI:
        return best[1]
    if not text.isascii():
        stars = len(_STAR_EMOJI.findall(text))
        if 0 < stars <= scale_max:
            return stars
    return best[1] if best else None
