"""The learned reader: from a reply's words to its category, negative and quit intent.

Why a model: rules listed the wording of the people who wrote them, and contractors write
differently (see docs/labelling.md and the model card). A linear model over word and
character n-grams learns from examples, reads typos and Spanish with the same machinery, is
deterministic to train, answers in well under a millisecond and explains itself: the words
that weighed most are the cues staff see.

What is learned, one scikit-learn logistic regression each, over one shared set of features:

- ``category``: the eight categories, one of them per reply;
- ``negative``, ``quit_intent`` and ``opt_out``: yes/no each;
- an opt-out model of its own (:class:`OptOutModel`) over word 1-3 and character 2-5 grams,
  which reads opt-outs in words nobody listed better than the shared ``opt_out`` head.

The features are TF-IDF word 1-2 grams and character 2-4 grams, each seen in at least two
replies (accents folded, so "dia" and "día" are one word), plus a few dense signals: TextBlob
polarity and VADER compound, which the service stores anyway, and whether the rating read
from the text is low, middling or high.

Thresholds and per-category biases are chosen on the dev split, favouring recall where a miss
costs most: the category is the most likely one after biases chosen for the best macro-F1 that
keeps safety recall at 95%; quit intent's threshold is set for recall. A reply whose answer is
close to a threshold, or that a separate yes/no safety model (also set for recall) flags while
the category model does not, is marked ``unsure`` so staff look at it. Opt-outs from the
model only ever add to the exact keywords (:mod:`outreach.keywords`), never remove one, and
only with a threshold that made no false opt-out on dev; below a higher bar, or when the reply
names another way or time to reach them or a roster, the model's opt-out is not acted on but
sent to staff (``unsure``), who confirm it: a false opt-out silences a contractor.

The category odds may blend in a complement naive Bayes model over the same n-grams
(``Settings.nb_weight``): its log-odds are linear in the n-grams too, so it costs each reply
one more small product over its own non-zero features.

A trained reader is written as ``reader-<version>.joblib`` with its model card beside it; the
version is a hash of what it learned from and how, so the same data always gives the same
version. :func:`current` loads one per process.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB

from surveys.categories import CATEGORIES, Category
from surveys.reader_features import (
    ELSEWHERE,
    Block,
    Rated,
    blocks_of,
    dense,
    prepare,
    tfidf_rows,
)

log = logging.getLogger(__name__)

# Bumped when the pickled layout or the features change: older artifacts are then rebuilt.
FORMAT = 5
BINARY = ("negative", "quit_intent", "opt_out", "safety")
# The probability of the opt-out model of its own (OptOutModel), beside the others'.
OPT_OUT_WORDS = "opt_out_words"
# Below its acting bar, from this probability the opt-out model sends a reply to "Needs a look".
OPT_OUT_WORDS_LOOK = 0.5
# What each threshold is chosen for on dev: the recall to reach (the highest threshold that
# reaches it wins), or None for the best F1.
RECALL_GOALS: dict[str, float | None] = {
    "negative": 0.93,
    "quit_intent": 0.92,
    "safety": 0.95,
    "opt_out": None,
    Category.SAFETY_HARASSMENT: 0.95,  # Settings.safety_recall, when it is set
}
# Within this distance of its threshold (in probability), an answer is "unsure".
UNSURE_BAND = 0.1
# A category answer with less than this probability is unsure too.
UNSURE_CATEGORY = 0.5
# Staff corrections weigh more than a corpus row: they are what this firm's contractors wrote.
CORRECTION_WEIGHT = 4.0


@dataclass(frozen=True)
class Settings:
    """How a reader is trained; part of its version."""

    C_category: float = 10.0
    C_binary: float = 4.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 4)
    min_df: int = 2
    dense: bool = True
    # The safety recall to keep on dev (see choose_thresholds and choose_biases). Held-out
    # writers, with the naive Bayes blend: .95 / .96 / .97 gave English safety recall .951 /
    # .952 / .965 at macro-F1 .875 / .870 / .866, Spanish .921 / .930 / .944; .97 is the
    # highest tried that keeps English macro-F1 >= .85, and precision stays at the old .75.
    safety_recall: float = 0.97
    # Whether a reply whose safety probability reaches its own threshold (chosen on dev for
    # safety_recall) is safety whatever the other categories' odds; otherwise the biases alone
    # keep the recall.
    safety_floor: bool = True
    # The model's opt-out is never taken below this probability, whatever dev allows. Chosen
    # on held-out writers (benchmarks/reader_dev.py --by-origin): 0.5 made 5 false opt-outs in
    # 5,304 replies at recall .94, 0.7 made 3 at .93, 0.85 made 2 at .89.
    opt_out_min: float = 0.7
    # The model's own opt-out is acted on only at or above this probability; between its
    # threshold and this bar the reply goes to "Needs a look" (unsure: opt_out) and staff
    # decide. A false opt-out silences a contractor; a flagged one costs a minute of staff time.
    # Held-out writers: 0.9 turned 4 English and 2 Spanish false opt-outs into 0, acting on .903
    # / .945 of opt-outs instead of .940 / .963; with the flagged ones .949 / .963.
    opt_out_act: float = 0.9
    # Whether the model's opt-out for a reply naming another way or time to reach them, or a
    # roster ("use my gmail", "not before 9", "stop scheduling me on Sundays"), goes to "Needs a
    # look" instead: such look-alikes made the held-out writers' false opt-outs (see ELSEWHERE).
    opt_out_elsewhere: bool = True
    # The share of the category odds that comes from a complement naive Bayes model over the
    # same n-grams (the rest from the logistic regression); 0 for none. Naive Bayes leans on
    # rarer words a regularised regression discounts. Held-out writers: 0.5 (alpha 0.3) raised
    # English macro-F1 .851 -> .875 and safety precision .75 -> .80 at the same safety recall
    # asked of dev; 0.25, and alpha 1.0, did less.
    nb_weight: float = 0.5
    nb_alpha: float = 0.3
    # Whether the reader has an opt-out model of its own (OptOutModel) beside the shared
    # features' opt-out head: the head leans on the words that also tell categories apart,
    # and missed opt-outs in words nobody listed ("pls quit blowin up my phone w these").
    opt_out_words: bool = True
    # The opt-out model's opt-out is acted on only at or above this probability (and above
    # every reply that is not an opt-out on dev: the thresholds' "opt_out_words"); from
    # OPT_OUT_WORDS_LOOK up to there it goes to "Needs a look".
    opt_out_words_act: float = 0.85
    # For a reply that names none of our messages (outreach.keywords.about_messages: "pls
    # delete my #", "no me interesa recibir esto"), the opt-out model's opt-out is acted on
    # only from this probability; from its bar up to here it goes to "Needs a look" (above 1:
    # never acted on, as the head's). Held-out writers (39, each in turn): acting on such
    # replies from the bar made 2 false opt-outs ("I quit." at .85, "ya no puedo mas, estoy
    # agotada" at .91); from .93 up none, acting on English .933 and Spanish .969 of opt-outs
    # against .925 / .962 when never.
    opt_out_words_unnamed: float = 0.95


@dataclass
class OptOutModel:
    """A yes/no opt-out model over n-grams of its own: word 1-3 grams and character 2-5 grams
    within words, so "txting", "stahp" and "unsubcribe" share most of their features with the
    words they misspell, and a whole request ("no more of these") weighs as one feature."""

    words: TfidfVectorizer
    chars: TfidfVectorizer
    model: LogisticRegression

    def probability(self, prepared: Sequence[str]) -> np.ndarray:
        blocks = self.__dict__.get("_blocks")
        if blocks is None:
            blocks = blocks_of(self.words, self.chars)
            self.__dict__["_blocks"] = blocks
        if blocks is None:  # a vectoriser set up otherwise than tfidf_rows computes
            x = sparse.hstack(
                [self.words.transform(prepared), self.chars.transform(prepared)], format="csr"
            )
            return np.asarray(self.model.predict_proba(x)[:, 1])
        coef, intercept = self.model.coef_[0], float(self.model.intercept_[0])
        scores = [
            values @ coef[columns] + intercept
            for columns, values in tfidf_rows(blocks, prepared, None)
        ]
        return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(scores, dtype=np.float64))))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_blocks", None)  # derived: rebuilt on first use
        return state


@dataclass
class Reading:
    """What the model read in one reply."""

    category: str
    category_probability: float
    probabilities: dict[str, float]  # each category's, and each yes/no label's
    negative: bool
    quit_intent: bool
    opt_out: bool  # the shared features' opt-out head, to be acted on
    unsure: tuple[str, ...]  # the labels it was not sure about
    cues: tuple[str, ...]  # the words that weighed most for its category
    # The opt-out model's, to be acted on (Settings.opt_out_words); no other label gates it.
    opt_out_words: bool = False


@dataclass
class Reader:
    version: str
    settings: Settings
    words: TfidfVectorizer
    chars: TfidfVectorizer
    category_model: LogisticRegression
    binary_models: dict[str, LogisticRegression]
    thresholds: dict[str, float]
    # Added to each category's log-probability before the most likely is taken: chosen on dev
    # for the best macro-F1 that keeps safety recall at its goal (see choose_biases).
    biases: dict[str, float] = field(default_factory=dict)
    card: dict[str, Any] = field(default_factory=dict)
    # Over the n-gram columns only (naive Bayes needs counts, not polarity); see Settings.nb_weight.
    nb_model: ComplementNB | None = None
    opt_out_model: OptOutModel | None = None
    format: int = FORMAT
    sklearn_version: str = sklearn.__version__

    # -- reading ----------------------------------------------------------------------------

    def features(
        self, texts: Sequence[str], rated: Sequence[Rated] | None = None
    ) -> sparse.csr_matrix:
        prepared = [prepare(t) for t in texts]
        # A reply at a time, scikit-learn's per-call checks of a fitted model's parameters and
        # of finite input cost a third of the reading (benchmarks/triage_eval.py); the model
        # and its input are ours, so the answers are the same without them.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            blocks = [self.words.transform(prepared), self.chars.transform(prepared)]
        if self.settings.dense:
            blocks.append(sparse.csr_matrix(dense(texts, prepared, rated)))
        return sparse.hstack(blocks, format="csr")

    def _weights(self) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        # Every model's coefficients in one matrix, so a reply costs one sparse product instead
        # of five predict_proba calls (each of which re-validates its input: most of the time).
        cached = self.__dict__.get("_stacked")
        if cached is None:
            models = [self.category_model, *self.binary_models.values()]
            weights = np.vstack([m.coef_ for m in models]).T.copy()
            intercepts = np.concatenate([m.intercept_ for m in models])
            names = list(self.words.get_feature_names_out())
            cached = (weights, intercepts, [str(c) for c in self.category_model.classes_], names)
            self.__dict__["_stacked"] = cached
        return cached

    def classes(self) -> list[str]:
        """The categories in the order of :meth:`probabilities`' columns."""
        return self._weights()[2]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for derived in ("_stacked", "_vocabularies", "_nb_weights", "_elsewhere_columns"):
            state.pop(derived, None)  # derived: rebuilt on first use
        return state

    def probabilities(self, x: sparse.csr_matrix) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Each category's probability (rows sum to 1) and each yes/no label's, for the rows of
        ``x`` at once (training chooses thresholds with it): what :meth:`read_many` gives."""
        weights, intercepts, classes, _ = self._weights()
        scores = np.asarray(x @ weights) + intercepts
        n = len(classes)
        category_p = _softmax(scores[:, :n])
        nb = self._nb()
        if nb is not None:
            share = self.settings.nb_weight
            nb_scores = np.asarray(x[:, : nb.shape[0]] @ nb)
            category_p = (1 - share) * category_p + share * _softmax(nb_scores)
        binary_p = {
            name: 1.0 / (1.0 + np.exp(-scores[:, n + i]))
            for i, name in enumerate(self.binary_models)
        }
        return category_p, binary_p

    def opt_out_words_probability(self, texts: Sequence[str]) -> np.ndarray | None:
        """The opt-out model's probability for each reply; None when the reader has none."""
        if self.opt_out_model is None or not self.settings.opt_out_words:
            return None
        return self.opt_out_model.probability([prepare(t) for t in texts])

    def _nb(self) -> np.ndarray | None:
        # Complement naive Bayes' log-odds are linear in the n-grams (no intercept): its
        # feature weights, one column a category, over the n-gram columns only.
        if self.nb_model is None:
            return None
        if "_nb_weights" not in self.__dict__:
            self.__dict__["_nb_weights"] = np.ascontiguousarray(self.nb_model.feature_log_prob_.T)
        nb: np.ndarray = self.__dict__["_nb_weights"]
        return nb

    def _blend(self, p: dict[str, float], columns: np.ndarray, values: np.ndarray) -> None:
        # The category odds of one reply as Settings.nb_weight asks, in place.
        nb = self._nb()
        if nb is None:
            return
        ngrams = columns < nb.shape[0]
        scores = values[ngrams] @ nb[columns[ngrams]]
        nb_p = np.exp(scores - scores.max())
        nb_p /= nb_p.sum()
        share = self.settings.nb_weight
        for i, c in enumerate(self.classes()):
            p[c] = (1 - share) * p[c] + share * float(nb_p[i])

    def read_many(
        self, texts: Sequence[str], rated: Sequence[Rated] | None = None
    ) -> list[Reading]:
        if not texts:
            return []
        weights, intercepts, classes, _ = self._weights()
        n = len(classes)
        readings = []
        words_p = self.opt_out_words_probability(texts)
        for r, (indices, values) in enumerate(self._rows(texts, rated)):
            scores = values @ weights[indices] + intercepts
            logits = np.exp(scores[:n] - scores[:n].max())
            category_p = logits / logits.sum()
            probabilities = {c: float(category_p[i]) for i, c in enumerate(classes)}
            probabilities.update(
                {
                    name: float(1.0 / (1.0 + np.exp(-scores[n + i])))
                    for i, name in enumerate(self.binary_models)
                }
            )
            if words_p is not None:
                probabilities[OPT_OUT_WORDS] = float(words_p[r])
            readings.append(self._decide(probabilities, indices, values))
        return readings

    def _rows(
        self, texts: Sequence[str], rated: Sequence[Rated] | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each reply's non-zero features as (columns, values): the rows :meth:`features`
        would give, computed without scikit-learn's batch machinery
        (:func:`surveys.reader_features.tfidf_rows`; tests/unit/test_reader_rows.py holds
        the two equal on the corpus)."""
        blocks = self._blocks()
        if blocks is None:  # a vectoriser set up otherwise than this path computes
            x = self.features(texts, rated)
            return [
                (
                    x.indices[x.indptr[r] : x.indptr[r + 1]].astype(np.intp),
                    x.data[x.indptr[r] : x.indptr[r + 1]],
                )
                for r in range(len(texts))
            ]
        prepared = [prepare(t) for t in texts]
        dense_rows = dense(texts, prepared, rated) if self.settings.dense else None
        return tfidf_rows(blocks, prepared, dense_rows)

    def _blocks(self) -> list[Block] | None:
        if "_vocabularies" not in self.__dict__:
            self.__dict__["_vocabularies"] = blocks_of(self.words, self.chars)
        blocks: list[Block] | None = self.__dict__["_vocabularies"]
        return blocks

    def read(self, text: str, rated: Rated | None = None) -> Reading:
        return self.read_many([text], None if rated is None else [rated])[0]

    def _decide(self, p: dict[str, float], columns: np.ndarray, values: np.ndarray) -> Reading:
        self._blend(p, columns, values)
        categories = {c: p.get(c, 0.0) for c in CATEGORIES}
        flags = {name: p[name] >= self.thresholds[name] for name in BINARY}
        category = _most_likely(categories, self.biases, self._safety_floor())
        unsure = []
        # The yes/no safety model, set for recall, says "maybe someone is in danger" where
        # the category model does not: not a ticket of its own, but staff should look.
        maybe_safety = category != Category.SAFETY_HARASSMENT and flags["safety"]
        if maybe_safety or categories[category] < UNSURE_CATEGORY:
            unsure.append("category")
        for name in ("negative", "quit_intent"):
            if abs(p[name] - self.thresholds[name]) < UNSURE_BAND:
                unsure.append(name)
        elsewhere = self.settings.opt_out_elsewhere and self._elsewhere(columns)
        opt_out = flags["opt_out"]
        maybe_opt_out = opt_out and (p["opt_out"] < self.settings.opt_out_act or elsewhere)
        if maybe_opt_out:
            opt_out = False
        opt_out_words = False
        if OPT_OUT_WORDS in p:
            bar = self.thresholds.get(OPT_OUT_WORDS, 1.0)
            opt_out_words = p[OPT_OUT_WORDS] >= bar and not elsewhere
            maybe_opt_out = maybe_opt_out or (
                not opt_out_words and p[OPT_OUT_WORDS] >= OPT_OUT_WORDS_LOOK
            )
        if maybe_opt_out and category == Category.NONE:
            unsure.append("opt_out")  # analysis takes a model's opt-out for these only
        return Reading(
            category=category,
            category_probability=categories[category],
            probabilities={k: round(v, 4) for k, v in p.items()},
            negative=flags["negative"],
            quit_intent=flags["quit_intent"],
            opt_out=opt_out,
            unsure=tuple(unsure),
            cues=self._cues(category, columns, values),
            opt_out_words=opt_out_words,
        )

    def _elsewhere(self, columns: np.ndarray) -> bool:
        # Read from the reply's own word features: the text itself is not at hand here.
        words = self.__dict__.get("_elsewhere_columns")
        if words is None:
            names = self._weights()[3]
            words = np.asarray([i for i, name in enumerate(names) if ELSEWHERE.fullmatch(name)])
            self.__dict__["_elsewhere_columns"] = words
        return bool(np.isin(columns, words).any())

    def _safety_floor(self) -> float | None:
        if not self.settings.safety_floor:
            return None
        return self.thresholds.get(Category.SAFETY_HARASSMENT)

    def _cues(
        self, category: str, columns: np.ndarray, values: np.ndarray, top: int = 3
    ) -> tuple[str, ...]:
        # The word n-grams that pushed hardest towards the answer: a linear model's own reasons.
        if category == Category.NONE:
            return ()
        stacked, _, classes, names = self._weights()
        words = columns < len(names)
        columns, values = columns[words], values[words]
        weights = values * stacked[columns, classes.index(category)]
        order = np.argsort(weights, kind="stable")[::-1][:top]
        return tuple(names[columns[i]] for i in order if weights[i] > 0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    odds = np.exp(logits - logits.max(axis=1, keepdims=True))
    return odds / odds.sum(axis=1, keepdims=True)


def _most_likely(
    categories: dict[str, float], biases: dict[str, float], safety_floor: float | None = None
) -> str:
    if safety_floor is not None and categories[Category.SAFETY_HARASSMENT] >= safety_floor:
        return Category.SAFETY_HARASSMENT
    return max(
        CATEGORIES,
        key=lambda c: float(np.log(categories[c] + 1e-9)) + biases.get(c, 0.0),
    )


# -- artifacts --------------------------------------------------------------------------------

_lock = threading.Lock()
_loaded: dict[Path, Reader] = {}
_directory: Path | None = None


def set_directory(path: Path) -> None:
    """Where readers are written and read (create_app sets the configured MODEL_DIR)."""
    global _directory
    _directory = Path(path)


def directory() -> Path:
    if _directory is not None:
        return _directory
    configured = os.environ.get("MODEL_DIR")
    if configured:
        return Path(configured)
    from core.config import INSTANCE_DIR

    return INSTANCE_DIR / "models"


def save(reader: Reader, where: Path | None = None, card_text: str = "") -> Path:
    """Write ``reader-<version>.joblib`` (and its card) and make it the current reader."""
    where = where or directory()
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"reader-{reader.version}.joblib"
    _atomic(path, lambda f: joblib.dump(reader, f, compress=3))
    _atomic(where / f"reader-{reader.version}.json", lambda f: f.write(_card_json(reader)))
    if card_text:
        _atomic(where / f"reader-{reader.version}.md", lambda f: f.write(card_text.encode()))
    _atomic(where / "current", lambda f: f.write(reader.version.encode()))
    return path


def _card_json(reader: Reader) -> bytes:
    return json.dumps(reader.card, indent=2, sort_keys=True, default=str).encode()


def _atomic(path: Path, write: Any) -> None:
    # Several workers may start at once: each writes its own file and renames it in place.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path) -> Reader | None:
    """The reader at ``path``; None when it is missing or made by another version of us."""
    try:
        reader = joblib.load(path)
    except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError) as exc:
        log.warning("reader %s cannot be loaded (%s): it will be rebuilt", path, exc)
        return None
    if (
        not isinstance(reader, Reader)
        or reader.format != FORMAT
        or reader.sklearn_version != sklearn.__version__
    ):
        log.warning("reader %s was made by another version: it will be rebuilt", path)
        return None
    return reader


def current() -> Reader:
    """This process's reader: the one ``surveys train`` made current, else one built now from
    the packaged corpus alone (and saved, so the next process loads it)."""
    where = directory()
    with _lock:
        if where in _loaded:
            return _loaded[where]
        reader = None
        pointer = where / "current"
        if pointer.exists():
            reader = load(where / f"reader-{pointer.read_text().strip()}.joblib")
        if reader is None or _is_stale(reader):
            reader = _build_from_corpus(where)
        _loaded[where] = reader
        return reader


def refresh() -> Reader:
    """:func:`current`, loaded again first if ``surveys train`` has made another reader
    current since this process loaded its own. A worker calls this before each job, so its
    work horses, which inherit the worker's reader, read with the one staff last trained."""
    where = directory()
    pointer = where / "current"
    with _lock:
        held = _loaded.get(where)
        if held is not None and pointer.exists() and pointer.read_text().strip() != held.version:
            del _loaded[where]
    return current()


def forget() -> None:
    """Drop loaded readers, so the next :func:`current` reads what is on disk now."""
    with _lock:
        _loaded.clear()


def _is_stale(reader: Reader) -> bool:
    # A reader built from the corpus alone is rebuilt when the corpus changed under it; one that
    # staff trained with their corrections stays until they train again.
    from surveys import corpus

    if reader.card.get("rows", {}).get("corrections"):
        return False
    return reader.settings != Settings() or reader.card.get("corpus") != corpus.load().fingerprint()


def _build_from_corpus(where: Path) -> Reader:
    from surveys import corpus
    from surveys.reader_training import train  # training builds on the reader defined here

    loaded = corpus.load()
    log.info("building the reader from the corpus (%d replies)", len(loaded.examples))
    reader = train(loaded.examples)
    reader.card["corpus"] = loaded.fingerprint()
    try:
        save(reader, where)
    except OSError as exc:  # a read-only directory: this process still has its reader
        log.warning("reader %s could not be saved in %s: %s", reader.version, where, exc)
    return reader
