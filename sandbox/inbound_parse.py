"""SendGrid Inbound Parse as it posts to us: the sandbox plays contractors' email with it, and
the tests post sample messages with it.

Parsed mode sends the header block, each body part in its own charset (named in ``charsets``)
and the addresses; raw mode sends the whole MIME message in ``email``. Field bytes are kept
exactly as the message carried them, so a windows-1252 reply arrives as windows-1252 bytes.
"""

from __future__ import annotations

import html
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr

INBOUND_PATH = "/webhooks/sendgrid/inbound/"
# What SendGrid's MX adds on top of the sender's own headers.
SENDGRID_MX = "mx0047p1mdw1.sendgrid.net"


def _part(message: EmailMessage, subtype: str) -> tuple[bytes, str] | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload, part.get_content_charset() or "us-ascii"


def fields(
    raw: bytes, mode: str = "parsed", *, envelope_to: str | None = None
) -> list[tuple[str, bytes]]:
    """The form fields SendGrid would post for the message ``raw`` in ``mode``."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    to = str(message.get("To", ""))
    sender = str(message.get("From", ""))
    sender_address = parseaddr(sender)[1]
    envelope = {
        "to": [envelope_to or parseaddr(to)[1]],
        "from": sender_address,
    }
    sender_domain = sender_address.rpartition("@")[2] or "example.com"
    common: list[tuple[str, bytes]] = [
        ("to", to.encode()),
        ("from", sender.encode()),
        ("subject", str(message.get("Subject", "")).encode()),
        ("envelope", json.dumps(envelope).encode()),
        ("sender_ip", b"209.85.216.41"),
        ("SPF", b"pass"),
        ("dkim", f"{{@{sender_domain} : pass}}".encode()),
        ("spam_score", b"0.1"),
    ]
    if mode == "raw":
        charsets = {"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}
        return [*common, ("charsets", json.dumps(charsets).encode()), ("email", raw)]

    header_block = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0] + b"\n"
    charsets = {"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}
    body: list[tuple[str, bytes]] = []
    for name, subtype in (("text", "plain"), ("html", "html")):
        found = _part(message, subtype)
        if found is not None:
            data, charset = found
            body.append((name, data))
            charsets[name] = charset
    return [
        ("headers", header_block),
        *common,
        *body,
        ("charsets", json.dumps(charsets).encode()),
        ("attachments", b"0"),
    ]


def encode(form: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type, bytes kept as they are."""
    boundary = "xYzZY" + secrets.token_hex(8)
    chunks = []
    for name, value in form:
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class Original:
    """The email a reply quotes."""

    name: str | None
    address: str
    sent_at: datetime
    text: str


def gmail_when(sent_at: datetime) -> str:
    """How Gmail dates a quote: ``On Mon, Mar 2, 2026 at 10:00 AM``."""
    hour = sent_at.hour % 12 or 12
    meridiem = "AM" if sent_at.hour < 12 else "PM"
    day = f"{sent_at:%a}, {sent_at:%b} {sent_at.day}, {sent_at.year}"
    # Gmail puts a narrow no-break space before AM/PM.
    return f"On {day} at {hour}:{sent_at:%M}\u202f{meridiem}"


def gmail_reply(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    sent_at: datetime,
    in_reply_to: str | None = None,
    quoted: Original | None = None,
) -> EmailMessage:
    """A reply as Gmail writes it: multipart/alternative, threaded by In-Reply-To/References,
    the original quoted below in both parts (``>`` lines in text, a ``gmail_quote``
    blockquote in HTML).

    Args:
        sender, to: header values, ``Name <address>`` or a bare address.
        quoted: the email replied to, quoted below the reply when given.
    """
    message = EmailMessage()
    message["Received"] = (
        f"by {SENDGRID_MX} with SMTP id {secrets.token_urlsafe(8)} {format_datetime(sent_at)}"
    )
    message["MIME-Version"] = "1.0"
    if in_reply_to:
        message["References"] = in_reply_to
        message["In-Reply-To"] = in_reply_to
    message["From"] = sender
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<CA{secrets.token_urlsafe(30)}@mail.gmail.com>"
    message["Subject"] = subject
    message["To"] = to
    plain = text.rstrip("\n") + "\n"
    rich = f'<div dir="ltr">{_html_lines(text)}</div>'
    if quoted is not None:
        when = gmail_when(quoted.sent_at)
        who = f"{quoted.name} <{quoted.address}>" if quoted.name else quoted.address
        lines = quoted.text.rstrip("\n").splitlines()
        plain += f"\n{when} {who} wrote:\n\n"
        plain += "".join(f"> {line}".rstrip() + "\n" for line in lines) + "\n"
        who = html.escape(who)
        rich += (
            '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
            f"{html.escape(when)} {who} wrote:<br></div>"
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
            'border-left:1px solid rgb(204,204,204);padding-left:1ex">'
            f"{_html_lines(quoted.text)}</blockquote></div>"
        )
    message.set_content(plain)
    message.add_alternative(rich + "\n", subtype="html")
    return message


def _html_lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.rstrip("\n").splitlines())
