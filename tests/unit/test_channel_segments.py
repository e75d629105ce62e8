import pytest

from outreach.channels.twilio_sms import count_segments

CURLY = "\u2019"  # the right single quote phones substitute for an apostrophe
EMOJI = "\U0001f44d"  # two UTF-16 units


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("é£¥ÄÖÑÜ§¿à" * 16, 1),  # GSM-7 accents are single septets
        ("{" * 80, 1),  # extension characters cost two septets
        ("{" * 81, 2),
        ("a" * 69 + CURLY, 1),
        ("a" * 70 + CURLY, 2),
        ("a" * 133 + CURLY, 2),
        ("a" * 134 + CURLY, 3),
        ("a" * 68 + EMOJI, 1),
        ("a" * 69 + EMOJI, 2),
    ],
)
def test_count_segments_follows_gsm7_and_ucs2_limits(body: str, segments: int) -> None:
    assert count_segments(body) == segments


def test_count_segments_one_curly_quote_switches_whole_text_to_ucs2() -> None:
    plain = "I'm happy with the assignment so far, thanks for checking in! " * 2
    assert count_segments(plain) == 1
    assert count_segments(plain.replace("'", CURLY)) == 2
