"""``python -m sandbox``: the stand-in as `make run` starts it, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from urllib.parse import urlsplit

from sandbox.server import Sandbox
from sandbox.twilio_api import INBOUND_SMS_PATH


def main(argv: list[str] | None = None) -> int:
    from core.config import Settings

    settings = Settings.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Local stand-in for Twilio Messages and SendGrid Mail Send.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=urlsplit(settings.sandbox_url).port or 5055)
    parser.add_argument(
        "--app-url", default=settings.public_base_url, help="where replies are posted"
    )
    args = parser.parse_args(argv)
    sandbox = Sandbox(
        auth_token=settings.twilio_auth_token,
        app_url=args.app_url,
        host=args.host,
        port=args.port,
        log_requests=True,
        auto_callbacks=True,
        inbound_secret=settings.sendgrid_inbound_secret,
    )
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sandbox.start()
    print(
        f"provider sandbox (Twilio + SendGrid) on {sandbox.url}; replies go to {args.app_url}"
        f"{INBOUND_SMS_PATH}",
        flush=True,
    )
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0
