"""What a survey says, and what it costs to say it by SMS.

SMS is billed per segment. GSM-7 text fits 160 characters in one segment and 153 per part of a
longer one; one character outside GSM-7 (a curly quote pasted from a word processor, an emoji)
switches the whole text to UCS-2: 70 characters, then 67 per part. That is how a single curly
quote turns a one-segment text into a three-segment one. The checks here say so, in words, before a
survey is saved; at send time, typographic look-alikes are replaced by their plain twins
(as Twilio's Smart Encoding would) so that a template that slipped past never costs triple.
"""

from __future__ import annotations

import html
import math
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # each costs two septets (escape + char)

# Characters that look like GSM-7 ones and are almost always pasted in by accident.
LOOK_ALIKES: Mapping[str, str] = {
    "\u2018": "'",  # left single quote
    "\u2019": "'",  # right single quote / apostrophe
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",  # prime
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2012": "-",
    "\u2212": "-",  # minus sign
    "\u2026": "...",
    "\u00a0": " ",  # no-break space
    "\u2007": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",  # zero-width space
    "\u200d": "",
    "\ufeff": "",
    "\u2022": "-",  # bullet
}

# Placeholders a survey template may use, with long real-world values: a template must still
# fit when the contractor's name and the client's are long.
PLACEHOLDERS: Mapping[str, str] = {
    "first_name": "Maximiliana",
    "name": "Maximiliana Montgomery-Oyelaran",
    "client": "Northwind Health Services",
    "scale_max": "10",
}
# Reminders reuse the invitation's text behind this prefix.
REMINDER_PREFIX = "Reminder: "
LANGUAGES = ("en", "es")
REMINDER_PREFIXES = {"en": REMINDER_PREFIX, "es": "Recordatorio: "}
# What a survey says in Spanish when staff have not written its Spanish version. GSM-7 only
# (no á, í, ó, ú: each would make the text UCS-2 and triple its cost), as Spanish SMS usually is.
SPANISH_DEFAULT = {
    "sms_template": (
        "Hola {first_name}, como va tu asignacion en {client}? Responde del 1 al {scale_max} "
        "(1 = mal, {scale_max} = excelente) y cuentanos lo que quieras. "
        "Responde BAJA o STOP para no recibir mas mensajes."
    ),
    "email_subject": "Como va tu asignacion en {client}?",
    "email_template": (
        "Hola {first_name}:\n\n"
        "¿Cómo va tu asignación en {client}? Responde a este correo con un número del 1 al "
        "{scale_max} (1 = mal, {scale_max} = excelente) y, si quieres, cuéntanos qué va bien y "
        "qué no.\n\nGracias."
    ),
}
_FOOTERS = {
    "en": ("You get this because you are on an assignment through {program}.", "Unsubscribe"),
    "es": ("Recibes este mensaje porque tienes una asignación con {program}.", "Darse de baja"),
}


def survey_texts(
    sms_template: str,
    email_subject: str,
    email_template: str,
    translations: Mapping[str, Mapping[str, str]] | None,
    language: str,
) -> tuple[str, str, str]:
    """The survey's SMS text, email subject and email text in ``language``: the survey's own
    translation where staff wrote one, else our default wording for that language."""
    if language not in LANGUAGES or language == "en":
        return sms_template, email_subject, email_template
    own = dict((translations or {}).get(language) or {})
    default = SPANISH_DEFAULT
    return (
        own.get("sms_template") or default["sms_template"],
        own.get("email_subject") or default["email_subject"],
        own.get("email_template") or default["email_template"],
    )


MAX_SMS_SEGMENTS = 3


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def count_segments(body: str) -> int:
    """How many SMS segments Twilio bills for ``body`` (Smart Encoding off).

    GSM-7 fits 160 septets in one segment and 153 per part of a longer one; a single character
    outside GSM-7 switches the whole text to UCS-2: 70 UTF-16 units, then 67 per part.
    """
    if is_gsm7(body):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return math.ceil(units / part)


