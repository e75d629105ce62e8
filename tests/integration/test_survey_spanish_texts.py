"""Spanish survey texts (Survey.translations) written in the survey form: checked like the
English ones, with their SMS cost shown, and sent to Spanish-speaking contractors."""

from __future__ import annotations

from datetime import date
from html import unescape

from flask import Flask
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db
from outreach.models import Survey
from staff.models import AuditEvent
from tests.conftest import FrozenClock
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_staff_user
from tests.integration.conftest import Live
from tests.integration.test_staff_admin import _admin, _survey_form
from tests.integration.test_staff_work import make_survey
from tests.staff_helpers import signed_in

SPANISH_SMS = "Hola {first_name}! Como te va en {client}? Responde 1-{scale_max}. BAJA para salir."


def test_survey_spanish_texts_are_saved_audited_and_costed(app: Flask, session: Session) -> None:
    survey = make_survey(session)
    staff, admin = _admin(app, session)

    answer = staff.post(
        f"/staff/surveys/{survey.id}",
        **_survey_form(
            survey, es_sms_template=SPANISH_SMS, es_email_subject="Como va todo en {client}?"
        ),
    )

    assert answer.status_code == 303
    session.expire_all()
    saved = session.get_one(Survey, survey.id)
    assert saved.translations == {
        "es": {"sms_template": SPANISH_SMS, "email_subject": "Como va todo en {client}?"}
    }
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "survey_edited"))
    assert (event.staff_user_id, event.detail["fields"]) == (admin.id, ["translations"])
    html = staff.page(f"/staff/surveys/{survey.id}")
    assert "Saved text: 1 segment (GSM-7" in html
    assert "BAJA para salir." in html  # the saved text is back in the form


def test_survey_spanish_sms_left_blank_shows_the_default_and_its_cost(
    app: Flask, session: Session
) -> None:
    survey = make_survey(session)
    staff, _ = _admin(app, session)
    html = staff.page(f"/staff/surveys/{survey.id}")
    assert "Default text (" in html and "Responde BAJA o STOP" in html
    assert "segment" in html.split("Default text (", 1)[1].split("</p>", 1)[0]
    answer = staff.post(f"/staff/surveys/{survey.id}", **_survey_form(survey))
    assert answer.status_code == 303
    session.expire_all()
    assert session.get_one(Survey, survey.id).translations is None


def test_survey_spanish_sms_that_costs_more_or_cannot_opt_out_is_refused_naming_the_field(
    app: Flask, session: Session
) -> None:
    survey = make_survey(session, translations={"es": {"email_subject": "Hola"}})
    staff, _ = _admin(app, session)
    for text, words in [
        # "ó" is not GSM-7: every text would go out as UCS-2.
        ("Hola {first_name}, ¿cómo vas? BAJA para salir.", "'ó' (LATIN SMALL LETTER O WITH ACUTE)"),
        ("Hola {first_name}, como vas? Responde 1-5.", "must tell contractors how to opt out"),
        ("Hola {nombre}! BAJA para salir.", "{nombre} is not a placeholder"),
        ("Hola {first_name}! BAJA para salir. " + "x" * 480, "Keep it to 3 segments"),
    ]:
        answer = staff.post(
            f"/staff/surveys/{survey.id}", **_survey_form(survey, es_sms_template=text)
        )
        html = unescape(answer.get_data(as_text=True))
        assert answer.status_code == 400, text
        assert 'id="survey-es_sms_template-error"' in html, text
        assert "The Spanish SMS text" in html and words in html, (text, words)
    session.expire_all()
    assert session.get_one(Survey, survey.id).translations == {"es": {"email_subject": "Hola"}}


def test_survey_spanish_text_written_in_the_form_goes_to_a_spanish_contractor(
    live: Live, clock: FrozenClock
) -> None:
    # Day 3 of the assignment is Monday 2026-03-02, when the clock says 10:00 in New York.
    with db.session() as session:
        survey = make_survey(session, onboarding_days=[3], pulse_every_days=None)
        make_contractor(
            session,
            name="Rosa Diaz",
            phone="+12125550148",
            start_date=date(2026, 2, 27),
            client="Acme",
            language="es",
        )
        admin = make_staff_user(session, role="admin", email="es-admin@example.com")
        session.flush()
        form = _survey_form(survey, es_sms_template=SPANISH_SMS)
    staff = signed_in(live.app.test_client(), admin.email, DEFAULT_STAFF_PASSWORD)
    assert staff.post(f"/staff/surveys/{survey.id}", **form).status_code == 303

    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()

    [sent] = live.sandbox.sms()
    assert sent["body"] == "Hola Rosa! Como te va en Acme? Responde 1-5. BAJA para salir."
