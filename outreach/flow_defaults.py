"""The flows staffing firms run, shipped as editable defaults: a first-week check-in, a 30-day
NPS, and an end-of-assignment ask. :func:`install_defaults` adds the ones missing and leaves
any a firm has edited alone. Texts are GSM-7 (Spanish without accents) so each is one segment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import flows
from outreach.models import Survey

STOP_EN = " Reply STOP to opt out."
STOP_ES = " Responde BAJA o STOP para salir."

FIRST_WEEK: dict[str, Any] = {
    "first": "rating",
    "timeout_hours": 24,
    "steps": {
        "rating": {
            "kind": "rating",
            "text": {
                "en": "Hi {first_name}, how was your first week at {client}? Reply 1-5 "
                "(5 = great)." + STOP_EN,
                "es": "Hola {first_name}, como fue tu primera semana en {client}? Responde "
                "del 1 al 5 (5 = excelente)." + STOP_ES,
            },
            "branches": [{"goto": "better"}],
        },
        "better": {
            "kind": "text",
            "text": {
                "en": "Thanks! What is one thing that could be better?",
                "es": "Gracias! Que es algo que podria ir mejor?",
            },
            "branches": [{"goto": "end:thanks"}],
        },
    },
    "endings": {
        "thanks": {
            "en": "Thank you, {first_name}. Your recruiter will see this.",
            "es": "Gracias, {first_name}. Tu reclutador lo vera.",
        }
    },
}

NPS_30_DAY: dict[str, Any] = {
    "first": "score",
    "timeout_hours": 24,
    "steps": {
        "score": {
            "kind": "nps",
            "text": {
                "en": "Hi {first_name}, how likely are you to recommend us to a friend? "
                "Reply 0-10 (10 = very likely)." + STOP_EN,
                "es": "Hola {first_name}, que tan probable es que nos recomiendes a un amigo? "
                "Responde del 0 al 10 (10 = muy probable)." + STOP_ES,
            },
            "branches": [
                {"when": {"min": 0, "max": 6}, "goto": "what_happened"},
                {"when": {"min": 9, "max": 10}, "goto": "referral"},
                {"goto": "end:thanks"},
            ],
        },
        "what_happened": {
            "kind": "text",
            "text": {
                "en": "Sorry to hear that. What happened?",
                "es": "Lamentamos oir eso. Que paso?",
            },
            "branches": [{"goto": "end:sorry"}],
        },
        "referral": {
            "kind": "text",
            "text": {
                "en": "Glad to hear it! Know someone who would be great here? Reply with "
                "their name and number and we will reach out.",
                "es": "Que bueno! Conoces a alguien ideal para trabajar aqui? Responde con "
                "su nombre y numero y le escribiremos.",
            },
            "branches": [{"goto": "end:thanks", "task": "referral"}],
        },
    },
    "endings": {
        "thanks": {"en": "Thank you, {first_name}!", "es": "Gracias, {first_name}!"},
        "sorry": {
            "en": "Thank you for telling us. Someone from our team will follow up.",
            "es": "Gracias por contarnos. Alguien de nuestro equipo te contactara.",
        },
    },
}

END_OF_ASSIGNMENT: dict[str, Any] = {
    "first": "another",
    "timeout_hours": 48,
    "steps": {
        "another": {
            "kind": "yes_no",
            "text": {
                "en": "Hi {first_name}, your assignment at {client} ends soon. Want us to "
                "line up another one? Reply YES or NO." + STOP_EN,
                "es": "Hola {first_name}, tu asignacion en {client} termina pronto. Quieres "
                "otra? Responde SI o NO." + STOP_ES,
            },
            "branches": [
                {"when": {"answer": "yes"}, "goto": "end:lining_up", "task": "redeployment"},
                {"goto": "end:thanks"},
            ],
        }
    },
    "endings": {
        "lining_up": {
            "en": "Great! Your recruiter will be in touch about your next assignment.",
            "es": "Excelente! Tu reclutador te contactara para tu proxima asignacion.",
        },
        "thanks": {
            "en": "Thanks, {first_name}. Good luck!",
            "es": "Gracias, {first_name}. Suerte!",
        },
    },
}

# key: (name, flow, survey fields: the cadence)
DEFAULTS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "first-week": (
        "First-week check-in",
        FIRST_WEEK,
        {"onboarding_days": [5], "pulse_every_days": None},
    ),
    "nps-30": ("30-day NPS", NPS_30_DAY, {"onboarding_days": [30], "pulse_every_days": None}),
    "end-of-assignment": (
        "End of assignment",
        END_OF_ASSIGNMENT,
        {"onboarding_days": [], "pulse_every_days": None, "days_before_end": 10},
    ),
}


def survey_for(key: str, **overrides: Any) -> Survey:
    """A new survey row running the default flow ``key`` (not added to any session)."""
    name, raw, cadence = DEFAULTS[key]
    flow = flows.parse(raw)
    fields = flows.survey_fields(flow)
    first = flow.step(flow.first)
    values: dict[str, Any] = {
        "key": key,
        "name": name,
        "question": first.text["en"],
        "scale_max": fields["scale_max"],
        "sms_template": fields["sms_template"],
        "email_subject": name,
        "email_template": fields["sms_template"],
        "translations": {
            "es": {
                "sms_template": fields["spanish_sms"],
                "email_subject": name,
                "email_template": fields["spanish_sms"],
            }
        },
        "flow": raw,
        **cadence,
    }
    values.update(overrides)
    return Survey(**values)


def install_defaults(session: Session, **overrides: Any) -> list[str]:
    """Add the default flows a database does not have yet; returns the keys added."""
    have = set(session.scalars(select(Survey.key).where(Survey.key.in_(DEFAULTS))))
    added = [key for key in DEFAULTS if key not in have]
    for key in added:
        session.add(survey_for(key, **overrides))
    session.flush()
    return added
