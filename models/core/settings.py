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

from pydantic import Field, SecretStr, ValidationError, field_validator
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
    public_url: str | None = Field(
        None,
        validation_alias="SEATWISE_PUBLIC_URL",
        description="this server's address as clients see it (e.g. https://seats.example.com); downloadUrl starts with it",
    )
    payment_gateway: Literal["sandbox"] = Field(
        "sandbox",
        validation_alias="SEATWISE_PAYMENT_GATEWAY",
        description="the payment gateway cards are charged through; `sandbox` (a card processor's test mode) is built in",
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
        description="the server secret that plan tokens are signed with (HMAC-SHA256 of a key derived from it); the same on every instance; unset: a random key per process",
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

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(REDIS_SCHEMES):
            raise ValueError("must start with " + ", ".join(REDIS_SCHEMES))
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


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
