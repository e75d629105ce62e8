"""Training the reader: fitting its models on the corpus and choosing thresholds and biases on dev.

:mod:`surveys.reader` is the reader itself and where trained readers are kept; this is how one
is made (:func:`train`), the same data always giving the same version (:func:`version_of`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB

from outreach.keywords import about_messages
from surveys.categories import Category
from surveys.corpus import Example, Split
from surveys.reader import (
    BINARY,
    CORRECTION_WEIGHT,
    FORMAT,
    OPT_OUT_WORDS,
    RECALL_GOALS,
    OptOutModel,
    Reader,
    Settings,
)
from surveys.reader_features import dense, prepare

log = logging.getLogger(__name__)


# Every word, one letter ones too: "a 4", "y", "q" (Spanish SMS for "que") carry meaning.
_WORDS_AND_LETTERS = r"(?u)\b\w+\b"


def _vectorizers(settings: Settings) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    common = {"sublinear_tf": True, "strip_accents": "unicode", "min_df": settings.min_df}
    words = TfidfVectorizer(
        ngram_range=settings.word_ngrams, token_pattern=_WORDS_AND_LETTERS, **common
    )
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=settings.char_ngrams, **common)
    return words, chars


def _opt_out_model(
    prepared: Sequence[str], labels: np.ndarray, settings: Settings, w: np.ndarray | None
) -> OptOutModel:
    common = {"sublinear_tf": True, "strip_accents": "unicode", "min_df": settings.min_df}
    words = TfidfVectorizer(ngram_range=(1, 3), token_pattern=_WORDS_AND_LETTERS, **common)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common)
    x = sparse.hstack([words.fit_transform(prepared), chars.fit_transform(prepared)], format="csr")
    # Balanced: opt-outs are one reply in sixteen, and each must weigh as much as the rest.
    model = LogisticRegression(C=settings.C_binary, class_weight="balanced", max_iter=3000)
    return OptOutModel(words, chars, model.fit(x, labels, sample_weight=w))


def _labels(examples: Sequence[Example], name: str) -> np.ndarray:
    if name == "safety":
        # Its own yes/no model: someone's safety is worth a threshold of its own, chosen for
        # recall, and a yes/no model ranks "is anyone in danger?" better than eight-way odds.
        return np.asarray([e.category == Category.SAFETY_HARASSMENT for e in examples])
    return np.asarray([bool(getattr(e, name)) for e in examples])


def fit(
    examples: Sequence[Example],
    settings: Settings,
    thresholds: dict[str, float] | None = None,
    weights: Sequence[float] | None = None,
) -> Reader:
    """A reader fitted on ``examples`` (thresholds 0.5 unless given)."""
    texts = [e.text for e in examples]
    prepared = [prepare(t) for t in texts]
    words, chars = _vectorizers(settings)
    blocks = [words.fit_transform(prepared), chars.fit_transform(prepared)]
    ngrams = sparse.hstack(blocks, format="csr")
    if settings.dense:
        blocks.append(sparse.csr_matrix(dense(texts, prepared, None)))
    x = sparse.hstack(blocks, format="csr")
    w = None if weights is None else np.asarray(weights)
    categories = [e.category for e in examples]
    category_model = LogisticRegression(
        C=settings.C_category, class_weight="balanced", max_iter=3000
    )
    category_model.fit(x, categories, sample_weight=w)
    nb_model = None
    if settings.nb_weight > 0:
        nb_model = ComplementNB(alpha=settings.nb_alpha).fit(ngrams, categories, sample_weight=w)
        assert list(nb_model.classes_) == list(category_model.classes_)
    binary_models = {}
    for name in BINARY:
        model = LogisticRegression(C=settings.C_binary, class_weight="balanced", max_iter=3000)
        model.fit(x, _labels(examples, name), sample_weight=w)
        binary_models[name] = model
    opt_out_model = None
    if settings.opt_out_words:
        opt_out_model = _opt_out_model(prepared, _labels(examples, "opt_out"), settings, w)
    return Reader(
        version="unversioned",
        settings=settings,
        words=words,
        chars=chars,
        category_model=category_model,
        binary_models=binary_models,
        thresholds=dict(thresholds or dict.fromkeys(BINARY, 0.5)),
        nb_model=nb_model,
        opt_out_model=opt_out_model,
    )


_BIAS_STEPS = tuple(float(b) for b in np.round(np.linspace(-2.0, 2.0, 21), 2))


def choose_biases(reader: Reader, dev: Sequence[Example]) -> dict[str, float]:
    """Per-category biases that give the best macro-F1 on ``dev`` while safety recall stays
    at ``settings.safety_recall`` or above: coordinate ascent over a fixed grid, so
    deterministic.

    Why: class weights make the model's odds comparable, not its mistakes equally costly;
    a missed safety report costs more than any other miss.
    """
    x = reader.features([e.text for e in dev])
    probabilities, _ = reader.probabilities(x)
    classes = reader.classes()
    logp = np.log(probabilities + 1e-9)
    truth = np.asarray([e.category for e in dev])
    present = sorted(set(truth))
    floor = reader._safety_floor()
    floored = (
        probabilities[:, classes.index(Category.SAFETY_HARASSMENT)] >= floor
        if floor is not None
        else np.zeros(len(dev), dtype=bool)
    )

    def objective(bias: np.ndarray) -> float:
        predicted = np.asarray(classes)[(logp + bias).argmax(axis=1)]
        predicted[floored] = Category.SAFETY_HARASSMENT
        f1s = []
        for c in present:
            tp = float(((predicted == c) & (truth == c)).sum())
            fp = float(((predicted == c) & (truth != c)).sum())
            fn = float(((predicted != c) & (truth == c)).sum())
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        safe = truth == Category.SAFETY_HARASSMENT
        recall = float((predicted[safe] == Category.SAFETY_HARASSMENT).mean()) if safe.any() else 1
        shortfall = max(0.0, reader.settings.safety_recall - recall)
        return float(np.mean(f1s)) - 10 * shortfall

    bias = np.zeros(len(classes))
    best = objective(bias)
    for _ in range(3):
        for k in range(len(classes)):
            for step in _BIAS_STEPS:
                trial = bias.copy()
                trial[k] = step
                score = objective(trial)
                if score > best + 1e-9:
                    best, bias = score, trial
    return {c: float(b) for c, b in zip(classes, bias, strict=True)}


def choose_thresholds(reader: Reader, dev: Sequence[Example]) -> dict[str, float]:
    """Per label, the threshold that meets its recall goal on ``dev`` (see RECALL_GOALS)."""
    x = reader.features([e.text for e in dev])
    category_p, binary_p = reader.probabilities(x)
    chosen = {}
    for name, goal in RECALL_GOALS.items():
        if name == Category.SAFETY_HARASSMENT:
            goal = reader.settings.safety_recall
        if name in binary_p:
            scores = binary_p[name]
            truth = _labels(dev, name)
        else:
            scores = category_p[:, reader.classes().index(name)]
            truth = np.asarray([e.category == name for e in dev])
        if name == "opt_out":
            # Only replies the model's opt-out can reach count: analysis honours it for a
            # reply about our messages that reports no problem.
            reachable = np.asarray(
                [e.category == Category.NONE and about_messages(e.text) for e in dev]
            )
            chosen[name] = _no_false_positive(
                scores[reachable], truth[reachable], reader.settings.opt_out_min
            )
        else:
            chosen[name] = _threshold(scores, truth, goal)
    words_p = reader.opt_out_words_probability([e.text for e in dev])
    if words_p is not None:
        # The replies the opt-out model's opt-out can reach: those reporting no problem.
        reachable = np.asarray([e.category == Category.NONE for e in dev])
        chosen[OPT_OUT_WORDS] = _no_false_positive(
            words_p[reachable],
            _labels(dev, "opt_out")[reachable],
            reader.settings.opt_out_words_act,
        )
    return chosen


def _threshold(scores: np.ndarray, truth: np.ndarray, recall_goal: float | None) -> float:
    candidates = np.unique(np.round(scores, 4))
    best, best_f1 = 0.5, -1.0
    positives = truth.sum()
    if not positives:
        return 0.5
    for t in candidates[::-1]:  # from the strictest down
        predicted = scores >= t
        tp = (predicted & truth).sum()
        recall = tp / positives
        precision = tp / predicted.sum() if predicted.sum() else 0.0
        if recall_goal is not None and recall >= recall_goal:
            return float(min(t, 0.5))  # never stricter than even odds
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def _no_false_positive(scores: np.ndarray, truth: np.ndarray, lowest: float = 0.5) -> float:
    # A false opt-out silences a contractor who wanted to be heard: above every non-opt-out
    # reply seen on dev, and never below even odds.
    highest_wrong = scores[~truth].max() if (~truth).any() else 0.0
    return float(max(lowest, min(0.98, highest_wrong + 0.02)))


def version_of(examples: Iterable[Example], settings: Settings, weights: Iterable[float]) -> str:
    digest = hashlib.sha256(repr((FORMAT, sklearn.__version__, settings)).encode())
    for example, weight in zip(examples, weights, strict=True):
        digest.update(
            repr((example.text, example.category, example.negative, example.quit_intent)).encode()
        )
        digest.update(repr((example.opt_out, example.lang, weight)).encode())
    return digest.hexdigest()[:12]


def train(
    corpus_examples: Sequence[Example],
    corrections: Sequence[Example] = (),
    settings: Settings | None = None,
) -> Reader:
    """Fit on train, choose thresholds on dev, then refit on train + dev + corrections.

    The test split is only measured (:mod:`surveys.model_card`), never used here.
    """
    settings = settings or Settings()
    train_rows = [e for e in corpus_examples if e.split is Split.TRAIN]
    dev_rows = [e for e in corpus_examples if e.split is Split.DEV]
    test_words = {e.text.casefold() for e in corpus_examples if e.split is Split.TEST}
    corrections = [c for c in corrections if c.text.casefold() not in test_words]
    first = fit(train_rows, settings)
    thresholds = choose_thresholds(first, dev_rows)
    first.thresholds = thresholds  # the biases are chosen around the safety floor
    biases = choose_biases(first, dev_rows)
    final_rows = [*train_rows, *dev_rows, *corrections]
    weights = [1.0] * (len(train_rows) + len(dev_rows)) + [CORRECTION_WEIGHT] * len(corrections)
    reader = fit(final_rows, settings, thresholds, weights)
    reader.biases = biases
    reader.version = version_of(final_rows, settings, weights)
    reader.card = {
        "version": reader.version,
        "format": FORMAT,
        "sklearn": sklearn.__version__,
        "settings": settings.__dict__,
        "thresholds": thresholds,
        "biases": biases,
        "rows": {
            "train": len(train_rows),
            "dev": len(dev_rows),
            "corrections": len(corrections),
        },
    }
    return reader
