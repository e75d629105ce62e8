"""Demo data for `make run`: a roster spread around the globe, a survey, staff logins, and
weeks of history (see ``demo.history``) so that every staff page has something to show."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from core.config import INSTANCE_DIR
from core.db import db
from demo import conversation as demo_conversation
from demo import flows as demo_flows
from demo import history as demo_history
from demo.promises import seed_promises
from outreach import consent_log
from outreach.models import Channel, Contractor, Survey
from outreach.schedule import local_today, zone
from staff import sla
from staff.models import Role, StaffUser

DEMO_SURVEY_KEY = "demo-pulse"
# Zones about three hours apart, so that at any moment some contractors are inside the
# 08:00-20:00 window (they get their text at once) and some are not (theirs waits).
DEMO_ROSTER = [
    ("DEMO-001", "Ana Lima", "+14155550101", "America/Los_Angeles", "Acme Logistics", "Dana Reyes"),
    ("DEMO-002", "Ben Carter", "+12125550102", "America/New_York", "Acme Logistics", "Dana Reyes"),
    ("DEMO-003", "Chen Wei", "+18085550103", "Pacific/Honolulu", "Northwind Health", "Sam Okafor"),
    ("DEMO-004", "Dara Nolan", "+442079460104", "Europe/London", "Northwind Health", "Sam Okafor"),
    ("DEMO-005", "Eva Novak", "+493012340105", "Europe/Berlin", "Acme Logistics", "Sam Okafor"),
    ("DEMO-006", "Farah Iqbal", "+912212340106", "Asia/Kolkata", "Northwind Health", "Dana Reyes"),
    ("DEMO-007", "Goro Sato", "+81312340107", "Asia/Tokyo", "Acme Logistics", "Dana Reyes"),
    (
        "DEMO-008",
        "Holly Grant",
        "+61212340108",
        "Australia/Sydney",
        "Northwind Health",
        "Sam Okafor",
    ),
    (
        "DEMO-009",
        "Ivan Petrov",
        "+15125550109",
        "America/Chicago",
        "Northwind Health",
        "Dana Reyes",
    ),
    (
        "DEMO-010",
        "Julia Souza",
        "+551112340110",
        "America/Sao_Paulo",
        "Acme Logistics",
        "Sam Okafor",
    ),
    ("DEMO-011", "Kim Lee", "+13125550111", "America/Chicago", "Acme Logistics", "Dana Reyes"),
]
# The contractors the README's "play a contractor" examples answer as, and their channel.
# Every seed-demo moves them to a zone where it is early afternoon and puts today on day 3 of
# their assignment: their survey goes out at once, so a reply answers it, at any hour.
DEMO_PLAYERS = {"DEMO-001": Channel.SMS, "DEMO-011": Channel.EMAIL}
# US states from the roster: Texas's Sunday-noon rule and 09:00 start apply to Ivan (see
# outreach/data/quiet_hours.toml); New York has no row, so Ben gets the 08:00-20:00 bounds.
DEMO_STATES = {"DEMO-002": "NY", "DEMO-009": "TX"}
AFTERNOON = 13.5  # the local hour the players are moved closest to
# About three hours apart around the globe: one of them is always near AFTERNOON.
PLAYER_ZONES = (
    "Pacific/Honolulu",
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Atlantic/Cape_Verde",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Istanbul",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Bangkok",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)
DEMO_STAFF = [
    ("admin@example.com", Role.ADMIN),
    ("support@example.com", Role.SUPPORT),
    ("care@example.com", Role.CARE),
    # Owns the contractors whose account manager is Dana Reyes: the assignment rules give her
    # their tickets first, and the rest go round robin between her and support@.
    ("dana.reyes@example.com", Role.SUPPORT),
]


def seed_survey(session: Session) -> Survey:
    survey = session.scalar(select(Survey).where(Survey.key == DEMO_SURVEY_KEY))
    if survey is None:
        survey = Survey(
            key=DEMO_SURVEY_KEY,
            name="Assignment pulse",
            question="How is your assignment going, 1-5?",
            scale_max=5,
            sms_template=(
                "Hi {first_name}, how is your assignment at {client} going? "
                "Reply 1-{scale_max} (5 = great) and tell us anything we can fix. "
                "Reply STOP to opt out."
            ),
            email_subject="How is your assignment at {client} going?",
            email_template=(
                "Hi {first_name},\n\nHow is your assignment at {client} going? "
                "Reply to this email with a number from 1 to {scale_max} (5 = great) "
                "and anything we can fix.\n"
            ),
            onboarding_days=[3, 14, 30, 45],
            pulse_every_days=14,
            # Every day, so a demo started at the weekend shows sends too; the hard
            # 08:00-20:00 local bounds still apply.
            weekdays_only=False,
            window_start="08:00",
            window_end="20:00",
        )
        session.add(survey)
    return survey


def seed_roster(session: Session) -> int:
    existing = set(session.scalars(select(Contractor.external_id)))
    created = 0
    consents: list[tuple[str, str]] = []
    for external_id, name, phone, timezone, client, manager in DEMO_ROSTER:
        if external_id in existing:
            continue
        # Day 3 of the assignment in their own zone: the first onboarding pulse is due today.
        start = local_today(timezone) - timedelta(days=3)
        session.add(
            Contractor(
                external_id=external_id,
                name=name,
                phone=phone,
                email=f"{name.split()[0].lower()}@example.com",
                timezone=timezone,
                channel=DEMO_PLAYERS.get(external_id, Channel.SMS),
                start_date=start,
                end_date=start + timedelta(days=180),
                client=client,
                account_manager=manager,
                state=DEMO_STATES.get(external_id),
            )
        )
        consents += [(phone, Channel.SMS), (f"{name.split()[0].lower()}@example.com", "email")]
        created += 1
    # The roster stands for the consent in the onboarding paperwork: it is the first entry of
    # each address's consent record (staff see it on the contractor page).
    consent_log.roster_consent(session, consents, actor="roster:demo")
    return created


def afternoon_zone(at: datetime) -> str:
    """The zone of PLAYER_ZONES where it is closest to AFTERNOON at ``at``."""

    def distance(name: str) -> float:
        local = at.astimezone(zone(name))
        return abs(local.hour + local.minute / 60 - AFTERNOON)

    return min(PLAYER_ZONES, key=distance)


def wake_players(session: Session) -> list[Contractor]:
    """Move the README's example contractors to where it is early afternoon now, on day 3 of
    their assignment there (see DEMO_PLAYERS)."""
    timezone = afternoon_zone(now())
    start = local_today(timezone) - timedelta(days=3)
    players = list(
        session.scalars(
            select(Contractor)
            .where(Contractor.external_id.in_(DEMO_PLAYERS))
            .order_by(Contractor.external_id)
        )
    )
    for player in players:
        player.timezone = timezone
        player.start_date = start
        player.end_date = start + timedelta(days=180)
    return players


def seed_staff(session: Session, passwords_file: Path) -> dict[str, str]:
    """Create the demo logins once; their passwords are kept in instance/ to print each run."""
    known: dict[str, str] = {}
    if passwords_file.exists():
        for line in passwords_file.read_text().splitlines():
            email, _, password = line.partition(" ")
            known[email] = password
    for email, role in DEMO_STAFF:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None or email not in known:
            known[email] = secrets.token_urlsafe(9)
            if user is None:
                user = StaffUser(email=email, role=role)
                session.add(user)
            user.set_password(known[email])
    passwords_file.parent.mkdir(parents=True, exist_ok=True)
    passwords_file.write_text("".join(f"{e} {p}\n" for e, p in known.items()))
    passwords_file.chmod(0o600)
    return known


def seed_demo_history(session: Session, survey: Survey) -> demo_history.Counts:
    """Weeks of replies, tickets and alerts, worked by the demo Support and Care logins."""
    staff = {
        role: session.scalars(select(StaffUser.id).where(StaffUser.email == email)).one()
        for email, role in DEMO_STAFF
    }
    return demo_history.seed_history(session, survey, staff[Role.SUPPORT], staff[Role.CARE])


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Seed the demo roster, survey and staff logins (safe to run again)."""
    with db.session() as session:
        survey = seed_survey(session)
        created = seed_roster(session)
        logins = seed_staff(session, INSTANCE_DIR / "demo-logins.txt")
        session.flush()
        demo_conversation.seed_notify(session, current_app.config["SETTINGS"].sandbox_url)
        players = [
            f"{p.name} {p.email if p.channel == Channel.EMAIL else p.phone} ({p.channel})"
            for p in wake_players(session)
        ]
        history = seed_demo_history(session, survey)
        care_id = session.scalars(
            select(StaffUser.id).where(StaffUser.role == Role.CARE).order_by(StaffUser.id)
        ).first()
        flow_counts = demo_flows.seed_flows(session, care_id or 0)
        staff_ids = dict(
            session.execute(
                select(StaffUser.email, StaffUser.id).where(
                    StaffUser.email.in_(["support@example.com", "care@example.com"])
                )
            ).all()
        )
        promises = seed_promises(
            session,
            {"support": staff_ids["support@example.com"], "care": staff_ids["care@example.com"]},
        )
        demo_conversation.notify_latest_urgent(session)
    click.echo(f"demo: {created} contractors added, survey '{DEMO_SURVEY_KEY}'")
    click.echo(
        f"demo: play a contractor as {' or '.join(players)}: early afternoon where they are "
        "now, so their survey goes out at once (see README)"
    )
    if history.contractors:
        click.echo(
            f"demo: {demo_history.WEEKS} weeks of history: {history.contractors} contractors, "
            f"{history.replies} replies, {history.tickets} tickets, {history.alerts} alerts"
        )
    click.echo(
        f"demo: {flow_counts.added} survey flows added; {flow_counts.conversations} NPS "
        f"conversations, {flow_counts.tasks} referral tasks (see /staff/nps, /staff/flows)"
    )
    click.echo(
        "demo: promises: "
        + ", ".join(f"{n} {sla.STATE_LABELS[s].lower()}" for s, n in sorted(promises.items()))
    )
    base = current_app.config["SETTINGS"].public_base_url
    for email, password in logins.items():
        click.echo(f"demo login: {email} / {password}  ({base}/staff/)")
