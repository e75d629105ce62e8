"""Signing in and out, roles, and CSRF, through the Flask test client with CSRF switched on."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff import throttle
from staff.models import AuditEvent
from tests.conftest import FrozenClock
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_staff_user,
    make_ticket,
)
from tests.staff_helpers import csrf_token, sign_in

PASSWORD = DEFAULT_STAFF_PASSWORD


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _signed_in(client: Any) -> bool:
    return client.get("/staff/replies").status_code == 200


def test_sign_in_with_right_password_lands_on_the_roles_own_queue(
    app: Flask, client: Any, session: Session
) -> None:
    user = make_staff_user(session, email="sam@example.com", role="support")
    session.commit()

    answer = sign_in(client, "Sam@Example.com ", DEFAULT_STAFF_PASSWORD)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/staff/support"
    page = client.get("/staff/support")
    assert page.status_code == 200
    assert "sam@example.com" in page.get_data(as_text=True)
    [event] = _events(session, "sign_in")
    assert event.staff_user_id == user.id


def test_sign_in_with_wrong_password_stays_signed_out_and_is_audited(
    app: Flask, client: Any, session: Session
) -> None:
    user = make_staff_user(session, email="sam@example.com")
    session.commit()

    answer = sign_in(client, "sam@example.com", "not the password")

    assert answer.status_code == 200
    assert "do not match an active account" in answer.get_data(as_text=True)
    assert not _signed_in(client)
    [event] = _events(session, "sign_in_failed")
    assert event.staff_user_id == user.id
    assert "email" not in event.detail
    assert _events(session, "sign_in") == []


def test_sign_in_with_unknown_email_fails_like_a_wrong_password(
    app: Flask, client: Any, session: Session
) -> None:
    answer = sign_in(client, "nobody@example.com", DEFAULT_STAFF_PASSWORD)

    assert answer.status_code == 200
    assert "do not match an active account" in answer.get_data(as_text=True)
    [event] = _events(session, "sign_in_failed")
    assert event.staff_user_id is None
    assert event.detail["email"] == "nobody@example.com"


def test_sign_in_of_switched_off_account_is_refused(
    app: Flask, client: Any, session: Session
) -> None:
    make_staff_user(session, email="gone@example.com", active=False)
    session.commit()

    answer = sign_in(client, "gone@example.com", DEFAULT_STAFF_PASSWORD)

    assert answer.status_code == 200
    assert not _signed_in(client)


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    app: Flask, session: Session
) -> None:
    make_staff_user(session, email="sam@example.com")
    session.commit()

    here = app.test_client()
    answer = sign_in(here, "sam@example.com", DEFAULT_STAFF_PASSWORD, next="/staff/tickets/7")
    assert answer.headers["Location"] == "/staff/tickets/7"

    away = app.test_client()
    answer = sign_in(away, "sam@example.com", DEFAULT_STAFF_PASSWORD, next="//evil.example/x")
    assert answer.headers["Location"] == "/staff/support"


def test_sign_out_ends_the_session(app: Flask, client: Any, session: Session) -> None:
    user = make_staff_user(session)
    session.commit()
    sign_in(client, user.email, DEFAULT_STAFF_PASSWORD)
    token = csrf_token(client.get("/staff/replies").get_data(as_text=True))

    answer = client.post("/staff/sign-out", data={"csrf_token": token})

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/staff/sign-in"
    assert not _signed_in(client)
    [event] = _events(session, "sign_out")
    assert event.staff_user_id == user.id


def test_ticket_and_alert_pages_answer_403_to_the_wrong_role(app: Flask, session: Session) -> None:
    support_ticket = make_ticket(session, team="support")
    care_ticket = make_ticket(session, team="care")
    alert = make_alert(session)
    users = {role: make_staff_user(session, role=role) for role in ("support", "care", "admin")}
    session.commit()
    expected = {
        ("support", f"/staff/tickets/{support_ticket.id}"): 200,
        ("support", f"/staff/tickets/{care_ticket.id}"): 200,
        ("support", f"/staff/alerts/{alert.id}"): 403,
        ("care", f"/staff/tickets/{support_ticket.id}"): 403,
        ("care", f"/staff/tickets/{care_ticket.id}"): 200,  # handed to Care
        ("care", f"/staff/alerts/{alert.id}"): 200,
        ("admin", f"/staff/tickets/{support_ticket.id}"): 200,
        ("admin", f"/staff/tickets/{care_ticket.id}"): 200,
        ("admin", f"/staff/alerts/{alert.id}"): 200,
    }
    clients = {}
    for role, user in users.items():
        clients[role] = app.test_client()
        sign_in(clients[role], user.email, DEFAULT_STAFF_PASSWORD)

    got = {(role, url): clients[role].get(url).status_code for role, url in expected}

    assert got == expected


def test_post_without_csrf_token_is_refused(app: Flask, client: Any, session: Session) -> None:
    user = make_staff_user(session)
    session.commit()

    answer = client.post(
        "/staff/sign-in", data={"email": user.email, "password": DEFAULT_STAFF_PASSWORD}
    )
    assert answer.status_code == 400
    assert "expired or did not come from this site" in answer.get_data(as_text=True)
    assert not _signed_in(client)

    sign_in(client, user.email, DEFAULT_STAFF_PASSWORD)
    assert client.post("/staff/sign-out").status_code == 400
    assert client.post("/staff/sign-out", data={"csrf_token": "forged"}).status_code == 400
    assert _signed_in(client)


def test_webhook_blueprints_skip_csrf_even_when_registered_after_staff(app: Flask) -> None:
    late_webhooks = Blueprint("late_webhooks", __name__, url_prefix="/late-hooks")
    late_forms = Blueprint("late_forms", __name__, url_prefix="/late-forms")
    late_webhooks.add_url_rule("/in", "receive", lambda: "stored", methods=["POST"])
    late_forms.add_url_rule("/in", "receive", lambda: "stored", methods=["POST"])
    app.register_blueprint(late_webhooks)
    app.register_blueprint(late_forms)
    client = app.test_client()

    assert client.post("/late-hooks/in", data={"Body": "hi"}).status_code == 200
    assert client.post("/late-forms/in", data={"Body": "hi"}).status_code == 400
    # Registered before staff: an unsigned Twilio post is refused by its signature check
    # (403), not by CSRF (400).
    assert client.post("/webhooks/twilio/sms", data={"Body": "hi"}).status_code == 403


def test_each_role_lands_on_its_own_home(app: Flask, session: Session) -> None:
    users = {role: make_staff_user(session, role=role) for role in ("support", "care", "admin")}
    session.commit()

    homes = {
        role: sign_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD).headers["Location"]
        for role, user in users.items()
    }

    assert homes == {
        "support": "/staff/support",
        "care": "/staff/care",
        "admin": "/staff/dashboard",
    }


def test_repeated_failures_on_one_account_slow_it_down_then_wear_off(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_staff_user(session, email="sam@example.com")
    session.commit()
    for _ in range(throttle.FREE_PER_ACCOUNT):
        assert sign_in(app.test_client(), "sam@example.com", "wrong").status_code == 200

    # The right password from this address now waits: no password is even checked.
    refused = sign_in(app.test_client(), "SAM@example.com", DEFAULT_STAFF_PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert len(_events(session, "sign_in_throttled")) == 1
    assert len(_events(session, "sign_in_failed")) == throttle.FREE_PER_ACCOUNT

    clock.advance(seconds=31)
    assert sign_in(app.test_client(), "sam@example.com", "wrong again").status_code == 200
    clock.advance(seconds=31)  # the wait doubled
    assert sign_in(app.test_client(), "sam@example.com", DEFAULT_STAFF_PASSWORD).status_code == 429
    clock.advance(seconds=30)
    answer = sign_in(app.test_client(), "sam@example.com", DEFAULT_STAFF_PASSWORD)
    assert answer.status_code == 302
    # Signing in clears the account's count: one slip later costs nothing.
    assert sign_in(app.test_client(), "sam@example.com", "typo").status_code == 200
    assert sign_in(app.test_client(), "sam@example.com", DEFAULT_STAFF_PASSWORD).status_code == 302


def test_repeated_failures_from_one_address_slow_every_account_from_it(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_staff_user(session, email="sam@example.com")
    session.commit()
    for n in range(throttle.FREE_PER_ADDRESS):
        sign_in(app.test_client(), f"guess{n}@example.com", "wrong")

    here = sign_in(app.test_client(), "sam@example.com", DEFAULT_STAFF_PASSWORD)
    assert here.status_code == 429
    # The same account from another network is not held back by this one's failures.
    assert _sign_in_from(app.test_client(), "10.0.0.9", "sam@example.com", PASSWORD) == 302
    clock.advance(minutes=16)  # failures older than the window no longer count
    assert sign_in(app.test_client(), "sam@example.com", DEFAULT_STAFF_PASSWORD).status_code == 302


def _sign_in_from(client: Any, address: str, email: str, password: str) -> int:
    """Sign in from ``address`` (REMOTE_ADDR); returns the answer's status."""
    where = {"REMOTE_ADDR": address}
    page = client.get("/staff/sign-in", environ_base=where)
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email}
    answer = client.post("/staff/sign-in", data={**form, "password": password}, environ_base=where)
    return int(answer.status_code)


