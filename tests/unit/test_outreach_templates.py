import pytest

from outreach.templates import (
    MAX_SMS_SEGMENTS,
    TemplateError,
    check_sms_template,
    count_segments,
    odd_characters,
    render_email,
    render_sms,
    require_sms_template,
    to_gsm7,
    values_for,
)

CURLY = "\u2019"
PLAIN = "Hi {first_name}, how is {client} treating you? Reply 1-{scale_max}. Reply STOP to opt out."


def test_check_sms_template_shows_segments_and_gsm7_for_a_plain_template() -> None:
    check = check_sms_template(PLAIN)
    assert check.ok
    assert (check.encoding, check.segments, check.odd) == ("GSM-7", 1, [])
    assert check.summary().startswith("1 segment (GSM-7, ")


def test_check_sms_template_with_a_curly_quote_reports_ucs2_and_the_cost() -> None:
    template = PLAIN.replace("how is", f"how{CURLY}s")
    check = check_sms_template(template)
    assert not check.ok
    assert check.encoding == "UCS-2"
    assert (check.segments, check.gsm7_segments) == (2, 1)
    assert "RIGHT SINGLE QUOTATION MARK" in check.summary()
    assert 'write "\'" instead' in check.summary()


def test_require_sms_template_refuses_a_curly_quote_naming_field_character_and_position() -> None:
    template = f"Hi {{first_name}}, how{CURLY}s work? Reply STOP to opt out."
    with pytest.raises(TemplateError) as caught:
        require_sms_template(template)
    assert caught.value.field == "sms_template"
    assert f"'{CURLY}' (RIGHT SINGLE QUOTATION MARK) at character 21" in str(caught.value)


def test_require_sms_template_refuses_more_segments_than_the_budget_counting_the_reminder() -> None:
    template = "x" * (153 * MAX_SMS_SEGMENTS - len("Reminder: ") + 1)
    with pytest.raises(TemplateError, match="its reminder takes 4"):
        require_sms_template(template)


@pytest.mark.parametrize("template", ["Hi {nickname}", "Hi {first_name", "Hi {client!r}"])
def test_check_sms_template_with_a_bad_placeholder_names_the_field(template: str) -> None:
    with pytest.raises(TemplateError, match=r"^sms_template: "):
        check_sms_template(template)


def test_odd_characters_keeps_real_letters_without_a_plain_twin() -> None:
    [odd] = odd_characters("¿Cómo está?")[:1]
    assert (odd.character, odd.replacement) == ("ó", None)
    assert odd.position == 3


def test_to_gsm7_replaces_look_alikes_only() -> None:
    assert to_gsm7("It\u2019s \u201cfine\u201d \u2014 ok\u2026 Zoë") == 'It\'s "fine" - ok... Zoë'


def test_render_sms_never_pays_ucs2_for_a_curly_quote_that_slipped_into_a_template() -> None:
    body = render_sms(
        f"Hi {{first_name}}, how{CURLY}s it going?" + " x" * 60, values_for("Rosa Diaz", "Acme", 5)
    )
    assert CURLY not in body
    assert count_segments(body) == 1


def test_render_sms_reminder_has_the_prefix() -> None:
    assert render_sms("Hi {first_name}", values_for("Rosa Diaz", "Acme", 5), reminder=True) == (
        "Reminder: Hi Rosa"
    )


def test_render_email_has_text_and_escaped_html_with_unsubscribe_and_postal_address() -> None:
    email = render_email(
        "How is {client}?",
        "Hi {first_name},\n\nHow is {client}?",
        values_for("<b>Rosa</b> Diaz", "Acme & Sons", 5),
        unsubscribe_url="https://pulse.example.com/u/TOKEN",
        mailing_address="1 Main St, Springfield",
        program_name="Contractor Pulse",
    )
    assert email.subject == "How is Acme & Sons?"
    assert "Hi <b>Rosa</b>," in email.text
    assert "Unsubscribe: https://pulse.example.com/u/TOKEN" in email.text
    assert "1 Main St, Springfield" in email.text
    assert "&lt;b&gt;Rosa&lt;/b&gt;" in email.html and "<b>Rosa" not in email.html
    assert "Acme &amp; Sons" in email.html
    assert '<a href="https://pulse.example.com/u/TOKEN">Unsubscribe</a>' in email.html
