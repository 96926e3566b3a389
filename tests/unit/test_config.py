"""Settings: embedded local defaults, and no placeholder secret outside local development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config import AZURITE_CONNECTION_STRING, Environment, Settings
from tests.utils.settings import azure_redis_env


def test_local_defaults_point_at_the_local_stack(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "local")
    settings = Settings()
    assert settings.redis_host == "127.0.0.1"
    assert "127.0.0.1:5432" in settings.postgres_dsn.get_secret_value()
    assert not settings.uses_storage_identity


def test_production_refuses_placeholder_secrets(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "postgres_dsn" in message
    assert "storage_connection_string" in message
    assert "ml_service_api_key" in message
    # The refusal names the settings, never their values.
    assert "local-dev-postgres" not in message
    assert "local-dev-ml-service-key" not in message


def test_production_accepts_real_secrets_and_identity_storage(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    azure_redis_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_DSN", "postgresql://app:s3cret-from-key-vault@db.example/app")
    monkeypatch.setenv("ML_SERVICE_API_KEY", "s3cret-ml-key-from-key-vault")
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "prodaccount")
    monkeypatch.setenv("AzureWebJobsStorage", AZURITE_CONNECTION_STRING)
    settings = Settings()
    assert settings.uses_storage_identity
    assert settings.blob_service_url == "https://prodaccount.blob.core.windows.net"


def test_azure_sets_production_when_environment_is_not_given(monkeypatch):
    monkeypatch.delenv("APP_ENVIRONMENT", raising=False)
    monkeypatch.setenv("WEBSITE_SITE_NAME", "my-func-app")
    azure_redis_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_DSN", "postgresql://app:real@db.example/app")
    monkeypatch.setenv("ML_SERVICE_API_KEY", "real-ml-key")
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "prodaccount")
    assert Settings().app_environment is Environment.PRODUCTION


def test_blank_values_count_as_unset(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("QDRANT_URL", "")
    settings = Settings()
    assert settings.redis_url is None
    assert settings.qdrant_url is None


def test_features_without_their_own_redis_user_use_the_main_credentials(monkeypatch):
    azure_redis_env(monkeypatch)
    monkeypatch.setenv("REDIS_USERNAME", "")
    monkeypatch.setenv("REDIS_CHAT_USERNAME", "chat")
    monkeypatch.setenv("REDIS_CHAT_PASSWORD", "chat-secret")
    settings = Settings()
    user, password = settings.redis_credentials("chat")
    assert (user, password and password.get_secret_value()) == ("chat", "chat-secret")
    user, password = settings.redis_credentials("voice")
    assert (user, password and password.get_secret_value()) == (None, "access-key-from-key-vault")
    assert settings.redis_credentials() == settings.redis_credentials("voice")


def test_production_refuses_placeholder_redis_passwords_that_are_used(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    azure_redis_env(monkeypatch)
    monkeypatch.setenv("REDIS_PASSWORD", "")
    monkeypatch.setenv("REDIS_CHAT_USERNAME", "chat")  # its password left at the placeholder
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "redis_password" in message
    assert "redis_chat_password" in message
    assert "redis_voice_password" not in message  # no voice user: its password is never sent
    assert "local-dev-redis" not in message