def _signed_in_once(client: Any, address: str, email: str) -> None:
    """This browser signed in to ``email`` before (and so holds its device cookie), then out."""
    assert _sign_in_from(client, address, email, DEFAULT_STAFF_PASSWORD) == 302
    token = csrf_token(client.get("/staff/replies").get_data(as_text=True))
    client.post("/staff/sign-out", data={"csrf_token": token})


def test_sign_in_after_twenty_failures_from_a_stranger_lets_the_owner_in_from_elsewhere(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_staff_user(session, email="boss@example.com", role="admin")
    session.commit()
    stranger = "198.51.100.66"
    for _ in range(20):
        _sign_in_from(app.test_client(), stranger, "boss@example.com", "guess")
    assert _sign_in_from(app.test_client(), stranger, "boss@example.com", PASSWORD) == 429

    assert _sign_in_from(app.test_client(), "203.0.113.9", "boss@example.com", PASSWORD) == 302


def test_sign_in_from_a_browser_that_signed_in_before_gets_in_at_the_guessers_address(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_staff_user(session, email="boss@example.com", role="admin")
    session.commit()
    office = "198.51.100.66"
    own_browser = app.test_client()
    _signed_in_once(own_browser, office, "boss@example.com")
    for n in range(25):  # someone at the same address guesses, at this account and others
        email = "boss@example.com" if n % 2 else f"guess{n}@example.com"
        _sign_in_from(app.test_client(), office, email, "guess")
    assert _sign_in_from(app.test_client(), office, "boss@example.com", PASSWORD) == 429

    assert _sign_in_from(own_browser, office, "boss@example.com", PASSWORD) == 302
    [known] = [e for e in _events(session, "sign_in") if e.detail["known_browser"]]
    assert known.detail["address"] == office


def test_sign_in_failures_from_a_known_browser_slow_that_browser_alone(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_staff_user(session, email="sam@example.com")
    make_staff_user(session, email="kim@example.com")
    session.commit()
    here = "203.0.113.9"
    browser = app.test_client()
    _signed_in_once(browser, here, "sam@example.com")
    for _ in range(throttle.FREE_PER_ACCOUNT):
        assert _sign_in_from(browser, here, "sam@example.com", "typo") == 200

    assert _sign_in_from(browser, here, "sam@example.com", PASSWORD) == 429
    # Sam's cookie says nothing about Kim's account, and the address itself is not held.
    assert _sign_in_from(browser, here, "kim@example.com", PASSWORD) == 302
    assert _sign_in_from(app.test_client(), here, "sam@example.com", PASSWORD) == 302


def test_sign_in_guessing_spread_over_many_addresses_holds_each_of_them_not_the_owner(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_staff_user(session, email="boss@example.com", role="admin")
    session.commit()
    botnet = [f"198.51.100.{n}" for n in range(1, throttle.ATTACK_ADDRESSES + 1)]
    for address in botnet:
        assert _sign_in_from(app.test_client(), address, "boss@example.com", "guess") == 200
    clock.advance(minutes=5)

    # One miss each, far below what one address may have: the account is being guessed at.
    assert _sign_in_from(app.test_client(), botnet[0], "boss@example.com", PASSWORD) == 429
    assert _sign_in_from(app.test_client(), "203.0.113.9", "boss@example.com", PASSWORD) == 302
    clock.advance(minutes=11)  # the misses age out of the window
    assert _sign_in_from(app.test_client(), botnet[0], "boss@example.com", PASSWORD) == 302


def test_sign_in_failures_from_one_ipv6_subscriber_count_together(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_staff_user(session, email="sam@example.com")
    session.commit()
    for n in range(throttle.FREE_PER_ACCOUNT):
        _sign_in_from(app.test_client(), f"2001:db8:1:2::{n + 1:x}", "sam@example.com", "guess")

    assert _sign_in_from(app.test_client(), "2001:db8:1:2::ff", "sam@example.com", PASSWORD) == 429
