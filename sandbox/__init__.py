"""The provider stand-in: Twilio's Messages API and SendGrid's Mail Send over real HTTP, with
fault injection and a contractor player. `make run` and the tests use it; the product never
imports it (an import-linter contract holds this).

- ``specs``: the official OpenAPI descriptions, as validators
- ``twilio_api``, ``sendgrid_api``: the two providers' endpoints and what they post back
- ``faults``: failing on purpose; ``player``: replying as a contractor
- ``server``: :class:`Sandbox`, all of the above on one port; ``cli``: ``python -m sandbox``
- ``inbound_parse``: SendGrid Inbound Parse posts, built from an email
"""

from outreach.channels.sendgrid_email import public_key_text
from outreach.channels.sendgrid_email import sandbox_event_key as event_key
from sandbox.sendgrid_api import sign_events
from sandbox.server import Sandbox
from sandbox.specs import twilio_messages_spec

__all__ = ["Sandbox", "event_key", "public_key_text", "sign_events", "twilio_messages_spec"]
