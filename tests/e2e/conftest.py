"""End-to-end fixtures: the project's app served by devhost over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.utils.app_host import start_app_host


@pytest.fixture(scope="session")
def app_host() -> Iterator[str]:
    """One devhost for the whole session, serving the project's app."""
    with start_app_host() as url:
        yield url
