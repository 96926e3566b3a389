"""caller_identity: a stable, non-secret id per caller."""

from __future__ import annotations

import hashlib

import azure.functions as func
import pytest

from shared.identity import caller_identity


def _request(headers: dict[str, str] | None = None, params: dict[str, str] | None = None):
    return func.HttpRequest(
        "POST", "http://h/api/x", headers=headers or {}, params=params or {}, body=b""
    )


def _key_id(secret: str) -> str:
    return "key:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


def test_app_service_principal_wins() -> None:
    req = _request({"x-ms-client-principal-id": "user-1", "x-functions-key": "k"})
    assert caller_identity(req) == "principal:user-1"


@pytest.mark.parametrize(
    ("headers", "params", "secret"),
    [
        ({"x-functions-key": "fkey"}, {}, "fkey"),
        ({}, {"code": "qcode"}, "qcode"),
        ({"X-API-Key": "apikey"}, {}, "apikey"),
        ({"Authorization": "Bearer tok.en"}, {}, "tok.en"),
        ({"x-functions-key": "first", "X-API-Key": "second"}, {"code": "third"}, "first"),
        ({"X-API-Key": "second"}, {"code": "third"}, "third"),
    ],
)
def test_presented_credential_becomes_a_hash_prefix(headers, params, secret) -> None:
    # given a request with credentials / then the first one in contract order identifies it
    identity = caller_identity(_request(headers, params))
    assert identity == _key_id(secret)
    assert secret not in identity


def test_no_credentials_is_anonymous() -> None:
    assert caller_identity(_request({"Authorization": "Basic dXNlcjpwYXNz"})) == "anonymous"
    assert caller_identity(_request()) == "anonymous"
