"""Email any sender can write: odd charsets, undecodable bytes, NUL, odd envelopes.

Every one is stored (SendGrid retries a 5xx for three days and the reply would never arrive),
with what could not be decoded replaced by U+FFFD and flagged, and read into a reply that staff
see flagged.
"""

from __future__ import annotations

import json

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import select

from core.config import Settings
from core.db import db
from outreach.models import Message
from sandbox.inbound_parse import INBOUND_PATH, encode
from surveys.models import Response
from tests.conftest import FrozenClock
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_staff_user
from tests.integration.conftest import Live
from tests.outreach_helpers import make_invitation, make_survey
from tests.staff_helpers import sign_in

SENDER = "rosa@example.com"
TO = "reply+tok12345@reply.example.com"


def _headers(message_id: str, extra: str = "") -> bytes:
    return (
        f"From: Rosa <{SENDER}>\nTo: {TO}\nSubject: Re: How is Acme?\n"
        f"Message-ID: <{message_id}@mail.example.com>\n{extra}"
    ).encode()


def _parsed(
    message_id: str,
    text: bytes,
    charsets: object = None,
    envelope: object = None,
    *,
    headers: bytes | None = None,
) -> list[tuple[str, bytes]]:
    charsets = {"text": "utf-8", "to": "UTF-8", "from": "UTF-8"} if charsets is None else charsets
    envelope = {"to": [TO], "from": SENDER} if envelope is None else envelope
    return [
        ("headers", headers if headers is not None else _headers(message_id)),
        ("from", f"Rosa <{SENDER}>".encode()),
        ("to", TO.encode()),
        *([] if headers else [("subject", b"Re: How is Acme?")]),
        ("text", text),
        ("envelope", json.dumps(envelope).encode()),
        ("charsets", json.dumps(charsets).encode()),
    ]


def _raw(
    message_id: str, body: bytes, content_type: bytes, extra: bytes = b""
) -> list[tuple[str, bytes]]:
    email = (
        f"From: Rosa <{SENDER}>\r\nTo: {TO}\r\nSubject: Re: How is Acme?\r\n"
        f"Message-ID: <{message_id}@mail.example.com>\r\nMIME-Version: 1.0\r\n".encode()
        + extra
        + b"Content-Type: "
        + content_type
        + b"\r\n\r\n"
        + body
    )
    return [
        ("envelope", json.dumps({"to": [TO], "from": SENDER}).encode()),
        ("charsets", b'{"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}'),
        ("email", email),
    ]


# (name, form, what must survive in the stored text)
EMAILS = [
    ("charset undefined", _parsed("c1", b"4 caf\xe9 ok", {"text": "undefined"}), "4 caf"),
    ("charset punycode", _parsed("c2", b"4 \x81\x8d good", {"text": "punycode"}), "good"),
    ("charset idna", _parsed("c3", b"4 \x80 fine", {"text": "idna"}), "fine"),
    ("charset rot13", _parsed("c4", b"4 all good", {"text": "rot13"}), "4 all good"),
    ("charset base64", _parsed("c5", b"4 all good", {"text": "base64"}), "4 all good"),
    ("utf-7 lone surrogate", _parsed("c6", b"3 meh +2D0- badge", {"text": "utf-7"}), "badge"),
    ("NUL in text", _parsed("c7", b"2 pay\x00 is late", {"text": "utf-8"}), "is late"),
    ("NUL in headers", _parsed("c8", b"5", headers=_headers("c8", "X-Mailer: a\x00b\n")), "5"),
    ("envelope to a number", _parsed("c9", b"4 ok", envelope={"to": 5, "from": SENDER}), "4 ok"),
    (
        "envelope to objects",
        _parsed("c10", b"4 ok", envelope={"to": [{"a": 1}, None], "from": [1]}),
        "4 ok",
    ),
    ("charsets values objects", _parsed("c13", b"4 ok", charsets={"text": {"x": 1}}), "4 ok"),
    ("invalid utf-8 in utf-8", _parsed("c14", b"4 \xc3\x28 ok", {"text": "utf-8"}), "ok"),
    (
        "subject in an unknown charset",
        _parsed(
            "c15",
            b"4 ok",
            headers=_headers("c15").replace(
                b"Subject: Re: How is Acme?", b"Subject: =?x-unknown?q?caf=E9?="
            ),
        ),
        "4 ok",
    ),
    (
        "raw 8-bit headers",
        _raw("c16", b"4 fine", b"text/plain; charset=utf-8", b"X-Mailer: caf\xe9\xff\r\n"),
        "4 fine",
    ),
    ("raw charset undefined", _raw("c17", b"4 caf\xe9", b"text/plain; charset=undefined"), "4 caf"),
    ("raw utf-7 surrogate", _raw("c18", b"4 +3gA- ok", b"text/plain; charset=utf-7"), "ok"),
    ("raw NUL body", _raw("c19", b"4 ok\x00\x00 fine", b"text/plain; charset=utf-8"), "fine"),
    (
        "message-id with NUL",
        _parsed("c20", b"4 ok", headers=_headers("c20\x00x")),
        "4 ok",
    ),
    (
        "html only with NUL",
        [
            *_parsed("c21", b"")[:-2],
            ("html", b"<p>4 \x00 ok</p>"),
            ("envelope", b"{}"),
            ("charsets", b"{}"),
        ],
        "ok",
    ),
]


