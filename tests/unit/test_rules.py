"""rules.toml: the pattern dialect, the checks on the file, and the indexed scan."""

from __future__ import annotations

import pytest

from surveys import rules
from surveys.rules import CATEGORIES, RulesError, compile_pattern, parse, ruleset

HEADER = """
[sentiment]
polarity_below = 0.0
compound_at_most = -0.05
low_rating_share = 0.4
high_rating_share = 0.8

[categories]
problems = ["timecard_pay", "safety_harassment"]
requests = ["how_to"]
"""


def _rules(body: str) -> rules.Ruleset:
    return parse(HEADER + body)


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
        ("cut my ?(hand)?", "cut my hours", True),
        ("i'm out\\s*[.!]*$", "if it happens again i'm out", True),  # "\\s*" stays a regex
        ("i'm out\\s*[.!]*$", "i'm outside", False),
    ],
)
def test_compile_pattern_dialect_matches_words(pattern: str, text: str, found: bool) -> None:
    assert bool(compile_pattern(pattern).regex.search(text)) is found


@pytest.mark.parametrize(
    ("pattern", "keys"),
    [
        ("(no|without) ... (gloves|mask)", {"=no", "=without"}),
        ("harass*", {"=harass", "har"}),
        ("(still )?waiting", {"=still", "=waiting"}),
        (
            "# weeks",
            {
                "#",
                "=one",
                "=two",
                "=three",
                "=four",
                "=five",
                "=six",
                "=seven",
                "=eight",
                "=nine",
                "=ten",
                "=a",
                "=several",
                "=many",
            },
        ),
        ("what's up", {"=what", "=whats"}),
        ("\\w+ later", None),
    ],
)
def test_compile_pattern_records_words_matches_start_with(
    pattern: str, keys: set[str] | None
) -> None:
    found = compile_pattern(pattern).keys
    assert (set(found) if found is not None else None) == keys


def test_parse_orders_ticket_rules_by_priority_then_file_order() -> None:
    ruleset_ = _rules(
        """
[[rule]]
id = "late-pay"
category = "timecard_pay"
priority = "high"
patterns = ["pay ... late"]

[[rule]]
id = "hazard"
category = "safety_harassment"
priority = "urgent"
patterns = ["unsafe"]

[[rule]]
id = "short-pay"
category = "timecard_pay"
priority = "high"
patterns = ["short"]
"""
    )
    assert [rule.id for rule in ruleset_.tickets] == ["hazard", "late-pay", "short-pay"]
    found = ruleset_.scan("pay is late and the ladder is unsafe")
    assert found.ticket is not None and found.ticket[0].id == "hazard"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[rule]]\ncategory = "how_to"\npriority = "low"\npatterns = ["x"]', "missing field 'id'"),
        (
            '[[rule]]\nid = "a"\ncategory = "money"\npriority = "low"\npatterns = ["x"]',
            "id='a': unknown category 'money'",
        ),
        (
            '[[rule]]\nid = "a"\ncategory = "how_to"\npriority = "asap"\npatterns = ["x"]',
            "id='a': priority must be one of",
        ),
        (
            '[[rule]]\nid = "a"\ncategory = "how_to"\npriority = "low"\npatterns = []',
            "id='a': field 'patterns'",
        ),
        (
            '[[rule]]\nid = "a"\ncategory = "how_to"\npriority = "low"\npatterns = ["(x"]',
            "id='a': pattern '(x' does not compile",
        ),
        (
            '[[problem_cue]]\nid = "a"\npatterns = ["x"]\n'
            '[[problem_cue]]\nid = "a"\npatterns = ["y"]',
            "id='a': duplicate id",
        ),
        ("[[quit_intent]]\nid = 3\npatterns = ['x']", "field 'id' must be a str"),
        ("[[rule]", "rules.toml:"),
    ],
)
def test_parse_names_the_rule_and_field_at_fault(body: str, message: str) -> None:
    with pytest.raises(RulesError, match=message.replace("(", r"\(").replace("[", r"\[")):
        _rules(body)


def test_parse_requires_sentiment_thresholds() -> None:
    with pytest.raises(RulesError, match=r"\[sentiment\]: missing field 'high_rating_share'"):
        parse(HEADER.replace("high_rating_share = 0.8", ""))


def test_packaged_rules_cover_every_ticket_category() -> None:
    categories = {rule.category for rule in ruleset().tickets}
    assert categories == set(CATEGORIES) - {"none"}
    safety = {r.priority for r in ruleset().tickets if r.category == "safety_harassment"}
    assert safety == {"urgent"}


SAMPLES = [
    "my check bounced and nobody called me back",
    "still no laptop after two weeks, waiting on IT",
    "the supervisor keeps yelling at me in front of everyone",
    "how do I update my address for my w2",
    "can someone call me tomorrow about my hours",
    "I'm thinking about leaving, this isn't working out",
    "no complaints, all good here",
    "they want me in the office every day but I was promised remote work",
    "there is a gas leak smell by the dock and the lead said to ignore it",
    "haven't been paid for overtime",
    "thanks, great first week!",
    "my paystub is wrong again",
    "the scanner gun keeps dying",
    "this'll be my last week, found another job",
    "no shifts posted and they moved me to nights",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_scan_finds_what_searching_every_pattern_finds(text: str) -> None:
    # The index only skips patterns that cannot match: compare with the brute-force answer.
    rs = ruleset()
    found = rs.scan(text.lower())
    ticket = next((rule for rule in rs.tickets if rule.search(text.lower())), None)
    assert (found.ticket[0] if found.ticket else None) is ticket
    quit_rule = next((rule for rule in rs.quit_intent if rule.search(text.lower())), None)
    assert (found.quit_intent[0] if found.quit_intent else None) is quit_rule
    cues = [rule for rule in rs.problem_cues if rule.search(text.lower())]
    assert [rule for rule, _ in found.problem_cues] == cues
    assert found.all_clear is any(rule.search(text.lower()) for rule in rs.all_clear)


def test_scan_does_not_read_problems_inside_an_all_clear_phrase() -> None:
    found = ruleset().scan("no issues with the client but my badge is not working")
    assert found.all_clear
    assert found.ticket is not None and found.ticket[0].category == "equipment_access"
    assert ruleset().scan("no issues with the client").ticket is None
