"""rules.toml: the pattern dialect, the checks on the file, and the must-catch scan."""

from __future__ import annotations

import pytest

from surveys.categories import CATEGORIES
from surveys.rules import RulesError, compile_patterns, parse, ruleset


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("still ... not", "still have not got it", True),
        ("still ... not", "still fine. not bad", False),  # not across sentences
        ("still ... not", "still a b c d e f g not", False),  # more than six words apart
        ("harass*", "he keeps harassing her", True),
        ("harass*", "unharassed", False),
        ("what's", "whats up", True),
        ("# weeks", "two weeks", True),
        ("# weeks", "12 weeks", True),
        ("part[- ]?time", "part time", True),
        ("badge", "badges", False),
        ("Badge", "badge", True),
        ("pay ?stub", "paystub", True),  # " ?" is an optional space
        ("pay ?stub", "pay stub", True),
        ("i'm out\\s*[.!]*$", "if it happens again i'm out", True),  # "\\s*" stays a regex
        ("i'm out\\s*[.!]*$", "i'm outside", False),
    ],
)
def test_compile_patterns_dialect_matches_words(pattern: str, text: str, found: bool) -> None:
    assert bool(compile_patterns([pattern]).search(text)) is found


RULE = """
[[must_catch]]
id = "{id}"
category = "{category}"
priority = "{priority}"
patterns = {patterns}
"""


def _one(
    id: str = "weapon",
    category: str = "safety_harassment",
    priority: str = "urgent",
    patterns: str = '["gun"]',
    extra: str = "",
) -> str:
    return RULE.format(id=id, category=category, priority=priority, patterns=patterns) + extra


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_one(category="nope"), "id='weapon': unknown category 'nope'"),
        (_one(category="none"), "unknown category 'none'"),
        (_one(priority="asap"), "priority must be one of urgent, high, normal, low"),
        (_one(patterns="[]"), "field 'patterns' must be a list of non-empty strings"),
        (_one(patterns='["(unclosed"]'), "pattern '(unclosed' does not compile"),
        (_one() + _one(), "id='weapon': duplicate id"),
        (_one(extra='colour = "red"\n'), "unknown field(s) colour"),
        ('[[must_catch]]\ncategory = "how_to"\n', "[[must_catch]] #1: missing field 'id'"),
        ("[rule]\nid = 1\n", "unknown table(s) rule"),
        ("must_catch = 3", "must be written as [[must_catch]] tables"),
        ("[[must_catch]\n", "rules.toml: "),
    ],
)
def test_parse_refuses_malformed_rules_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(RulesError) as error:
        parse(text)
    assert message in str(error.value)


def test_scan_picks_the_most_urgent_rule_then_file_order() -> None:
    rules = parse(
        _one(id="pay", category="timecard_pay", priority="high", patterns='["short"]')
        + _one(id="gun", patterns='["gun"]')
        + _one(id="gun-2", patterns='["gun"]')
    )
    found = rules.scan("check is short and he has a GUN")
    assert found is not None
    assert (found[0].id, found[1]) == ("gun", "gun")
    assert rules.scan("all good") is None


def test_scan_ignores_a_hit_inside_a_look_alike() -> None:
    rules = parse(_one(patterns='["guns?"]', extra='except = ["nail guns?"]\n'))
    assert rules.scan("my nail gun jammed again") is None
    assert rules.scan("the nail gun is fine but he showed me a gun") is not None


@pytest.mark.parametrize(
    "text",
    [
        "a guy in the parking lot pulled a gun on me",
        "I cut my hand on the slicer and it was bleeding everywhere",
        "my lead threatened to kill me",
        "some days I want to die",
        "mi supervisor me amenazó con golpearme",
        "el cliente traía una pistola",
    ],
)
def test_packaged_rules_catch_the_unforgivable_misses(text: str) -> None:
    found = ruleset().scan(text)
    assert found is not None
    assert found[0].category == "safety_harassment"
    assert found[0].priority == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "my scanner gun will not scan",
        "the nail gun needs oil",
        "la pistola de silicon no sirve",
        "armed forces veterans get a discount here",
        "everything is fine",
    ],
)
def test_packaged_rules_leave_look_alikes_alone(text: str) -> None:
    assert ruleset().scan(text) is None


def test_packaged_rules_use_known_categories() -> None:
    assert {rule.category for rule in ruleset().rules} <= set(CATEGORIES) - {"none"}


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("the manager touched me inappropriately", True),
        ("2. guy on the line grabbed my butt in the cooler", True),
        ("el supervisor me manoseó en la bodega", True),
        ("me tocó las nalgas al pasar", True),
        ("she grabbed me a coffee on the way in, sweet of her", False),
        ("he touched my shoulder to get my attention", False),
    ],
)
def test_ruleset_unwanted_sexual_touching_is_caught_and_look_alikes_are_not(
    text: str, caught: bool
) -> None:
    found = ruleset().scan(text)
    assert (found is not None and found[0].id == "sexual-touching") is caught
