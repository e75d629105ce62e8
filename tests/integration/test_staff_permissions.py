"""Who may open what: every staff route, read from the app's URL map, for every role.

A route added without an entry in ALLOWED fails the first test, so no page ships unchecked.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from staff.models import StaffUser
from staff.notify.models import CannedReply, Notification
from staff.work_models import SavedView
from surveys.models import MustCatchPhrase
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_response,
    make_staff_user,
    make_ticket,
)
from tests.integration.test_staff_work import make_survey
from tests.staff_helpers import csrf_token, signed_in

EVERYONE = frozenset({"support", "care", "admin"})
ADMIN = frozenset({"admin"})
SUPPORT = frozenset({"support", "admin"})
CARE = frozenset({"care", "admin"})

# Who may use each staff route. The ticket routes are tried on a ticket Support holds, so
# Care is refused them (Care opens only tickets handed to Care).
ALLOWED: dict[str, frozenset[str]] = {
    "staff.index": EVERYONE,
    "staff.sign_out": EVERYONE,
    "staff.change_password": EVERYONE,
    "staff.flagged_replies": EVERYONE,
    "staff.contractors": EVERYONE,
    "staff.contractor": EVERYONE,
    "staff.reply_to_contractor": EVERYONE,
    "staff.dashboard": EVERYONE,
    "staff.needs_look": EVERYONE,
    "staff.review_reply": EVERYONE,
    "staff.reader_page": ADMIN,
    "staff.support_queue": SUPPORT,
    "staff.ticket": SUPPORT,
    "staff.claim_ticket": SUPPORT,
    "staff.assign_ticket": SUPPORT,
    "staff.ticket_status": SUPPORT,
    "staff.ticket_note": SUPPORT,
    "staff.hand_off_ticket": SUPPORT,
    "staff.resolve_ticket": SUPPORT,
    "staff.care_queue": CARE,
    "staff.alert": CARE,
    "staff.acknowledge_alert": CARE,
    "staff.log_outreach": CARE,
    "staff.escalate_alert": CARE,
    "staff.resolve_alert": CARE,
    "staff.surveys": ADMIN,
    "staff.survey": ADMIN,
    "staff.users": ADMIN,
    "staff.create_user": ADMIN,
    "staff.change_user": ADMIN,
    "staff.audit_log": ADMIN,
    "staff.export_page": ADMIN,
    "staff.export_replies": ADMIN,
    "staff.reading_rules_page": ADMIN,
    "staff.add_must_catch": ADMIN,
    "staff.switch_must_catch": ADMIN,
    "staff.reply_on_ticket": SUPPORT,
    "staff.reply_on_alert": CARE,
    "staff.notify_settings": EVERYONE,
    "staff.save_notify_settings": EVERYONE,
    "staff.notification_log": ADMIN,
    "staff.retry_notification": ADMIN,
    "staff.canned_replies": ADMIN,
    "staff.create_canned_reply": ADMIN,
    "staff.switch_canned_reply": ADMIN,
    "staff.unknown_senders_page": EVERYONE,
    "staff.link_unknown_sender": EVERYONE,
    # The queue routes are tried on the Support queue (``queue`` in _objects).
    "staff.save_view": SUPPORT,
    "staff.delete_view": SUPPORT,
    "staff.bulk_action": SUPPORT,
    "staff.resolve_linked": EVERYONE,
    "staff.set_reply_state": EVERYONE,
    "staff.consent_download": ADMIN,
    "staff.flows": ADMIN,
    "staff.flow": ADMIN,
    "staff.flow_dry_run": ADMIN,
    "staff.nps_report": EVERYONE,
    "staff.tasks": EVERYONE,
}
PUBLIC = {"staff.sign_in", "staff.static"}


def _routes(app: Flask, ids: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every protected staff route; signing out comes last."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint in PUBLIC:
            continue
        built = rule.build({name: ids[name] for name in rule.arguments})
        assert built is not None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, built[1]))
    return sorted(found, key=lambda r: (r[0] == "staff.sign_out", r))


def _objects(session: Session) -> tuple[dict[str, Any], dict[str, StaffUser]]:
    contractor = make_contractor(session)
    ticket = make_ticket(session, contractor_id=contractor.id, team="support")
    alert = make_alert(session, contractor_id=contractor.id)
    response = make_response(session, contractor_id=contractor.id)
    survey = make_survey(session)
    phrase = MustCatchPhrase(phrase="black mold", category="safety_harassment", priority="high")
    session.add(phrase)
    users = {role: make_staff_user(session, role=role) for role in sorted(EVERYONE)}
    other = make_staff_user(session, role="support")
    notification = Notification(
        key="ticket:permissions",
        kind="urgent",
        ticket_id=ticket.id,
        channel="email",
        address="",
        status="failed",
        attempts=5,
    )
    canned_reply = CannedReply(title="Thanks", language="en", body="Thanks {first_name}")
    view = SavedView(staff_user_id=users["support"].id, queue="support", name="Mine", filters={})
    session.add_all([notification, canned_reply, view])
    session.commit()
    ids = {
        "ticket_id": ticket.id,
        "alert_id": alert.id,
        "contractor_id": contractor.id,
        "survey_id": survey.id,
        "user_id": other.id,
        "response_id": response.id,
        "phrase_id": phrase.id,
        "notification_id": notification.id,
        "reply_id": canned_reply.id,
        "view_id": view.id,
        "queue": "support",
        "kind": "csv",
    }
    return ids, users


def test_every_staff_route_has_a_permission_rule(app: Flask) -> None:
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")
    }

    assert endpoints - PUBLIC == set(ALLOWED), "add the new route to ALLOWED and mind its roles"


def test_every_staff_route_sends_anonymous_visitors_to_sign_in(
    app: Flask, session: Session
) -> None:
    ids, _users = _objects(session)
    client = app.test_client()
    token = csrf_token(client.get("/staff/sign-in").get_data(as_text=True))
    got, expected = {}, {}
    for _endpoint, method, url in _routes(app, ids):
        if method == "GET":
            answer = client.get(url)
        else:
            answer = client.post(url, data={"csrf_token": token})
        location = answer.headers.get("Location", "")
        got[(method, url)] = (answer.status_code, location.split("?")[0])
        expected[(method, url)] = (302, "/staff/sign-in")

    assert got == expected
    assert len(got) == sum(1 for _ in _routes(app, ids)) >= len(ALLOWED)


def _outcome(answer: Any) -> str:
    if answer.status_code == 403:
        return "forbidden"
    if answer.status_code >= 500:
        return f"error {answer.status_code}"
    if answer.headers.get("Location", "").startswith("/staff/sign-in?next="):
        return "sent to sign in"
    return "allowed"


def test_every_staff_route_answers_403_to_the_wrong_role(app: Flask, session: Session) -> None:
    ids, users = _objects(session)
    got, expected = {}, {}
    for role, user in users.items():
        staff = signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)
        for endpoint, method, url in _routes(app, ids):
            answer = staff.get(url) if method == "GET" else staff.post(url)
            got[(role, method, url)] = _outcome(answer)
            expected[(role, method, url)] = "allowed" if role in ALLOWED[endpoint] else "forbidden"

    assert got == expected


def test_every_staff_form_posted_without_its_csrf_token_is_refused(
    app: Flask, session: Session
) -> None:
    ids, users = _objects(session)
    staff = signed_in(app.test_client(), users["admin"].email, DEFAULT_STAFF_PASSWORD)
    posts = [url for _e, method, url in _routes(app, ids) if method == "POST"]
    posts.append("/staff/sign-in")

    got = {url: staff.client.post(url, data={}).status_code for url in posts}
    forged = {url: staff.client.post(url, data={"csrf_token": "x"}).status_code for url in posts}

    assert got == dict.fromkeys(posts, 400)
    assert forged == dict.fromkeys(posts, 400)
    assert staff.get("/staff/dashboard").status_code == 200  # still signed in
