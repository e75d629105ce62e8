"""Reading SendGrid Inbound Parse posts: charsets, routing, machine mail, and the reply itself."""

from __future__ import annotations

import io
import json
from email.message import EmailMessage

import pytest

from outreach.email_form import BadInboundEmail, decode, read_form
from outreach.email_inbox import InboundEmail, parse
from outreach.email_text import html_to_text, reply_text
from outreach.email_threads import thread_message_id
from tests.fixtures.email.inbound_parse import encode, fields, sample

DOMAIN = "reply.example.com"
_OUTLOOK_WEB = (
    "3 - the work is fine but my access badge expired on Friday and security says the agency "
    "has to renew it."
)
_OUTLOOK_DESKTOP = (
    "5 \u2013 best placement I have had, the site lead walks the floor with us every morning."
    "\n\nJames"
)


def _read(raw: bytes, mode: str = "parsed", **kwargs: str) -> InboundEmail:
    body, content_type = encode(fields(raw, mode))
    form = read_form(io.BytesIO(body), content_type)
    return parse(form, inbound_domain=DOMAIN, own_addresses=["pulse@example.com"], **kwargs)


def _email(body: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Rosa Diaz <rosa@example.com>")
    message["To"] = headers.pop("To", f"reply+0f1e2d3c4b5a6978@{DOMAIN}")
    message["Subject"] = headers.pop("Subject", "Re: How is Acme going?")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@mail.example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


@pytest.mark.parametrize("mode", ["parsed", "raw"])
@pytest.mark.parametrize(
    ("sample_name", "expected"),
    [
        (
            "gmail_reply.eml",
            "2 - my timecard for last week still hasn't been approved and payroll says it's on "
            "my manager. Nobody is answering my emails about it.\n\nRosa",
        ),
        (
            "outlook_reply.eml",
            "Honestly it\u2019s been rough. They still haven\u2019t given me a laptop or a "
            "building badge, so I wait in the lobby every morning until someone lets me in. 2",
        ),
        (
            "apple_mail_reply.eml",
            "5! Great crew and the site lead checks in with me every morning.",
        ),
        (  # bottom-posted: the answer is below the quote
            "gmail_bottom_post.eml",
            "4 out of 5. The forklift certification class got moved again, otherwise\ngood.\n\nDev",
        ),
        (  # attribution wrapped over two lines, in Spanish
            "gmail_spanish_reply.eml",
            "Le doy un 3. Los compa\u00f1eros son amables pero todav\u00eda no me dan el gafete.",
        ),
        (  # De:/Enviado:/Para:/Asunto: below a line of underscores
            "outlook_spanish_reply.eml",
            "2 de 5. Me cambiaron el turno a la noche sin avisarme y nadie de la agencia "
            "contesta el tel\u00e9fono.",
        ),
        ("outlook_original_message.eml", "Four. Paycheck was right this time."),
        ("outlook_web_html_only.eml", _OUTLOOK_WEB),
        ("outlook_desktop_html_only.eml", _OUTLOOK_DESKTOP),
        ("outlook_ios_reply.eml", "2, still no laptop after three weeks"),
        (  # bottom-posted on an iPhone: "Sent from my iPhone" sits above the quote
            "apple_mail_bottom_post.eml",
            "2 - the shuttle from the parking lot stopped running and I have been late three "
            "times this week.",
        ),
        ("apple_mail_html_only.eml", "I\u2019d give it a 4. Good team, long commute."),
        (  # the quote is not marked with ">"
            "yahoo_reply.eml",
            "3, the new scheduling app keeps logging me out and I miss shift swaps.",
        ),
        ("yahoo_android_reply.eml", "5 no complaints, good crew"),
        (
            "galaxy_reply.eml",
            "1. They sent me home twice without pay because the client had no work.",
        ),
    ],
)
def test_reply_text_of_each_mail_client_drops_quote_and_signature(
    sample_name: str, expected: str, mode: str
) -> None:
    assert reply_text(_read(sample(sample_name), mode).text) == expected


@pytest.mark.parametrize(
    ("sample_name", "expected"),
    [
        (
            "gmail_bottom_post.eml",
            "4 out of 5. The forklift certification class got moved again, otherwise good.\n\nDev",
        ),
        (
            "gmail_spanish_reply.eml",
            "Le doy un 3. Los compa\u00f1eros son amables pero todav\u00eda no me dan el gafete.",
        ),
        ("outlook_ios_reply.eml", "2, still no laptop after three weeks"),
        (
            "yahoo_reply.eml",
            "3, the new scheduling app keeps logging me out and I miss shift swaps.",
        ),
        ("yahoo_android_reply.eml", "5 no complaints, good crew"),
    ],
)
def test_reply_text_of_html_part_alone_keeps_only_the_new_words(
    sample_name: str, expected: str
) -> None:
    # Some clients send HTML only; the same mail read from its HTML part must read the same.
    form = dict(fields(sample(sample_name), "parsed"))
    del form["text"]
    body, content_type = encode(list(form.items()))
    message = parse(read_form(io.BytesIO(body), content_type), inbound_domain=DOMAIN)
    assert reply_text(message.text) == expected


_QUOTE = "\n\n> Hi Rosa,\n> How is Acme going? Reply 1-5.\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Fine, 4.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse <pulse@example.com> "
            "wrote:" + _QUOTE,
            "Fine, 4.",
        ),
        (  # some clients leave out the colon
            "Fine, 4.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse <pulse@example.com> "
            "wrote" + _QUOTE,
            "Fine, 4.",
        ),
        (
            "Fine, 4.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse <\npulse@example.com> "
            "wrote:" + _QUOTE,
            "Fine, 4.",
        ),
        (
            "Bien, un 4.\n\nEl lun, 2 mar 2026 a las 10:00, Contractor Pulse "
            "(<pulse@example.com>) escribi\u00f3:" + _QUOTE,
            "Bien, un 4.",
        ),
        (
            "Bien, un 4.\n\nEl lun, 2 mar 2026 a las 10:00, Contractor Pulse (<\n"
            "pulse@example.com>) escribi\u00f3:" + _QUOTE,
            "Bien, un 4.",
        ),
        (
            "Bien, un 4.\n\nEl 2 mar 2026, a las 10:00, Contractor Pulse <pulse@example.com> "
            "escribi\u00f3" + _QUOTE,
            "Bien, un 4.",
        ),
        (  # Outlook for Mac quotes without ">"
            '3, slow week\n\nOn 3/2/26, 10:00 AM, "Contractor Pulse" <pulse@example.com> '
            "wrote:\n\nHi Rosa,\nHow is Acme going?\n",
            "3, slow week",
        ),
        (
            "4 fine\n\n-----Original Message-----\nFrom: Contractor Pulse <pulse@example.com>\n"
            "Sent: Monday, March 2, 2026 10:00 AM\nTo: Bo <bo@example.com>\n"
            "Subject: How is Acme going?\n\nHi Bo,\n",
            "4 fine",
        ),
        (
            "4 bien\n\n-----Mensaje original-----\nDe: Contractor Pulse <pulse@example.com>\n"
            "Fecha: lunes, 2 de marzo de 2026 10:00\n\nHola Bo,\n",
            "4 bien",
        ),
        (
            "3, falta el gafete\n\nDe: Contractor Pulse <pulse@example.com>\n"
            "Enviado: lunes, 2 de marzo de 2026 10:00\nPara: Rosa <rosa@example.com>\n"
            "Asunto: \u00bfC\u00f3mo va Acme?\n\nHola Rosa,\n",
            "3, falta el gafete",
        ),
        (  # bottom-posted
            "On Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse <pulse@example.com> wrote:"
            + _QUOTE
            + "\n4, all good\n\nSent from my iPhone\n",
            "4, all good",
        ),
        (  # Windows line ends
            "5 great\r\n\r\nOn Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse "
            "<pulse@example.com> wrote:\r\n\r\n> Hi Rosa,\r\n",
            "5 great",
        ),
    ],
)
def test_reply_text_drops_each_kind_of_quote_header(text: str, expected: str) -> None:
    assert reply_text(text) == expected


