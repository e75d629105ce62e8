import base64

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


# What production needs: every secret real, long and not one of the published defaults.
STRONG = "9f1c2b7e4d8a0c6e5b3f1a2d7c9e0b4f"
OTHER_STRONG = "Zq7Lp0Xv3Nc8Rb2Tm5Wk9Hy4Jd6Gf1Se"


def _event_key() -> str:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(der).decode()


def _production(**changes: str) -> dict[str, str]:
    environ = {
        "PULSE_ENV": "production",
        "SECRET_KEY": STRONG,
        "TWILIO_AUTH_TOKEN": OTHER_STRONG,
        "SENDGRID_INBOUND_SECRET": STRONG[::-1],
    }
    environ.update(changes)
    return {k: v for k, v in environ.items() if v}


def test_settings_in_production_with_real_secrets_start() -> None:
    settings = Settings.from_env(_production())
    assert settings.secret_key == STRONG
    assert not settings.is_development


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("SECRET_KEY", "", "not set"),
        ("SECRET_KEY", "x", "shorter than 32"),
        ("SECRET_KEY", "a" * 40, "different characters"),
        ("SECRET_KEY", "change-me", "published default"),
        ("TWILIO_AUTH_TOKEN", "", "published default"),  # unset: the sandbox token
        ("TWILIO_AUTH_TOKEN", "sandbox-auth-token", "published default"),
        ("TWILIO_AUTH_TOKEN", "0123456789abcdef", "shorter than 32"),
        ("SENDGRID_INBOUND_SECRET", "", "published default"),
        ("SENDGRID_INBOUND_SECRET", "sandbox-inbound-secret", "published default"),
        ("SENDGRID_INBOUND_SECRET", "hunter2", "shorter than 32"),
    ],
)
def test_settings_in_production_with_weak_secret_refuse_naming_the_variable(
    name: str, value: str, why: str
) -> None:
    with pytest.raises(ConfigError, match=rf"^{name} .*{why}"):
        Settings.from_env(_production(**{name: value}))


def test_settings_in_production_with_twilio_account_refuse_the_sandbox_token() -> None:
    environ = _production(TWILIO_ACCOUNT_SID="AC" + "0" * 32)
    environ.pop("TWILIO_AUTH_TOKEN")
    with pytest.raises(ConfigError, match=r"^TWILIO_AUTH_TOKEN"):
        Settings.from_env(environ)


def test_settings_in_production_with_sendgrid_require_the_event_public_key() -> None:
    with pytest.raises(ConfigError, match=r"^SENDGRID_EVENT_PUBLIC_KEY is not set"):
        Settings.from_env(_production(SENDGRID_API_KEY="SG.real-key"))
    with pytest.raises(ConfigError, match=r"^SENDGRID_EVENT_PUBLIC_KEY is not a valid"):
        Settings.from_env(
            _production(SENDGRID_API_KEY="SG.real-key", SENDGRID_EVENT_PUBLIC_KEY="bm90IGEga2V5")
        )
    key = _event_key()
    settings = Settings.from_env(
        _production(SENDGRID_API_KEY="SG.real-key", SENDGRID_EVENT_PUBLIC_KEY=key)
    )
    assert settings.sendgrid_event_public_key == key


def test_settings_in_development_accept_the_defaults_with_no_configuration() -> None:
    for environment in ("development", "test"):
        settings = Settings.from_env({"PULSE_ENV": environment})
        assert settings.twilio_auth_token == "sandbox-auth-token"
        assert len(settings.secret_key) >= 32


def test_launcher_in_production_with_default_secret_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core import launcher

    for name in ("SECRET_KEY", "TWILIO_ACCOUNT_SID", "SENDGRID_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in _production(SENDGRID_INBOUND_SECRET="sandbox-inbound-secret").items():
        monkeypatch.setenv(name, value)

    assert launcher.main(["--no-seed"]) == 2
    assert "SENDGRID_INBOUND_SECRET is a published default" in capsys.readouterr().err
