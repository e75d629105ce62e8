"""Framework commands: migrations, the RQ worker and RQ's cron scheduler."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from rq import Queue, Worker
from rq.job import Job

from core import logs, metrics, migrate
from core.queue import DEFAULT, QUEUE_NAMES, queues

log = logging.getLogger(__name__)

# Where the app keeps the function RQ's cron enqueues (set by outreach.tick.init_app).
CRON_JOB = "pulse.cron_job"
# Where the app keeps what a worker makes ready before it forks a work horse (surveys puts the
# reader there). RQ forks a fresh horse for every job, so anything a horse loads for itself is
# loaded again for the next job: a reader job paid a second or more before its first reply.
WORKER_READY = "pulse.worker_ready"


def add_worker_ready(app: Flask, step: Callable[[], object]) -> None:
    """Run ``step`` in each worker at start and again before each job; it must be cheap when
    nothing changed, since work horses inherit whatever it holds."""
    app.extensions.setdefault(WORKER_READY, []).append(step)


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
    worker = PulseWorker(list(QUEUE_NAMES), connection=queues.connection, name=name)
    worker.ready_steps = list(current_app.extensions.get(WORKER_READY, ()))
    worker.make_ready()
    worker.work(burst=burst, with_scheduler=True)


class PulseWorker(Worker):
    """An RQ worker whose log lines name the job they are about (``job_id``), and whose work
    horses count into one set of metric files per worker rather than one per job (see
    core.metrics), and who makes ready in itself what every horse needs (``add_worker_ready``)."""

    ready_steps: list[Callable[[], object]] = []

    def make_ready(self) -> None:
        for step in self.ready_steps:
            try:
                step()
            except Exception:
                # The worker stays up: a horse that needs what failed here loads it itself,
                # or fails its job and leaves the work waiting, as before the step existed.
                log.exception("making ready in the worker failed: %s", step)

    def execute_job(self, job: Job, queue: Queue) -> None:
        self.make_ready()  # in the worker, before the fork: the horse inherits it
        running = logs.current_job_id.set(job.id)
        try:
            super().execute_job(job, queue)
        finally:
            logs.current_job_id.reset(running)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        metrics.count_as_work_horse(os.getppid())
        super().main_work_horse(job, queue)


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
