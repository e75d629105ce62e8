"""``flask contractors ...``: the roster from the command line. Thin: the rules live in
:mod:`outreach.roster`."""

from __future__ import annotations

from pathlib import Path

import click
import phonenumbers
from flask import current_app
from flask.cli import AppGroup

from core.db import db
from outreach import consent_export
from outreach.roster import RosterFileError, import_roster, read_roster

contractors_cli = AppGroup("contractors", help="The contractor roster.")

# Exit statuses: 0 every row imported, 1 some rows refused (the rest imported), 2 the file
# was refused as a whole and nothing was imported.
SOME_ROWS_REFUSED = 1
FILE_REFUSED = 2


def _region(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise click.BadParameter(f"{value!r} is not a two-letter region code such as US or GB")
    return region


@contractors_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--region",
    callback=_region,
    help="Read phone numbers without a country code as dialled here "
    "(default: DEFAULT_PHONE_REGION).",
)
@click.option("--dry-run", is_flag=True, help="Check the file and report, but save nothing.")
def import_command(file: Path, region: str | None, dry_run: bool) -> None:
    """Create or update contractors from FILE (CSV, or JSON: a list of objects).

    Columns: external_id, name, phone, email, timezone, channel, start_date, end_date, client,
    account_manager, language, state (or an address to read it from). Rows are matched to
    contractors by external_id. Good rows are saved even
    when others are refused; the exit status is 1 if any row was refused.
    """
    region = region or current_app.config["SETTINGS"].default_region
    try:
        rows = read_roster(file)
    except RosterFileError as exc:
        click.echo(f"{file}: refused, nothing imported: {exc}", err=True)
        raise SystemExit(FILE_REFUSED) from None

    with db.session() as session:
        report = import_roster(session, rows, default_region=region)
        if dry_run:
            session.rollback()

    click.echo(("dry run, nothing saved: " if dry_run else "") + report.summary())
    for error in report.errors:
        click.echo(str(error))
    if not report.ok:
        raise SystemExit(SOME_ROWS_REFUSED)


consent_cli = AppGroup("consent", help="The consent record, for a carrier's review.")


@consent_cli.command("export")
@click.argument("addresses", nargs=-1, required=True)
@click.option("--format", "kind", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout")
def export_consent(addresses: tuple[str, ...], kind: str, output: Path | None) -> None:
    """Every consent change of ADDRESSES (phone numbers in E.164, or emails)."""
    settings = current_app.config["SETTINGS"]
    with db.session() as session:
        data = consent_export.record(
            session,
            list(addresses),
            program=settings.program_name,
            limit=settings.contact_limit_per_30_days,
        )
    text = consent_export.to_csv(data) if kind == "csv" else consent_export.to_json(data)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(data['events'])} consent event(s) written to {output}", err=True)
