"""One roster field at a time: phone numbers to E.164, email addresses, IANA place zones,
dates, languages and channels. Pure functions; each raises ValueError saying what is wrong.

Time zones: a contractor's zone decides when we may text them, so it must be a *place* from the
IANA database ("America/New_York", also old links such as "US/Eastern"). Names that zoneinfo
accepts but that are not places -- "EST", "EST5EDT", "UTC", "Etc/GMT+5", "Japan" -- are refused:
"EST" is a fixed UTC-5 with no daylight saving, so a New York contractor entered as "EST" would
be texted an hour early all summer.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from functools import cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from outreach.models import Channel

MAX_EMAIL_LENGTH = 254  # the longest address SMTP can carry (RFC 5321 path limit)

# What people usually mean by the zone abbreviations they type.
_ZONE_HINTS = {
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "EST5EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "CST6CDT": "America/Chicago",
    "MST": "America/Denver (or America/Phoenix, which has no daylight saving)",
    "MDT": "America/Denver",
    "MST7MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PST8PDT": "America/Los_Angeles",
    "HST": "Pacific/Honolulu",
    "GMT": "Europe/London",
    "BST": "Europe/London",
}


def normalise_phone(raw: str, region: str) -> str:
    """Return the number in E.164 (``+14155552671``).

    Raises:
        ValueError: not a valid number when read as dialled in ``region``.
    """
    invalid = f"{raw!r} is not a valid phone number for region {region}"
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError(invalid) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(invalid)
    if number.extension:
        raise ValueError(f"{raw!r} has an extension; a text message cannot reach one")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """Return the address with its domain lower-cased (the local part is the mailbox's own) and
    an international domain in its ASCII (punycode) form, as SMTP needs.

    The one address check of the service (roster, staff accounts): the shape, by the
    ``email-validator`` library, and the length SMTP can carry. Whether the mailbox exists is
    SendGrid's to find out (a bounce suppresses the address).

    Raises:
        ValueError: the text cannot be an email address.
    """
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        if len(raw.strip()) > MAX_EMAIL_LENGTH:
            raise ValueError(f"is longer than {MAX_EMAIL_LENGTH} characters") from None
        raise ValueError(f"{raw!r} is not a valid email address") from None
    address = checked.ascii_email or checked.normalized
    if len(address) > MAX_EMAIL_LENGTH:
        raise ValueError(f"is longer than {MAX_EMAIL_LENGTH} characters")
    return address


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _zone_names_by_folded_case() -> dict[str, str]:
    return {name.casefold(): name for name in _zone_names()}


def is_place_zone(name: str) -> bool:
    """An IANA zone named after a place: ``Area/Location``, not ``Etc/`` or a legacy alias."""
    return name in _zone_names() and "/" in name and not name.startswith("Etc/")


def check_timezone(raw: str) -> str:
    """Return ``raw`` if it names a place in the IANA time zone database.

    Raises:
        ValueError: unknown, or a fixed offset / legacy name (see the module docstring); the
            message suggests the intended zone where it can.
    """
    if is_place_zone(raw):
        try:
            zoneinfo.ZoneInfo(raw)  # listed in the database; make sure it also loads
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{raw!r} is listed but cannot be loaded from tzdata") from None
        return raw
    hint = _ZONE_HINTS.get(raw.upper())
    if hint is None:
        near = _zone_names_by_folded_case().get(raw.casefold())
        hint = near if near is not None and is_place_zone(near) else None
    if raw in _zone_names():
        reason = f"{raw!r} is not a place-based IANA time zone and ignores local daylight saving"
    else:
        reason = f"{raw!r} is not an IANA time zone"
    advice = f"; use e.g. {hint}" if hint else "; use a name such as America/New_York"
    raise ValueError(reason + advice)


def parse_date(raw: str) -> date:
    """Raises ValueError unless ``raw`` is an ISO 8601 date such as 2026-03-02."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a date in the form YYYY-MM-DD") from None


# The languages we write surveys in, and what people type for them in a roster.
LANGUAGES = {
    "en": "en",
    "english": "en",
    "es": "es",
    "spanish": "es",
    "espanol": "es",
    "español": "es",
    "castellano": "es",
}


def parse_language(raw: str) -> str:
    """``en`` or ``es``; also "English", "Spanish", "Español" and regional tags like es-MX."""
    value = raw.strip().casefold()
    code = LANGUAGES.get(value) or LANGUAGES.get(value.replace("_", "-").split("-")[0])
    if code is None:
        raise ValueError(f"{raw!r} is not a language we survey in; use en or es")
    return code


def parse_channel(raw: str) -> Channel:
    try:
        return Channel(raw.lower())
    except ValueError:
        choices = " or ".join(c.value for c in Channel)
        raise ValueError(f"{raw!r} is not a channel; use {choices}") from None
