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


class Staff:
    """A signed-in staff member's browser: a test client plus the session's CSRF token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def get(self, url: str) -> Any:
        return self.client.get(url)

    def post(self, url: str, **data: str) -> Any:
        """Post a form the way the page would, with its CSRF token."""
        return self.client.post(url, data={"csrf_token": self.token, **data})

    def page(self, url: str) -> str:
        answer = self.client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        return answer.get_data(as_text=True)  # type: ignore[no-any-return]


def signed_in(client: FlaskClient, email: str, password: str) -> Staff:
    answer = sign_in(client, email, password)
    assert answer.status_code == 302, "sign-in failed"
    home = client.get(answer.headers["Location"])
    return Staff(client, csrf_token(home.get_data(as_text=True)))
