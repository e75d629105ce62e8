"""`make run`: everything the service needs, in one foreground command.

Starts (or reuses) Redis, applies migrations, seeds the demo, then runs the web app, an RQ
worker, RQ's cron scheduler and the provider sandbox as child processes, and starts again any
that dies (with backoff). Ctrl-C stops them all, Redis last.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from core import migrate
from core.config import ConfigError, Settings
from core.queue import MAKE_RUN_REDIS_DIR, EmbeddedRedis, reachable

ROOT = Path(__file__).resolve().parent.parent


def _python_cmd(*args: str) -> list[str]:
    return [sys.executable, *args]


def _flask(*args: str) -> list[str]:
    return _python_cmd("-m", "flask", "--app", "wsgi", *args)


def web_command(settings: Settings, port: int) -> list[str]:
    """gunicorn serving the app on ``port``.

    gunicorn takes X-Forwarded-Proto from 127.0.0.1 unless told otherwise, which would let any
    local client choose the scheme: it trusts the forwarding headers exactly when the app does.
    """
    return _python_cmd(
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--forwarded-allow-ips",
        "*" if settings.trust_proxy else "",
        "--access-logfile",
        "-",
        "wsgi:app",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument(
        "--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", "5055"))
    )
    parser.add_argument("--no-seed", action="store_true", help="do not seed the demo data")
    parser.add_argument(
        "--redis-dir",
        type=Path,
        default=MAKE_RUN_REDIS_DIR,
        help="where the embedded redis-server keeps its socket (when REDIS_URL is unreachable)",
    )
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
        embedded = EmbeddedRedis(args.redis_dir).start()
        env["REDIS_URL"] = embedded.url
        print(f"redis: embedded redis-server at {embedded.url}")

    try:
        return _run(args, settings, env, embedded)
    except BaseException:
        if embedded is not None:
            embedded.stop()  # in its own session: nothing else would stop it
        raise


def _run(
    args: argparse.Namespace,
    settings: Settings,
    env: dict[str, str],
    embedded: EmbeddedRedis | None,
) -> int:
    migrate.upgrade(settings.database_url)
    print(f"database: {settings.database_url} (migrated)")
    if not args.no_seed:
        subprocess.run(_flask("seed-demo"), env=env, cwd=ROOT, check=True)  # noqa: S603

    commands: dict[str, list[str]] = {}
    if settings.uses_twilio_sandbox or settings.uses_sendgrid_sandbox:
        commands["sandbox"] = _python_cmd(
            "-m",
            "sandbox",
            "--port",
            str(args.sandbox_port),
            "--app-url",
            env["PUBLIC_BASE_URL"],
        )
    commands["web"] = web_command(settings, args.port)
    commands["worker"] = _flask("worker")
    commands["cron"] = _flask("cron")
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    supervisor = Supervisor(commands, env, embedded)
    try:
        supervisor.start()
        print(
            f"Contractor Pulse on http://127.0.0.1:{args.port}/staff/ "
            f"(sandbox {env['SANDBOX_URL']}); Ctrl-C stops everything.",
            flush=True,
        )
        while not stopping:
            supervisor.watch()
            time.sleep(0.5)
    finally:
        supervisor.stop()
    return 0


# The order Ctrl-C stops them in: nothing new comes in, then the workers finish, and Redis,
# which all of them use, goes last.
STOP_ORDER = (("web",), ("worker", "cron", "sandbox"))
STOP_WAIT_SECONDS = 10.0
# A child that dies is started again after 1 s, then 2, 4 ... up to 30 s while it keeps
# dying; one that ran this long before dying starts again after 1 s.
RESTART_BACKOFF = (1.0, 30.0)
STEADY_SECONDS = 60.0


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0  # deaths in a row, each within STEADY_SECONDS of its start
    restart_at: float | None = None


class Supervisor:
    """Runs the children of `make run`: restarts one that died, with backoff, instead of
    stopping everything (a Redis stall makes cron and workers exit; they must come back)."""

    def __init__(
        self,
        commands: dict[str, list[str]],
        env: dict[str, str],
        embedded: EmbeddedRedis | None,
    ) -> None:
        self.children = {name: Child(name, command) for name, command in commands.items()}
        self.env = env
        self.embedded = embedded
        self.redis_failures = 0

    def start(self) -> None:
        for child in self.children.values():
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            child.command,
            env=self.env,
            cwd=ROOT,
            # Its own session: Ctrl-C reaches the launcher alone, which then stops the
            # children in order instead of all at once.
            start_new_session=True,
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    @staticmethod
    def backoff(failures: int) -> float:
        first, most = RESTART_BACKOFF
        return float(min(most, first * 2 ** max(0, failures - 1)))

    def watch(self) -> None:
        """Restart what died; call every half second or so."""
        now_ = time.monotonic()
        if self.embedded is not None and self.embedded.exited() is not None:
            print(f"redis exited with status {self.embedded.exited()}; restarting", flush=True)
            try:
                self.embedded.start()
            except RuntimeError as exc:
                print(f"redis: {exc}", file=sys.stderr, flush=True)
        for child in self.children.values():
            if child.restart_at is not None:
                if now_ >= child.restart_at:
                    print(f"{child.name}: restarting", flush=True)
                    self._spawn(child)
                continue
            assert child.process is not None
            status = child.process.poll()
            if status is None:
                continue
            if now_ - child.started_at >= STEADY_SECONDS:
                child.failures = 0
            child.failures += 1
            delay = self.backoff(child.failures)
            child.restart_at = now_ + delay
            print(
                f"{child.name} exited with status {status}; restarting in {delay:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    def stop(self) -> None:
        for names in STOP_ORDER:
            group = [
                c.process
                for name in names
                if (c := self.children.get(name)) is not None
                and c.process is not None
                and c.process.poll() is None
            ]
            for process in group:
                process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + STOP_WAIT_SECONDS
            for process in group:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.embedded is not None:
            self.embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
