"""The bytes of an Inbound Parse post, and text from them in whatever charset they claim.

SendGrid posts ``multipart/form-data`` whose field bytes are in the sender's charset, not
necessarily UTF-8, so the form is read here (Werkzeug would decode every field as UTF-8 and
lose the rest) and each field decoded by what the message says about it.
"""

from __future__ import annotations

import re
from typing import IO

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

# Fields SendGrid sends that we read; attachments (attachment1..N) are never kept.
_WANTED = frozenset(
    {
        "headers",
        "text",
        "html",
        "from",
        "to",
        "cc",
        "subject",
        "envelope",
        "charsets",
        "email",
        "spam_score",
        "SPF",
        "dkim",
    }
)
_FIELD_LIMIT = 30 * 1024 * 1024  # SendGrid's own cap on a whole message
_READ_CHUNK = 64 * 1024

# Labels mail clients write for text that is really windows-1252 (as browsers treat them).
_WINDOWS_1252_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819"})


class BadInboundEmail(ValueError):
    """The post is not a usable Inbound Parse payload; the message names the field."""


def read_form(stream: IO[bytes], content_type: str) -> dict[str, bytes]:
    """The raw bytes of each wanted field of a ``multipart/form-data`` body.

    Raises:
        BadInboundEmail: not multipart, no boundary, or a field over the size limit.
    """
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    # RFC 2231 lets a boundary be written in UTF-8; a real one is ASCII (RFC 2046).
    if mimetype != "multipart/form-data" or not boundary or not boundary.isascii():
        raise BadInboundEmail("Content-Type: expected multipart/form-data with a boundary")
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_form_memory_size=None)
    fields: dict[str, bytearray] = {}
    name, current = "", None
    finished = False
    try:
        while not finished:
            chunk = stream.read(_READ_CHUNK)
            decoder.receive_data(chunk or None)
            while not finished:
                event = decoder.next_event()
                if isinstance(event, NeedData):
                    break
                if isinstance(event, Epilogue):
                    finished = True
                elif isinstance(event, File | Field):
                    # Raw mode's ``email`` may come as a file part; attachments never do here.
                    name = event.name
                    wanted = name == "email" if isinstance(event, File) else name in _WANTED
                    current = fields.setdefault(name, bytearray()) if wanted else None
                elif isinstance(event, Data) and current is not None:
                    current += event.data
                    if len(current) > _FIELD_LIMIT:
                        raise BadInboundEmail(f"{name}: over {_FIELD_LIMIT} bytes")
            if not chunk:
                break
    except ValueError as exc:
        if isinstance(exc, BadInboundEmail):
            raise
        raise BadInboundEmail(f"body: not a complete multipart form ({exc})") from None
    return {name: bytes(value) for name, value in fields.items()}


def decode(data: bytes, charset: str | None) -> str:
    """Text in the charset it says it is in; UTF-8, then windows-1252, when that fails."""
    return decode_field(data, charset)[0]


def decode_field(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Like :func:`decode`, and whether anything had to be replaced to read it.

    Any sender can name any charset: an unknown one, one that is not a text encoding ("rot13",
    "base64"), one whose decoder raises ("undefined", "punycode") or one that yields lone
    surrogates ("utf-7"). None of them stops the text being read: what cannot be decoded
    becomes U+FFFD, and so do NUL characters, which PostgreSQL does not store.
    """
    label = (charset or "").strip().strip('"').lower()
    candidates = []
    if label in _WINDOWS_1252_LABELS:
        candidates.append("cp1252")
    elif label and label not in ("us-ascii", "ascii"):
        candidates.append(label)
    candidates += ["utf-8", "cp1252"]
    for candidate in candidates:
        try:
            return readable(data.decode(candidate))
        except (LookupError, UnicodeError, ValueError, TypeError):
            # LookupError: unknown, or not a text encoding; UnicodeError: its decoder refused.
            continue
    return readable(data.decode("utf-8", errors="replace"))[0], True


_UNREADABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def readable(text: str) -> tuple[str, bool]:
    """``text`` as every database stores it: NUL and lone surrogates (what the email package
    makes of undecodable header bytes) replaced by U+FFFD; and whether any were."""
    cleaned, replaced = _UNREADABLE.subn(REPLACEMENT, text)
    return cleaned, replaced > 0