def to_gsm7(text: str) -> str:
    """Replace typographic look-alikes (curly quotes, dashes, odd spaces) by plain ones.

    Real letters outside GSM-7 (``ó``, ``ł``, emoji) are kept: changing them changes meaning.
    """
    return "".join(LOOK_ALIKES.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class OddCharacter:
    position: int  # 1-based, as people count
    character: str
    name: str
    replacement: str | None  # the plain twin, when it is a look-alike

    def describe(self) -> str:
        what = f"{self.character!r} ({self.name}) at character {self.position}"
        if self.replacement is not None:
            return f"{what}: write {self.replacement!r} instead"
        return what


def odd_characters(text: str) -> list[OddCharacter]:
    """Every character of ``text`` outside GSM-7, with where it is and what to use instead."""
    return [
        OddCharacter(
            position=i + 1,
            character=ch,
            name=unicodedata.name(ch, f"U+{ord(ch):04X}"),
            replacement=LOOK_ALIKES.get(ch),
        )
        for i, ch in enumerate(text)
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION
    ]


class TemplateError(ValueError):
    """A template cannot be used; the message names the field and the problem."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def placeholders_problem(template: str) -> str | None:
    """Why ``template`` would fail to render, or None."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"{exc}; write {{{{ or }}}} for a literal brace"
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            return f"{{{name}}} is not a placeholder; use {known}"
        if spec or conversion:
            return f"write {{{name}}} with nothing after the name"
    return None


@dataclass(frozen=True)
class SmsCheck:
    """What an SMS template will cost, shown where a survey is edited."""

    template: str
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # with long sample values in the placeholders
    segments: int
    reminder_segments: int
    gsm7_segments: int  # what it would cost with look-alikes replaced
    odd: list[OddCharacter] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """GSM-7 and within the segment budget, reminder included."""
        return not self.odd and max(self.segments, self.reminder_segments) <= MAX_SMS_SEGMENTS

    def summary(self) -> str:
        text = (
            f"{self.segments} segment{'s' if self.segments != 1 else ''} "
            f"({self.encoding}, {self.characters} characters with long names)"
        )
        if self.odd:
            listed = "; ".join(o.describe() for o in self.odd[:5])
            text += (
                f". Not GSM-7: {listed}. These switch every text to UCS-2: "
                f"{self.segments} segments instead of {self.gsm7_segments}"
            )
        return text


def check_sms_template(template: str, language: str = "en") -> SmsCheck:
    """Segments and encoding of an SMS template filled with long sample values; its reminder
    carries ``language``'s prefix.

    Raises:
        TemplateError: a placeholder is unknown or a brace unmatched.
    """
    problem = placeholders_problem(template)
    if problem:
        raise TemplateError("sms_template", problem)
    sample = template.format(**PLACEHOLDERS)
    plain = to_gsm7(sample)
    return SmsCheck(
        template=template,
        encoding="GSM-7" if is_gsm7(sample) else "UCS-2",
        characters=len(sample),
        segments=count_segments(sample),
        reminder_segments=count_segments(REMINDER_PREFIXES.get(language, REMINDER_PREFIX) + sample),
        gsm7_segments=count_segments(plain),
        odd=odd_characters(template),
    )


def require_sms_template(template: str, language: str = "en") -> SmsCheck:
    """Refuse a template that would cost more than it looks, with a message saying why.

    Raises:
        TemplateError: not GSM-7 (names the characters, and the segments with and without
            them), over :data:`MAX_SMS_SEGMENTS` segments, or a bad placeholder.
    """
    check = check_sms_template(template, language)
    if check.odd:
        raise TemplateError("sms_template", check.summary())
    worst = max(check.segments, check.reminder_segments)
    if worst > MAX_SMS_SEGMENTS:
        raise TemplateError(
            "sms_template",
            f"{check.summary()}; its reminder takes {check.reminder_segments}. "
            f"Keep it to {MAX_SMS_SEGMENTS} segments.",
        )
    return check


# --- rendering -----------------------------------------------------------------------------


def values_for(name: str, client: str, scale_max: int) -> dict[str, Any]:
    first_name = name.split()[0] if name.strip() else "there"
    return {"first_name": first_name, "name": name, "client": client, "scale_max": scale_max}


def render_sms(
    template: str, values: Mapping[str, Any], *, reminder: bool = False, language: str = "en"
) -> str:
    body = to_gsm7(template.format(**values))
    return REMINDER_PREFIXES.get(language, REMINDER_PREFIX) + body if reminder else body


@dataclass(frozen=True)
class EmailBody:
    subject: str
    text: str
    html: str


def render_email(
    subject: str,
    template: str,
    values: Mapping[str, Any],
    *,
    unsubscribe_url: str,
    mailing_address: str,
    program_name: str,
    reminder: bool = False,
    language: str = "en",
) -> EmailBody:
    """Text and HTML bodies, each with the footer CAN-SPAM asks for: how to stop, and where
    we are. Everything that came from a contractor or a template is escaped in the HTML."""
    text = template.format(**values).replace("\r\n", "\n").strip()
    title = subject.format(**values)
    if reminder:
        title = REMINDER_PREFIXES.get(language, REMINDER_PREFIX) + title
    why, unsubscribe = _FOOTERS.get(language, _FOOTERS["en"])
    footer = (
        f"{why.format(program=program_name)}\n{unsubscribe}: {unsubscribe_url}\n{mailing_address}"
    )
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body_html = "\n".join(
        "<p>" + html.escape(p.strip()).replace("\n", "<br>\n") + "</p>" for p in paragraphs
    )
    footer_html = (
        '<hr><p style="font-size:12px;color:#555">'
        f"{html.escape(why.format(program=program_name))} "
        f'<a href="{html.escape(unsubscribe_url, quote=True)}">{unsubscribe}</a><br>'
        f"{html.escape(mailing_address)}</p>"
    )
    return EmailBody(
        subject=title,
        text=f"{text}\n\n--\n{footer}\n",
        html=f"<!doctype html><html><body>\n{body_html}\n{footer_html}\n</body></html>",
    )
