"""Unsubscribe links: RFC 8058 one-click POST for mailbox providers, and a page for people.

No login and no cookie: the signed token in the URL is the whole authority, and it can do one
thing, stop mail to the address its message went to. GET never unsubscribes (link scanners
fetch every URL in a mail); it shows a page whose button POSTs. The blueprint's name ends in
``_webhooks`` so the staff CSRF check leaves it alone (a mailbox provider has no CSRF token).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template_string

from core.config import Settings
from core.db import db
from outreach import consent
from outreach.models import MESSAGE_ID_MAX, Channel, Direction, Message

bp = Blueprint("unsubscribe_webhooks", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ program }}: unsubscribe</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1rem}</style></head>
<body><h1>{{ program }}</h1>
{% if state == "done" %}
<p>You are unsubscribed: we will send no more email to <strong>{{ address }}</strong>.</p>
{% elif state == "ask" %}
<p>Stop all {{ program }} email to <strong>{{ address }}</strong>?</p>
<form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">
Unsubscribe</button></form>
{% else %}
<p>This unsubscribe link is not valid. If you keep getting mail you do not want,
write to {{ contact }}.</p>
{% endif %}
</body></html>"""


def _masked(address: str) -> str:
    # The page is reachable by anyone holding the link: do not show the whole address.
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "your address"


def _message(token: str) -> Message | None:
    settings: Settings = current_app.config["SETTINGS"]
    message_id = consent.message_for_token(settings.secret_key, token)
    if message_id is None or not 0 < message_id <= MESSAGE_ID_MAX:
        return None
    with db.session() as session:
        message = session.get(Message, message_id)
        if message is None or message.direction != Direction.OUTBOUND:
            return None
        if message.channel != Channel.EMAIL:
            return None
        return message


def _page(state: str, address: str = "", status: int = 200) -> tuple[str, int]:
    settings: Settings = current_app.config["SETTINGS"]
    html = render_template_string(
        _PAGE,
        state=state,
        address=_masked(address),
        program=settings.program_name,
        contact=settings.support_contact,
    )
    return html, status


@bp.get("/u/<token>")
def ask(token: str) -> tuple[str, int]:
    message = _message(token)
    if message is None:
        return _page("invalid", status=404)
    return _page("ask", message.to_address)


@bp.post("/u/<token>")
def unsubscribe(token: str) -> tuple[str, int]:
    """One click, by a mailbox provider (body ``List-Unsubscribe=One-Click``) or a person."""
    message = _message(token)
    if message is None:
        return _page("invalid", status=404)
    with db.session() as session:
        consent.record_opt_out(
            session,
            message.to_address,
            Channel.EMAIL,
            source="unsubscribe_link",
            message_id=message.id,
        )
    return _page("done", message.to_address)
