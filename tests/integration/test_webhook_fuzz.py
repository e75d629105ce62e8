"""Seeded fuzz of every provider-facing endpoint, signed correctly so it gets past verification.

Whatever a signed (or secret-bearing) request carries, the answer is never a 5xx: a provider
retries those for days. Each test runs FUZZ_EXAMPLES requests (default 100; the issue's figures
were taken with 600) on SQLite and PostgreSQL, and prints how many were 5xx.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from core.config import Settings
from outreach import consent
from sandbox.inbound_parse import INBOUND_PATH, encode
from tests.webhook_helpers import (
    SMS_PATH,
    STATUS_PATH,
    inbound_sms,
    message_sid,
    post_events,
    post_twilio,
    status_params,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no example store: every run is the same seeded run
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the app and its database serve every example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
SEED = 20261207

# Values that broke something once, or look like what a parser gets wrong.
AWKWARD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u00b2",
    "9" * 400,
    "-1",
    "0",
    "2147483648",
    "1e9",
    "NaN",
    "SM" + "a" * 32 + "NumMedia0",
    "SM" + "0" * 300,
    "+1" + "4" * 400,
    "x" * 5000,
    "<script>alert(1)</script>",
    "\ufeffSTOP",
    "\uff33\uff34\uff2f\uff30",
    "%00",
    "{}",
    "[[[[[[]]]]]]",
]
texts = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=200, max_size=2000),
)
names = st.one_of(
    st.sampled_from(
        [
            "MessageSid",
            "SmsSid",
            "SmsMessageSid",
            "AccountSid",
            "From",
            "To",
            "Body",
            "NumMedia",
            "NumSegments",
            "MessageStatus",
            "ErrorCode",
            "ApiVersion",
            "MediaUrl0",
            "MessagingServiceSid",
            "OptOutType",
        ]
    ),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30),
)


@pytest.fixture
def tally(database_url: str) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    print(
        f"\nfuzz {counts['endpoint']} on {backend}: {counts['requests']} requests, "
        f"{counts['5xx']} answered 5xx"
    )


garbled_headers = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)


def _answer(tally: Counter[str], send: object) -> int:
    """The status, counting an exception the way a server would answer it: as a 500."""
    tally["requests"] += 1
    try:
        status = int(send())  # type: ignore[operator]
    except Exception:
        status = 500
    if status >= 500:
        tally["5xx"] += 1
    return status


def _mutated(
    base: dict[str, str], changes: dict[str, str], dropped: list[str], extra: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    pairs = [(k, v) for k, v in {**base, **changes}.items() if k not in dropped]
    return pairs + extra


@seed(SEED)
@FUZZ
@given(
    changes=st.dictionaries(names, texts, max_size=4),
    dropped=st.lists(names, max_size=3),
    extra=st.lists(st.tuples(names, texts), max_size=2),
    body=texts,
    forged=st.one_of(st.none(), st.none(), garbled_headers),
)
def test_fuzz_twilio_sms_signed_never_answers_5xx(
    client: FlaskClient,
    settings: Settings,
    tally: Counter[str],
    changes: dict[str, str],
    dropped: list[str],
    extra: list[tuple[str, str]],
    body: str,
    forged: str | None,
) -> None:
    tally["endpoint"] = SMS_PATH  # type: ignore[assignment]
    pairs = _mutated(inbound_sms(body), changes, dropped, extra)

    status = _answer(
        tally, lambda: post_twilio(client, settings, SMS_PATH, pairs, signature=forged).status_code
    )

    assert status < 500, pairs


@seed(SEED)
@FUZZ
@given(
    changes=st.dictionaries(names, texts, max_size=4),
    dropped=st.lists(names, max_size=3),
    status=st.one_of(st.sampled_from(["sent", "delivered", "failed", "undelivered"]), texts),
    query=st.one_of(
        st.integers(-(2**70), 2**70).map(lambda n: f"m={n}"),
        texts.map(lambda t: "m=" + quote(t)),
        st.just(""),
        st.just("m=1&m=2"),
        texts.map(lambda t: quote(t) + "=1"),
    ),
)
def test_fuzz_twilio_status_callback_signed_never_answers_5xx(
    client: FlaskClient,
    settings: Settings,
    tally: Counter[str],
    changes: dict[str, str],
    dropped: list[str],
    status: str,
    query: str,
) -> None:
    tally["endpoint"] = STATUS_PATH  # type: ignore[assignment]
    sid = message_sid()
    pairs = _mutated(status_params(sid, status, error_code="30003"), changes, dropped, [])

    answer = _answer(
        tally, lambda: post_twilio(client, settings, STATUS_PATH, pairs, query=query).status_code
    )

    assert answer < 500, (pairs, query)


def _containers(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    )


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**80), 2**80),
        st.floats(allow_nan=False),
        texts,
    ),
    _containers,
    max_leaves=12,
)
event_keys = st.sampled_from(
    [
        "email",
        "event",
        "sg_event_id",
        "sg_message_id",
        "message_id",
        "timestamp",
        "status",
        "reason",
        "type",
        "invitation_id",
    ]
)


def _event(n: int) -> dict[str, object]:
    return {
        "email": "rosa@example.com",
        "event": "delivered",
        "sg_event_id": f"evt-{n}",
        "sg_message_id": "abc.filter-1",
        "message_id": "1",
        "timestamp": 1772463600,
    }


@seed(SEED)
@FUZZ
@given(
    events=st.lists(st.dictionaries(event_keys, json_values, max_size=4), min_size=1, max_size=3),
    events_kind=st.sampled_from(["bounce", "dropped", "spamreport", "unsubscribe", "delivered"]),
    whole=st.one_of(st.none(), json_values),
    raw=st.one_of(st.none(), st.binary(max_size=200)),
    stamp=st.one_of(
        st.none(),
        st.sampled_from(["\u00b2", "9" * 400, "", " 1", "-1", "1.5", "\uff11"]),
        st.integers(0, 10**15).map(str),
    ),
    forged=st.one_of(st.none(), st.none(), garbled_headers),
)
def test_fuzz_sendgrid_events_signed_never_answers_5xx(
    client: FlaskClient,
    settings: Settings,
    tally: Counter[str],
    events: list[dict[str, object]],
    events_kind: str,
    whole: object,
    raw: bytes | None,
    stamp: str | None,
    forged: str | None,
) -> None:
    tally["endpoint"] = "/webhooks/sendgrid/events"  # type: ignore[assignment]
    batch = [{**_event(i), "event": events_kind, **e} for i, e in enumerate(events)]
    body = raw if raw is not None else json.dumps(whole if whole is not None else batch).encode()

    status = _answer(tally, lambda: post_events(client, settings, body, stamp, forged).status_code)

    assert status < 500, (body[:300], stamp)


charsets = st.one_of(
    st.sampled_from(
        [
            "utf-8",
            "undefined",
            "punycode",
            "idna",
            "utf-7",
            "rot13",
            "base64",
            "utf-16",
            "iso-8859-1",
            "x-unknown",
            "",
            "utf-32",
        ]
    ),
    st.text(max_size=12),
)
awkward_bytes = st.sampled_from(
    [b"\x00", b"+2D0-", b"+3gA-", b"\x81\x8d", b"\xff\xfe", b"\xc3\x28", b"=?x?q?a?=", b"\r\n\r\n"]
)
email_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(awkward_bytes, st.binary(max_size=20)), max_size=6).map(b"".join),
)
envelopes = st.one_of(json_values, st.fixed_dictionaries({"to": json_values, "from": json_values}))


header_lines = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "From",
                "To",
                "Subject",
                "Message-ID",
                "In-Reply-To",
                "References",
                "Date",
                "Content-Type",
                "Auto-Submitted",
                "X-Mailer",
                "Cc",
            ]
        ),
        st.one_of(email_bytes, texts.map(lambda t: t.encode("utf-8"))),
    ),
    max_size=6,
)


@seed(SEED)
@FUZZ
@given(
    mode=st.sampled_from(["parsed", "raw"]),
    lines=header_lines,
    text=email_bytes,
    charset_map=st.fixed_dictionaries(
        {"text": charsets},
        optional={name: charsets for name in ("html", "from", "to", "subject")},
    ),
    envelope=envelopes,
    fields=st.lists(
        st.tuples(
            st.sampled_from(["from", "to", "subject", "html", "cc", "spam_score", "headers"]),
            email_bytes,
        ),
        max_size=3,
    ),
    content_type=st.one_of(
        st.none(),
        st.none(),
        garbled_headers,
        st.sampled_from(["multipart/form-data; boundary*=utf-8''%E2%82%AC", "multipart/form-data"]),
    ),
)
def test_fuzz_sendgrid_inbound_parse_never_answers_5xx(
    client: FlaskClient,
    settings: Settings,
    tally: Counter[str],
    mode: str,
    lines: list[tuple[str, bytes]],
    text: bytes,
    charset_map: dict[str, str],
    envelope: object,
    fields: list[tuple[str, bytes]],
    content_type: str | None,
) -> None:
    tally["endpoint"] = INBOUND_PATH  # type: ignore[assignment]
    header_block = b"From: Rosa <rosa@example.com>\n" + b"".join(
        name.encode() + b": " + value.replace(b"\n", b" ") + b"\n" for name, value in lines
    )
    form: list[tuple[str, bytes]] = [
        ("envelope", json.dumps(envelope).encode()),
        ("charsets", json.dumps(charset_map).encode()),
        ("to", b"reply+tok12345@reply.example.com"),
    ]
    if mode == "raw":
        form.append(("email", header_block.replace(b"\n", b"\r\n") + b"\r\n" + text))
    else:
        form += [("headers", header_block), ("text", text), *fields]
    body, content_type = encode(form)

    status = _answer(
        tally,
        lambda: (
            client.post(
                INBOUND_PATH + settings.sendgrid_inbound_secret,
                data=body,
                content_type=content_type,
            ).status_code
        ),
    )

    assert status < 500, form


@seed(SEED)
@FUZZ
@given(
    token=st.one_of(
        texts.map(lambda t: quote(t, safe="")),
        st.integers(-(2**70), 2**70),  # signed tokens for ids we never made
        st.sampled_from(["", ".", "..", "a.b", "%2F", "%00"]),
    ),
    method=st.sampled_from(["GET", "POST"]),
    form=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=3),
)
def test_fuzz_unsubscribe_never_answers_5xx(
    client: FlaskClient,
    settings: Settings,
    tally: Counter[str],
    token: str | int,
    method: str,
    form: dict[str, str],
) -> None:
    tally["endpoint"] = "/u/<token>"  # type: ignore[assignment]
    if isinstance(token, int):
        token = consent.unsubscribe_token(settings.secret_key, token)

    status = _answer(
        tally, lambda: client.open(f"/u/{token}", method=method, data=form).status_code
    )

    assert status < 500, token
