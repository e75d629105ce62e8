"""Framework commands: migrations, the RQ worker and RQ's cron scheduler."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core import migrate
from core.queue import DEFAULT, QUEUE_NAMES, queues

# Where the app keeps the function RQ's cron enqueues (set by outreach.tick.init_app).
CRON_JOB = "pulse.cron_job"

db_cli = AppGroup("db", help="Database schema (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(current_app.config["SETTINGS"].database_url, revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    config = migrate.alembic_config(current_app.config["SETTINGS"].database_url)
    command.revision(config, message=message, autogenerate=True)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None)
def worker_command(burst: bool, name: str | None) -> None:
    """Run an RQ worker on the inbound, outbound and default queues (in that order)."""
    from rq import Worker

    worker = Worker(list(QUEUE_NAMES), connection=queues.connection, name=name)
    worker.work(burst=burst, with_scheduler=True)


@click.command("cron")
def cron_command() -> None:
    """Run RQ's cron scheduler: it enqueues the tick every TICK_SECONDS."""
    from rq.cron import CronScheduler

    # The package that plans sends put its tick here (outreach.tick.init_app): core imports
    # no domain package.
    tick = current_app.extensions.get(CRON_JOB)
    if tick is None:
        raise click.ClickException("no package registered a cron job")
    scheduler = CronScheduler(connection=queues.connection)
    scheduler.register(
        tick, DEFAULT, interval=current_app.config["SETTINGS"].tick_seconds, job_timeout=600
    )
    scheduler.start()


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)
