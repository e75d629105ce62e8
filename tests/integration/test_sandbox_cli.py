"""`python -m sandbox` as `make run` starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID

ROOT = Path(__file__).resolve().parents[2]


def test_sandbox_cli_serves_with_the_env_token_until_terminated() -> None:
    env = {**os.environ, "TWILIO_AUTH_TOKEN": "cli-token", "PULSE_ENV": "test", "SECRET_KEY": "x"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = banner.split(" on ")[1].split(";")[0]
        messages = f"{url}/2010-04-01/Accounts/{SANDBOX_ACCOUNT_SID}/Messages.json"
        sms = {"To": "+15551230003", "From": "+15005550006", "Body": "Hi"}

        health = requests.get(f"{url}/_sandbox/health", timeout=5)
        accepted = requests.post(
            messages, data=sms, auth=(SANDBOX_ACCOUNT_SID, "cli-token"), timeout=5
        )
        refused = requests.post(messages, data=sms, auth=(SANDBOX_ACCOUNT_SID, "other"), timeout=5)

        assert health.json() == {"status": "ok"}
        assert accepted.status_code == 201
        assert refused.status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "POST /2010-04-01/Accounts/" in stderr  # a person running it sees each request
