import pytest

from core.config import ConfigError, Settings


def test_settings_without_environment_use_development_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.uses_twilio_sandbox and settings.uses_sendgrid_sandbox
    assert settings.secret_key


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TICK_SECONDS", "soon"),
        ("TICK_SECONDS", "-5"),
        ("SMS_SEGMENTS_PER_SECOND", "0"),
        ("DATABASE_URL", "pulse.db"),
        ("DEFAULT_PHONE_REGION", "XX"),
        ("TRUST_PROXY", "maybe"),
    ],
)
def test_settings_with_malformed_value_fail_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_settings_outside_development_require_a_secret_key() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"PULSE_ENV": "production"})


def test_settings_read_values_from_environment() -> None:
    settings = Settings.from_env({"TICK_SECONDS": "5", "TRUST_PROXY": "yes"})
    assert settings.tick_seconds == 5
    assert settings.trust_proxy is True
