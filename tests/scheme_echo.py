"""A WSGI app that answers with the scheme its server gave it: what gunicorn made of a request."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(environ["wsgi.url_scheme"]).encode()]
