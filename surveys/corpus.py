"""The labelled replies the reader learns from: ``surveys/corpus/*.csv`` (see docs/labelling.md).

Each row is one reply with its labels, its language and where it came from. Every row belongs
to one split for good: train, dev (where thresholds and settings are chosen) or test (only ever
reported). The split comes from a hash of the reply's words, so nobody chooses it, adding rows
never moves an old one, and the same words written twice land in the same split.

A malformed row is reported by file, line and column and left out; the rest of the file is
still read.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from surveys.categories import CATEGORIES

CORPUS_DIR = Path(__file__).with_name("corpus")
COLUMNS = (
    "text",
    "rating",
    "negative",
    "category",
    "quit_intent",
    "opt_out",
    "lang",
    "population",
    "register",
    "origin",
)
LANGUAGES = ("en", "es")
_FLAGS = {"0": False, "1": True}


class Split(StrEnum):
    TRAIN = "train"
    DEV = "dev"
    TEST = "test"


# Shares of the hash space: 70% train, 15% dev, 15% test.
_DEV_FROM, _TEST_FROM = 70, 85


@dataclass(frozen=True)
class Example:
    text: str
    rating: int | None
    negative: bool
    category: str
    quit_intent: bool
    opt_out: bool
    lang: str
    population: str = "general"
    register: str = "sms"
    origin: str = "unknown"
    where: str = ""  # file:line, for error messages and the model card

    @property
    def split(self) -> Split:
        return split_of(self.text)


def normalized(text: str) -> str:
    """The words that decide a row's split and whether two rows are the same reply."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def split_of(text: str) -> Split:
    bucket = int.from_bytes(hashlib.sha256(normalized(text).encode()).digest()[:4], "big") % 100
    if bucket >= _TEST_FROM:
        return Split.TEST
    return Split.DEV if bucket >= _DEV_FROM else Split.TRAIN


@dataclass
class Corpus:
    examples: list[Example] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "file:line: column: what is wrong"
    duplicates: int = 0

    def split(self, *splits: Split) -> list[Example]:
        wanted = set(splits)
        return [e for e in self.examples if e.split in wanted]

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for e in self.examples:
            digest.update(repr(_labels(e)).encode())
        return digest.hexdigest()


def _labels(e: Example) -> tuple[object, ...]:
    return (e.text, e.rating, e.negative, e.category, e.quit_intent, e.opt_out, e.lang)


class RowError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")


def parse_row(row: dict[str, str | None], where: str = "") -> Example:
    """One CSV row as an Example; :class:`RowError` names the column at fault."""

    def value(column: str) -> str:
        raw = row.get(column)
        return (raw or "").strip()

    text = row.get("text") or ""
    if not text.strip():
        raise RowError("text", "empty")
    rating_raw = value("rating")
    rating = None
    if rating_raw:
        if not rating_raw.isdigit() or not 1 <= int(rating_raw) <= 5:
            raise RowError("rating", f"{rating_raw!r} is not a whole number 1-5 or blank")
        rating = int(rating_raw)
    flags = {}
    for column in ("negative", "quit_intent", "opt_out"):
        raw = value(column)
        if raw not in _FLAGS:
            raise RowError(column, f"{raw!r} is not 0 or 1")
        flags[column] = _FLAGS[raw]
    category = value("category")
    if category not in CATEGORIES:
        raise RowError("category", f"{category!r} is not one of {', '.join(CATEGORIES)}")
    lang = value("lang") or "en"
    if lang not in LANGUAGES:
        raise RowError("lang", f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    return Example(
        text=text,
        rating=rating,
        category=category,
        lang=lang,
        population=value("population") or "general",
        register=value("register") or "sms",
        origin=value("origin") or "unknown",
        where=where,
        **flags,
    )


def read_rows(rows: Iterable[dict[str, str | None]], name: str) -> Iterator[Example | str]:
    """Examples, and for each bad row a message naming its line and column."""
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            yield parse_row(row, f"{name}:{line}")
        except RowError as exc:
            yield f"{name}:{line}: {exc}"


def load(directory: Path = CORPUS_DIR) -> Corpus:
    """Every row of every CSV file in ``directory``; the first of two identical replies wins."""
    corpus = Corpus()
    seen: set[str] = set()
    for path in sorted(directory.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS[:6] if c not in (reader.fieldnames or ())]
            if missing:
                corpus.errors.append(f"{path.name}:1: missing column(s) {', '.join(missing)}")
                continue
            for item in read_rows(reader, path.name):
                if isinstance(item, str):
                    corpus.errors.append(item)
                    continue
                key = normalized(item.text) or item.text
                if key in seen:
                    corpus.duplicates += 1
                    continue
                seen.add(key)
                corpus.examples.append(item)
    return corpus
