from core.config import Settings
from outreach.consent import message_for_token, unsubscribe_token
from outreach.inbox import confirmation_text, help_text
from outreach.keywords import Keyword
from outreach.templates import count_segments, is_gsm7

SETTINGS = Settings.from_env(
    {}, secret_key="k", program_name="Contractor Pulse", support_contact="help@pulse.example.com"
)


def test_help_text_has_what_ctia_asks_for_in_one_gsm7_segment() -> None:
    text = help_text(SETTINGS)
    assert "Contractor Pulse" in text  # the program
    assert "Msg frequency varies" in text  # how often
    assert "Reply STOP to opt out" in text  # how to stop
    assert "Msg & data rates may apply" in text
    assert "help@pulse.example.com" in text  # a contact
    assert is_gsm7(text) and count_segments(text) == 1


def test_each_consent_keyword_gets_one_confirmation_without_a_survey() -> None:
    stop = confirmation_text(Keyword.OPT_OUT, SETTINGS)
    start = confirmation_text(Keyword.OPT_IN, SETTINGS)
    assert "unsubscribed" in stop and "START" in stop
    assert "subscribed again" in start and "STOP" in start
    assert confirmation_text(Keyword.HELP, SETTINGS) == help_text(SETTINGS)
    for text in (stop, start):
        assert "1-5" not in text and "?" not in text  # no survey question, no marketing
        assert is_gsm7(text) and count_segments(text) == 1


def test_unsubscribe_token_names_its_message_and_refuses_tampering() -> None:
    token = unsubscribe_token("secret", 42)
    assert message_for_token("secret", token) == 42
    assert message_for_token("other-secret", token) is None
    assert message_for_token("secret", token[:-2] + "xx") is None
    assert message_for_token("secret", "42") is None


def test_spanish_confirmations_are_spanish_gsm7_and_say_how_to_undo() -> None:
    stop = confirmation_text(Keyword.OPT_OUT, SETTINGS, "es")
    start = confirmation_text(Keyword.OPT_IN, SETTINGS, "es")
    help_ = confirmation_text(Keyword.HELP, SETTINGS, "es")
    assert "te dimos de baja" in stop and "ALTA" in stop
    assert "BAJA" in start and "AYUDA" in start
    assert SETTINGS.support_contact in help_ and "BAJA o STOP" in help_
    for text in (stop, start, help_):
        assert is_gsm7(text)
        assert count_segments(text) <= 2
