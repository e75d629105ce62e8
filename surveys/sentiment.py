"""How a reply feels: TextBlob polarity and subjectivity, VADER compound.

Both analysers were built for edited prose and reviews. Text messages need a little help first:
emoji and emoticons become the words they stand for (TextBlob ignores emoji, VADER knows only
some), elongated words are shortened ("sooo baaad" -> "so bad"), a message typed entirely in
capitals is read in lower case (caps lock is not emphasis, but one shouted word among lower-case
ones still counts as VADER intends), and "isnt"/"don't" become "is not"/"do not" so that TextBlob,
which only knows "not", sees the negation too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textblob import TextBlob
from textblob.en import sentiment as _textblob_lexicon
from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentimentIntensityAnalyzer

# One analyser for the process: building it reads VADER's lexicon files.
_VADER = SentimentIntensityAnalyzer()


@dataclass(frozen=True)
class Sentiment:
    polarity: float  # TextBlob, -1..1
    subjectivity: float  # TextBlob, 0..1
    compound: float  # VADER, -1..1


# Words chosen because both lexicons score them with the emoji's meaning.
_EMOJI_WORDS = {
    "happy": "\U0001f642\U0001f600\U0001f603\U0001f604\U0001f601\U0001f60a\u263a\U0001f607"
    "\U0001f917\U0001f60e\U0001f973",
    "love": "\u2764\U0001f60d\U0001f970\U0001f618\U0001f495\U0001f496\U0001f497\U0001f499"
    "\U0001f49a\U0001f49b\U0001f49c\U0001f5a4\U0001f9e1",
    "good": "\U0001f44d\U0001f44c\u2705\U0001f64c\U0001f4aa\U0001f44f",
    "great": "\U0001f389\U0001f4af\U0001f38a\U0001f929",
    "sad": "\U0001f641\u2639\U0001f61e\U0001f614\U0001f61f\U0001f622\U0001f62d\U0001f625"
    "\U0001f613\U0001f97a\U0001f494",
    "angry": "\U0001f620\U0001f621\U0001f92c\U0001f624\U0001f47f",
    "annoyed": "\U0001f644\U0001f612\U0001f611",
    "tired": "\U0001f629\U0001f62b\U0001f62a\U0001f971\U0001f635",
    "bad": "\U0001f44e\U0001f4a9\U0001f926\U0001f922\U0001f92e\U0001f616\U0001f623\U0001f630"
    "\U0001f628\U0001f631\U0001f480\U0001f62c\U0001f615",
    # Ambiguous in a text to an employer (sarcasm, slang): read as nothing.
    "": "\U0001f610\U0001f636\U0001f602\U0001f923\U0001f605\U0001f525\U0001f937\U0001f914",
}
_EMOJI = {ch: word for word, chars in _EMOJI_WORDS.items() for ch in chars}
_EMOJI_RE = re.compile("[" + "".join(_EMOJI) + "][\ufe0f\U0001f3fb-\U0001f3ff]*")

_EMOTICON_WORDS = {
    "happy": (":)", ":-)", ":]", "=)", ":d", ":-d", ";)", ";-)", "(:", ":p", ":-p", "xd"),
    "love": ("<3",),
    "sad": (":(", ":-(", ":[", "=(", "):", ":'(", ":'-(", "d:"),
    "angry": (">:(", ">:-("),
    "annoyed": (":/", ":-/", ":\\", "-_-", "-.-", ":-|", ":|", "smh"),
}
_EMOTICONS = {emo: word for word, emos in _EMOTICON_WORDS.items() for emo in emos}
_EMOTICON_RE = re.compile(
    r"(?<![\w:/<>=;'-])(?:"
    + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True))
    + r")(?![\w/)(])",
    re.IGNORECASE,
)

_ELONGATED_RE = re.compile(r"\b\w*?([a-z])\1{2,}\w*", re.IGNORECASE)
_KNOWN_WORDS = frozenset(_VADER.lexicon) | frozenset(_textblob_lexicon) | frozenset(BOOSTER_DICT)

_CONTRACTIONS = {
    "can": "can",
    "won": "will",
    "ain": "is",
    "isn": "is",
    "aren": "are",
    "wasn": "was",
    "weren": "were",
    "don": "do",
    "doesn": "does",
    "didn": "did",
    "haven": "have",
    "hasn": "has",
    "hadn": "had",
    "couldn": "could",
    "shouldn": "should",
    "wouldn": "would",
}
_NEGATION_RE = re.compile(
    r"\b(can|won|ain|isn|aren|wasn|weren|don|doesn|didn|haven|hasn|hadn|couldn|shouldn|"
    r"wouldn)'?t\b|\b(cant|wont|aint|dont)\b",
    re.IGNORECASE,
)
_SHORT_FORMS = {
    "thx": "thanks",
    "thnx": "thanks",
    "tx": "thanks",
    "ty": "thank you",
    "tysm": "thank you so much",
    "gr8": "great",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "r": "are",
    "b/c": "because",
    "bc": "because",
    "cuz": "because",
    "idk": "i do not know",
    "ngl": "not going to lie",
    "rn": "right now",
    "tbh": "to be honest",
    "wk": "week",
}
_SHORT_FORMS_RE = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(k) for k in _SHORT_FORMS) + r")(?![\w/])", re.IGNORECASE
)
_CURLY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def _emoji_word(match: re.Match[str]) -> str:
    return f" {_EMOJI[match.group()[0]]} "


def _emoticon_word(match: re.Match[str]) -> str:
    return f" {_EMOTICONS[match.group().lower()]} "


def _shorten(match: re.Match[str]) -> str:
    word = match.group()
    doubled = re.sub(r"([a-z])\1{2,}", r"\1\1", word, flags=re.IGNORECASE)
    single = re.sub(r"([a-z])\1{2,}", r"\1", word, flags=re.IGNORECASE)
    if doubled.lower() in _KNOWN_WORDS:
        return doubled
    if single.lower() in _KNOWN_WORDS:
        return single
    return doubled


def _expand_negation(match: re.Match[str]) -> str:
    stem = (match.group(1) or match.group(2)[:-1]).lower()
    return f"{_CONTRACTIONS[stem]} not"


def prepare(text: str) -> str:
    """The reply as the analysers should read it (see the module docstring)."""
    text = text.translate(_CURLY)
    if not text.isascii():
        text = _EMOJI_RE.sub(_emoji_word, text)
    if any(ch in text for ch in ":;=<>()_-"):
        text = _EMOTICON_RE.sub(_emoticon_word, text)
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) > 3 and all(ch.isupper() for ch in letters):
        text = text.lower()
    text = _ELONGATED_RE.sub(_shorten, text)
    text = _SHORT_FORMS_RE.sub(lambda m: _SHORT_FORMS[m.group().lower()], text)
    return _NEGATION_RE.sub(_expand_negation, text)


def score_prepared(text: str) -> Sentiment:
    """Scores for text that has already been through :func:`prepare`."""
    blob = TextBlob(text).sentiment
    return Sentiment(
        polarity=float(blob.polarity),
        subjectivity=float(blob.subjectivity),
        compound=float(_VADER.polarity_scores(text)["compound"]),
    )


def score(text: str) -> Sentiment:
    return score_prepared(prepare(text))
