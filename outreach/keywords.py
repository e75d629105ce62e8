"""SMS consent keywords: read before any survey logic sees a message.

Carriers and Twilio treat a message that is exactly one of the keywords below (trimmed,
case-insensitive) as a consent instruction. FCC 24-18 also asks us to honour a revocation made
"by any reasonable means", so a plain-language request to stop ("stop texting me", "remove me
from this list") counts as an opt-out too. Words that only look like keywords inside a sentence
("I quit", "the bus stop is far", "yes the client is great") are not instructions.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


SINGLE_WORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        ("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"),
        Keyword.OPT_OUT,
    ),
    **dict.fromkeys(("start", "yes", "unstop"), Keyword.OPT_IN),
    **dict.fromkeys(("help", "info"), Keyword.HELP),
}

# Spellings people type for a single keyword: "opt out", "opt-out", "stop all".
_VARIANTS = {"opt out": "optout", "opt-out": "optout", "stop all": "stopall"}

_EDGE = " \t\r\n\"'`.,!?;:-()[]*~\u2018\u2019\u201c\u201d"

_US = r"(?:me|us|this (?:number|phone)|my (?:number|phone|cell))"
_MESSAGES = (
    r"(?:texts?|text messages?|messages?|msgs?|sms|surveys?|emails?|e-mails?|mails?|"
    r"notifications?|these|this|them)"
)
# The same without pronouns, for requests that do not say "stop" ("I don't want these" is not).
_NOUNS = r"(?:texts?|text messages?|messages?|msgs?|sms|surveys?|emails?|e-mails?|notifications?)"
_PLEASE = r"(?:please|pls|plz|now|thanks?|thank you|thx|asap)"
_SUBJECT = r"(?:your|the|this|these|that|ur|all|my|any)"
_OFF_LIST = (
    rf"(?:off|from|out of|of) {_SUBJECT}?\s?(?:\w+ )?(?:list|lists|texts?|messages?|surveys?|"
    r"emails?|system|database|program)"
)

# Each pattern is a whole request to stop. A match must start a clause and end one, so that
# "I asked them to stop texting me at night" or "remove me from this project" are left alone.
_PLAIN_OPT_OUTS = [
    rf"(?:stop|quit|cease) (?:texting|messaging|sending|contacting|emailing|bugging|spamming|"
    rf"calling|surveying)(?: (?:{_US}|{_MESSAGES}))?",
    rf"stop (?:sending|all) (?:{_US} )?(?:{_SUBJECT} )?(?:\w+ )?{_MESSAGES}",
    rf"(?:remove|delete) (?:{_US}|my (?:name|info|details|number))(?: {_OFF_LIST})?",
    rf"take (?:{_US}|my (?:name|info|details|number)) {_OFF_LIST}",
    rf"(?:don'?t|do not|never) (?:text|message|contact|email|msg|sms|survey) {_US}",
    rf"(?:i )?(?:don'?t|do not) want (?:to (?:get|receive) )?(?:any ?more |any |more )?(?:of )?"
    rf"(?:{_SUBJECT} )?(?:\w+ )?{_NOUNS}",
    rf"no more {_MESSAGES}",
    rf"(?:i'?d|i would) (?:rather not|prefer not to|prefer to not) (?:get|receive|be sent) "
    rf"(?:any ?more )?(?:{_SUBJECT} )?(?:\w+ )?{_MESSAGES}",
    rf"unsubscribe(?: {_US})?(?: {_OFF_LIST})?",
    rf"opt (?:me )?out(?: {_OFF_LIST})?",
    rf"(?:i )?(?:want|would like|'?d like|need) to (?:unsubscribe|opt out|be removed|stop "
    rf"(?:getting|receiving) {_MESSAGES})(?: {_OFF_LIST})?",
    r"lose my number",
]
_LEAD_IN = (
    r"(?:(?:ok|okay|hey|hi|hello|seriously|so|just|please|pls|plz|kindly|can|could|would|"
    r"will|you|u|ya|yall|y'all|guys),?\s+)*"
)
_TAIL = rf"(?:[ ,]+(?:anymore|any more|ever again|again|{_PLEASE}|from (?:you|now on)))*"
_CLAUSE_END = r"(?=\s*(?:$|[.!?,;:]|(?:and|but|because|cause|cuz|since|i|i'm|im)\b))"
_OPT_OUT_RE = re.compile(
    rf"(?:^|[.!?,;:]\s*){_LEAD_IN}(?:{'|'.join(_PLAIN_OPT_OUTS)}){_TAIL}{_CLAUSE_END}",
    re.IGNORECASE,
)
# A message that is only a "stop", politely or not ("please stop", "ok stop it", "stop stop"),
# or whose first sentence is ("STOP. I'm not with the agency anymore").
_BARE_STOP_RE = re.compile(
    rf"{_LEAD_IN}stop(?:[\s!.,]+stop)*(?: it)?(?:[ ,]+{_PLEASE})*(?:$|[.!,;]\s.*)", re.IGNORECASE
)


def _clean(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split()).strip(_EDGE).lower()


# Every plain-language opt-out contains one of these; most messages contain none, and this is
# much cheaper than the patterns.
_HINT_RE = re.compile(
    r"stop|remov|delet|take|unsub|opt|text|messag|msg|sms|mail|contact|survey|want|no more|lose|"
    r"rather|prefer"
)


def carrier_keyword(text: str) -> Keyword | None:
    """The keyword, when the whole message is one of the carriers' single words."""
    cleaned = _clean(text)
    return SINGLE_WORDS.get(_VARIANTS.get(cleaned, cleaned))


def classify(text: str) -> Keyword | None:
    """The consent instruction a message carries, if any."""
    keyword = carrier_keyword(text)
    if keyword is not None:
        return keyword
    cleaned = _clean(text)
    if _HINT_RE.search(cleaned) and (
        _BARE_STOP_RE.fullmatch(cleaned) or _OPT_OUT_RE.search(cleaned)
    ):
        return Keyword.OPT_OUT
    return None
