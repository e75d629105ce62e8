"""A staff user's notification settings; admins' notification log and canned replies."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from core.db import request_session
from staff import canned
from staff.auth import any_staff, role_required
from staff.forms import ActionForm, choices
from staff.models import Role, StaffUser
from staff.notify import outbox, preferences
from staff.notify.jobs import send_notification
from staff.notify.models import Notification, NotificationStatus
from staff.views import bp, commit_form, commit_or_flash, done


class NotifySettingsForm(ActionForm):
    by_email = BooleanField("Email me about urgent work")
    slack_url = StringField("Slack incoming webhook URL", validators=[Optional(), Length(max=500)])
    teams_url = StringField(
        "Microsoft Teams incoming webhook URL", validators=[Optional(), Length(max=500)]
    )
    on_call = BooleanField("I am on call for my team")
    daily_digest = BooleanField("Send me a daily digest of my team's other open work (after 08:00)")
    known_as = StringField(
        "The name the roster gives as account manager", validators=[Optional(), Length(max=200)]
    )
    timezone = StringField("My time zone", validators=[Optional(), Length(max=64)])
    submit = SubmitField("Save")


class CannedReplyForm(ActionForm):
    title = StringField("Title", validators=[Length(max=120)])
    language = SelectField(
        "Language", choices=choices([("en", "English"), ("es", "Spanish")]), validate_choice=False
    )
    body = TextAreaField("Reply", validators=[Length(max=1600)], render_kw={"rows": 3})
    submit = SubmitField("Add canned reply")


class RetryForm(ActionForm):
    submit = SubmitField("Try again")


def _render_settings(
    form: NotifySettingsForm | None = None, code: int = 200
) -> ResponseReturnValue:
    session = request_session()
    if form is None:
        mine = preferences.of(session, current_user.id)
        form = NotifySettingsForm(
            formdata=None,
            by_email=mine.by_email,
            slack_url=mine.slack_url or "",
            teams_url=mine.teams_url or "",
            on_call=mine.on_call,
            known_as=mine.known_as or "",
            timezone=mine.timezone,
            daily_digest=mine.daily_digest,
        )
    return render_template("staff/notify_settings.html", form=form), code


@bp.get("/account/notifications")
@any_staff
def notify_settings() -> ResponseReturnValue:
    return _render_settings()


@bp.post("/account/notifications")
@any_staff
def save_notify_settings() -> ResponseReturnValue:
    form = NotifySettingsForm()

    def save(session: Session) -> str:
        preferences.save(
            session,
            current_user.id,
            preferences.Choices(
                known_as=form.known_as.data or "",
                on_call=bool(form.on_call.data),
                by_email=bool(form.by_email.data),
                slack_url=form.slack_url.data or "",
                teams_url=form.teams_url.data or "",
                timezone=form.timezone.data or "",
                daily_digest=bool(form.daily_digest.data),
            ),
            current_app.config["SETTINGS"],
        )
        return "Your notification settings are saved."

    if commit_form(form, save):
        return redirect(url_for(".notify_settings"), 303)
    return _render_settings(form, 400)


@bp.get("/admin/notifications")
@role_required(Role.ADMIN)
def notification_log() -> ResponseReturnValue:
    session = request_session()
    # Failures first: they are what an admin must act on.
    trouble = case(
        (Notification.status.in_([NotificationStatus.FAILED, NotificationStatus.NO_RECIPIENT]), 0),
        (Notification.status == NotificationStatus.RETRYING, 1),
        else_=2,
    )
    rows = session.scalars(
        select(Notification).order_by(trouble, Notification.id.desc()).limit(300)
    ).all()
    names = dict(session.execute(select(StaffUser.id, StaffUser.email)).all())
    return render_template(
        "staff/notifications.html", rows=rows, names=names, retry_form=RetryForm(formdata=None)
    )


@bp.post("/admin/notifications/<int:notification_id>/retry")
@role_required(Role.ADMIN)
def retry_notification(notification_id: int) -> ResponseReturnValue:
    session = request_session()
    if RetryForm().validate_on_submit():
        outbox.retry_now(session, notification_id)
        session.commit()
        status = send_notification(notification_id)
        done(f"Notification #{notification_id}: {status}.")
    return redirect(url_for(".notification_log"), 303)


def _render_canned(form: CannedReplyForm | None = None, code: int = 200) -> ResponseReturnValue:
    session = request_session()
    return (
        render_template(
            "staff/canned_replies.html",
            replies=canned.everything(session),
            form=form or CannedReplyForm(formdata=None),
            switch_form=RetryForm(formdata=None),
            variables=canned.VARIABLES,
        ),
        code,
    )


@bp.get("/admin/canned-replies")
@role_required(Role.ADMIN)
def canned_replies() -> ResponseReturnValue:
    return _render_canned()


@bp.post("/admin/canned-replies")
@role_required(Role.ADMIN)
def create_canned_reply() -> ResponseReturnValue:
    form = CannedReplyForm()

    def create(session: Session) -> str:
        canned.create(
            session,
            form.title.data or "",
            form.language.data or "",
            form.body.data or "",
            by=current_user.id,
        )
        return "Canned reply added."

    if commit_form(form, create):
        return redirect(url_for(".canned_replies"), 303)
    return _render_canned(form, 400)


@bp.post("/admin/canned-replies/<int:reply_id>/switch")
@role_required(Role.ADMIN)
def switch_canned_reply(reply_id: int) -> ResponseReturnValue:
    if RetryForm().validate_on_submit():

        def switch(session: Session) -> str:
            reply = canned.set_active(session, reply_id, on=None, by=current_user.id)
            return f"{reply.title!r} is now {'in use' if reply.active else 'switched off'}."

        commit_or_flash(switch)
    return redirect(url_for(".canned_replies"), 303)
