"""Reading whole replies: the rules, the tone and the rating together.

Every example was written for these tests in the words contractors use; none comes from the
evaluation data.
"""

from __future__ import annotations

import json

import pytest

from surveys.analysis import CATEGORIES, analyze

TICKETS = {
    "timecard_pay": [
        "my timecard got kicked back and I don't know why",
        "the time clock didn't record my punch this morning",
        "got paid for 32 hours but worked 40",
        "my stub doesn't show the overtime I worked",
        "I'm missing a whole day on my paycheck",
        "payroll messed up my check again",
        "my direct deposit didn't go through this week",
        "I was shorted 6 hours on my last check",
        "still waiting on my mileage reimbursement from january",
        "my overtime wasn't paid",
        "the client hasn't approved my timesheet and payroll closes today",
        "can't submit my hours, the portal keeps giving an error",
        "2 - they paid me the wrong rate again",
    ],
    "hours_scope": [
        "they added forklift duty on top of my regular job",
        "I was told it was a 3 month contract, now they say 6 weeks",
        "they keep sending me home early",
        "I'm only getting 25 hours instead of 40",
        "they want me working saturdays now, that was never the deal",
        "they keep making me stay late without asking",
        "I'm doing the work of two people since the other temp left",
        "my hours got cut to 20 a week",
        "they switched me to night shift with no warning",
        "this isn't the job I was hired for, I'm just doing data entry",
        "no lunch breaks all week",
    ],
    "client_conflict": [
        "had an argument with a coworker today",
        "my manager ignores my emails and then blames me for delays",
        "people here gossip about the temps",
        "my lead is rude and condescending",
        "the foreman is always on my case for no reason",
        "my supervisor screams at me in front of the whole team",
        "the full time staff won't talk to me",
        "my manager takes credit for my work",
        "there's a lot of tension with my lead",
        "they treat the contractors like second class",
    ],
    "equipment_access": [
        "my badge was deactivated for no reason",
        "can't get into the building without someone letting me in",
        "I need a monitor, working off a tiny laptop screen",
        "IT never sent my credentials",
        "my login to the system still isn't set up",
        "I still can't log in to the VPN",
        "nobody has given me a laptop yet",
        "my key card doesn't open the side door",
        "been locked out of my email since Monday",
        "I don't have the tools I need to do the job",
    ],
    "safety_harassment": [
        "they made a joke about my accent in front of everyone",
        "i was injured lifting boxes and they said not to report it",
        "someone threatened to hit me in the parking lot",
        "there's no ventilation and the paint fumes are making me dizzy",
        "the scaffolding is wobbly and nobody will fix it",
        "a supervisor keeps texting me at night asking me out",
        "my coworker keeps touching me and making comments",
        "one of the guys got hurt on the line today and nobody reported it",
        "the fire exit is blocked with pallets",
        "they have us working on the roof without harnesses",
        "I don't feel safe walking to the parking lot at night",
        "my boss made a comment about my religion",
    ],
    "contact_request": [
        "please give me a call back",
        "what's the best number to reach payroll?",
        "I'd like to talk to my recruiter",
        "could someone from the agency reach out to me",
        "please have my recruiter call me",
        "who should I talk to about extending my contract?",
        "can you send me the email for payroll",
        "call me when you get a chance",
    ],
    "how_to": [
        "is there parking for contractors?",
        "what happens if I need to miss a shift?",
        "am I eligible for benefits after 90 days?",
        "where can I find my W2",
        "how do I set up direct deposit",
        "how do I request time off?",
        "is there a way to get my pay stubs online?",
        "when is payday?",
        "do contractors get the holiday off?",
        "what's the dress code for the new site?",
        "I have a question about my benefits",
    ],
}


PROBLEMS = (
    "timecard_pay",
    "hours_scope",
    "client_conflict",
    "equipment_access",
    "safety_harassment",
)


