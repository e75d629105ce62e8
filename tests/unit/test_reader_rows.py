"""The reader's own row arithmetic against scikit-learn's: same features, same probabilities.

``Reader._rows`` recomputes TF-IDF rows without scikit-learn's batch machinery (for speed);
if it ever drifts from ``TfidfVectorizer.transform`` and ``LogisticRegression.predict_proba``,
every answer the service gives drifts with it, so it is held to them on real replies."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from surveys import corpus, reader, reader_features

# Replies of every kind the corpus has, plus the edges: nothing, emoji, words no reply used.
EDGES = ["", "4", "👍👍", "zzqx vvbn", "STOP", "¿Cuándo me pagan? $45.50 a las 4:30pm", "a" * 500]


@pytest.fixture(scope="module")
def model() -> reader.Reader:
    return reader.current()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    examples = corpus.load().examples
    return [e.text for e in examples[::17]] + EDGES  # every 17th: ~400 replies, both languages


def test_reader_rows_equal_scikit_learn_features(model: reader.Reader, texts: list[str]) -> None:
    expected = model.features(texts).toarray()
    for row, (columns, values) in enumerate(model._rows(texts, None)):
        got = np.zeros(expected.shape[1])
        got[columns] = values
        np.testing.assert_allclose(got, expected[row], rtol=0, atol=1e-12, err_msg=texts[row])


def test_reader_reads_the_probabilities_scikit_learn_predicts(
    model: reader.Reader, texts: list[str]
) -> None:
    x = model.features(texts)
    categories = model.category_model.predict_proba(x)
    if model.nb_model is not None:  # the category odds blend in naive Bayes' (Settings.nb_weight)
        ngrams = x[:, : model.nb_model.feature_log_prob_.shape[1]]
        share = model.settings.nb_weight
        categories = (1 - share) * categories + share * model.nb_model.predict_proba(ngrams)
    classes = [str(c) for c in model.category_model.classes_]
    readings = model.read_many(texts)
    # What training chooses thresholds on is what reading gives.
    batch, _ = model.probabilities(x)
    np.testing.assert_allclose(batch, categories, rtol=0, atol=1e-9)
    for row, reading in enumerate(readings):
        for i, name in enumerate(classes):
            assert reading.probabilities[name] == pytest.approx(
                round(categories[row, i], 4), abs=1e-4
            )
        for name, binary in model.binary_models.items():
            expected = binary.predict_proba(x[row])[0, 1]
            assert reading.probabilities[name] == pytest.approx(round(expected, 4), abs=1e-4)


def test_reader_rows_of_a_batch_equal_rows_one_at_a_time(
    model: reader.Reader, texts: list[str]
) -> None:
    batch = model.read_many(texts[:40])
    alone = [model.read(t) for t in texts[:40]]
    assert batch == alone


def test_reader_opt_out_model_reads_the_probability_scikit_learn_predicts(
    model: reader.Reader, texts: list[str]
) -> None:
    own = model.opt_out_model
    assert own is not None  # Settings.opt_out_words is on in the shipped reader
    prepared = [reader_features.prepare(t) for t in texts]
    x = sparse.hstack([own.words.transform(prepared), own.chars.transform(prepared)], "csr")
    expected = own.model.predict_proba(x)[:, 1]
    np.testing.assert_allclose(own.probability(prepared), expected, rtol=0, atol=1e-9)
    for row, reading in enumerate(model.read_many(texts[:40])):
        got = reading.probabilities[reader.OPT_OUT_WORDS]
        assert got == pytest.approx(round(expected[row], 4), abs=1e-4)
