"""Staff forms.

Every POST is checked for its CSRF token by the app-wide hook in ``staff/__init__.py``, which
refuses it before any view runs. The sign-in form also checks its own token (Flask-WTF's
default); the action forms leave that to the hook, since several of them share a page and
their templates put the one token in each form with the ``csrf`` macro.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from staff.models import OUTREACH_KINDS, Role


class SignInForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email."), Length(max=320)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField("Sign in")


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select or radio field."""
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    class Meta:
        csrf = False  # checked app-wide before the view runs; see the module docstring

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A prefix per form keeps field ids unique on pages with several forms.
        kwargs.setdefault("prefix", type(self).__name__.removesuffix("Form").lower())
        super().__init__(*args, **kwargs)


def _note(label: str, message: str) -> TextAreaField:
    return TextAreaField(
        label, validators=[DataRequired(message), Length(max=5000)], render_kw={"rows": 3}
    )


class ClaimForm(ActionForm):
    submit = SubmitField("Claim")


class AssignForm(ActionForm):
    assignee = SelectField("Assign to", coerce=str, validate_choice=False)
    submit = SubmitField("Assign")


class StatusForm(ActionForm):
    status = SelectField("Status", validate_choice=False)
    submit = SubmitField("Change status")


class NoteForm(ActionForm):
    body = _note("Internal note (staff only)", "Write the note.")
    submit = SubmitField("Add note")


class HandOffForm(ActionForm):
    reason = _note("Why hand it over", "Say why you hand it over.")
    submit = SubmitField("Hand off")


class ResolveForm(ActionForm):
    resolution = _note("Resolution", "Say how it was resolved.")
    submit = SubmitField("Resolve")


class AcknowledgeForm(ActionForm):
    submit = SubmitField("Acknowledge")


class OutreachForm(ActionForm):
    method = RadioField(
        "How you reached out",
        choices=choices((k.value, k.value.capitalize()) for k in OUTREACH_KINDS),
        default="call",
        validate_choice=False,
    )
    # For a text or an email this is the message the contractor gets (it is sent, then logged).
    note = _note(
        "What came of it (for Text or Email: the message sent)", "Say what came of the outreach."
    )
    submit = SubmitField("Log outreach")


class EscalateForm(ActionForm):
    reason = _note("Why escalate", "Say why it needs escalating.")
    submit = SubmitField("Escalate")


class CloseAlertForm(ActionForm):
    outcome = _note("Outcome", "Say how it ended.")
    submit = SubmitField("Resolve")


class ReplyForm(ActionForm):
    channel = RadioField(
        "Send by",
        choices=choices([("sms", "SMS"), ("email", "Email")]),
        default="sms",
        validate_choice=False,
    )
    subject = StringField("Subject (email only)", validators=[Optional(), Length(max=200)])
    body = TextAreaField(
        "Message",
        validators=[DataRequired("Write the message."), Length(max=20000)],
        render_kw={"rows": 4},
    )
    submit = SubmitField("Send")


class SurveyForm(ActionForm):
    # Plain text fields: staff.survey_admin.check_survey is the one judge of what is valid.
    name = StringField("Name")
    question = StringField("Question")
    scale_max = StringField("Rating scale: 1 to", render_kw={"inputmode": "numeric"})
    sms_template = TextAreaField("SMS text", render_kw={"rows": 3})
    email_subject = StringField("Email subject")
    email_template = TextAreaField("Email text", render_kw={"rows": 6})
    onboarding_days = StringField("Onboarding days after the start (comma-separated)")
    pulse_every_days = StringField(
        "Then every N days until the end (empty: no recurring pulse)",
        render_kw={"inputmode": "numeric"},
    )
    window_start = StringField("Window opens (contractor's local time, HH:MM)")
    window_end = StringField("Window closes (HH:MM)")
    weekdays_only = BooleanField("Weekdays only")
    active = BooleanField("Active")
    # Survey.translations["es"]; blank: our default Spanish wording is sent.
    es_sms_template = TextAreaField("Spanish SMS text", render_kw={"rows": 3, "lang": "es"})
    es_email_subject = StringField("Spanish email subject", render_kw={"lang": "es"})
    es_email_template = TextAreaField("Spanish email text", render_kw={"rows": 6, "lang": "es"})
    submit = SubmitField("Save survey")


ROLE_CHOICES = choices((r.value, r.value.capitalize()) for r in Role)


class NewUserForm(ActionForm):
    email = EmailField("Email", validators=[DataRequired("Enter an email."), Length(max=320)])
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)
    password = PasswordField(
        "Password (8 characters or more)",
        validators=[DataRequired("Enter a password."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create user")


class ChangeUserForm(ActionForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)
    active = BooleanField("Can sign in")
    submit = SubmitField("Save")


class MustCatchForm(ActionForm):
    # Plain fields: staff.reading_rules.check_phrase is the one judge of what is valid.
    phrase = StringField("Phrase", render_kw={"maxlength": 200, "spellcheck": "false"})
    except_phrases = TextAreaField(
        "Look-alikes that must not fire it (one a line, optional)",
        render_kw={"rows": 3, "spellcheck": "false"},
    )
    category = SelectField("Category", validate_choice=False)
    priority = SelectField("Priority", validate_choice=False)
    submit = SubmitField("Add phrase")


class PasswordChangeForm(ActionForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "New password (8 characters or more)",
        validators=[DataRequired("Enter a new password."), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class FlowForm(ActionForm):
    # staff.flow_admin.check_flow is the one judge of what is valid.
    flow = TextAreaField("Flow (JSON)", render_kw={"rows": 24, "spellcheck": "false"})


class DryRunForm(ActionForm):
    contractor = SelectField("Sample contractor", coerce=int, validate_choice=False)
    answers = TextAreaField("Their answers, one a line", render_kw={"rows": 4})
