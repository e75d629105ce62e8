"""Sending: consent, the window, pacing, one provider message per invitation, statuses.

- :mod:`~outreach.delivery.statuses`: status ranks and forward-only moves
- :mod:`~outreach.delivery.refusals`: what a provider's refusal means (one pure decision)
- :mod:`~outreach.delivery.protocol`: the send protocol (claim, row, call, record)
- :mod:`~outreach.delivery.invitations`, :mod:`~outreach.delivery.staff_messages`: its users
- :mod:`~outreach.delivery.due`: which invitations and reminders may go now
- :mod:`~outreach.delivery.dispatcher`: the RQ job that sends whatever may go now
"""

from outreach.delivery.dispatcher import (
    OUTBOUND_DRAIN,
    Dispatcher,
    dispatch,
    nudge_dispatch,
)
from outreach.delivery.due import due_reminder_ids, sendable_invitation_ids
from outreach.delivery.invitations import (
    EmailLinks,
    Route,
    render,
    replied_since,
    send_invitation,
    send_reminder,
)
from outreach.delivery.refusals import MAX_SEND_ATTEMPTS, Decision, Verdict, decide
from outreach.delivery.staff_messages import (
    queue_staff_message,
    send_staff_message,
    sendable_staff_message_ids,
)
from outreach.delivery.statuses import (
    STATUS_RANK,
    advance_invitation,
    advance_invitation_row,
    advance_message,
    advance_message_row,
    apply_provider_status,
    is_reminder,
)

__all__ = [
    "MAX_SEND_ATTEMPTS",
    "OUTBOUND_DRAIN",
    "STATUS_RANK",
    "Decision",
    "Dispatcher",
    "EmailLinks",
    "Route",
    "Verdict",
    "advance_invitation",
    "advance_invitation_row",
    "advance_message",
    "advance_message_row",
    "apply_provider_status",
    "decide",
    "dispatch",
    "due_reminder_ids",
    "is_reminder",
    "nudge_dispatch",
    "queue_staff_message",
    "render",
    "replied_since",
    "send_invitation",
    "send_reminder",
    "send_staff_message",
    "sendable_invitation_ids",
    "sendable_staff_message_ids",
]
