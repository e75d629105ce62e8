"""A signed-in session ends for good: at sign-out, on a password change, on switching off."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from staff.models import StaffSession, StaffUser
from staff.throttle import FREE_PER_ACCOUNT
from tests.conftest import FrozenClock
from tests.factories import DEFAULT_STAFF_PASSWORD, make_staff_user
from tests.staff_helpers import Staff, sign_in, signed_in

NEW_PASSWORD = "a much better passphrase"


def _copy_of(browser: Staff, app: Flask) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie, as a thief would."""
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _open(client: FlaskClient) -> bool:
    answer = client.get("/staff/replies")
    if answer.status_code == 302:
        assert "/staff/sign-in" in answer.headers["Location"]
        return False
    assert answer.status_code == 200
    return True


def _two_browsers(app: Flask, session: Session) -> tuple[StaffUser, Staff, Staff]:
    """One staff member signed in twice, on two browsers."""
    user = make_staff_user(session)
    session.commit()
    return (
        user,
        signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD),
        signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD),
    )


def _change_password(browser: Staff, current: str) -> Any:
    return browser.post(
        "/staff/account/password",
        **{"passwordchange-current": current, "passwordchange-password": NEW_PASSWORD},
    )


def _sessions(session: Session, user: StaffUser) -> int:
    session.expire_all()
    query = select(func.count()).where(StaffSession.staff_user_id == user.id)
    return int(session.scalar(query) or 0)


def test_session_cookie_copied_before_sign_out_stops_working_after_it(
    app: Flask, session: Session
) -> None:
    user = make_staff_user(session, role="admin")
    session.commit()
    browser = signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)
    thief = _copy_of(browser, app)
    assert _open(thief)  # the copy works while the session is open

    assert browser.post("/staff/sign-out").status_code == 302

    assert not _open(browser.client)
    assert not _open(thief)
    assert thief.get("/staff/users").status_code == 302
    assert _sessions(session, user) == 0


def test_sign_out_in_one_browser_leaves_the_users_other_browser_signed_in(
    app: Flask, session: Session
) -> None:
    _user, office, laptop = _two_browsers(app, session)

    office.post("/staff/sign-out")

    assert not _open(office.client)
    assert _open(laptop.client)


def test_password_change_ends_the_users_other_sessions_and_keeps_this_one(
    app: Flask, session: Session
) -> None:
    user, here, elsewhere = _two_browsers(app, session)
    copied = _copy_of(here, app)

    answer = _change_password(here, DEFAULT_STAFF_PASSWORD)

    assert answer.status_code == 303
    assert _open(here.client)
    assert _open(copied)  # the same session as this browser: a copy is not told apart
    assert not _open(elsewhere.client)
    assert sign_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD).status_code == 200
    assert sign_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_password_change_with_wrong_current_password_is_refused_naming_the_field(
    app: Flask, session: Session
) -> None:
    _user, here, elsewhere = _two_browsers(app, session)

    answer = _change_password(here, "not it at all")

    assert answer.status_code == 400
    assert "Current password is not right" in answer.get_data(as_text=True)
    assert _open(elsewhere.client)


def test_password_change_guessing_the_current_password_is_throttled(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _user, here, _elsewhere = _two_browsers(app, session)
    for _ in range(FREE_PER_ACCOUNT):
        assert _change_password(here, "a wrong guess").status_code == 400

    answer = _change_password(here, DEFAULT_STAFF_PASSWORD)

    assert answer.status_code == 429
    assert "Too many wrong passwords" in answer.get_data(as_text=True)


def test_password_set_from_the_shell_ends_every_session_of_the_user(
    app: Flask, session: Session
) -> None:
    user = make_staff_user(session)
    session.commit()
    browser = signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)

    result = app.test_cli_runner().invoke(
        args=["staff", "set-password", user.email.upper(), "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert "1 session(s) signed out" in result.output
    assert not _open(browser.client)
    assert sign_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_switching_an_account_off_ends_its_sessions_even_after_it_is_switched_back_on(
    app: Flask, session: Session
) -> None:
    admin = make_staff_user(session, role="admin")
    kim = make_staff_user(session, role="care")
    session.commit()
    boss = signed_in(app.test_client(), admin.email, DEFAULT_STAFF_PASSWORD)
    kims = signed_in(app.test_client(), kim.email, DEFAULT_STAFF_PASSWORD)
    form = f"user{kim.id}"

    boss.post(f"/staff/users/{kim.id}", **{f"{form}-role": "care"})  # box unticked: off
    assert not _open(kims.client)
    boss.post(f"/staff/users/{kim.id}", **{f"{form}-role": "care", f"{form}-active": "y"})

    assert not _open(kims.client)
    assert _sessions(session, kim) == 0


def test_session_older_than_its_lifetime_is_signed_out(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    from staff.sessions import LIFETIME

    user = make_staff_user(session)
    session.commit()
    browser = signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)
    clock.advance(seconds=LIFETIME.total_seconds() - 60)
    assert _open(browser.client)

    clock.advance(minutes=2)

    assert not _open(browser.client)
