"""What a worker makes ready before it forks its work horses."""

from __future__ import annotations

import pytest

from core.cli import PulseWorker


def test_worker_make_ready_runs_every_step_even_after_one_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise OSError("MODEL_DIR is not readable")

    worker = PulseWorker.__new__(PulseWorker)  # no Redis needed to make ready
    worker.ready_steps = [broken, lambda: ran.append("next")]
    worker.make_ready()
    assert ran == ["broken", "next"]
    assert "MODEL_DIR is not readable" in caplog.text
