"""The project's app served by devhost over real HTTP, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from devhost.testing import PROJECT_ROOT, run_devhost


@contextmanager
def start_app_host(env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve ``function_app`` from the project root; yields the base URL with ``/api``."""
    with run_devhost(PROJECT_ROOT, env=env) as base_url:
        yield f"{base_url}/api"
