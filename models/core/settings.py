"""Settings: every environment variable Seatwise reads, read once and validated here.

This is the only module that reads `os.environ` (the test harness aside). A bad value ends in
one line naming the variable, never the value (DATABASE_URL may carry a password):

    SEATWISE_LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'

An empty variable counts as unset.
"""

from __future__ import annotations

import functools
import os
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite://seatwise.sqlite3"
DATABASE_SCHEMES = ("sqlite://", "postgres://", "postgresql://", "asyncpg://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigError(Exception):
    """A setting that cannot be used; the message is one line and names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=False, frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias="DATABASE_URL",
        repr=False,
        description="sqlite://PATH, or postgres://user:pass@host:5432/db for PostgreSQL (asyncpg)",
    )
    redis_url: str | None = Field(
        None,
        validation_alias="REDIS_URL",
        repr=False,
        description="redis://host:6379/0; set when more than one instance serves: live events cross instances through Redis",
    )
    redis_channel: str | None = Field(
        None,
        validation_alias="SEATWISE_REDIS_CHANNEL",
        description="Redis pub/sub channel of live events (default seatwise:<db>:license-events)",
    )
    clock_interval: float = Field(
        3600,
        ge=0,
        validation_alias="SEATWISE_CLOCK_INTERVAL",
        description="seconds between billing-clock runs inside `serve`; 0 turns it off",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO",
        validation_alias="SEATWISE_LOG_LEVEL",
        description="level of the JSON logs on stderr",
    )
    cors_origins: str = Field(
        "",
        validation_alias="SEATWISE_CORS_ORIGINS",
        description="comma-separated origins allowed to call the API (and open WebSockets) from a browser",
    )
    cors_headers: str = Field(
        "",
        validation_alias="SEATWISE_CORS_HEADERS",
        description="comma-separated request headers a browser may send besides the built-in ones (authorization, content-type, apollographql-client-name/-version, x-request-id, traceparent, tracestate)",
    )
    apq_cache_size: int = Field(
        1000,
        ge=0,
        le=1_000_000,
        validation_alias="SEATWISE_APQ_CACHE_SIZE",
        description="automatic persisted queries kept per process (least recently used go first; 0 keeps none); with REDIS_URL they are shared through Redis too",
    )
    rate_limit: int = Field(
        5000,
        ge=1,
        validation_alias="SEATWISE_RATE_LIMIT",
        description="points each credential may spend per hour (a sliding window; a request costs 1 plus its page sizes / 100); in Redis with REDIS_URL",
    )
    access_rate: int = Field(
        200,
        ge=1,
        validation_alias="SEATWISE_ACCESS_RATE",
        description="accessCheck / recordLicenseUses calls each credential may make per second, a budget apart from SEATWISE_RATE_LIMIT",
    )
    db_pool_size: int = Field(
        5,
        ge=1,
        le=1000,
        validation_alias="SEATWISE_DB_POOL_SIZE",
        description="PostgreSQL connections each worker process may open (asyncpg's pool; `maxsize` in DATABASE_URL wins): a server opens up to --workers times this many",
    )
    public_url: str | None = Field(
        None,
        validation_alias="SEATWISE_PUBLIC_URL",
        description="this server's address as clients see it (e.g. https://seats.example.com); downloadUrl starts with it",
    )
    payment_gateway: Literal["sandbox", "stripe"] = Field(
        "sandbox",
        validation_alias="SEATWISE_GATEWAY",
        description="the payment gateway cards are charged through: `sandbox` (a card processor's test mode, built in) or `stripe`",
    )
    stripe_secret_key: SecretStr | None = Field(
        None,
        validation_alias="SEATWISE_STRIPE_SECRET_KEY",
        description="Stripe's secret API key (sk_test_... for test mode) when SEATWISE_GATEWAY=stripe",
    )
    stripe_api_base: str | None = Field(
        None,
        validation_alias="SEATWISE_STRIPE_API_BASE",
        description="where the Stripe gateway sends its requests (default https://api.stripe.com; e.g. a localstripe)",
    )
    host: str = Field("127.0.0.1", validation_alias="HOST", description="default of `serve --host`")
    port: int = Field(8000, ge=1, le=65535, validation_alias="PORT", description="default of `serve --port` (and of `make run`)")
    prometheus_multiproc_dir: str | None = Field(
        None,
        validation_alias="PROMETHEUS_MULTIPROC_DIR",
        description="where worker processes share their metrics; `serve --workers N>1` makes (and removes) one when unset",
    )
    admin_password: SecretStr | None = Field(
        None,
        validation_alias="SEATWISE_ADMIN_PASSWORD",
        description="the first admin's password for `create-org`",
    )
    secret_key: SecretStr | None = Field(
        None,
        validation_alias="SEATWISE_SECRET_KEY",
        description="the server secret: Fernet key(s), comma-separated, newest first, that encrypt webhook secrets at rest; plan tokens are signed with a key derived from the newest (the same on every instance); unset: development keys (webhook secrets: derived from DATABASE_URL; plan tokens: random per process)",
    )
    webhook_allow_private: bool = Field(
        False,
        validation_alias="SEATWISE_WEBHOOK_ALLOW_PRIVATE",
        description="development and tests only: webhook URLs may be http:// and reach loopback and private addresses",
    )
    webhook_interval: float = Field(
        1.0,
        ge=0,
        validation_alias="SEATWISE_WEBHOOK_INTERVAL",
        description="seconds between the delivery worker's looks for due webhook deliveries inside `serve`; 0 turns it off",
    )
    webhook_lease: float = Field(
        60,
        ge=1,
        validation_alias="SEATWISE_WEBHOOK_LEASE",
        description="seconds a delivery attempt is leased to one process (keep it above the 15 s timeout); a process killed mid-attempt leaves it to the next after this",
    )
    smtp_url: SecretStr | None = Field(
        None,
        validation_alias="SEATWISE_SMTP_URL",
        description="smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465: admins get notices by email; unset: no mail",
    )
    mail_from: str = Field(
        "Seatwise <seatwise@localhost>",
        validation_alias="SEATWISE_MAIL_FROM",
        description="the From of notice emails",
    )
    bench_database_url: str | None = Field(
        None,
        validation_alias="BENCH_DATABASE_URL",
        repr=False,
        description="PostgreSQL database of `make bench`, dropped and created at each run (default: seatwise_bench on the local server)",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value):
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url", "bench_database_url")
    @classmethod
    def _database_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(DATABASE_SCHEMES):
            raise ValueError("must start with " + ", ".join(DATABASE_SCHEMES))
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(REDIS_SCHEMES):
            raise ValueError("must start with " + ", ".join(REDIS_SCHEMES))
        return value

    @model_validator(mode="after")
    def _stripe_needs_a_key(self) -> Settings:
        if self.payment_gateway == "stripe" and self.stripe_secret_key is None:
            raise ValueError("SEATWISE_STRIPE_SECRET_KEY is required when SEATWISE_GATEWAY=stripe")
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def cors_header_list(self) -> list[str]:
        return [h.strip().lower() for h in self.cors_headers.split(",") if h.strip()]


def _one_line(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        problems.append(f"{name}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read from the environment on first use; ConfigError when one is unusable."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(_one_line(error)) from None


def reload() -> Settings:
    """Read the environment again (after the test harness or `serve` changed it)."""
    settings.cache_clear()
    return settings()


def variables() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) of every setting, for `--help` and the README."""
    rows = []
    for field in Settings.model_fields.values():
        default = "unset" if field.default in (None, "") else str(field.default)
        rows.append((str(field.validation_alias), default, field.description or ""))
    return rows


def export_to_workers(name: str, value: str | None) -> None:
    """Set (or, with None, remove) a variable of this process's environment for the worker processes it starts
    (e.g. PROMETHEUS_MULTIPROC_DIR, which prometheus_client reads in every worker); then read the settings again."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    reload()
