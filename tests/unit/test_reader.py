"""The reader's decisions around its model: the safety floor and when its opt-out counts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from outreach.keywords import classify
from surveys import reader, reader_features
from surveys.analysis import analyze
from surveys.categories import CATEGORIES, Category


def _odds(**given: float) -> dict[str, float]:
    rest = (1.0 - sum(given.values())) / (len(CATEGORIES) - len(given))
    return {c: given.get(c, rest) for c in CATEGORIES}


def test_reader_safety_floor_files_a_likely_safety_report_as_safety() -> None:
    # Client conflict is likelier, but a 30% chance that someone is in danger is enough.
    odds = _odds(client_conflict=0.6, safety_harassment=0.3)
    assert reader._most_likely(odds, {}) == Category.CLIENT_CONFLICT
    assert reader._most_likely(odds, {}, safety_floor=0.25) == Category.SAFETY_HARASSMENT
    assert reader._most_likely(odds, {}, safety_floor=0.35) == Category.CLIENT_CONFLICT


def test_reader_safety_floor_is_chosen_on_dev_and_used_when_reading() -> None:
    current = reader.current()
    floor = current.thresholds[Category.SAFETY_HARASSMENT]
    assert 0 < floor <= 0.5
    without = dataclasses.replace(
        current, settings=dataclasses.replace(current.settings, safety_floor=False)
    )
    assert current._safety_floor() == floor
    assert without._safety_floor() is None


def test_analyze_model_opt_out_is_not_honoured_for_a_reply_reporting_a_problem() -> None:
    # A reader that reads an opt-out into every reply: only the gate in analysis is left.
    current = reader.current()
    eager = dataclasses.replace(current, thresholds={**current.thresholds, "opt_out": 0.0})
    eager.__dict__.pop("_stacked", None)
    about_a_shift = analyze("please remove me from the night rotation, I have kids", using=eager)
    assert about_a_shift.category == Category.HOURS_SCOPE
    assert not about_a_shift.opt_out
    plain = analyze("please leave me out of these surveys from now on", using=eager)
    assert plain.category == Category.NONE
    assert plain.opt_out  # no keyword says so: the model's opt-out, let through


def _eager(head: float = 0.0, words: float | None = None, **settings: object) -> reader.Reader:
    # The shipped reader with its opt-out head's threshold at ``head`` (zero: it says "opt-out"
    # to every reply) and the opt-out model's acting bar at ``words`` (None: the model set
    # aside), so only the decision around them is left to test.
    current = reader.current()
    if words is None:
        settings = {"opt_out_words": False, **settings}
    return dataclasses.replace(
        current,
        thresholds={**current.thresholds, "opt_out": head, reader.OPT_OUT_WORDS: words or 0.0},
        settings=dataclasses.replace(current.settings, **settings),  # type: ignore[arg-type]
    )


# No keyword reads an opt-out in this: only the model does.
_MODEL_ONLY = "i am done with these surveys, leave me be"


def test_reader_model_opt_out_below_its_bar_goes_to_needs_a_look_instead() -> None:
    text = _MODEL_ONLY
    assert classify(text) is None
    assert analyze(text, using=_eager(opt_out_act=0.0)).opt_out
    flagged = analyze(text, using=_eager(opt_out_act=1.01))
    assert not flagged.opt_out
    assert "opt_out" in flagged.unsure


def test_reader_model_opt_out_naming_another_way_to_reach_them_goes_to_needs_a_look() -> None:
    eager = _eager(opt_out_act=0.0, opt_out_elsewhere=True)
    for text in (
        "stop sending these to my work email, use my gmail",
        "mejor mándenme las encuestas por correo, no por texto",
        "please stop scheduling me on Sundays",
    ):
        got = analyze(text, using=eager)
        assert not got.opt_out, text
    plain = analyze(_MODEL_ONLY, using=eager)
    assert plain.opt_out
    assert "opt_out" not in plain.unsure


def test_reader_opt_out_keyword_is_never_removed_by_the_model_s_caution() -> None:
    # The model may add opt-outs, never remove one: a keyword's stands whatever else it says.
    careful = _eager(head=1.01, words=1.01, opt_out_act=1.01, opt_out_elsewhere=True)
    for text in ("stop texting me, I only work Sundays now", "STOP", "no me manden más mensajes"):
        assert analyze(text, using=careful).opt_out, text


def test_reader_opt_out_model_acts_on_a_reply_naming_no_message_that_reports_no_problem() -> None:
    # The opt-out model learned the look-alikes: it needs no word about our messages.
    eager = _eager(head=1.01, words=0.0, opt_out_words_unnamed=0.0)
    unlisted = "who is this? i never signed up for anything"
    assert classify(unlisted) is None
    assert analyze(unlisted, using=eager).opt_out
    about_a_shift = analyze("please remove me from the night rotation, I have kids", using=eager)
    assert about_a_shift.category == Category.HOURS_SCOPE
    assert not about_a_shift.opt_out
    # They still want to hear from us, another way.
    assert not analyze("mejor mándenme las encuestas por correo, no por texto", using=eager).opt_out


def test_reader_opt_out_model_unsure_of_a_reply_naming_no_message_sends_it_for_a_look() -> None:
    eager = _eager(head=1.01, words=0.0, opt_out_words_unnamed=1.01)
    unlisted = analyze("who is this? i never signed up for anything", using=eager)
    assert not unlisted.opt_out
    assert "opt_out" in unlisted.unsure  # uncertain, so looked at rather than dropped
    assert analyze(_MODEL_ONLY, using=eager).opt_out


def test_reader_opt_out_model_below_its_bar_goes_to_needs_a_look_instead() -> None:
    flagged = analyze(_MODEL_ONLY, using=_eager(head=1.01, words=1.01))
    assert flagged.probabilities[reader.OPT_OUT_WORDS] >= reader.OPT_OUT_WORDS_LOOK
    assert not flagged.opt_out
    assert "opt_out" in flagged.unsure


def test_reader_elsewhere_words_are_in_the_shipped_vocabulary() -> None:
    # The guard reads the reply's word features: a word the vectoriser never kept is not seen.
    names = set(reader.current().words.get_feature_names_out())
    for word in ("gmail", "sundays", "scheduling", "shift", "use my", "before", "por correo"):
        assert word in names, word
        assert reader_features.ELSEWHERE.fullmatch(word), word


def test_reader_naive_bayes_share_blends_the_two_models_odds() -> None:
    from surveys import corpus, reader_training
    from surveys.corpus import Split

    rows = corpus.load().split(Split.TRAIN)[:600]
    blended = reader_training.fit(rows, reader.Settings(nb_weight=0.25))
    assert blended.nb_model is not None
    texts = [e.text for e in rows[:40]]
    x = blended.features(texts)
    ngrams = x[:, : len(blended.words.vocabulary_) + len(blended.chars.vocabulary_)]
    want = 0.75 * blended.category_model.predict_proba(x) + 0.25 * blended.nb_model.predict_proba(
        ngrams
    )
    got, _ = blended.probabilities(x)
    assert abs(got - want).max() < 1e-9
    assert reader_training.fit(rows, reader.Settings(nb_weight=0.0)).nb_model is None


def test_reader_refresh_keeps_its_reader_until_staff_train_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker refreshes before every job and its work horses inherit what it holds.
    shipped = reader.current()
    (tmp_path / f"reader-{shipped.version}.joblib").symlink_to(
        reader.directory() / f"reader-{shipped.version}.joblib"
    )
    monkeypatch.setattr(reader, "_directory", tmp_path)
    held = dataclasses.replace(shipped, version="before")
    monkeypatch.setitem(reader._loaded, tmp_path, held)
    (tmp_path / "current").write_text("before")
    assert reader.refresh() is held

    (tmp_path / "current").write_text(shipped.version)  # what `surveys train` does last
    trained = reader.refresh()
    assert trained is not held and trained.version == shipped.version
    assert reader.refresh() is trained
