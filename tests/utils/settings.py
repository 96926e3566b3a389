"""Environments for tests that build production settings."""

from __future__ import annotations

import pytest

REDIS_FEATURES = ("idempotency", "voice", "chat", "ratelimit", "jobs", "auth", "health")


def azure_redis_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis as on Azure: the access key in REDIS_PASSWORD, no per-feature ACL users (the local
    settings name them, and their local passwords are refused outside local development)."""
    monkeypatch.setenv("REDIS_PASSWORD", "access-key-from-key-vault")
    for feature in REDIS_FEATURES:
        monkeypatch.delenv(f"REDIS_{feature.upper()}_USERNAME", raising=False)
        monkeypatch.delenv(f"REDIS_{feature.upper()}_PASSWORD", raising=False)


POSTGRES_SERVICES = (
    "jobs",
    "worker",
    "media",
    "voice",
    "chat",
    "ml",
    "auth",
    "health",
    "vectors",
    "graph",
)


def azure_postgres_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL as on Azure: every service connects as its role (platform_<service>) with a
    password from Key Vault (the local settings hold local placeholders, refused there)."""
    for service in POSTGRES_SERVICES:
        monkeypatch.setenv(f"POSTGRES_{service.upper()}_USERNAME", f"platform_{service}")
        monkeypatch.setenv(f"POSTGRES_{service.upper()}_PASSWORD", f"{service}-from-key-vault")
