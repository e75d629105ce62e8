"""What the tick's two new steps cost: the SLA sweep and the assignment drain, over N open
tickets and alerts, on a fresh SQLite file (or DATABASE_URL). Prints seconds per run and the
ratio of the 10x-larger queue to the smaller one (1.0 per item would be linear).

    .venv/bin/python -m benchmarks.sla_sweep            # N = 200 and 2000
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks import reset_database
from core.app import import_models
from core.clock import now
from core.db import db
from staff import assignment, sla
from staff.models import StaffUser
from surveys.models import Alert, Ticket


def _seed(n: int) -> None:
    with db.session() as session:
        for k in range(5):
            for team in ("support", "care"):
                person = StaffUser(email=f"{team}{k}@example.com", role=team)
                person.set_password(f"bench-{team}-{k}")
                session.add(person)
        start = now() - timedelta(days=3)
        for i in range(n):
            at = start + timedelta(minutes=i)
            session.add(
                Ticket(
                    category="timecard_pay",
                    priority=("urgent", "high", "normal")[i % 3],
                    team="support",
                    rule="bench",
                    created_at=at,
                    updated_at=at,
                )
            )
            if i % 4 == 0:
                session.add(
                    Alert(
                        kind="silence", severity="normal", evidence={}, created_at=at, updated_at=at
                    )
                )


def _timed(step: object) -> float:
    began = time.perf_counter()
    step()  # type: ignore[operator]
    return time.perf_counter() - began


def run(n: int, url: str) -> dict[str, float]:
    reset_database(url)
    db.configure(url)
    _seed(n)
    return {
        "assign": _timed(assignment.tick_step),
        "sla_first": _timed(sla.tick_step),  # starts every clock, warns, escalates
        "sla_steady": _timed(sla.tick_step),  # the minute after: nothing new
    }


def main() -> None:
    import_models()
    sizes = [int(a) for a in sys.argv[1:]] or [200, 2000]
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            n: run(n, os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / f'{n}.db'}")
            for n in sizes
        }
        db.dispose()
    for n, figures in results.items():
        print(f"N={n}: " + ", ".join(f"{k} {v:.3f} s" for k, v in figures.items()))
    small, large = sizes[0], sizes[-1]
    if large != small:
        for key in results[small]:
            ratio = results[large][key] / results[small][key] / (large / small)
            print(f"{key}: {large}/{small} per-item ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
