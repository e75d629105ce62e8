"""Replies by email: SendGrid Inbound Parse posts read into one stored message, exactly once.

SendGrid posts ``multipart/form-data`` in one of two shapes. Parsed mode sends the headers as
one text block plus ``text``, ``html``, ``from``, ``to``, ``subject``, ``envelope`` (JSON) and
``charsets`` (JSON naming the charset of each field); raw mode sends the whole MIME message in
``email``. The form's bytes are read and decoded by :mod:`outreach.email_form`.

What is kept: who sent it, which invitation it answers (the ``reply+<token>@`` address, then
our Message-ID in In-Reply-To/References), and the whole text. Quoted text and signatures are
stripped when the reply is read (:func:`outreach.email_text.reply_text`), so the stored message
stays whole.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from core.clock import now
from core.db import insert_once
from outreach.email_form import REPLACEMENT, BadInboundEmail, decode, decode_field, readable
from outreach.email_text import html_to_text
from outreach.email_threads import THREAD_ID
from outreach.inbox import Received
from outreach.models import Channel, Direction, Message

REPLY_ADDRESS = re.compile(r"reply\+([A-Za-z0-9_-]{4,32})@([^\s>]+)", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")

_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_BULK_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})
# Headers kept with the message for staff and for the record; the rest is transport noise.
_KEPT_HEADERS = ("Date", "Auto-Submitted", "X-Autoreply", "Precedence", "X-Mailer", "User-Agent")


@dataclass(frozen=True)
class InboundEmail:
    mode: str  # "parsed" or "raw"
    message_id: str  # "<...>", the dedupe key
    sender: str  # addr-spec, lower case
    from_header: str
    recipients: tuple[str, ...]  # every address it was sent to, lower case
    subject: str
    text: str  # the whole text, quotes and all; HTML turned into text when there was no text
    references: tuple[str, ...]  # In-Reply-To first, then References newest first
    reply_token: str | None
    routed_by: str | None  # "address" or "thread"
    automatic: str | None  # why this is not a person writing (auto_reply, bounce, ...)
    headers: dict[str, str] = field(default_factory=dict)
    charsets: dict[str, str] = field(default_factory=dict)
    message_id_missing: bool = False
    # The parts in which something could not be decoded and was replaced by U+FFFD.
    undecodable: tuple[str, ...] = ()


def _json_field(fields: dict[str, bytes], name: str) -> dict[str, Any]:
    raw = fields.get(name)
    if not raw:
        return {}
    try:
        value = json.loads(decode(raw, "utf-8"))
    except (ValueError, RecursionError):
        raise BadInboundEmail(f"{name}: not valid JSON") from None
    if not isinstance(value, dict):
        raise BadInboundEmail(f"{name}: expected a JSON object")
    return value


# -- parsing ----------------------------------------------------------------------------------


def parse(
    fields: dict[str, bytes], *, inbound_domain: str, own_addresses: Iterable[str] = ()
) -> InboundEmail:
    """Read an Inbound Parse post, parsed or raw mode, into an :class:`InboundEmail`.

    Args:
        inbound_domain: the domain of our ``reply+<token>@`` addresses.
        own_addresses: our sending addresses: mail from them is a loop, not a reply.

    Raises:
        BadInboundEmail: a required field is missing or malformed; the message names it.
    """
    envelope = _json_field(fields, "envelope")
    charsets = {str(k).lower(): str(v) for k, v in _json_field(fields, "charsets").items()}
    if fields.get("email"):
        return _parse_raw(fields, envelope, charsets, inbound_domain, own_addresses)
    if "headers" not in fields:
        raise BadInboundEmail("headers: missing (or email, in raw mode)")
    return _parse_parsed(fields, envelope, charsets, inbound_domain, own_addresses)


def _parse_parsed(
    fields: dict[str, bytes],
    envelope: dict[str, Any],
    charsets: dict[str, str],
    inbound_domain: str,
    own_addresses: Iterable[str],
) -> InboundEmail:
    header_text, header_replaced = decode_field(fields["headers"], "utf-8")
    headers = HeaderParser(policy=policy.default).parsestr(header_text)
    replaced = {"headers"} if header_replaced else set()

    def text_field(name: str) -> str:
        if name not in fields:
            return ""
        text, field_replaced = decode_field(fields[name], charsets.get(name))
        if field_replaced:
            replaced.add(name)
        return text

    text = text_field("text")
    if not text.strip() and fields.get("html"):
        text = html_to_text(text_field("html"))
    return _assemble(
        "parsed",
        headers,
        from_field=text_field("from"),
        to_fields=[text_field("to"), text_field("cc")],
        subject=text_field("subject"),
        text=text,
        envelope=envelope,
        charsets=charsets,
        inbound_domain=inbound_domain,
        own_addresses=own_addresses,
        replaced=replaced,
    )


def _parse_raw(
    fields: dict[str, bytes],
    envelope: dict[str, Any],
    charsets: dict[str, str],
    inbound_domain: str,
    own_addresses: Iterable[str],
) -> InboundEmail:
    message = BytesParser(policy=policy.default).parsebytes(fields["email"])
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    text, text_replaced = _message_text(message)
    return _assemble(
        "raw",
        message,
        from_field="",
        to_fields=[],
        subject="",
        text=text,
        envelope=envelope,
        charsets=charsets,
        inbound_domain=inbound_domain,
        own_addresses=own_addresses,
        replaced={"text"} if text_replaced else set(),
    )


def message_text(message: EmailMessage) -> str:
    """The text a person wrote in a MIME message: text/plain, or its HTML as text."""
    return _message_text(message)[0]


def _message_text(message: EmailMessage) -> tuple[str, bool]:
    for preference in ("plain", "html"):
        try:
            part = message.get_body(preferencelist=(preference,))
            charset = part.get_content_charset() if part is not None else None
        except (LookupError, ValueError, TypeError, AttributeError):
            # A Content-Type any sender can mangle; the other preference may still read.
            continue
        if part is None:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        text, replaced = decode_field(data, charset)
        if preference == "html":
            text = html_to_text(text)
        if text.strip():
            return text, replaced
    return "", False


def _header(headers: Any, name: str) -> str:
    try:
        value = headers.get(name)
    except (IndexError, ValueError, TypeError, AttributeError, LookupError, MessageError):
        # policy.default parses structured headers and can trip over a malformed one.
        value = None
    return str(value).strip() if value is not None else ""


def _addresses(values: Iterable[str]) -> list[str]:
    found = []
    for _name, address in getaddresses([v for v in values if v]):
        address = address.strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def _assemble(
    mode: str,
    headers: Any,
    *,
    from_field: str,
    to_fields: list[str],
    subject: str,
    text: str,
    envelope: dict[str, Any],
    charsets: dict[str, str],
    inbound_domain: str,
    own_addresses: Iterable[str],
    replaced: set[str],
) -> InboundEmail:
    def kept(name: str, value: str) -> str:
        # The email package itself writes U+FFFD for header bytes it cannot decode.
        value, changed = readable(value)
        if changed or REPLACEMENT in value:
            replaced.add(name)
        return value

    from_header = kept("from", from_field.strip() or _header(headers, "From"))
    sender = parseaddr(from_header)[1].strip().lower()
    if "@" not in sender:
        raise BadInboundEmail("from: missing or not an email address")

    # SendGrid sends a list of strings; a post may carry anything, and only strings are read.
    envelope_to = envelope.get("to")
    if not isinstance(envelope_to, list):
        envelope_to = [envelope_to]
    addresses = [*to_fields, _header(headers, "To"), _header(headers, "Cc")]
    addresses += [value for value in envelope_to if isinstance(value, str)]
    recipients = _addresses([kept("to", value) for value in addresses])
    references = [kept("headers", reference) for reference in _references(headers)]

    reply_token, routed_by = _route(recipients, references, inbound_domain)
    subject = kept("subject", subject.strip() or _header(headers, "Subject"))
    text = kept("text", text)
    found_id = _message_id(_header(headers, "Message-ID"))
    message_id = found_id or _content_id(sender, _header(headers, "Date"), subject, text)

    return InboundEmail(
        mode=mode,
        message_id=message_id,
        sender=sender,
        from_header=from_header,
        recipients=tuple(recipients),
        subject=subject,
        text=text,
        references=tuple(references),
        reply_token=reply_token,
        routed_by=routed_by,
        automatic=_automatic(headers, sender, envelope, own_addresses),
        headers={
            name: kept("headers", v) for name in _KEPT_HEADERS if (v := _header(headers, name))
        },
        charsets={kept("charsets", k): kept("charsets", v) for k, v in charsets.items()},
        message_id_missing=found_id is None,
        undecodable=tuple(sorted(replaced)),
    )


def _route(
    recipients: list[str], references: list[str], inbound_domain: str
) -> tuple[str | None, str | None]:
    """(reply token, how it was found): our ``reply+<token>@`` address first, then our
    Message-ID in the thread."""
    for address in recipients:
        match = REPLY_ADDRESS.fullmatch(address)
        if match and match.group(2).lower() == inbound_domain.lower():
            return match.group(1), "address"
    for reference in references:
        match = THREAD_ID.fullmatch(reference)
        if match and match.group(2).lower() == inbound_domain.lower():
            return match.group(1), "thread"
    return None, None


def _content_id(sender: str, date: str, subject: str, text: str) -> str:
    """Without a Message-ID, the content itself is the dedupe key for SendGrid's retries."""
    digest = hashlib.sha256(
        "\x00".join([sender, date, subject, text]).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return f"<{digest}@no-message-id.invalid>"


def _message_id(value: str) -> str | None:
    match = MESSAGE_ID.search(value)
    if match:
        bare = match.group(1)
    else:
        bare = value.strip().strip("<>").strip()
        if not bare or any(c.isspace() for c in bare):
            return None
    message_id = f"<{bare}>"
    if len(message_id) > 255 or readable(bare)[1]:
        # Too wide for the provider id column, or not storable: its digest dedupes as well.
        digest = hashlib.sha256(bare.encode("utf-8", "surrogatepass")).hexdigest()
        message_id = f"<{digest}@long-message-id.invalid>"
    return message_id


def _references(headers: Any) -> list[str]:
    found: list[str] = []
    in_reply_to = MESSAGE_ID.findall(_header(headers, "In-Reply-To"))
    references = MESSAGE_ID.findall(_header(headers, "References"))
    for reference in [*in_reply_to, *reversed(references)]:
        if reference not in found:
            found.append(reference)
    return found


def _automatic(
    headers: Any, sender: str, envelope: dict[str, Any], own_addresses: Iterable[str]
) -> str | None:
    """Why a message was written by a machine, not a person (RFC 3834 and common practice)."""
    auto_submitted = _header(headers, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if any(_header(headers, h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return "auto_reply"
    if _header(headers, "Precedence").lower() in _BULK_PRECEDENCE:
        return "bulk"
    content_type = _header(headers, "Content-Type").lower()
    if content_type.startswith("multipart/report") or _header(headers, "X-Failed-Recipients"):
        return "bounce"
    if sender.split("@", 1)[0] in _BOUNCE_SENDERS:
        return "bounce"
    if "from" in envelope and str(envelope.get("from") or "").strip() in ("", "<>"):
        return "bounce"  # a null reverse-path is how delivery reports are sent
    if sender in {a.strip().lower() for a in own_addresses}:
        return "loop"
    return None


# -- storing ----------------------------------------------------------------------------------


def store(engine: Engine, inbound: InboundEmail) -> Received:
    """Store one inbound email once, keyed by its Message-ID; a repeat changes nothing."""
    reply_address = next(
        (a for a in inbound.recipients if REPLY_ADDRESS.fullmatch(a)),
        inbound.recipients[0] if inbound.recipients else "",
    )
    row = {
        "direction": Direction.INBOUND.value,
        "channel": Channel.EMAIL.value,
        "provider_id": inbound.message_id,
        "from_address": inbound.sender[:320],
        "to_address": reply_address[:320],
        "subject": inbound.subject[:998] or None,
        "body": inbound.text,
        "status": "received",
        "payload": {
            "mode": inbound.mode,
            "from": inbound.from_header,
            "recipients": list(inbound.recipients),
            "references": list(inbound.references),
            "reply_token": inbound.reply_token,
            "routed_by": inbound.routed_by,
            "headers": inbound.headers,
            "charsets": inbound.charsets,
            "message_id_missing": inbound.message_id_missing,
            "undecodable": list(inbound.undecodable),
        },
        "created_at": now(),
        "process_attempts": 0,
    }
    new_id = insert_once(engine, cast(Table, Message.__table__), row)
    return Received(stored=new_id is not None, id=new_id, keyword=None, needs_processing=True)