@pytest.mark.parametrize(
    "phone_line",
    [
        "Sent from my iPhone",
        "Sent from my iPad",
        "Sent from my Galaxy",
        "Sent from my Verizon, Samsung Galaxy smartphone",
        "Sent from my T-Mobile 5G Device",
        "Sent from my BlackBerry 10 smartphone on the Verizon Wireless 4G LTE network.",
        "Sent from Yahoo Mail on Android",
        "Sent from Yahoo Mail for iPhone <https://overview.mail.yahoo.com/?.src=iOS>",
        "Sent from Outlook for iOS",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Get Outlook for Android",
        "Sent from Mail for Windows",
        "Enviado desde mi iPhone",
        "Enviado desde mi Samsung Galaxy",
        "Enviado desde Yahoo Mail para Android",
        "Obtener Outlook para Android",
    ],
)
def test_reply_text_drops_the_line_a_phone_adds(phone_line: str) -> None:
    assert reply_text(f"4 - good week\n\n{phone_line}\n") == "4 - good week"
    # Above a quote the contractor answered below, the line must not take the answer with it.
    bottom = f"{phone_line}\n\nOn Mon, Mar 2, 2026 at 10:00 AM Pulse <p@example.com> wrote:"
    assert reply_text(bottom + _QUOTE + "\n4 - good week\n") == "4 - good week"


