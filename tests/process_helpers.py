"""Starting the service's real processes from a test, as `make run` and a deployment do."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """``python -m <args>`` from the checkout (where gunicorn finds gunicorn.conf.py), its
    output and errors in one pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def start_gunicorn(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """gunicorn with the access log `make run` starts (core.launcher): gunicorn's own, on
    stdout."""
    return start(
        env,
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "wsgi:app",
    )