@pytest.mark.parametrize(
    ("category", "text"), [(c, t) for c, texts in TICKETS.items() for t in texts]
)
def test_analyze_problem_or_request_gets_its_category(category: str, text: str) -> None:
    result = analyze(text)
    assert (result.category, result.quit_intent, result.opt_out) == (category, False, False)
    assert result.rule is not None
    # A problem is negative whatever its tone; a question or a request is not a complaint.
    assert result.negative is (category in PROBLEMS)


def test_analyze_safety_is_urgent_and_wins_over_other_problems() -> None:
    result = analyze("my check is late again and the lead keeps grabbing me")
    assert (result.category, result.priority) == ("safety_harassment", "urgent")
    assert result.rule == "harassment"


@pytest.mark.parametrize(
    "text",
    [
        "I've started applying for other jobs",
        "I'm considering quitting",
        "got another offer and I'm probably taking it",
        "don't think I'll last here much longer",
        "Friday will be my last day",
        "I quit.",
        "consider this my 2 weeks notice",
        "I'm done with this place",
        "interviewing somewhere else next week",
        "honestly ready to walk out",
        "not sure how much longer I can do this",
        "if nothing changes I'm leaving",
    ],
)
def test_analyze_quit_intent_is_negative(text: str) -> None:
    result = analyze(text)
    assert result.quit_intent
    assert result.negative
    assert not result.opt_out


@pytest.mark.parametrize(
    "text", ["STOP", "QUIT", "please remove me from this list", "stop texting me", "Cancel"]
)
def test_analyze_opt_out_is_not_quit_intent_nor_negative(text: str) -> None:
    result = analyze(text)
    assert (result.opt_out, result.quit_intent, result.negative) == (True, False, False)
    assert result.category == "none"


@pytest.mark.parametrize(
    ("text", "rating", "negative"),
    [
        ("5 - great team", 5, False),
        ("3", 3, False),
        ("four, pretty good week", 4, False),
        ("1", 1, True),
        ("2 out of 5", 2, True),
        ("2 - love the people", 2, True),  # a low rating is negative whatever the words
        ("10/10 love this place", 5, False),
        ("5 - long week, tired", 5, False),  # mild words do not outweigh a top rating
        ("5 but my check is wrong", 5, True),  # a problem still does
    ],
)
def test_analyze_rating_counts_towards_negative(text: str, rating: int, negative: bool) -> None:
    result = analyze(text)
    assert (result.rating, result.negative) == (rating, negative)


def test_analyze_low_rating_is_scaled_to_the_survey() -> None:
    assert analyze("4", scale_max=10).negative
    assert not analyze("4", scale_max=5).negative


@pytest.mark.parametrize(
    "text",
    [
        "meh",
        "honestly pretty miserable",
        "stressed out and nobody listens",
        "not great tbh",
        "\U0001f621\U0001f621\U0001f621",
        "the work is boring",
        "still haven't heard back from anyone",
        "asked twice and got ignored",
        "kinda lonely out here",
        "this week sucked",
        "I feel like nobody cares about us temps",
    ],
)
def test_analyze_unhappy_reply_without_a_category_is_negative(text: str) -> None:
    result = analyze(text)
    assert result.negative
    assert result.category == "none"
    assert result.cues


@pytest.mark.parametrize(
    "text",
    [
        "all good, no problems",
        "can't complain",
        "it's ok I guess",
        "loving it so far!",
        "\U0001f44d",
        "Thanks! everything is going well",
        "fine",
        "busy week, but good",
        "no issues with the client",
        "nothing to report, all smooth",
        "the people are nice",
        "learning a lot, happy here",
    ],
)
def test_analyze_content_reply_is_not_negative(text: str) -> None:
    result = analyze(text)
    assert not result.negative
    assert result.category == "none"


