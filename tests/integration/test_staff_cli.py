"""`flask staff create-user`, run through Flask's CLI runner against the test database."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff.models import AuditEvent, StaffUser
from tests.factories import make_staff_user
from tests.staff_helpers import sign_in

PASSWORD = "a long enough password"


def _users(session: Session) -> list[StaffUser]:
    session.expire_all()
    return list(session.scalars(select(StaffUser)))


def test_create_user_reads_password_from_stdin_and_the_user_can_sign_in(
    app: Flask, session: Session
) -> None:
    result = app.test_cli_runner().invoke(
        args=["staff", "create-user", "Kim@Example.com", "--role", "care", "--password-stdin"],
        input=PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert "Created care user kim@example.com" in result.output
    [user] = _users(session)
    assert (user.email, user.role) == ("kim@example.com", "care")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)
    [event] = session.scalars(select(AuditEvent))
    assert (event.action, event.target_id) == ("staff_user_created", user.id)
    answer = sign_in(app.test_client(), "kim@example.com", PASSWORD)
    assert answer.headers["Location"] == "/staff/care"


def test_create_user_prompts_for_password_twice(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["staff", "create-user", "lee@example.com", "--role", "ADMIN"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    [user] = _users(session)
    assert user.role == "admin"
    assert user.check_password(PASSWORD)


def test_create_user_refuses_an_unknown_role_naming_the_option(
    app: Flask, session: Session
) -> None:
    result = app.test_cli_runner().invoke(
        args=["staff", "create-user", "x@example.com", "--role", "boss", "--password-stdin"],
        input=PASSWORD,
    )

    assert result.exit_code == 2
    assert "'--role'" in result.output and "'boss' is not one of" in result.output
    assert _users(session) == []


def test_create_user_refuses_a_duplicate_email(app: Flask, session: Session) -> None:
    make_staff_user(session, email="sam@example.com")
    session.commit()

    result = app.test_cli_runner().invoke(
        args=["staff", "create-user", "SAM@example.com", "--role", "care", "--password-stdin"],
        input=PASSWORD,
    )

    assert result.exit_code == 1
    assert "a staff user with email sam@example.com already exists" in result.output
    assert len(_users(session)) == 1


def test_create_user_refuses_a_bad_email_or_a_short_password(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()

    bad_email = runner.invoke(
        args=["staff", "create-user", "not-an-email", "--role", "care", "--password-stdin"],
        input=PASSWORD,
    )
    short = runner.invoke(
        args=["staff", "create-user", "ok@example.com", "--role", "care", "--password-stdin"],
        input="short\n",
    )

    assert bad_email.exit_code == 2
    assert "EMAIL" in bad_email.output and "not an email address" in bad_email.output
    assert short.exit_code == 1
    assert "password must be at least 8 characters" in short.output
    assert _users(session) == []
