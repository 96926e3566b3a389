"""Environments for tests that build production settings."""

from __future__ import annotations

import pytest

REDIS_FEATURES = ("idempotency", "voice", "chat", "ratelimit", "jobs", "health")


def azure_redis_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis as on Azure: the access key in REDIS_PASSWORD, no per-feature ACL users (the local
    settings name them, and their local passwords are refused outside local development)."""
    monkeypatch.setenv("REDIS_PASSWORD", "access-key-from-key-vault")
    for feature in REDIS_FEATURES:
        monkeypatch.delenv(f"REDIS_{feature.upper()}_USERNAME", raising=False)
        monkeypatch.delenv(f"REDIS_{feature.upper()}_PASSWORD", raising=False)