def test_analyze_as_dict_is_json_ready() -> None:
    data = analyze("2 - still no badge, nobody answers").as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["rating"] == 2
    assert data["negative"] is True
    assert data["category"] == "equipment_access"
    assert data["category"] in CATEGORIES
    assert data["rule"] == "equipment-or-access-missing"
    assert {"polarity", "quit_intent", "opt_out", "cues", "vader_compound"} <= set(data)
    assert any("nobody" in cue for cue in data["cues"])


def test_analyze_empty_reply_reads_as_nothing() -> None:
    result = analyze("")
    assert (result.rating, result.negative, result.category) == (None, False, "none")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Nobody has approved my hours for two weeks", "timecard_pay"),
        ("I've been working 60 hours a week and only getting paid for 40", "timecard_pay"),
        ("forklift brakes are bad and they won't fix them", "safety_harassment"),
        ("they said my position might be cut next month", "hours_scope"),
    ],
)
def test_analyze_reads_problems_worded_without_the_usual_cue(text: str, category: str) -> None:
    analysis = analyze(text)
    assert analysis.category == category
    assert analysis.negative


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my pay slip says 30 hrs but I worked 38", "timecard_pay"),
        ("three weeks in and haven't seen a dime", "timecard_pay"),
        ("two pay periods now with no paycheck", "timecard_pay"),
        ("the lead punched me out early and I lost an hour of pay", "timecard_pay"),
        ("my stipend was not included this week", "timecard_pay"),
        ("forced overtime every saturday since march", "hours_scope"),
        ("they put me on third shift without asking", "hours_scope"),
        ("no hours scheduled for next week", "hours_scope"),
        ("the gig was meant to last a year and it's over in june", "hours_scope"),
        ("this job is nothing like what the ad promised", "hours_scope"),
        ("the dispatcher told me to shut up on the radio", "client_conflict"),
        ("the supervisor keeps threatening to write me up for nothing", "client_conflict"),
        ("me and the day manager just don't get along", "client_conflict"),
        ("they always give the temps the worst routes", "client_conflict"),
        ("the charge nurse on nights is impossible to work with", "client_conflict"),
        ("still no hi-vis vest or radio after a week", "equipment_access"),
        ("my parking permit is still not sorted out", "equipment_access"),
        ("the label printer keeps dying mid-order", "equipment_access"),
        ("a driver in the yard keeps threatening me", "safety_harassment"),
        ("the racking is not secured and someone is going to get hurt", "safety_harassment"),
    ],
)
def test_analyze_reads_problems_in_everyday_staffing_words(text: str, category: str) -> None:
    analysis = analyze(text)
    assert analysis.category == category
    assert analysis.negative


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Rated 5 of 5, would appreciate a quick call about next month", "contact_request"),
        ("email me when you get a chance", "contact_request"),
        ("I'd like to talk about an extension", "contact_request"),
        ("who do I notify if my train is late?", "how_to"),
    ],
)
def test_analyze_request_in_everyday_words_is_not_a_complaint(text: str, category: str) -> None:
    analysis = analyze(text)
    assert analysis.category == category
    assert not analysis.negative


@pytest.mark.parametrize(
    "text",
    [
        "tomorrow is my last shift, thanks for everything",
        "friday'll be my last day",
        "found a permanent job closer to home",
        "took an offer from another agency",
        "not renewing, I'm moving back to Ohio",
        "no way I'm staying after christmas",
        "I can't take this anymore",
    ],
)
def test_analyze_quit_intent_in_everyday_words(text: str) -> None:
    assert analyze(text).quit_intent


@pytest.mark.parametrize(
    "text",
    [
        "my last shift at the hospital was a good one",
        "the nail gun training was really useful. 5",
        "no one here breathes down my neck, love it",
        "the client is renewing my contract, great news",
        "pay stub matched my hours, thanks",
    ],
)
def test_analyze_everyday_words_near_a_rule_do_not_raise_a_problem(text: str) -> None:
    analysis = analyze(text)
    assert (analysis.category, analysis.quit_intent, analysis.negative) == ("none", False, False)
