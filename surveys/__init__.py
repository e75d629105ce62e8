"""Reading replies: matching them to invitations, the learned reader and rules, triage."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """Readers live where the settings say (MODEL_DIR); each worker loads one, once, before
    it forks work horses. The tick runs surveys' own steps too."""
    from core.cli import add_worker_ready
    from outreach.tick import add_step
    from surveys import analysis, conversations, jobs, reader

    reader.set_directory(Path(app.config["SETTINGS"].model_dir))
    add_worker_ready(app, analysis.make_ready)
    add_step("silence_alerts", jobs.raise_silence_alerts)
    add_step("waiting_replies", jobs.sweep_waiting_replies)
    add_step("conversation_timeouts", conversations.time_out_step)
    from surveys import metrics

    metrics.init_app()
