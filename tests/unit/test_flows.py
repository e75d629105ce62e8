"""Survey flows as data: parsing with errors that name the field, branching, reading an
answer for a step, referrals, and the move an answer makes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from outreach import flows
from outreach.flow_defaults import DEFAULTS, NPS_30_DAY
from surveys.conversations import decide
from surveys.flow_answers import read_answer, referral


def _nps() -> dict[str, Any]:
    return copy.deepcopy(NPS_30_DAY)


def test_flow_defaults_parse_and_every_text_is_one_gsm7_segment() -> None:
    for _name, raw, _cadence in DEFAULTS.values():
        for shown in flows.preview(flows.parse(raw)):
            assert shown.encoding == "GSM-7", shown
            assert shown.segments <= 2, shown


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda f: f["steps"]["score"].update(kind="stars"), "steps.score.kind"),
        (lambda f: f["steps"]["what_happened"]["text"].pop("es"), "steps.what_happened.text.es"),
        (
            lambda f: f["steps"]["score"]["branches"][0].update(goto="nowhere"),
            "steps.score.branches[0].goto",
        ),
        (
            lambda f: f["steps"]["score"]["branches"][0]["when"].update(max=11),
            "steps.score.branches[0].when.max",
        ),
        (
            lambda f: f["steps"]["referral"]["branches"][0].update(goto="score"),
            "steps.referral.branches[0].goto",
        ),
        (
            lambda f: f["steps"]["referral"]["branches"][0].update(goto="end:nope"),
            "steps.referral.branches[0].goto",
        ),
        (lambda f: f["steps"]["referral"]["text"].update(en="Hi {nombre}"), "text.en"),
        (lambda f: f.update(first="missing"), "first"),
        (lambda f: f.update(timeout_hours=0), "timeout_hours"),
        (lambda f: f["steps"]["referral"]["branches"][0].update(task="lunch"), "task"),
    ],
)
def test_flow_parse_refuses_a_broken_flow_naming_the_field(change: Any, where: str) -> None:
    raw = _nps()
    change(raw)
    with pytest.raises(flows.FlowError) as caught:
        flows.parse(raw)
    assert where in str(caught.value)


def test_flow_branch_by_score_band_goes_to_the_step_for_that_band() -> None:
    flow = flows.parse(_nps())
    step = flow.step("score")
    assert decide(flow, "score", read_answer(step, "0"), reasked=False).goto == "what_happened"
    assert decide(flow, "score", read_answer(step, "6"), reasked=False).goto == "what_happened"
    assert decide(flow, "score", read_answer(step, "8"), reasked=False).goto == "end:thanks"
    assert decide(flow, "score", read_answer(step, "a 10"), reasked=False).goto == "referral"


def test_flow_answer_that_does_not_fit_is_asked_again_once_then_takes_the_default() -> None:
    flow = flows.parse(_nps())
    answer = read_answer(flow.step("score"), "who is this?")
    assert not answer.fits and answer.text == "who is this?"
    assert decide(flow, "score", answer, reasked=False).kind == "reask"
    assert decide(flow, "score", answer, reasked=True).goto == "end:thanks"


def test_flow_yes_no_choice_and_category_branches_match_their_answers() -> None:
    raw = {
        "first": "want",
        "steps": {
            "want": {
                "kind": "yes_no",
                "text": {"en": "Want more?", "es": "Quieres mas?"},
                "branches": [
                    {"when": {"answer": "yes"}, "goto": "which", "task": "redeployment"},
                    {"goto": "end"},
                ],
            },
            "which": {
                "kind": "choice",
                "options": ["days", "nights"],
                "text": {"en": "1 days or 2 nights?", "es": "1 dias o 2 noches?"},
                "branches": [{"when": {"choice": "nights"}, "goto": "why"}, {"goto": "end"}],
            },
            "why": {
                "kind": "text",
                "text": {"en": "Why?", "es": "Por que?"},
                "branches": [{"when": {"category": "timecard_pay"}, "goto": "end"}],
            },
        },
    }
    flow = flows.parse(raw)
    yes = decide(flow, "want", read_answer(flow.step("want"), "Si, claro"), reasked=False)
    assert (yes.goto, yes.task) == ("which", flows.TaskKind.REDEPLOYMENT)
    assert decide(flow, "want", read_answer(flow.step("want"), "nope"), reasked=False).goto == "end"
    nights = read_answer(flow.step("which"), "2")
    assert nights.choice == "nights"
    assert decide(flow, "which", nights, reasked=False).goto == "why"
    assert read_answer(flow.step("which"), "Nights please").choice == "nights"
    pay = read_answer(flow.step("why"), "pay", "timecard_pay")
    assert flow.branch_for("why", pay) is not None
    assert flow.branch_for("why", read_answer(flow.step("why"), "pay", "none")) is None


def test_referral_reply_gives_the_name_and_the_number_in_e164() -> None:
    found = referral("Sure, my cousin Maria Lopez 212-555-0199")
    assert found is not None and (found.name, found.phone) == ("Maria Lopez", "+12125550199")
    spanish = referral("Mi prima Ana Ruiz, 55 1234 5678", "MX")
    assert spanish is not None and spanish.name == "Ana Ruiz" and spanish.phone == "+525512345678"
    assert referral("no thanks") is None
