"""Settings are read once, validated, and a bad one is named in one line without its value."""

import pytest

from seatwise.models.core import settings as settings_module
from seatwise.models.core.settings import ConfigError, settings


@pytest.fixture(autouse=True)
def fresh_settings():
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_a_bad_log_level_is_named_in_one_line(monkeypatch):
    monkeypatch.setenv("SEATWISE_LOG_LEVEL", "chatty")
    with pytest.raises(ConfigError) as failed:
        settings()
    assert str(failed.value).startswith("SEATWISE_LOG_LEVEL: ") and "\n" not in str(failed.value)
    assert "chatty" not in str(failed.value)


def test_a_bad_database_url_never_shows_its_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root:hunter2secret@db/x")
    with pytest.raises(ConfigError) as failed:
        settings()
    assert str(failed.value).startswith("DATABASE_URL: must start with sqlite://") and "hunter2" not in str(failed.value)


def test_every_problem_is_reported_at_once_and_empty_counts_as_unset(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("SEATWISE_CLOCK_INTERVAL", "-5")
    with pytest.raises(ConfigError) as failed:
        settings()
    assert "PORT: " in str(failed.value) and "SEATWISE_CLOCK_INTERVAL: " in str(failed.value)
    monkeypatch.setenv("PORT", "")
    monkeypatch.setenv("SEATWISE_CLOCK_INTERVAL", "0")
    monkeypatch.setenv("SEATWISE_LOG_LEVEL", "debug")
    monkeypatch.setenv("SEATWISE_CORS_ORIGINS", "https://a.test, https://b.test,")
    loaded = settings_module.reload()
    assert (loaded.port, loaded.clock_interval, loaded.log_level) == (8000, 0, "DEBUG")
    assert loaded.cors_origin_list == ["https://a.test", "https://b.test"]


def test_settings_are_read_once(monkeypatch):
    monkeypatch.setenv("SEATWISE_REDIS_CHANNEL", "first")
    assert settings().redis_channel == "first"
    monkeypatch.setenv("SEATWISE_REDIS_CHANNEL", "second")
    assert settings().redis_channel == "first"


def test_every_variable_is_documented_in_the_readme():
    from tests.support import ROOT

    readme = (ROOT / "README.md").read_text()
    for name, _, meaning in settings_module.variables():
        assert meaning and f"`{name}`" in readme, name


def test_only_the_settings_module_reads_the_environment():
    from tests.support import ROOT

    readers = [
        str(path.relative_to(ROOT))
        for folder in ("gql", "models", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if any(needle in path.read_text() for needle in ("os.environ.get", "os.getenv", "os.environ["))
        and path.name != "settings.py"
    ]
    assert readers == []


def test_the_stripe_gateway_without_a_secret_key_is_a_one_line_config_error(monkeypatch):
    monkeypatch.setenv("SEATWISE_GATEWAY", "stripe")
    monkeypatch.delenv("SEATWISE_STRIPE_SECRET_KEY", raising=False)
    try:
        with pytest.raises(settings_module.ConfigError) as refused:
            settings_module.reload()
        assert "SEATWISE_STRIPE_SECRET_KEY is required when SEATWISE_GATEWAY=stripe" in str(refused.value)
    finally:
        monkeypatch.delenv("SEATWISE_GATEWAY")
        settings_module.reload()
