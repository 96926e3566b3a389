"""Options validation, limits resolution and the IDEMPOTENCY_DISABLED switch."""

from __future__ import annotations

import logging

import pytest

from shared.config import Environment, Settings
from shared.idempotency import config as config_module
from shared.idempotency.config import IdempotencyConfig, is_disabled
from shared.idempotency.exceptions import IdempotencyConfigurationError
from shared.idempotency.persistence.base import Claim, ClaimStatus
from tests.utils.settings import azure_postgres_env, azure_redis_env


@pytest.mark.parametrize(
    "kwargs",
    [
        {"on_redis_error": "ignore"},
        {"lease_seconds": 0},
        {"ttl_seconds": -1},
        {"max_response_bytes": 0},
        {"fingerprint_fields": "amount"},
        {"fingerprint_fields": ("",)},
    ],
)
def test_invalid_options_are_refused_at_decoration(kwargs) -> None:
    with pytest.raises(IdempotencyConfigurationError):
        IdempotencyConfig(**kwargs)


def test_limits_default_to_settings_and_accept_fractions() -> None:
    settings = Settings(
        idempotency_lease_seconds=30,
        idempotency_ttl_seconds=600,
        idempotency_max_response_bytes=1000,
    )
    assert IdempotencyConfig().limits(settings) == config_module.Limits(30_000, 600_000, 1000)
    custom = IdempotencyConfig(lease_seconds=0.25, ttl_seconds=2, max_response_bytes=5)
    assert custom.limits(settings) == config_module.Limits(250, 2000, 5)


@pytest.mark.parametrize(("remaining_ms", "seconds"), [(0, 1), (200, 1), (2100, 3), (300_000, 5)])
def test_retry_after_is_the_remaining_lease_capped(remaining_ms: int, seconds: int) -> None:
    claim = Claim(ClaimStatus.IN_PROGRESS, "k", lease_remaining_ms=remaining_ms)
    assert claim.retry_after_seconds == seconds


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_module, "_warned", set())


@pytest.mark.usefixtures("fresh_warnings")
def test_disabled_flag_is_honoured_locally_with_one_warning(caplog) -> None:
    # given a local environment with the flag set
    settings = Settings(idempotency_disabled=True, app_environment=Environment.LOCAL)
    # when checked several times
    with caplog.at_level(logging.WARNING, logger=config_module.__name__):
        results = [is_disabled(settings) for _ in range(3)]
    # then it is disabled, and the warning was logged once
    assert results == [True, True, True]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "NOT enforced" in caplog.records[0].getMessage()


@pytest.mark.usefixtures("fresh_warnings")
def test_disabled_flag_is_ignored_outside_local_with_an_error(caplog, monkeypatch) -> None:
    # given production settings with the flag set (placeholders are refused there, so set them)
    azure_redis_env(monkeypatch)
    azure_postgres_env(monkeypatch)
    settings = Settings(
        idempotency_disabled=True,
        app_environment=Environment.PRODUCTION,
        postgres_dsn="postgresql://u:real@db/x",
        auth_jwt_secret="real-jwt-secret",
        storage_connection_string="DefaultEndpointsProtocol=https;AccountName=a;AccountKey=b",
    )
    with caplog.at_level(logging.WARNING, logger=config_module.__name__):
        results = [is_disabled(settings) for _ in range(2)]
    # then idempotency stays on, and one ERROR says so
    assert results == [False, False]
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_flag_unset_means_enabled() -> None:
    assert is_disabled(Settings(idempotency_disabled=False)) is False
