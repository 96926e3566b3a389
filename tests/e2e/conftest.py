"""End-to-end fixtures: the project's app served by devhost over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest

from devhost.testing import PROJECT_ROOT, run_devhost


@contextmanager
def start_app_host(env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve ``function_app`` from the project root; yields the base URL with ``/api``."""
    with run_devhost(PROJECT_ROOT, env=env) as base_url:
        yield f"{base_url}/api"


@pytest.fixture(scope="session")
def app_host() -> Iterator[str]:
    """One devhost for the whole session, serving the project's app."""
    with start_app_host() as url:
        yield url