@pytest.mark.parametrize(
    "text",
    [
        "Sent from the site office: the badge still does not work. 2",
        "On Monday my manager wrote\nme up for being late. 2",
        "On Monday my manager wrote: be on time. 2",
    ],
)
def test_reply_text_keeps_sentences_that_look_like_mail_furniture(text: str) -> None:
    assert reply_text(text) == text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<div dir="ltr">4, good</div><div class="gmail_quote"><div class="gmail_attr">'
            'On Mon, Mar 2, 2026 at 10:00 AM Pulse wrote:</div><blockquote class="gmail_quote">'
            "Hi Rosa</blockquote></div>",
            "4, good",
        ),
        (
            '<div>4, good</div><blockquote type="cite"><div>On Mar 2, 2026, at 10:00 AM, '
            "Pulse wrote:</div><div>Hi Rosa</div></blockquote>",
            "4, good",
        ),
        (
            '<div>4, good</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg">'
            "<b>From:</b> Pulse<br><b>Sent:</b> Monday<br><b>Subject:</b> Hi</div>"
            "<div><p>Hi Rosa,</p><p>How is Acme going?</p></div>",
            "4, good",
        ),
        (  # forwarded through Outlook on the web, ids get an "x_" prefix
            '<div>4, good</div><hr><div id="x_divRplyFwdMsg"><b>From:</b> Pulse</div>'
            "<div>Hi Rosa,</div>",
            "4, good",
        ),
        (
            '<div>4, good</div><div id="yahoo_quoted_123" class="yahoo_quoted">'
            "<div>On Monday, March 2, 2026, Pulse wrote:</div><div>Hi Rosa</div></div>",
            "4, good",
        ),
        (  # bottom-posted in Gmail: the answer after the quote stays
            '<div class="gmail_quote"><blockquote class="gmail_quote">Hi Rosa</blockquote></div>'
            "<div>4, good</div>",
            "4, good",
        ),
    ],
)
def test_html_to_text_leaves_out_each_clients_quote(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_reply_text_gmail_attribution_wrapped_over_two_lines_is_still_a_quote() -> None:
    text = (
        "Fine, 4.\n\nOn Mon, Mar 2, 2026 at 10:00\u202fAM Contractor Pulse <pulse@example.com>\n"
        "wrote:\n\n> Hi Rosa,\n> How is Acme going?\n"
    )
    assert reply_text(text) == "Fine, 4."


def test_reply_text_keeps_a_sentence_that_starts_with_thanks() -> None:
    text = "Good week.\nThanks, the crew helped a lot with the new badge. 5\n"
    assert reply_text(text) == "Good week.\nThanks, the crew helped a lot with the new badge. 5"


def test_reply_text_keeps_a_hyphen_list() -> None:
    text = "Three things:\n- timecard late\n- no badge\n\nThanks,\nBo\n"
    assert reply_text(text) == "Three things:\n- timecard late\n- no badge"


def test_reply_text_keeps_answers_written_between_quoted_lines() -> None:
    text = (
        "On Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse <pulse@example.com> wrote:\n"
        "> How is it going? Reply 1-5.\n\n4, fine\n\n> Anything else?\n\n"
        "The badge does not work\n"
    )
    assert reply_text(text) == "4, fine\n\nThe badge does not work"


def test_parse_raw_windows1252_reply_decodes_accents_and_curly_quotes() -> None:
    message = _read(sample("windows1252_raw.eml"), "raw")
    reply = reply_text(message.text)
    assert reply.startswith("3 \u2013 the work itself is fine, but my manager Jos\u00e9 keeps")
    assert "I\u2019m being asked" in reply
    assert "Zo\u00eb" not in reply  # the signature went with "Kind regards,"
    assert message.sender == "zoe.mueller@web.de"
    assert message.from_header == "Zo\u00eb M\u00fcller <zoe.mueller@web.de>"


def test_parse_parsed_iso_8859_1_text_is_decoded_by_charsets() -> None:
    message = _read(sample("iso88591_reply.eml"), "parsed")
    assert message.charsets["text"] == "iso-8859-1"
    assert reply_text(message.text).startswith(
        "4 - tr\u00e8s bien. The caf\u00e9 badge works now and the team is friendly. "
        "Na\u00efve question"
    )


def test_decode_with_a_wrong_charset_label_falls_back_instead_of_mangling() -> None:
    data = "Jos\u00e9 isn\u2019t paid".encode("cp1252")
    assert decode(data, "utf-8") == "Jos\u00e9 isn\u2019t paid"
    assert decode(data, "no-such-charset") == "Jos\u00e9 isn\u2019t paid"
    assert decode("caf\u00e9".encode(), "us-ascii") == "caf\u00e9"


def test_parse_html_only_reply_is_read_without_the_gmail_quote() -> None:
    form = dict(fields(sample("gmail_reply.eml"), "parsed"))
    del form["text"]
    body, content_type = encode(list(form.items()))
    message = parse(read_form(io.BytesIO(body), content_type), inbound_domain=DOMAIN)
    assert reply_text(message.text) == (
        "2 - my timecard for last week still hasn't been approved and payroll says it's on "
        "my manager. Nobody is answering my emails about it.\n\nRosa"
    )


def test_parse_routes_by_reply_address_on_our_domain_only() -> None:
    ours = _read(_email("4"))
    assert (ours.reply_token, ours.routed_by) == ("0f1e2d3c4b5a6978", "address")

    elsewhere = _read(_email("4", To="reply+0f1e2d3c4b5a6978@evil.example.net"))
    assert (elsewhere.reply_token, elsewhere.routed_by) == (None, None)


def test_parse_routes_by_our_message_id_when_the_reply_address_is_gone() -> None:
    sent_id = thread_message_id("a1b2c3d4e5f60718", DOMAIN)
    message = _read(
        _email(
            "4 all good",
            To=f"Contractor Pulse <hello@{DOMAIN}>",
            In_Reply_To=sent_id,
            References=f"<older@mail.example.com> {sent_id}",
        )
    )
    assert (message.reply_token, message.routed_by) == ("a1b2c3d4e5f60718", "thread")
    assert message.references[0] == sent_id.strip("<>")


@pytest.mark.parametrize(
    ("sample_name", "reason"),
    [
        ("auto_reply.eml", "auto_submitted"),
        ("vacation_autoreply.eml", "auto_reply"),
        ("bounce.eml", "auto_submitted"),
    ],
)
def test_parse_marks_machine_written_mail(sample_name: str, reason: str) -> None:
    assert _read(sample(sample_name)).automatic == reason


def test_parse_marks_bounces_without_auto_submitted_by_sender_report_or_envelope() -> None:
    daemon = _email("could not deliver", From="MAILER-DAEMON@mx.example.net")
    assert _read(daemon).automatic == "bounce"

    report = sample("bounce.eml").replace(b"Auto-Submitted: auto-replied\n", b"")
    report = report.replace(b"MAILER-DAEMON@mx.example.net", b"robot@mx.example.net")
    assert _read(report, "raw").automatic == "bounce"

    form = dict(fields(_email("550 user unknown", From="robot@mx.example.net")))
    form["envelope"] = json.dumps({"to": [f"reply+x1y2z3w4@{DOMAIN}"], "from": ""}).encode()
    body, content_type = encode(list(form.items()))
    assert parse(read_form(io.BytesIO(body), content_type), inbound_domain=DOMAIN).automatic == (
        "bounce"
    )


def test_parse_marks_mail_from_our_own_address_as_a_loop() -> None:
    assert _read(_email("Hi Rosa", From="pulse@example.com")).automatic == "loop"


def test_parse_person_written_reply_is_not_automatic() -> None:
    assert _read(sample("gmail_reply.eml")).automatic is None


def test_parse_without_from_names_the_field() -> None:
    form = [(k, v) for k, v in fields(_email("4")) if k != "from"]
    form = [(k, v.replace(b"From: Rosa Diaz <rosa@example.com>\n", b"")) for k, v in form]
    body, content_type = encode(form)
    with pytest.raises(BadInboundEmail, match=r"^from: "):
        parse(read_form(io.BytesIO(body), content_type), inbound_domain=DOMAIN)


def test_parse_with_malformed_envelope_names_the_field() -> None:
    form = dict(fields(_email("4")))
    form["envelope"] = b"{not json"
    body, content_type = encode(list(form.items()))
    with pytest.raises(BadInboundEmail, match=r"^envelope: "):
        parse(read_form(io.BytesIO(body), content_type), inbound_domain=DOMAIN)


def test_read_form_refuses_a_body_that_is_not_multipart() -> None:
    with pytest.raises(BadInboundEmail, match=r"^Content-Type: "):
        read_form(io.BytesIO(b"text=4"), "application/x-www-form-urlencoded")


def test_read_form_keeps_field_bytes_and_skips_attachments() -> None:
    body, content_type = encode(
        [("text", "caf\u00e9".encode("cp1252")), ("attachment1", b"\x89PNG...")]
    )
    assert read_form(io.BytesIO(body), content_type) == {"text": b"caf\xe9"}


def test_parse_without_message_id_gets_the_same_key_for_the_same_mail() -> None:
    raw = _email("4 all good").replace(b"Message-ID: <m1@mail.example.com>\n", b"")
    first, again = _read(raw), _read(raw)
    assert first.message_id_missing
    assert first.message_id == again.message_id
    assert first.message_id != _read(raw.replace(b"4 all good", b"3 all good")).message_id
