"""Settings: embedded local defaults, and no placeholder secret outside local development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config import AZURITE_CONNECTION_STRING, Environment, Settings
from tests.utils.settings import azure_postgres_env, azure_redis_env


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
    assert "auth_jwt_secret" in message
    # The refusal names the settings, never their values.
    assert "local-dev-postgres" not in message
    assert "local-dev-jwt-secret" not in message


def test_production_accepts_real_secrets_and_identity_storage(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    azure_redis_env(monkeypatch)
    azure_postgres_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_DSN", "postgresql://app:s3cret-from-key-vault@db.example/app")
    monkeypatch.setenv("AUTH_JWT_SECRET", "s3cret-jwt-key-from-key-vault")
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "prodaccount")
    monkeypatch.setenv("AzureWebJobsStorage", AZURITE_CONNECTION_STRING)
    settings = Settings()
    assert settings.uses_storage_identity
    assert settings.blob_service_url == "https://prodaccount.blob.core.windows.net"


def test_azure_sets_production_when_environment_is_not_given(monkeypatch):
    monkeypatch.delenv("APP_ENVIRONMENT", raising=False)
    monkeypatch.setenv("WEBSITE_SITE_NAME", "my-func-app")
    azure_redis_env(monkeypatch)
    azure_postgres_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_DSN", "postgresql://app:real@db.example/app")
    monkeypatch.setenv("AUTH_JWT_SECRET", "real-jwt-secret")
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


def test_services_without_their_own_postgres_role_use_the_dsn_credentials(monkeypatch):
    azure_postgres_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_VOICE_USERNAME", "")
    settings = Settings()
    user, password = settings.postgres_credentials("chat") or ("", None)
    assert (user, password and password.get_secret_value()) == (
        "platform_chat",
        "chat-from-key-vault",
    )
    assert settings.postgres_credentials("voice") is None
    assert settings.postgres_credentials() is None


def test_production_refuses_placeholder_postgres_passwords_that_are_used(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    azure_postgres_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_CHAT_PASSWORD", "")  # left at the placeholder
    monkeypatch.setenv("POSTGRES_VOICE_USERNAME", "")
    monkeypatch.setenv("POSTGRES_VOICE_PASSWORD", "")  # no voice role: never sent
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "postgres_chat_password" in message
    assert "postgres_voice_password" not in message
    assert "postgres_jobs_password" not in message
    assert "local-dev-postgres-chat" not in message


def test_postgres_tls_settings_reach_every_connection(monkeypatch):
    from shared.stores.postgres import PostgresService, conninfo_from_settings

    azure_postgres_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_SSLMODE", "verify-full")
    monkeypatch.setenv("POSTGRES_SSLROOTCERT", "/etc/ssl/certs/ca.pem")
    settings = Settings(postgres_dsn="postgresql://admin:pw@db.example:6432/app")
    for service in (None, PostgresService.ML):
        conninfo = conninfo_from_settings(settings, service)
        assert "sslmode=verify-full" in conninfo
        assert "sslrootcert=/etc/ssl/certs/ca.pem" in conninfo
        assert "host=db.example" in conninfo
        assert "port=6432" in conninfo
    assert "user=platform_ml" in conninfo_from_settings(settings, PostgresService.ML)
    assert "password=ml-from-key-vault" in conninfo_from_settings(settings, PostgresService.ML)
    assert "user=admin" in conninfo_from_settings(settings)


def production_env(monkeypatch):
    """Everything a production deployment sets, stores left at their defaults."""
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    azure_redis_env(monkeypatch)
    azure_postgres_env(monkeypatch)
    monkeypatch.setenv("POSTGRES_DSN", "postgresql://app:real@db.example/app")
    monkeypatch.setenv("AUTH_JWT_SECRET", "real-jwt-secret")
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "prodaccount")
    for name in ("VECTOR_STORE", "QDRANT_URL", "QDRANT_PATH", "GRAPH_STORE", "NEO4J_URI"):
        monkeypatch.delenv(name, raising=False)


def test_production_keeps_vectors_and_the_graph_in_postgresql_by_default(monkeypatch):
    production_env(monkeypatch)
    settings = Settings()
    assert (settings.vector_store_kind, settings.graph_store_kind) == ("postgres", "postgres")
    monkeypatch.setenv("QDRANT_URL", "https://qdrant.example:443")
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://graph.example")
    settings = Settings()
    assert (settings.vector_store_kind, settings.graph_store_kind) == ("qdrant", "neo4j")


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"VECTOR_STORE": "memory"}, "set VECTOR_STORE=postgres"),
        ({"VECTOR_STORE": "qdrant", "QDRANT_PATH": "/tmp/qdrant"}, "or QDRANT_URL"),
        ({"GRAPH_STORE": "embedded", "GRAPH_PATH": "/tmp/graph/g.lbug"}, "GRAPH_STORE=postgres"),
        ({"GRAPH_STORE": "embedded"}, "or NEO4J_URI to a Neo4j server"),
        ({"GRAPH_STORE": "neo4j"}, "GRAPH_STORE=neo4j needs NEO4J_URI"),
    ],
)
def test_production_refuses_stores_that_would_lose_data(monkeypatch, env, says):
    production_env(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert says in str(raised.value)


def test_local_development_may_keep_vectors_in_memory(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "local")
    monkeypatch.setenv("VECTOR_STORE", "memory")
    monkeypatch.setenv("GRAPH_STORE", "embedded")
    settings = Settings()
    assert (settings.vector_store_kind, settings.graph_store_kind) == ("qdrant", "embedded")