def _post(client: FlaskClient, settings: Settings, form: list[tuple[str, bytes]]) -> int:
    body, content_type = encode(form)
    try:
        answer = client.post(
            INBOUND_PATH + settings.sendgrid_inbound_secret, data=body, content_type=content_type
        )
    except Exception:  # what a server in production would answer 500; counted, not hidden
        return 500
    return answer.status_code


# Which parts of each email could not be read whole, and so are flagged.
UNDECODABLE = {
    "charset punycode": ["text"],  # bytes no charset reads: replaced
    "utf-7 lone surrogate": ["text"],
    "NUL in text": ["text"],
    "NUL in headers": ["headers"],
    "subject in an unknown charset": ["subject"],
    "raw 8-bit headers": ["headers"],
    "raw utf-7 surrogate": ["text"],
    "raw NUL body": ["text"],
    "message-id with NUL": ["headers"],
    "html only with NUL": ["html", "text"],
}


def test_inbound_email_any_sender_can_write_is_stored_and_flagged_never_500(
    client: FlaskClient, settings: Settings
) -> None:
    statuses = {name: _post(client, settings, form) for name, form, _ in EMAILS}

    with db.session() as session:
        stored = list(session.scalars(select(Message).order_by(Message.id)))
    assert statuses == dict.fromkeys(statuses, 200)
    assert len(stored) == len(EMAILS) >= 12
    for (name, _, survives), message in zip(EMAILS, stored, strict=True):
        assert survives in message.body, name
        assert "\x00" not in message.body, name
        assert message.payload["undecodable"] == UNDECODABLE.get(name, []), name
    print(f"stored {len(stored)}/{len(EMAILS)}")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("envelope", b"{nope"),
        ("envelope", b'["reply+tok12345@reply.example.com"]'),
        ("charsets", b'["utf-8"]'),
        ("charsets", b"[" * 50_000 + b"]" * 50_000),
    ],
)
def test_inbound_email_post_not_shaped_like_sendgrids_gets_400_naming_the_field(
    client: FlaskClient, settings: Settings, name: str, value: bytes
) -> None:
    form = [(k, value if k == name else v) for k, v in _parsed("s1", b"4 ok")]
    body, content_type = encode(form)

    answer = client.post(
        INBOUND_PATH + settings.sendgrid_inbound_secret, data=body, content_type=content_type
    )

    assert answer.status_code == 400
    assert f"{name}:".encode() in answer.data


def test_inbound_email_with_undecodable_text_is_read_and_shown_flagged_to_staff(
    live: Live, clock: FrozenClock
) -> None:
    with db.session() as session:
        contractor = make_contractor(session, email=SENDER, channel="email")
        survey = make_survey(session)
        make_invitation(
            session,
            survey,
            contractor.id,
            channel="email",
            status="sent",
            reply_token="tok12345",
            sent_at=clock.current,
        )
        user = make_staff_user(session, role="support")
        session.commit()
    form = _parsed("u1", b"4 all good \x81\x8d thanks", {"text": "punycode"})
    body, content_type = encode(form)
    url = live.url + INBOUND_PATH + live.app.config["SETTINGS"].sendgrid_inbound_secret

    assert requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=10).ok
    live.work()

    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.rating == 4
        assert response.flags["undecodable"] == ["text"]
        assert response.flagged  # a good reply, flagged only because part of it was unreadable
    staff = live.app.test_client()
    sign_in(staff, user.email, DEFAULT_STAFF_PASSWORD)
    html = staff.get("/staff/replies").get_data(as_text=True)
    assert "part unreadable" in html
    assert "4 all good \ufffd\ufffd thanks" in html


def test_inbound_email_with_a_non_ascii_boundary_gets_400_naming_content_type(
    client: FlaskClient, settings: Settings
) -> None:
    answer = client.post(
        INBOUND_PATH + settings.sendgrid_inbound_secret,
        data=b"--\xe2\x82\xac\r\n",
        content_type="multipart/form-data; boundary*=utf-8''%E2%82%AC",
    )

    assert answer.status_code == 400
    assert b"Content-Type:" in answer.data
