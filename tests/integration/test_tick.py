"""The tick lives in outreach; surveys adds its own steps through init_app, and the cron
command finds the tick in the app instead of importing it."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

import pytest
from flask import Flask

from core.cli import CRON_JOB
from outreach import tick


@pytest.fixture
def extra_step() -> Iterator[list[int]]:
    runs: list[int] = []
    tick.add_step("test_extra", lambda: runs.append(1) or {"extra": 7})
    yield runs
    tick._steps.pop("test_extra", None)


def test_tick_runs_the_steps_surveys_added_and_reports_their_counts(
    app: Flask, extra_step: list[int]
) -> None:
    counts = tick.tick()

    # surveys.init_app added the silence alerts step; outreach never imports surveys.
    assert {"planned", "expired", "lost", "silence_alerts", "extra"} <= set(counts)
    assert counts["extra"] == 7
    assert extra_step == [1]


def test_tick_steps_added_twice_under_one_name_run_once(app: Flask, extra_step: list[int]) -> None:
    tick.add_step("test_extra", lambda: extra_step.append(2) or {})

    tick.tick()

    assert extra_step == [2]


def test_cron_command_registers_the_tick_the_app_holds(app: Flask) -> None:
    assert app.extensions[CRON_JOB] is tick.tick
    # The real scheduler would run forever; what it was handed is the question here.
    with app.app_context(), patch("rq.cron.CronScheduler") as scheduler:
        result = app.test_cli_runner().invoke(args=["cron"])

    assert result.exit_code == 0, result.output
    registered = scheduler.return_value.register.call_args
    assert registered.args[0] is tick.tick
    scheduler.return_value.start.assert_called_once()
