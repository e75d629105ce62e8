"""Editing survey flows in the staff view: the flow as JSON, checked with errors that name the
field; every SMS's segments and encoding in both languages; a dry run against a contractor
that sends and stores nothing. No Flask here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import flows, templates
from outreach.flows import Flow
from outreach.models import Contractor, Survey
from staff import audit
from staff.errors import NotFound, WorkError
from surveys.analysis import analyze
from surveys.conversations import decide
from surveys.flow_answers import read_answer

MAX_FLOW_CHARS = 20_000


def flow_surveys(session: Session) -> list[Survey]:
    return list(
        session.scalars(select(Survey).where(Survey.flow.is_not(None)).order_by(Survey.name))
    )


def get_flow_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None or survey.flow is None:
        raise NotFound(f"survey flow {survey_id}")
    return survey


def as_text(survey: Survey) -> str:
    return json.dumps(survey.flow, indent=2, ensure_ascii=False)


def check_flow(text: str) -> tuple[dict[str, Any], Flow]:
    """The flow staff wrote, parsed and checked; every SMS text must fit as a survey's does.

    Raises:
        WorkError: on the ``flow`` field, naming the line (bad JSON) or the flow's field.
    """
    if len(text) > MAX_FLOW_CHARS:
        raise WorkError(f"flow: keep it under {MAX_FLOW_CHARS} characters.", "flow")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkError(
            f"flow: line {exc.lineno}, column {exc.colno}: {exc.msg}.", "flow"
        ) from None
    try:
        flow = flows.parse(raw)
        for where, language, template in flow.texts():
            try:
                templates.require_sms_template(template, language)
            except templates.TemplateError as exc:
                message = str(exc).split(": ", 1)[1]
                raise flows.FlowError(f"{where}.text.{language}", message) from None
    except flows.FlowError as exc:
        raise WorkError(f"flow: {exc}", "flow") from None
    return dict(raw), flow


def save_flow(session: Session, survey_id: int, text: str, *, by: int) -> bool:
    """Store the flow; the first step's texts become what the invitation sends. Returns
    whether anything changed."""
    survey = get_flow_survey(session, survey_id)
    raw, flow = check_flow(text)
    if raw == survey.flow:
        return False
    fields = flows.survey_fields(flow)
    survey.flow = raw
    survey.sms_template = fields["sms_template"]
    survey.scale_max = fields["scale_max"]
    translations = {k: dict(v) for k, v in (survey.translations or {}).items()}
    translations.setdefault("es", {})["sms_template"] = fields["spanish_sms"]
    survey.translations = translations
    audit.record(session, by, "flow_edited", "survey", survey.id, steps=list(flow.steps))
    return True


def preview(survey: Survey) -> list[flows.SmsPreview]:
    return flows.preview(flows.parse(survey.flow))


@dataclass(frozen=True)
class DryRunLine:
    who: str  # "us" or "contractor"
    text: str
    note: str = ""


def dry_run(session: Session, survey: Survey, contractor_id: int, answers: str) -> list[DryRunLine]:
    """The conversation ``survey`` would have with the contractor, answering with ``answers``
    (one a line), in their language. Sends and stores nothing.

    Raises:
        WorkError: no such contractor (``contractor``), or no answers (``answers``).
    """
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise WorkError("Choose a contractor for the dry run.", "contractor")
    replies = [line.strip() for line in answers.splitlines() if line.strip()]
    if not replies:
        raise WorkError("Write at least one answer, one a line.", "answers")
    flow = flows.parse(survey.flow)
    language = contractor.language or "en"
    values = templates.values_for(contractor.name, contractor.client, survey.scale_max)
    key, reasked = flow.first, False
    lines = [DryRunLine("us", _render(flow.step(key).text_in(language), values, language))]
    for reply in replies:
        step = flow.step(key)
        scale = step.scale()
        analysis = analyze(reply, scale[1] if scale else 5, language)
        answer = read_answer(step, reply, analysis.category)
        move = decide(flow, key, answer, reasked=reasked)
        note = "fits the step" if answer.fits else "does not fit: kept as a comment"
        if move.task is not None:
            note += f"; makes a {move.task} task"
        lines.append(DryRunLine("contractor", reply, note))
        text = move.text(flow, language)
        if text:
            lines.append(DryRunLine("us", _render(text, values, language)))
        if move.kind == "end":
            lines.append(DryRunLine("us", "", "conversation closed"))
            break
        reasked = move.kind == "reask"
        key = move.goto
    return lines


def _render(template: str, values: dict[str, Any], language: str) -> str:
    return templates.render_sms(template, values, language=language)


def sample_contractors(session: Session, limit: int = 50) -> list[Contractor]:
    return list(
        session.scalars(
            select(Contractor)
            .where(Contractor.status == "active")
            .order_by(Contractor.name)
            .limit(limit)
        )
    )
