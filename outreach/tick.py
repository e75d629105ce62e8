"""The tick: every TICK_SECONDS (RQ's cron) plan and expire invitations, settle sends whose
worker died, and make sure a sender is awake.

Packages above outreach add their own steps (surveys: silence alerts, the sweep of replies
stored while Redis was down) with :func:`add_step` from their ``init_app``, so the tick never
imports them. Each step runs in its own session and reports counts that join the tick's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from flask import Flask

from core import config
from core.cli import CRON_JOB
from core.db import db
from outreach import delivery, recovery, schedule
from outreach.channels import channels_for

Step = Callable[[], Mapping[str, int]]

_steps: dict[str, Step] = {}


def add_step(name: str, step: Step) -> None:
    """Run ``step`` on every tick after outreach's own work; a second call with the same name
    replaces the first (each app an init_app builds registers its steps again)."""
    _steps[name] = step


def init_app(app: Flask) -> None:
    app.extensions[CRON_JOB] = tick


def tick() -> dict[str, int]:
    """Every TICK_SECONDS: plan, expire, settle lost sends, wake a sender, then the steps
    other packages added. Thin: the rules live in outreach.schedule, outreach.recovery and
    outreach.delivery (and in each step's own package)."""
    settings = config.active()
    with db.session() as session:
        planned = schedule.plan_invitations(session, stale_days=settings.stale_days)
        expired = schedule.expire_stale(session)
    with db.session() as session:
        recovered = recovery.recover_lost_sends(
            session,
            recovery.finders_for(channels_for(settings)),
            after=timedelta(seconds=settings.send_recovery_seconds),
        )
    counts = {
        "planned": planned,
        "expired": expired,
        "found_sent": recovered["sent"],
        "resent": recovered["resend"],
        "lost": recovered["failed"],
    }
    # One nudge wakes one dispatcher for everything planned; it also restarts sending when
    # the last dispatcher was killed.
    delivery.nudge_dispatch(repair=True)
    for step in list(_steps.values()):
        counts.update(step())
    return counts
