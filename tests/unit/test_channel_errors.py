from datetime import UTC, datetime

import pytest

from outreach.channels import ChannelError, Failure, sendgrid_email, twilio_sms


@pytest.mark.parametrize(
    ("status", "code", "failure"),
    [
        (429, 20429, Failure.RETRY),
        (429, None, Failure.RETRY),
        (500, 20500, Failure.RETRY),
        (503, None, Failure.RETRY),
        (400, 21610, Failure.OPTED_OUT),
        (400, 21211, Failure.BAD_ADDRESS),
        (400, 21614, Failure.BAD_ADDRESS),
        (400, 21408, Failure.REJECTED),  # region not enabled
        (401, 20003, Failure.REJECTED),
        (404, 20404, Failure.REJECTED),
    ],
)
def test_twilio_failure_for_maps_code_then_status(
    status: int, code: int | None, failure: Failure
) -> None:
    assert twilio_sms.failure_for(status, code) is failure


def test_twilio_parse_retry_after_reads_seconds_and_http_dates() -> None:
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert twilio_sms.parse_retry_after("7", at) == 7.0
    assert twilio_sms.parse_retry_after("Mon, 02 Mar 2026 15:00:30 GMT", at) == 30.0
    assert twilio_sms.parse_retry_after("Mon, 02 Mar 2026 14:00:00 GMT", at) == 0.0
    assert twilio_sms.parse_retry_after("soon", at) is None
    assert twilio_sms.parse_retry_after(None, at) is None


@pytest.mark.parametrize(
    ("status", "fields", "failure"),
    [
        (429, [], Failure.RETRY),
        (500, [], Failure.RETRY),
        (502, [], Failure.RETRY),
        (400, ["personalizations.0.to.0.email"], Failure.BAD_ADDRESS),
        (400, ["personalizations.0.to.0.email", "from.email"], Failure.REJECTED),
        (400, ["subject"], Failure.REJECTED),
        (401, [], Failure.REJECTED),
        (413, [], Failure.REJECTED),
    ],
)
def test_sendgrid_failure_for_maps_status_and_field(
    status: int, fields: list[str], failure: Failure
) -> None:
    errors = [{"field": f, "message": "bad"} for f in fields]
    assert sendgrid_email.failure_for(status, errors) is failure


def test_sendgrid_text_to_html_escapes_contractor_text() -> None:
    html = sendgrid_email.text_to_html("Rate 1-5 <script>x</script> & tell us\nmore\n\nThanks")
    assert html == (
        "<p>Rate 1-5 &lt;script&gt;x&lt;/script&gt; &amp; tell us<br>\nmore</p>\n<p>Thanks</p>"
    )


def test_channel_error_is_retryable_only_for_retry() -> None:
    assert ChannelError("x", failure=Failure.RETRY).retryable
    assert not ChannelError("x", failure=Failure.OPTED_OUT).retryable
