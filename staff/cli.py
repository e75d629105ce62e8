"""``flask --app wsgi staff …``: staff accounts from the shell."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from core.db import db
from staff import accounts, audit
from staff.models import Role

staff_cli = AppGroup("staff", help="Staff accounts.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line, as `echo "$PW" | flask staff create-user …` gives it; a trailing
        # newline is never part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@staff_cli.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role], case_sensitive=False),
    help="support works tickets, care works alerts, admin sees everything.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
def create_user_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user who signs in with EMAIL."""
    try:
        address = accounts.check_email(email)
    except accounts.AccountError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    password = _read_password(password_stdin)
    with db.session() as session:
        try:
            user = accounts.create_user(session, address, role, password)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(session, None, "staff_user_created", "staff_user", user.id, via="cli")
    click.echo(f"Created {user.role} user {user.email} (id {user.id}).")


@staff_cli.command("set-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
def set_password_command(email: str, password_stdin: bool) -> None:
    """Give the staff user EMAIL a new password; every session of theirs ends."""
    password = _read_password(password_stdin)
    with db.session() as session:
        user = accounts.find_by_email(session, email)
        if user is None:
            raise click.BadParameter(f"there is no staff user {email!r}", param_hint="EMAIL")
        try:
            ended = accounts.set_password(session, user, password, by=None)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"New password for {user.email}; {ended} session(s) signed out.")
