"""Sending one notification: email by the SendGrid SDK, Slack and Teams by their incoming
webhooks (a JSON POST each service documents; see sandbox/hooks.py for the shapes checked)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from python_http_client.exceptions import HTTPError as SendGridHTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail

from core.config import Settings
from outreach.channels.sendgrid_email import SANDBOX_API_KEY
from staff.notify.models import Notification, NotifyChannel

TIMEOUT_SECONDS = 10.0
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# Where incoming webhooks live; any other URL is refused (a staff setting must not make the
# worker post to an internal address).
HOOK_HOSTS: dict[str, tuple[str, ...]] = {
    NotifyChannel.SLACK: ("hooks.slack.com",),
    NotifyChannel.TEAMS: (".webhook.office.com", ".logic.azure.com"),
}


def hook_url_problem(settings: Settings, channel: str, url: str) -> str | None:
    """Why ``url`` cannot be a ``channel`` webhook, or None."""
    if settings.sandbox_url and url.startswith(settings.sandbox_url.rstrip("/") + "/_hooks/"):
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    allowed = HOOK_HOSTS.get(channel, ())
    if parts.scheme != "https" or not any(host == a or host.endswith(a) for a in allowed):
        return f"must be an https URL on {' or '.join(a.lstrip('.') for a in allowed)}"
    return None


def _link(settings: Settings, notification: Notification) -> str:
    base = settings.public_base_url.rstrip("/")
    if notification.ticket_id is not None:
        return f"{base}/staff/tickets/{notification.ticket_id}"
    if notification.alert_id is not None:
        return f"{base}/staff/alerts/{notification.alert_id}"
    return f"{base}/staff/"


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as markup (<!channel> would ping everyone).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notification: Notification, link: str) -> dict[str, Any]:
    text = f"{notification.body} {link}"
    return {
        "text": _slack_escape(text),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _slack_escape(notification.body)},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|Open it in Pulse>"}},
        ],
    }


def teams_payload(notification: Notification, link: str) -> dict[str, Any]:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": notification.subject, "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": notification.body, "wrap": True},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open it in Pulse", "url": link}],
    }
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}


def _post(url: str, payload: dict[str, Any]) -> str | None:
    try:
        answer = requests.post(url, json=payload, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if answer.status_code >= 300:
        return f"HTTP {answer.status_code}: {answer.text[:200]}"
    return None


def _email(settings: Settings, notification: Notification, link: str) -> str | None:
    if settings.uses_sendgrid_sandbox:
        client = SendGridAPIClient(SANDBOX_API_KEY, host=settings.sandbox_url)
    else:
        client = SendGridAPIClient(settings.sendgrid_api_key)
    client.client.timeout = TIMEOUT_SECONDS
    mail = Mail(
        from_email=settings.sendgrid_from_email,
        to_emails=notification.address,
        subject=notification.subject,
        plain_text_content=f"{notification.body}\n\n{link}\n",
    )
    try:
        client.send(mail)
    except SendGridHTTPError as exc:
        return f"HTTP {exc.status_code}: {str(exc.body)[:200]}"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


def deliver(settings: Settings, notification: Notification) -> str | None:
    """Send it; None when the service took it, else what went wrong."""
    link = _link(settings, notification)
    if notification.channel == NotifyChannel.EMAIL:
        return _email(settings, notification, link)
    problem = hook_url_problem(settings, notification.channel, notification.address)
    if problem is not None:
        return f"webhook URL {problem}"
    if notification.channel == NotifyChannel.SLACK:
        return _post(notification.address, slack_payload(notification, link))
    if notification.channel == NotifyChannel.TEAMS:
        return _post(notification.address, teams_payload(notification, link))
    return f"unknown channel {notification.channel!r}"
