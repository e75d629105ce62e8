"""Inbound SMS webhook throughput and p99 latency, next to a bare Flask endpoint.

Both endpoints are served by the same gunicorn server (the real app plus one route that only
returns TwiML), hit by the same client processes with signed, unique Twilio requests. The ratio
of the two is the figure to watch: what verification, storage and the nudge cost on top of Flask.

    .venv/bin/python benchmarks/webhook_ingest.py [--requests 4000] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from core import migrate  # noqa: E402
from core.queue import EmbeddedRedis  # noqa: E402

TOKEN = "bench-auth-token"  # noqa: S105 - a made-up token for a local run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(port: int, path: str, count: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    validator = RequestValidator(TOKEN)
    url = f"http://127.0.0.1:{port}{path}"
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    errors = 0
    for _ in range(count):
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": "AC" + "0" * 32,
            "From": "+14155550101",
            "To": "+15005550006",
            "Body": "4 all good this week",
            "NumMedia": "0",
            "NumSegments": "1",
        }
        body = urllib.parse.urlencode(params)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(url, params),
        }
        started = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            reply = conn.getresponse()
            reply.read()
            if reply.status != 200:
                errors += 1
        except (http.client.HTTPException, OSError):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port)
        latencies.append(time.perf_counter() - started)
    queue.put((latencies, errors))


def _server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of gunicorn's workers, from /proc (Linux)."""
    pids = [master_pid]
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        pids += [int(p) for p in children]
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_load(
    port: int, path: str, total: int, clients: int, master_pid: int = 0
) -> dict[str, float]:
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    per_client = total // clients
    procs = [
        mp.Process(target=_client, args=(port, path, per_client, queue)) for _ in range(clients)
    ]
    cpu_before = _server_cpu_seconds(master_pid) if master_pid else float("nan")
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - started
    cpu_used = (_server_cpu_seconds(master_pid) if master_pid else float("nan")) - cpu_before
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
        "server_cpu_us": cpu_used / max(len(latencies), 1) * 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis() as redis_server:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        migrate.upgrade(url)
        port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            REDIS_URL=redis_server.url,
            TWILIO_AUTH_TOKEN=TOKEN,
            PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
            PYTHONPATH=str(ROOT),
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                args.worker_class,
                "--threads",
                str(args.threads),
                "--log-level",
                "warning",
                "benchmarks.bench_app:app",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("gunicorn did not start") from None
                    time.sleep(0.1)
            run_load(port, "/bare", 400, args.clients)  # warm both paths up
            run_load(port, "/webhooks/twilio/sms", 400, args.clients)
            bare_runs, hook_runs = [], []
            # Interleaved rounds, so drift on a shared machine hits both sides alike.
            for _ in range(args.rounds):
                bare_runs.append(run_load(port, "/bare", args.requests, args.clients, server.pid))
                hook_runs.append(
                    run_load(port, "/webhooks/twilio/sms", args.requests, args.clients, server.pid)
                )
        finally:
            server.terminate()
            server.wait(10)

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    bare_rps, hook_rps = med(bare_runs, "rps"), med(hook_runs, "rps")
    bare_p99, hook_p99 = med(bare_runs, "p99_ms"), med(hook_runs, "p99_ms")
    errors = sum(r["errors"] for r in bare_runs + hook_runs)
    print(
        f"gunicorn {args.worker_class}, {args.workers} workers x {args.threads} threads; "
        f"{args.clients} client processes; {args.requests} requests a round, "
        f"{args.rounds} rounds (median)"
    )
    print(f"{'endpoint':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'server CPU us/req':>20}")
    for name, runs in (("bare Flask", bare_runs), ("SMS webhook", hook_runs)):
        print(
            f"{name:<24}{med(runs, 'rps'):>10.0f}{med(runs, 'p50_ms'):>10.2f}"
            f"{med(runs, 'p99_ms'):>10.2f}{med(runs, 'server_cpu_us'):>20.0f}"
        )
    print(
        f"throughput ratio webhook/bare: {hook_rps / bare_rps:.2f}x   "
        f"p99 ratio: {hook_p99 / bare_p99:.2f}x   errors: {errors:.0f}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
