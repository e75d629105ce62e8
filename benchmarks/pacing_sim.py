"""Why the pacer spreads a sender's takes (outreach.pacing.SPREAD): a simulation, no Redis.

Workers take turns from one moving window of ``rate`` segments a second, counted from each
provider answer, as :class:`outreach.pacing.Pacer` does, optionally with takes kept a share of
their even spacing apart. Between sends a worker is busy for a random time (lognormal around
``--work`` ms, plus an occasional stall of 50-400 ms, the spikes seen on a shared machine);
the request reaches the provider 2-4 ms after the take and is answered 1.5-3.5 ms after that
(as measured against the sandbox here). Prints the steady rate the provider saw, measured as
``benchmarks/send_throughput.py`` does, over many seeds, and the busiest one-second window.

    .venv/bin/python benchmarks/pacing_sim.py [--work 20] [--stalls 0.01] [--seeds 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
from dataclasses import dataclass

WINDOW = 1.0  # seconds
MARGIN = 0.002  # seconds, outreach.pacing.DEFAULT_MARGIN


@dataclass(frozen=True)
class Setup:
    rate: int
    workers: int
    spread: float
    work: float  # seconds, median busy time between sends
    stalls: float  # chance a send is followed by a stall


def _allowed(at: float, answers: list[float], last_take: float | None, setup: Setup) -> float:
    """The earliest moment from ``at`` on when the pacer lets a one-segment send go."""
    spacing = setup.spread * WINDOW / setup.rate
    while True:
        held = sorted(a for a in answers if a > at - (WINDOW + MARGIN))
        earliest = at
        if len(held) >= setup.rate:
            earliest = max(earliest, held[len(held) - setup.rate] + WINDOW + MARGIN)
        if setup.spread and last_take is not None:
            earliest = max(earliest, last_take + spacing)
        if earliest == at:
            return at
        at = earliest


def simulate(setup: Setup, sends: int, seed: int) -> tuple[float, int]:
    """(steady rate as a share of the limit, busiest one-second window) for one run."""
    rnd = random.Random(seed)
    free_at = [0.001 * n for n in range(setup.workers)]
    answers: list[float] = []
    arrivals: list[float] = []
    last_take: float | None = None
    for _ in range(sends):
        worker = min(range(setup.workers), key=free_at.__getitem__)
        ready = free_at[worker]
        take = _allowed(ready, answers, last_take, setup)
        if take > ready:
            take += abs(rnd.gauss(0, 0.0015))  # waking from a sleep is a little late
        last_take = take
        arrival = take + 0.002 + rnd.uniform(0, 0.002)
        answer = arrival + 0.0015 + rnd.uniform(0, 0.002)
        arrivals.append(arrival)
        answers.append(answer)
        busy = rnd.lognormvariate(0, 0.35) * setup.work
        if rnd.random() < setup.stalls:
            busy += rnd.uniform(0.05, 0.4)
        free_at[worker] = answer + busy
    arrivals.sort()
    steady = (sends - setup.rate) / (arrivals[-1] - arrivals[setup.rate - 1])
    busiest, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] >= WINDOW:
            start += 1
        busiest = max(busiest, end - start + 1)
    return steady / setup.rate, busiest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--work", type=float, default=20.0, help="ms, median")
    parser.add_argument("--stalls", type=float, default=0.01)
    parser.add_argument("--seeds", type=int, default=30)
    args = parser.parse_args()
    for workers in (1, 2):
        for spread in (0.0, 0.5, 0.8):
            setup = Setup(args.rate, workers, spread, args.work / 1000, args.stalls)
            runs = [simulate(setup, args.rate * 10, seed) for seed in range(args.seeds)]
            shares = [share for share, _ in runs]
            print(
                f"{workers} worker(s), spread {spread:.1f}: steady {statistics.mean(shares):.1%}"
                f" of the limit (worst seed {min(shares):.1%}); busiest second"
                f" {max(b for _, b in runs)} (limit {args.rate})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
