"""What the reader reads in a reply: its words prepared for the vectorisers, a few dense
signals, and each reply's TF-IDF row computed on the fitted vocabularies.

Kept apart from :mod:`surveys.reader` (the models and their decisions) because this is the
part both training and reading share, and the part whose arithmetic must stay equal to
scikit-learn's (tests/unit/test_reader_rows.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from surveys import sentiment
from surveys.scoring import LOW_SHARE, extract_rating, is_low

_MONEY = re.compile(r"[$€£]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:dollars|bucks|dolares|dólares|pesos)\b")
_CLOCK = re.compile(r"\b\d{1,2}(?::\d\d)\s?(?:am|pm|a\.m\.|p\.m\.)?|\b\d{1,2}\s?(?:am|pm)\b")
_LONG_NUMBER = re.compile(r"\b\d{3,}\b")


def prepare(text: str) -> str:
    """The reply as the vectorisers read it: emoji as words, amounts and times as one token."""
    text = sentiment.prepare(text).lower()
    text = _MONEY.sub(" zmoney ", text)
    text = _CLOCK.sub(" zclock ", text)
    return _LONG_NUMBER.sub(" znumber ", text)


# Words of a reply that asks to be reached another way or at another time, or that is about a
# roster, as the word vectoriser spells them (lower case, accents folded): "use my gmail",
# "not before 9", "por correo", "stop scheduling me on Sundays". None of the 326 labelled
# opt-outs in train and dev has one outside an email signature; 1,156 other replies do.
ELSEWHERE = re.compile(
    r"(?:gmail|hotmail|instead|before|after|antes|despues|schedul\w*|shifts?|closing|opening|"
    r"rotation|roster|overtime|(?:sun|mon|tues|wednes|thurs|fri|satur)days?|weekends?|"
    r"class|classes|turnos?|horarios?|domingos?|sabados?|lunes|martes|miercoles|jueves|viernes|"
    r"clases?|de semana|"
    r"(?:other|new|personal|otro|nuevo) (?:number|email|phone|cell|numero|correo|cel|celular)|"
    r"(?:correo|email|numero) personal|(?:by|via|por) (?:email|correo|texto|text|mail)|"
    r"(?:use|usen|usa) (?:my|mi)|en (?:vez|lugar))"
)


# A rating as a share of its scale: at most this is low (2 of 5), at least this high (4 of 5).
_HIGH_SHARE = 0.8


@dataclass(frozen=True)
class Rated:
    """The rating the caller already read from a reply, on its survey's scale, so the reader
    does not read it a second time."""

    rating: int | None
    scale_max: int = 5


def dense(
    texts: Sequence[str], prepared: Sequence[str], rated: Sequence[Rated] | None
) -> np.ndarray:
    ratings = rated or [Rated(extract_rating(raw, 5)) for raw in texts]
    rows = []
    for raw, ready, given in zip(texts, prepared, ratings, strict=True):
        scores = sentiment.score(raw)
        share = None if given.rating is None else given.rating / given.scale_max
        rows.append(
            [
                scores.polarity,
                scores.compound,
                1.0 if is_low(given.rating, given.scale_max) else 0.0,
                1.0 if share is not None and LOW_SHARE < share < _HIGH_SHARE else 0.0,
                1.0 if share is not None and share >= _HIGH_SHARE else 0.0,
                min(len(ready.split()), 60) / 60,
            ]
        )
    return np.asarray(rows, dtype=np.float64)


# A vectoriser's analyzer, vocabulary, idf weights and first column in the reader's features.
Block = tuple[Callable[[str], list[str]], dict[str, int], np.ndarray, int]


def blocks_of(*vectorizers: TfidfVectorizer) -> list[Block] | None:
    """What :func:`tfidf_rows` needs of fitted vectorisers whose columns follow one another;
    None when one is set up otherwise than it computes (sublinear tf, idf, l2 norm, counts)."""
    if not all(
        v.sublinear_tf and v.use_idf and v.norm == "l2" and not v.binary for v in vectorizers
    ):
        return None
    blocks: list[Block] = []
    offset = 0
    for vectorizer in vectorizers:
        idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        blocks.append((vectorizer.build_analyzer(), dict(vectorizer.vocabulary_), idf, offset))
        offset += len(idf)
    return blocks


def tfidf_rows(
    blocks: list[Block], prepared: Sequence[str], dense_rows: np.ndarray | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each prepared reply's non-zero features as (columns, values), the dense signals after
    the n-grams: TfidfVectorizer's own arithmetic, one reply at a time.

    scikit-learn's ``transform`` is made for many documents at once: for the one to a hundred
    replies a reader takes at a time, its input checks, sparse-matrix building and
    normalisation calls cost four times the arithmetic (benchmarks/triage_eval.py)."""
    first_dense = blocks[-1][3] + len(blocks[-1][2])
    rows = []
    for r, ready in enumerate(prepared):
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for analyze, vocabulary, idf, offset in blocks:
            counts: dict[int, int] = {}
            for feature in analyze(ready):
                column = vocabulary.get(feature)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            found = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weight = (np.log(tf) + 1.0) * idf[found]  # sublinear tf, then idf
            columns.append(found + offset)
            values.append(weight / np.sqrt(weight @ weight))  # l2, as TfidfVectorizer
        if dense_rows is not None:
            nonzero = np.flatnonzero(dense_rows[r])
            columns.append(nonzero + first_dense)
            values.append(dense_rows[r][nonzero])
        rows.append(
            (np.concatenate(columns), np.concatenate(values))
            if columns
            else (np.zeros(0, dtype=np.intp), np.zeros(0))
        )
    return rows
