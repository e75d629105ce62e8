"""`make run`: everything the service needs, in one foreground command.

Starts (or reuses) Redis, applies migrations, seeds the demo, then runs the web app, an RQ
worker, RQ's cron scheduler and the provider sandbox as child processes. Ctrl-C stops them all.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core import migrate
from core.config import INSTANCE_DIR, ConfigError, Settings
from core.queue import EmbeddedRedis, reachable

ROOT = Path(__file__).resolve().parent.parent


def _python_cmd(*args: str) -> list[str]:
    return [sys.executable, *args]


def _flask(*args: str) -> list[str]:
    return _python_cmd("-m", "flask", "--app", "wsgi", *args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument(
        "--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", "5055"))
    )
    parser.add_argument("--no-seed", action="store_true", help="do not seed the demo data")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{args.port}")
    env.setdefault("SANDBOX_URL", f"http://127.0.0.1:{args.sandbox_port}")
    try:
        settings = Settings.from_env(env)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    embedded: EmbeddedRedis | None = None
    if settings.redis_url and reachable(settings.redis_url):
        print(f"redis: using REDIS_URL {settings.redis_url}")
    else:
        if settings.redis_url:
            print(
                f"redis: REDIS_URL {settings.redis_url} is not reachable; "
                "starting the embedded redis-server instead"
            )
        embedded = EmbeddedRedis(INSTANCE_DIR / "redis").start()
        env["REDIS_URL"] = embedded.url
        print(f"redis: embedded redis-server at {embedded.url}")

    migrate.upgrade(settings.database_url)
    print(f"database: {settings.database_url} (migrated)")
    if not args.no_seed:
        subprocess.run(_flask("seed-demo"), env=env, cwd=ROOT, check=True)  # noqa: S603

    children: dict[str, subprocess.Popen[bytes]] = {}
    if settings.uses_twilio_sandbox or settings.uses_sendgrid_sandbox:
        children["sandbox"] = subprocess.Popen(  # noqa: S603
            _python_cmd(
                "-m",
                "sandbox",
                "--port",
                str(args.sandbox_port),
                "--app-url",
                env["PUBLIC_BASE_URL"],
            ),
            env=env,
            cwd=ROOT,
        )
    children["web"] = subprocess.Popen(  # noqa: S603
        _python_cmd(
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
            "wsgi:app",
        ),
        env=env,
        cwd=ROOT,
    )
    children["worker"] = subprocess.Popen(_flask("worker"), env=env, cwd=ROOT)  # noqa: S603
    children["cron"] = subprocess.Popen(_flask("cron"), env=env, cwd=ROOT)  # noqa: S603
    print(
        f"Contractor Pulse on http://127.0.0.1:{args.port}/staff/ "
        f"(sandbox {env['SANDBOX_URL']}); Ctrl-C stops everything.",
        flush=True,
    )

    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(
                        f"{name} exited with status {child.returncode}; stopping", file=sys.stderr
                    )
                    stopping, status = True, 1
                    break
            time.sleep(0.5)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if embedded is not None:
            embedded.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
