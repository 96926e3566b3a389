"""The web console's end-to-end fixtures: one Chromium for the module, a real issued API key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from devhost.browser import chromium
from shared.auth import Scope
from tests.utils.browser import require_console_build


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_console_build()
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def console_url(app_host: str) -> str:
    return f"{app_host}/console"


@pytest.fixture(scope="module")
def api_key() -> str:
    """An API key issued as ``python -m shared.auth issue-key`` does (every scope), for a new
    user of a new tenant: what a person pastes into the sign-in form."""
    from shared.auth.authenticate import get_api_key_store

    _, key = get_api_key_store().issue(
        tenant=f"console-{uuid.uuid4().hex[:8]}",
        user="ops",
        name="console browser test",
        scopes=list(Scope),
        created_by="tests",
    )
    return key
