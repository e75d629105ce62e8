"""Urgent work reaches the right person by email, Slack and Teams through the sandbox; a
failing channel is retried, recorded and shown, never dropped."""

from __future__ import annotations

import json
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db
from staff.notify import jobs
from staff.notify.channels import slack_payload, teams_payload
from staff.notify.models import Notification, NotifySettings
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_staff_user,
    make_ticket,
)
from tests.integration.conftest import Live
from tests.metrics_helpers import scrape, value
from tests.outreach_helpers import zone_at_midday
from tests.staff_helpers import signed_in

SENT = "pulse_notifications_total"


def _manager(session: Session, live: Live, **choices: Any) -> int:
    user = make_staff_user(session, email="dana@example.com", role="support")
    values: dict[str, Any] = {
        "by_email": True,
        "slack_url": f"{live.sandbox.url}/_hooks/slack/T01",
        "teams_url": f"{live.sandbox.url}/_hooks/teams/T02",
        "on_call": False,
        "daily_digest": False,
        "timezone": "UTC",
        "known_as": "Dana Reyes",
    }
    values.update(choices)
    session.add(NotifySettings(staff_user_id=user.id, **values))
    return user.id


def _rows(session: Session) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).order_by(Notification.channel)))


def test_urgent_safety_ticket_reaches_the_account_manager_by_email_slack_and_teams(
    live: Live,
) -> None:
    sent_before = value(scrape(live.url), SENT, channel="slack", outcome="sent")
    with db.session() as session:
        _manager(session, live)
        ana = make_contractor(session, name="Ana Ortiz", account_manager="Dana Reyes")
        ticket = make_ticket(
            session, contractor_id=ana.id, category="safety_harassment", priority="high"
        )
        session.commit()  # the commit enqueues the notification job
        ticket_id = ticket.id

    live.work()

    emails = [e for e in live.sandbox.emails() if e["to"] == "dana@example.com"]
    hooks = {h["kind"]: h for h in live.sandbox.hooks()}
    assert len(emails) == 1 and f"ticket #{ticket_id}" in emails[0]["subject"]
    assert hooks["slack"]["hook"] == "T01" and f"#{ticket_id}" in hooks["slack"]["payload"]["text"]
    card = hooks["teams"]["payload"]["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and f"#{ticket_id}" in card["body"][0]["text"]
    with db.session() as session:
        assert [(n.channel, n.status, n.attempts) for n in _rows(session)] == [
            ("email", "sent", 1),
            ("slack", "sent", 1),
            ("teams", "sent", 1),
        ]
    assert value(scrape(live.url), SENT, channel="slack", outcome="sent") == sent_before + 1


def test_failing_channel_is_retried_recorded_and_shown_never_dropped(live: Live) -> None:
    with db.session() as session:
        _manager(session, live, by_email=False, teams_url=None)
        admin = make_staff_user(session, role="admin")
        ivan = make_contractor(session, account_manager="dana@example.com")
        make_alert(session, contractor_id=ivan.id, kind="quit_intent", severity="urgent")
        session.commit()
        admin_email = admin.email
    live.sandbox.fail_hook("slack", times=1, status=503)

    live.work()

    with db.session() as session:
        [slack] = _rows(session)
        assert (slack.status, slack.attempts) == ("retrying", 1)
        assert slack.last_error is not None and "HTTP 503" in slack.last_error
        assert slack.next_attempt_at is not None
    assert live.sandbox.hooks() == []
    page = signed_in(live.app.test_client(), admin_email, DEFAULT_STAFF_PASSWORD).page(
        "/staff/admin/notifications"
    )
    assert "retrying" in page and "HTTP 503" in page

    with db.session() as session:  # its time comes: the tick's sweep sends it again
        slack = _rows(session)[0]
        slack.next_attempt_at = slack.created_at
        session.commit()
    assert jobs.sweep()["notifications_retried"] == 1
    live.work()

    with db.session() as session:
        [slack] = _rows(session)
        assert (slack.status, slack.attempts, slack.last_error) == ("sent", 2, None)
    assert [h["kind"] for h in live.sandbox.hooks()] == ["slack"]


def test_channel_that_keeps_failing_ends_failed_and_an_admin_can_retry_it(live: Live) -> None:
    with db.session() as session:
        _manager(session, live, by_email=False, slack_url=None)
        admin = make_staff_user(session, role="admin")
        ticket = make_ticket(
            session,
            contractor_id=make_contractor(session, account_manager="Dana Reyes").id,
            priority="urgent",
        )
        session.commit()
        admin_email, ticket_id = admin.email, ticket.id
    live.sandbox.fail_hook("teams", times=5, status=500)
    for _ in range(5):
        live.work()
        with db.session() as session:
            for row in _rows(session):
                row.next_attempt_at = row.created_at
            session.commit()
        jobs.sweep()

    with db.session() as session:
        [teams] = _rows(session)
        assert (teams.status, teams.attempts) == ("failed", 5)
    staff = signed_in(live.app.test_client(), admin_email, DEFAULT_STAFF_PASSWORD)
    page = staff.page("/staff/admin/notifications")
    assert f"Ticket #{ticket_id}" in page and "failed" in page and "Try again" in page
    [notification_id] = [teams.id]

    answer = staff.post(f"/staff/admin/notifications/{notification_id}/retry")

    assert answer.status_code == 303
    with db.session() as session:
        assert [(n.status, n.attempts) for n in _rows(session)] == [("sent", 6)]


def test_urgent_work_with_nobody_to_tell_is_recorded_for_admins(live: Live) -> None:
    with db.session() as session:
        make_staff_user(session, role="care")  # not on call, not the account manager
        alert = make_alert(session, contractor_id=make_contractor(session).id, kind="quit_intent")
        session.commit()
        alert_id = alert.id

    live.work()

    with db.session() as session:
        [row] = _rows(session)
        assert (row.alert_id, row.status, row.staff_user_id) == (alert_id, "no_recipient", None)


def test_on_call_hears_when_the_account_manager_has_no_account(live: Live) -> None:
    with db.session() as session:
        on_call = make_staff_user(session, role="care", email="oncall@example.com")
        session.add(
            NotifySettings(
                staff_user_id=on_call.id,
                by_email=True,
                on_call=True,
                daily_digest=False,
                timezone="UTC",
            )
        )
        make_alert(session, contractor_id=make_contractor(session).id, severity="urgent")
        session.commit()

    live.work()

    assert [e["to"] for e in live.sandbox.emails()] == ["oncall@example.com"]


def test_replayed_and_swept_notification_jobs_send_once(live: Live) -> None:
    with db.session() as session:
        _manager(session, live)
        ticket = make_ticket(
            session,
            contractor_id=make_contractor(session, account_manager="Dana Reyes").id,
            category="safety_harassment",
        )
        session.commit()
        ticket_id = ticket.id
    live.redis.flushall()  # the job enqueued at commit is lost, as if Redis had been down

    assert jobs.sweep()["notifications_planned"] == 1
    live.work()
    jobs.notify_item("ticket", ticket_id)  # a replayed job
    assert jobs.sweep() == {"notifications_planned": 0, "notifications_retried": 0, "digests": 0}

    assert len(live.sandbox.emails()) == 1 and len(live.sandbox.hooks()) == 2


def _post(url: str, payload: object) -> tuple[int, str]:
    answer = requests.post(url, json=payload, timeout=5)
    return answer.status_code, answer.text


def test_hook_stand_ins_take_documented_shapes_and_refuse_others(live: Live) -> None:
    slack, teams = f"{live.sandbox.url}/_hooks/slack/T", f"{live.sandbox.url}/_hooks/teams/T"
    row = Notification(subject="Urgent <x>", body="Urgent ticket #1 & more", channel="slack")

    assert _post(slack, slack_payload(row, "http://pulse/staff/tickets/1")) == (200, "ok")
    assert _post(teams, teams_payload(row, "http://pulse/staff/tickets/1")) == (200, "1")
    card = {"@type": "MessageCard", "@context": "https://schema.org/extensions", "text": "hi"}
    assert _post(teams, card) == (200, "1")
    assert _post(slack, {"username": "pulse"}) == (400, "no_text")
    assert _post(slack, {"text": "x", "blocks": [{"type": "nope"}]}) == (400, "invalid_blocks")
    assert _post(teams, {"@type": "MessageCard"}) == (400, "Summary or Text is required.")
    wrong = {"type": "message", "attachments": [{"contentType": "text/plain", "content": {}}]}
    assert _post(teams, wrong)[0] == 400
    assert "&lt;x&gt;" not in json.dumps(slack_payload(row, "l"))  # subject is not in Slack's
    assert "&amp; more" in slack_payload(row, "l")["text"]


def test_webhook_url_that_is_not_slacks_is_refused_naming_the_field(live: Live) -> None:
    with db.session() as session:
        user = make_staff_user(session, role="care")
        session.commit()
        email = user.email
    staff = signed_in(live.app.test_client(), email, DEFAULT_STAFF_PASSWORD)

    answer = staff.post(
        "/staff/account/notifications",
        **{"notifysettings-slack_url": "http://169.254.169.254/latest/meta-data"},
    )

    assert answer.status_code == 400
    assert "The Slack webhook URL must be an https URL on hooks.slack.com" in answer.get_data(
        as_text=True
    )
    with db.session() as session:
        assert session.scalars(select(NotifySettings)).all() == []


def test_daily_digest_lists_the_teams_other_open_work_once_a_day(live: Live) -> None:
    with db.session() as session:
        care = make_staff_user(session, role="care", email="casey@example.com")
        session.add(
            NotifySettings(
                staff_user_id=care.id,
                by_email=True,
                on_call=False,
                daily_digest=True,
                timezone=zone_at_midday(),  # their morning has come
            )
        )
        alert = make_alert(session, contractor_id=make_contractor(session).id, severity="normal")
        session.commit()
        alert_id = alert.id

    first = jobs.sweep()["digests"]
    live.work()
    again = jobs.sweep()["digests"]

    [email] = live.sandbox.emails()
    assert (first, again) == (1, 0)
    assert email["to"] == "casey@example.com" and "daily digest" in email["subject"]
    with db.session() as session:
        [row] = [n for n in _rows(session) if n.kind == "digest"]
        assert row.status == "sent" and f"Alert #{alert_id}" in row.body
