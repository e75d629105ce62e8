"""``flask --app wsgi surveys ...``: survey commands.

``surveys analyze`` is how reply analysis is measured, so its interface stays stable: one JSON
object for a TEXT argument, or one JSON object per row (JSON lines, in order) for ``--csv FILE``
with a ``text`` column.
"""

from __future__ import annotations

import csv
import json
from typing import TextIO

import click
from flask.cli import AppGroup

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
    if text is not None and csv_file is None:
        click.echo(json.dumps(analyze(text, scale).as_dict()))
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
        click.echo(json.dumps(analyze(row[column] or "", scale).as_dict()))
