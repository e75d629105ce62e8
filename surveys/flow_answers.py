"""Reading a reply as the answer to one flow step: a score on the step's scale, a yes or a no,
one of the choices, or free text; and the name and number in a referral."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from outreach.flows import Answer, Step, StepKind
from surveys.scoring import extract_rating

_YES = re.compile(
    r"^\W*(yes|yeah|yep|yup|sure|ok|okay|definitely|absolutely|please|si|sí|claro|por favor|"
    r"dale|va)\b",
    re.IGNORECASE,
)
_NO = re.compile(r"^\W*(no|nope|nah|not really|no thanks|no gracias|todavia no)\b", re.IGNORECASE)
_ZERO = re.compile(r"^\W*(0|zero|cero)\W*(\b.*)?$", re.IGNORECASE | re.DOTALL)
_FILLER = re.compile(
    r"\b(her|his|their|the|name|names|is|number|phone|cell|es|su|nombre|numero|número|"
    r"and|y|call|text|at|my|friend|amigo|amiga|try|it's|its|de|sure|yes|yeah|ok|okay|si|claro|"
    r"cousin|brother|sister|mom|dad|wife|husband|primo|prima|hermano|hermana|mi)\b",
    re.IGNORECASE,
)


def yes_or_no(text: str) -> bool | None:
    if _NO.match(text):
        return False
    if _YES.match(text):
        return True
    return None


def _score(step: Step, text: str) -> int | None:
    scale = step.scale()
    assert scale is not None
    low, high = scale
    if low == 0 and _ZERO.match(text):  # a 0 is an answer on the NPS scale, not a missing one
        return 0
    rating = extract_rating(text, high)
    return rating if rating is not None and low <= rating <= high else None


def _choice(step: Step, text: str) -> str | None:
    plain = text.strip().lower()
    number = re.match(r"^\W*(\d{1,2})\b", plain)
    if number and 1 <= int(number.group(1)) <= len(step.options):
        return step.options[int(number.group(1)) - 1]
    for option in step.options:
        if option.lower() in plain:
            return option
    return None


def read_answer(step: Step, text: str, category: str | None = None) -> Answer:
    """``text`` read for ``step``. An answer that does not fit (text where a number was asked)
    comes back with ``fits`` False, the text kept."""
    text = text.strip()
    category = category if category and category != "none" else None
    if step.kind in (StepKind.RATING, StepKind.NPS):
        score = _score(step, text)
        return Answer(text=text, fits=score is not None, score=score, category=category)
    if step.kind == StepKind.YES_NO:
        yes = yes_or_no(text)
        return Answer(text=text, fits=yes is not None, yes=yes, category=category)
    if step.kind == StepKind.CHOICE:
        choice = _choice(step, text)
        return Answer(text=text, fits=choice is not None, choice=choice, category=category)
    return Answer(text=text, fits=bool(text), yes=yes_or_no(text), category=category)


@dataclass(frozen=True)
class Referral:
    name: str | None
    phone: str | None  # E.164

    def as_dict(self, text: str) -> dict[str, str | None]:
        return {"name": self.name, "phone": self.phone, "text": text}


def referral(text: str, region: str = "US") -> Referral | None:
    """The name and number a contractor gave for a referral; None for a "no thanks"."""
    phone = None
    rest = text
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        phone = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        rest = text[: match.start] + " " + text[match.end :]
        break
    if phone is None and yes_or_no(text) is False:
        return None
    words = [w for w in re.split(r"[\s,;:.!?()]+", _FILLER.sub(" ", rest)) if w]
    named = [w for w in words if w[:1].isupper()] or words
    name = " ".join(named[:3]) or None
    if phone is None and name is None:
        return None
    return Referral(name=name, phone=phone)


def region_of(phone: str | None) -> str:
    """The region a contractor's own number is in: their referral's number is read there."""
    if phone:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            region = None
        if region:
            return region
    return "US"
