"""Reading replies: matching them to invitations, the learned reader and rules, triage."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def init_app(app: Flask) -> None:
    """Readers live where the settings say (MODEL_DIR); each process loads one, once."""
    from surveys import reader

    reader.set_directory(Path(app.config["SETTINGS"].model_dir))
    from surveys import metrics

    metrics.init_app()
