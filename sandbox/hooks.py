"""Slack and Microsoft Teams incoming webhooks, as the notifier meets them: a URL that takes a
JSON POST. Each checks the payload shape its service documents and answers as it does.

- Slack (api.slack.com/messaging/webhooks): a JSON object with ``text`` (the message, or the
  notification fallback when ``blocks`` are given) and optional ``blocks`` (Block Kit). Answers
  ``200 ok``; a bad payload gets ``400 invalid_payload``, one with nothing to show ``400 no_text``.
- Teams (learn.microsoft.com, "Create an Incoming Webhook"): either a legacy ``MessageCard``
  (``@type`` MessageCard, with ``text`` or ``summary``: Teams says "Summary or Text is
  required") or a ``message`` whose ``attachments`` each carry an Adaptive Card
  (``contentType`` application/vnd.microsoft.card.adaptive, ``content.type`` AdaptiveCard).
  Answers ``200 1``.

Faults: ``fail_hook(kind, times, status)`` makes the next ``times`` posts to that kind fail.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.base import SandboxState

SLACK_BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text"}
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def slack_problem(payload: Any) -> str | None:
    """What Slack would refuse in ``payload``, or None."""
    if not isinstance(payload, dict):
        return "invalid_payload"
    text, blocks = payload.get("text"), payload.get("blocks")
    if text is not None and not isinstance(text, str):
        return "invalid_payload"
    if blocks is not None:
        if not isinstance(blocks, list) or not blocks:
            return "invalid_blocks"
        for block in blocks:
            if not isinstance(block, dict) or block.get("type") not in SLACK_BLOCK_TYPES:
                return "invalid_blocks"
            inner = block.get("text")
            if (
                block["type"] in ("section", "header")
                and inner is not None
                and not (
                    isinstance(inner, dict)
                    and inner.get("type") in ("mrkdwn", "plain_text")
                    and isinstance(inner.get("text"), str)
                )
            ):
                return "invalid_blocks"
    if not (text or "").strip() and not blocks:
        return "no_text"
    return None


def teams_problem(payload: Any) -> str | None:
    """What a Teams incoming webhook would refuse in ``payload``, or None."""
    if not isinstance(payload, dict):
        return "Bad payload: not a JSON object"
    if payload.get("@type") == "MessageCard":
        if not (payload.get("text") or payload.get("summary")):
            return "Summary or Text is required."
        return None
    if payload.get("type") != "message":
        return "Bad payload: neither a MessageCard nor a message"
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "Bad payload: a message needs attachments"
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE_CARD:
            return f"Bad payload: contentType must be {ADAPTIVE_CARD}"
        card = attachment.get("content")
        if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
            return "Bad payload: content.type must be AdaptiveCard"
        if not isinstance(card.get("body"), list) or not isinstance(card.get("version"), str):
            return "Bad payload: an AdaptiveCard needs a version and a body"
    return None


class HookStandIns(SandboxState):
    _hooks: list[dict[str, Any]]
    _hook_faults: dict[str, deque[int]]

    def hooks(self) -> list[dict[str, Any]]:
        """What the Slack and Teams stand-ins accepted: kind, hook id, payload."""
        with self._lock:
            return [dict(h) for h in self._hooks]

    def fail_hook(self, kind: str, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self._hook_faults[kind].extend([status] * times)

    def _on_slack(self, request: Request, hook_id: str) -> Response:
        return self._hook("slack", hook_id, request, slack_problem, "ok")

    def _on_teams(self, request: Request, hook_id: str) -> Response:
        return self._hook("teams", hook_id, request, teams_problem, "1")

    def _on_hooks(self, request: Request) -> Response:
        return Response(json.dumps(self.hooks()), 200, mimetype="application/json")

    def _hook(self, kind: str, hook_id: str, request: Request, problem: Any, ok: str) -> Response:
        with self._lock:
            fault = self._hook_faults[kind].popleft() if self._hook_faults[kind] else None
        if fault is not None:
            return Response("stand-in told to fail", fault, mimetype="text/plain")
        if request.method != "POST" or request.mimetype != "application/json":
            return Response("invalid_payload", 400, mimetype="text/plain")
        try:
            payload = json.loads(request.get_data(as_text=True))
        except ValueError:
            return Response("invalid_payload", 400, mimetype="text/plain")
        refused = problem(payload)
        if refused is not None:
            with self._lock:
                self._rejected.append({"kind": kind, "hook": hook_id, "error": refused})
            return Response(refused, 400, mimetype="text/plain")
        with self._lock:
            self._hooks.append({"kind": kind, "hook": hook_id, "payload": payload})
        return Response(ok, 200, mimetype="text/plain")
