"""Idempotency over real HTTP: devhost serving a small app (one ``Api`` endpoint, HTTP streams
mode), called with the function key and a JWT. Records are scoped by the authenticated principal
(``<tenant>/<user>``), not the token."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from devhost.testing import PROJECT_ROOT, run_devhost
from shared.idempotency.keys import record_key, scoped_key_hash
from tests.utils.auth import auth_headers, owner_of

APP = Path(__file__).parent / "app"
FUNCTION_KEY = "e2e-idempotency-function-key"
MASTER_KEY = "e2e-idempotency-master-key"
ALICE = f"alice-{uuid.uuid4().hex[:8]}"
BOB = f"bob-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def things_url(redis_client: redis.Redis) -> Iterator[str]:
    """The app's POST URL; every record the module's keys created is deleted afterwards."""
    env = {
        "DEVHOST_FUNCTION_KEY": FUNCTION_KEY,
        "DEVHOST_MASTER_KEY": MASTER_KEY,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    with run_devhost(APP, env=env) as base_url:
        yield f"{base_url}/api/things"
    records = [
        record_key(scoped_key_hash(owner_of(user), "function_app.create_thing", key))
        for user in (ALICE, BOB)
        for key in USED_KEYS
    ]
    if records:
        redis_client.delete(*records)


USED_KEYS: list[str] = []


def _new_key() -> str:
    USED_KEYS.append(key := str(uuid.uuid4()))
    return key


def _post(
    url: str, key: str | None, body: bytes, user: str = ALICE, **extra: str
) -> httpx.Response:
    """POST as ``user``, with a JWT minted for this request (so a retry carries a new token)."""
    headers = {
        **auth_headers(user),
        "x-functions-key": FUNCTION_KEY,
        "content-type": "application/json",
        **extra,
    }
    if key is not None:
        headers["Idempotency-Key"] = f'"{key}"'
    return httpx.post(url, content=body, headers=headers, timeout=10)


def test_first_call_runs_and_retry_replays_identical_bytes(things_url: str) -> None:
    # given a new key
    key, body = _new_key(), b'{"name": "widget"}'
    # when the request is sent, then sent again
    first = _post(things_url, key, body)
    second = _post(things_url, key, body)
    # then the first ran (201, new id) and the second is the same bytes, marked as a replay
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]


def test_changed_body_with_the_same_key_is_422(things_url: str) -> None:
    key = _new_key()
    assert _post(things_url, key, b'{"name": "widget"}').status_code == 201
    response = _post(things_url, key, b'{"name": "gadget"}')
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 422


def test_missing_key_is_400_on_a_required_endpoint(things_url: str) -> None:
    response = _post(things_url, None, b'{"name": "widget"}')
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


def test_another_caller_with_the_same_key_gets_its_own_result(things_url: str) -> None:
    key, body = _new_key(), b'{"name": "widget"}'
    mine = _post(things_url, key, body)
    theirs = _post(things_url, key, body, user=BOB)
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


def test_a_principal_header_does_not_borrow_another_callers_record(things_url: str) -> None:
    # App Service's principal header is not trusted: bob naming alice still gets his own result
    key, body = _new_key(), b'{"name": "widget"}'
    mine = _post(things_url, key, body)
    theirs = _post(things_url, key, body, user=BOB, **{"x-ms-client-principal-id": owner_of(ALICE)})
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


def test_the_function_key_alone_is_401_and_records_nothing(things_url: str) -> None:
    key, body = _new_key(), b'{"name": "widget"}'
    headers = {"x-functions-key": FUNCTION_KEY, "content-type": "application/json"}
    refused = httpx.post(
        things_url, content=body, headers={**headers, "Idempotency-Key": f'"{key}"'}, timeout=10
    )
    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    # the key is still free for a real caller: the refusal was not stored as its response
    first = _post(things_url, key, body)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
