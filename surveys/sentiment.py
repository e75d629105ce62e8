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
from functools import lru_cache

from textblob.en import sentiment as _textblob
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

_EMOTICON_WORDS = {  # space-separated
    "happy": ":) :-) :] =) :D :-D ;) ;-) (: :p :P :-p :-P",
    "love": "<3",
    "sad": ":( :-( :[ =( ): :'( :'-( D:",
    "angry": ">:( >:-(",
    "annoyed": r":/ :-/ :\ -_- -.- :-| :|",
}
_EMOTICONS = {emo: word for word, emos in _EMOTICON_WORDS.items() for emo in emos.split()}
_EMOTICON_RE = re.compile(
    r"(?<![\w:/<>=;'-])(?:"
    + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True))
    + r")(?![\w/)(])"
)
_EMOTICON_CHARS = frozenset(":;=<()-")

_KNOWN_WORDS = frozenset(_VADER.lexicon) | frozenset(_textblob) | frozenset(BOOSTER_DICT)
_REPEATS_RE = re.compile(r"([a-z])\1{2,}", re.IGNORECASE)

_NEGATED = {
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
_SHORT_FORMS = {
    "thx": "thanks",
    "thnx": "thanks",
    "ty": "thank you",
    "tysm": "thank you so much",
    "gr8": "great",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "cuz": "because",
    "idk": "i do not know",
    **{word + "t": verb + " not" for word, verb in _NEGATED.items()},  # "dont", "isnt"
    "cannot": "can not",
}
# On lower-case text: every word it finds is replaced by the words above, or shortened.
_WORD_FIX_RE = re.compile(
    r"\b(?:(" + "|".join(_NEGATED) + r")'t|(" + "|".join(_SHORT_FORMS) + r"))\b"
    r"|\b[a-z]*([a-z])\3\3[a-z]*"
)
_CURLY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def _emoji_word(match: re.Match[str]) -> str:
    return f" {_EMOJI[match.group()[0]]} "


def _emoticon_word(match: re.Match[str]) -> str:
    return f" {_EMOTICONS[match.group()]} "


def _shorten(word: str) -> str:
    doubled = _REPEATS_RE.sub(r"\1\1", word)
    if doubled.lower() in _KNOWN_WORDS:
        return doubled
    single = _REPEATS_RE.sub(r"\1", word)
    if single.lower() in _KNOWN_WORDS:
        return single
    return doubled


def _fix_words(text: str) -> str:
    lower = text.lower()
    if len(lower) != len(text):  # a letter like "İ" grows when lowered: use the lower case
        text = lower
    pieces: list[str] = []
    done = 0
    for match in _WORD_FIX_RE.finditer(lower):
        start, end = match.span()
        if match[1]:
            fixed = f"{_NEGATED[match[1]]} not"
        elif match[2]:
            fixed = _SHORT_FORMS[match[2]]
        else:
            fixed = _shorten(text[start:end])
        pieces += (text[done:start], fixed)
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def prepare(text: str) -> str:
    """The reply as the analysers should read it (see the module docstring)."""
    text = text.translate(_CURLY)
    if not text.isascii():
        text = _EMOJI_RE.sub(_emoji_word, text)
    if not _EMOTICON_CHARS.isdisjoint(text):
        text = _EMOTICON_RE.sub(_emoticon_word, text)
    if text.isupper() and sum(ch.isalpha() for ch in text) > 3:
        text = text.lower()
    return _fix_words(text)


def score_prepared(text: str) -> Sentiment:
    """Scores for text that has already been through :func:`prepare`."""
    # TextBlob(text).sentiment is exactly this call, plus a Blob object and a namedtuple class
    # made afresh on every call, which cost a fifth of the time.
    polarity, subjectivity = _textblob(text)
    return Sentiment(
        polarity=float(polarity),
        subjectivity=float(subjectivity),
        compound=float(_VADER.polarity_scores(text)["compound"]),
    )


@lru_cache(maxsize=1024)
def score(text: str) -> Sentiment:
    """The scores of a reply; cached, because analysis and the reader's features both ask."""
    return score_prepared(prepare(text))
