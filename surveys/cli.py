"""``flask --app wsgi surveys ...``: survey commands.

``surveys analyze`` is how reply analysis is measured, so its interface stays stable: one JSON
object for a TEXT argument, or one JSON object per row (JSON lines, in order) for ``--csv FILE``
with a ``text`` column. ``surveys campaign`` adds a one-off campaign
(:func:`outreach.campaigns.create_campaign`).
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime
from typing import TextIO

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.clock import now
from core.db import db
from outreach.campaigns import CampaignError, Segment, create_campaign
from outreach.flow_defaults import install_defaults
from outreach.models import Contractor
from outreach.schedule import local_today
from surveys import must_catch, rules
from surveys.analysis import analyze

surveys_cli = AppGroup("surveys", help="Surveys and reply analysis.")


@surveys_cli.command("analyze")
@click.argument("text", required=False)
@click.option(
    "--csv",
    "csv_file",
    type=click.File("r", encoding="utf-8-sig"),
    help="Read replies from the 'text' column of this CSV file ('-' for stdin).",
)
@click.option(
    "--scale",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    help="Top of the survey's rating scale.",
)
def analyze_command(text: str | None, csv_file: TextIO | None, scale: int) -> None:
    """Print what analysis reads in TEXT, or in every row of --csv FILE, as JSON."""
    in_force = _must_catch_in_force()
    if text is not None and csv_file is None:
        click.echo(json.dumps(analyze(text, scale, must_catch=in_force).as_dict()))
        return
    if csv_file is None or text is not None:
        raise click.UsageError("give either TEXT or --csv FILE")
    reader = csv.DictReader(csv_file)
    columns = {name.strip().lower(): name for name in reader.fieldnames or ()}
    if "text" not in columns:
        found = ", ".join(reader.fieldnames or ()) or "none"
        raise click.UsageError(f"{csv_file.name}: no 'text' column (columns found: {found})")
    column = columns["text"]
    for row in reader:
        click.echo(json.dumps(analyze(row[column] or "", scale, must_catch=in_force).as_dict()))


def _must_catch_in_force() -> rules.Ruleset:
    """What the worker scans with: rules.toml and the staff phrases in the app's database.
    Without a database (an app that configures none, or one not migrated yet) rules.toml
    alone, said on stderr, so the command still reads replies."""
    if "SETTINGS" not in current_app.config:
        return rules.ruleset()
    try:
        with db.session() as session:
            return must_catch.in_force(session)
    except SQLAlchemyError as exc:
        click.echo(
            f"staff must-catch phrases not read ({type(exc).__name__}); rules.toml only",
            err=True,
        )
        return rules.ruleset()


@surveys_cli.command("train")
@click.option(
    "--folds",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Cross-validation folds for the model card (0 or 1: none).",
)
@click.option(
    "--corrections/--no-corrections",
    default=True,
    show_default=True,
    help="Learn from staff corrections in the database too.",
)
def train_command(folds: int, corrections: bool) -> None:
    """Rebuild the reader from surveys/corpus and staff corrections, and make it current.

    Writes reader-<version>.joblib, its model card (.md) and figures (.json) to MODEL_DIR.
    Workers started after this load it; running ones keep theirs until they restart.
    """
    from surveys import corpus, reader, training

    loaded = corpus.load()
    for error in loaded.errors:
        click.echo(f"left out: {error}", err=True)
    with db.session() as session:
        trained = training.train(
            session if corrections else None,
            folds=folds,
            where=reader.directory(),
            loaded=loaded,
            trained_at=now(),
        )
    card = trained.reader.card
    click.echo(
        f"Reader {trained.reader.version}: {card['rows']['train']} train + {card['rows']['dev']} "
        f"dev corpus rows, {card['rows']['corrections']} staff correction(s); written to "
        f"{trained.path}"
    )
    for lang, figures in sorted(card["test"].items()):
        labels = figures["labels"]
        click.echo(
            f"  test split {lang}: {figures['rows']} replies, category macro-F1 "
            f"{figures['macro_f1']}, negative P {labels['negative']['precision']} "
            f"R {labels['negative']['recall']}"
        )


# Which option each field of a refused campaign comes from, so the error names it.
_CAMPAIGN_OPTIONS = {
    "survey": "SURVEY_KEY",
    "name": "--name",
    "send_on": "--on",
    "tenure": "--tenure-band",
}
_TENURE_BAND = re.compile(r"(\d+)?\s*(-|\+)\s*(\d+)?")


def _tenure_band(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[int | None, int | None]:
    """``30-90`` (days 30 to 90), ``45+`` or ``45-`` (day 45 on), ``-30`` (up to day 30)."""
    if value is None:
        return None, None
    match = _TENURE_BAND.fullmatch(value.strip())
    low, high = (match.group(1), match.group(3)) if match else (None, None)
    if not match or (low is None and high is None) or (match.group(2) == "+" and high):
        raise click.BadParameter(
            f"{value!r} is not a band of days on the assignment such as 30-90, 45+ or -30"
        )
    return (int(low) if low else None), (int(high) if high else None)


@surveys_cli.command("campaign")
@click.argument("survey_key")
@click.option("--name", required=True, help="What staff call this campaign.")
@click.option(
    "--on",
    "send_on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="The day it goes out (YYYY-MM-DD), in each contractor's own time zone.",
)
@click.option("--client", help="Only contractors placed with this client.")
@click.option("--account-manager", help="Only contractors of this account manager.")
@click.option(
    "--tenure-band",
    callback=_tenure_band,
    metavar="BAND",
    help="Only contractors this many days into the assignment on that day: 30-90, 45+, -30.",
)
def campaign_command(
    survey_key: str,
    name: str,
    send_on: datetime,
    client: str | None,
    account_manager: str | None,
    tenure_band: tuple[int | None, int | None],
) -> None:
    """Send survey SURVEY_KEY once, on one day, to a segment of the roster.

    The tick plans its invitations on that day like cadence ones (windows, consent, pacing,
    reminders); a criterion left out matches everyone.
    """
    segment = Segment(
        client=client,
        account_manager=account_manager,
        tenure_min_days=tenure_band[0],
        tenure_max_days=tenure_band[1],
    )
    day = send_on.date()
    with db.session() as session:
        try:
            campaign = create_campaign(
                session,
                survey_key=survey_key,
                name=name,
                send_on=day,
                segment=segment,
                today=_earliest_today(session),
            )
        except CampaignError as exc:
            hint = _CAMPAIGN_OPTIONS.get(exc.field, exc.field)
            raise click.BadParameter(str(exc).partition(": ")[2], param_hint=f"'{hint}'") from None
        matching = _matching_now(session, Segment.of(campaign), day)
        created = (
            f"Created campaign {campaign.id} {campaign.name!r}: survey {survey_key} on "
            f"{day.isoformat()} to {_describe(Segment.of(campaign))}."
        )
    click.echo(created)
    click.echo(f"{matching} active contractor(s) match it on the roster as it is now.")


def _earliest_today(session: Session) -> date:
    # The day is each contractor's own, so "today" is the earliest one across the roster's
    # zones: a campaign for today stays allowed where today has not ended.
    current = now()
    zones = session.scalars(select(Contractor.timezone).distinct())
    return min((local_today(zone, current) for zone in zones), default=current.date())


def _matching_now(session: Session, segment: Segment, day: date) -> int:
    rows = session.execute(
        select(
            Contractor.client,
            Contractor.account_manager,
            Contractor.start_date,
            Contractor.end_date,
        ).where(Contractor.status == "active")
    )
    return sum(
        segment.matches(client, manager, start, end, day) for client, manager, start, end in rows
    )


def _describe(segment: Segment) -> str:
    parts = []
    if segment.client:
        parts.append(f"client {segment.client}")
    if segment.account_manager:
        parts.append(f"account manager {segment.account_manager}")
    low, high = segment.tenure_min_days, segment.tenure_max_days
    if low is not None or high is not None:
        if high is None:
            parts.append(f"from day {low} of the assignment")
        else:
            parts.append(f"days {low or 0}-{high} of the assignment")
    return ", ".join(parts) if parts else "every active contractor"


@surveys_cli.command("install-flows")
def install_flows_command() -> None:
    """Add the default survey flows (first-week check-in, 30-day NPS, end of assignment) that
    this database does not have yet; flows staff have edited are left as they are."""
    with db.session() as session:
        added = install_defaults(session)
        session.commit()
    click.echo(f"survey flows added: {', '.join(added) if added else 'none (all there)'}")
