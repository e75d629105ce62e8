"""Driving the staff pages through the Flask test client, CSRF on, as a browser would."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

_TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str, **extra: str) -> Any:
    """Fetch the sign-in form, then post it with its token. Returns the POST's response."""
    page = client.get("/staff/sign-in")
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email}
    form.update(password=password, **extra)
    return client.post("/staff/sign-in", data=form)
