"""Which language a reply is written in: English or Spanish, or unknown when it cannot tell.

lingua (pemistahl/lingua-py) is used because it is the detector that stays accurate on a few
words, which is what an SMS reply is; it is built for only the languages we send in, so it
cannot answer "Portuguese" for "obrigado" and loads in well under a second. A reply with no
letters ("4", "👍") or too close to call is unknown, and the contractor's own language stands.
"""

from __future__ import annotations

from functools import cache, lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = ("en", "es")
DEFAULT = "en"
_CODES = {Language.ENGLISH: "en", Language.SPANISH: "es"}
# Below this confidence the words fit both languages ("ok", "no", "super").
_SURE = 0.75


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_CODES).with_preloaded_language_models().build()


@lru_cache(maxsize=1024)  # the reader asks of each reply twice: once to read it, once to learn
def detect(text: str) -> str | None:
    """``"en"``, ``"es"``, or None when the text does not say."""
    if sum(ch.isalpha() for ch in text) < 3:
        return None
    values = _detector().compute_language_confidence_values(text)
    best = values[0] if values else None
    if best is None or best.value < _SURE:
        return None
    return _CODES[best.language]


def of_reply(text: str, known: str | None = None) -> str:
    """The reply's language: what it says itself, else the contractor's, else English."""
    return detect(text) or (known if known in LANGUAGES else None) or DEFAULT
