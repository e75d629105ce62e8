"""Email threads: the Message-ID our survey emails carry, and how a reply's headers name it.

A reply's In-Reply-To or References carries the invitation's token back
(:data:`THREAD_ID`), so a reply is routed even when the ``reply+<token>@`` address was dropped.
"""

from __future__ import annotations

import re
import secrets

# Our own Message-ID on survey emails (see thread_message_id): a reply's In-Reply-To or
# References carries the invitation's token back even when the reply address was dropped.
THREAD_ID = re.compile(r"pulse\.([A-Za-z0-9_-]{4,32})\.[0-9a-f]+@([^\s>]+)", re.IGNORECASE)


def thread_message_id(reply_token: str, domain: str) -> str:
    """The Message-ID of a survey email: a reply's In-Reply-To carries the token back."""
    return f"<pulse.{reply_token}.{secrets.token_hex(4)}@{domain}>"
