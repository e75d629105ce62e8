"""The reader's decisions around its model: the safety floor and when its opt-out counts."""

from __future__ import annotations

import dataclasses

from surveys import reader
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
